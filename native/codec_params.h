// Codec parameters as JS objects, and RFC 6381 codecs strings from the real
// bitstream headers (SPS / AudioSpecificConfig / hvcC), shared by Decoder,
// Encoder and Segmenter.
#pragma once
#include "common.h"

namespace ffnode {
// RFC 6381 string ("avc1.64001f", "hvc1.1.6.L93.B0", "mp4a.40.2", "opus", ...);
// empty when the codec has no registered mapping.
std::string rfc6381(const AVCodecParameters* par);
// The CodecParameters shape of types/binding.d.ts.
Napi::Object codecParamsToJs(Napi::Env env, const AVCodecParameters* par);
// Inverse, for Segmenter: fills `par` from a CodecParameters JS object
// (codec name, sizes, rates, layout, extradata). Throws TypeError on bad input.
void codecParamsFromJs(Napi::Env env, Napi::Value v, AVCodecParameters* par);
const char* mediaTypeName(AVMediaType t);
}  // namespace ffnode
