// Remuxer: stream copy (no re-encoding) from any input into another container,
// inserting the bitstream filters the target needs. Runs on its own Strand
// thread because the input may be a network URL whose reads block.
#pragma once
#include "common.h"

namespace ffnode {
void InitRemuxer(Napi::Env env, Napi::Object exports);
}  // namespace ffnode
