// One Init per native class; each object's file pair defines its own.
#pragma once
#include "common.h"

namespace ffnode {
void InitFramePool(Napi::Env env, Napi::Object exports);
void InitDecoder(Napi::Env env, Napi::Object exports);
void InitScaler(Napi::Env env, Napi::Object exports);
void InitResampler(Napi::Env env, Napi::Object exports);
void InitEncoder(Napi::Env env, Napi::Object exports);
void InitRemuxer(Napi::Env env, Napi::Object exports);
void InitSegmenter(Napi::Env env, Napi::Object exports);

inline void InitObjects(Napi::Env env, Napi::Object exports) {
#define FFNODE_INIT(fn) fn(env, exports);
#include "objects.inc"
#undef FFNODE_INIT
}
}  // namespace ffnode
