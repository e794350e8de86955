// PROVISIONAL minimal version so the decoder builds; replaced by the encoder work.
#include "codec_params.h"
namespace ffnode {
std::string rfc6381(const AVCodecParameters*) { return ""; }
const char* mediaTypeName(AVMediaType t) { const char* n = av_get_media_type_string(t); return n ? n : "unknown"; }
Napi::Object codecParamsToJs(Napi::Env env, const AVCodecParameters* par) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("mediaType", mediaTypeName(par->codec_type));
  o.Set("codec", avcodec_get_name(par->codec_id));
  if (par->codec_type == AVMEDIA_TYPE_VIDEO) { o.Set("width", par->width); o.Set("height", par->height); }
  if (par->codec_type == AVMEDIA_TYPE_AUDIO) { o.Set("sampleRate", par->sample_rate); o.Set("channels", par->ch_layout.nb_channels); }
  return o;
}
void codecParamsFromJs(Napi::Env, Napi::Value, AVCodecParameters*) {}
}
