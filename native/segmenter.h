// Segmenter: encoded packets in, CMAF (fMP4) or MPEG-TS segments out as
// in-memory Buffers. Muxing is CPU work with no blocking I/O (a custom write
// callback collects the bytes), so calls run on the libuv pool, one at a time.
#pragma once
#include "common.h"

namespace ffnode {
void InitSegmenter(Napi::Env env, Napi::Object exports);
}  // namespace ffnode
