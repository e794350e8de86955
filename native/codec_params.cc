// CodecParameters <-> JS, and RFC 6381 codecs strings read from the real
// bitstream headers. Every parser is bounds-checked against extradata_size:
// extradata comes from demuxed (possibly hostile) input.
#include "codec_params.h"
#include "validate.h"

#include <climits>

#include <cstdio>
#include <cstring>

extern "C" {
#include <libavutil/avstring.h>
}

namespace ffnode {

namespace {

using Bytes = std::vector<uint8_t>;

std::string hex2(unsigned v, bool upper) {
  char b[8];
  snprintf(b, sizeof b, upper ? "%02X" : "%02x", v & 0xff);
  return b;
}

// Offset of the payload (after the start code) of the first Annex B NAL unit
// whose type matches, or -1. `hevc` selects the 2-byte HEVC NAL header layout.
long findNal(const uint8_t* d, size_t n, int type, bool hevc) {
  for (size_t i = 0; i + 3 < n; i++) {
    if (d[i] != 0 || d[i + 1] != 0 || d[i + 2] != 1) continue;
    size_t h = i + 3;
    int t = hevc ? (d[h] >> 1) & 0x3f : d[h] & 0x1f;
    if (t == type) return static_cast<long>(h);
  }
  return -1;
}

// Up to `max` RBSP bytes of the NAL at `from` (after its `hdr`-byte header),
// with emulation-prevention bytes (00 00 03) removed; stops at the next start code.
Bytes rbsp(const uint8_t* d, size_t n, size_t from, size_t hdr, size_t max) {
  Bytes out;
  int zeros = 0;
  for (size_t i = from + hdr; i < n && out.size() < max; i++) {
    uint8_t b = d[i];
    if (zeros >= 2 && b == 3) { zeros = 0; continue; }
    if (zeros >= 2 && b <= 1) break;  // next start code
    zeros = b == 0 ? zeros + 1 : 0;
    out.push_back(b);
  }
  return out;
}

// profile_idc, constraint flags, level_idc from avcC or an Annex B SPS.
bool avcHeader(const AVCodecParameters* par, uint8_t out[3]) {
  const uint8_t* d = par->extradata;
  size_t n = par->extradata && par->extradata_size > 0 ? static_cast<size_t>(par->extradata_size) : 0;
  if (n >= 4 && d[0] == 1) {  // avcC record: version 1, then profile, compatibility, level
    memcpy(out, d + 1, 3);
    return true;
  }
  long sps = n ? findNal(d, n, 7, false) : -1;
  if (sps < 0) return false;
  Bytes b = rbsp(d, n, static_cast<size_t>(sps), 1, 3);
  if (b.size() != 3) return false;
  memcpy(out, b.data(), 3);
  return true;
}

std::string avc(const AVCodecParameters* par) {
  uint8_t h[3];
  if (avcHeader(par, h)) return "avc1." + hex2(h[0], false) + hex2(h[1], false) + hex2(h[2], false);
  if (par->profile == FF_PROFILE_UNKNOWN || par->level <= 0) return "";
  // FFmpeg folds constraint_set1/3 into profile bits 9 and 11.
  unsigned compat = (par->profile & FF_PROFILE_H264_CONSTRAINED ? 0x40 : 0) | (par->profile & FF_PROFILE_H264_INTRA ? 0x10 : 0);
  return "avc1." + hex2(par->profile & 0xff, false) + hex2(compat, false) + hex2(par->level, false);
}

// HEVC from the 12 profile_tier_level bytes (profile byte, 4 compat, 6 constraint, level).
std::string hvcFromPtl(const uint8_t* p) {
  static const char* space[] = {"", "A", "B", "C"};
  std::string s = "hvc1." + std::string(space[p[0] >> 6]) + std::to_string(p[0] & 0x1f) + ".";
  uint32_t compat = (uint32_t(p[1]) << 24) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 8) | p[4], rev = 0;
  for (int i = 0; i < 32; i++) rev |= ((compat >> i) & 1u) << (31 - i);
  char b[16];
  snprintf(b, sizeof b, "%X", rev);
  s += b;
  s += std::string(".") + ((p[0] & 0x20) ? "H" : "L") + std::to_string(p[11]);
  int last = 10;
  while (last >= 5 && p[last] == 0) last--;  // trailing zero constraint bytes are dropped
  for (int i = 5; i <= last; i++) s += "." + hex2(p[i], true);
  return s;
}

// The 12 general profile_tier_level bytes from hvcC or an Annex B SPS.
bool hvcHeader(const AVCodecParameters* par, uint8_t out[12]) {
  const uint8_t* d = par->extradata;
  size_t n = par->extradata && par->extradata_size > 0 ? static_cast<size_t>(par->extradata_size) : 0;
  if (n >= 13 && d[0] == 1) {  // hvcC: version, then PTL
    memcpy(out, d + 1, 12);
    return true;
  }
  long sps = n ? findNal(d, n, 33, true) : -1;
  if (sps < 0) return false;
  Bytes b = rbsp(d, n, static_cast<size_t>(sps), 2, 13);  // 1 byte of ids, then PTL
  if (b.size() != 13) return false;
  memcpy(out, b.data() + 1, 12);
  return true;
}

std::string hvc(const AVCodecParameters* par) {
  uint8_t ptl[12];
  if (hvcHeader(par, ptl)) return hvcFromPtl(ptl);
  if (par->profile == FF_PROFILE_UNKNOWN || par->profile < 0 || par->profile > 31 || par->level <= 0) return "";
  // No headers: assume main tier, progressive frame-only (B0); Main is also Main10-compatible.
  unsigned compat = (1u << par->profile) | (par->profile == 1 ? 4u : 0u);
  char b[16];
  snprintf(b, sizeof b, "%X", compat);
  return "hvc1." + std::to_string(par->profile) + "." + b + ".L" + std::to_string(par->level) + ".B0";
}

std::string aac(const AVCodecParameters* par) {
  const uint8_t* d = par->extradata;
  int n = par->extradata ? par->extradata_size : 0;
  int aot = 0;
  if (n >= 1) {
    aot = d[0] >> 3;
    if (aot == 31) aot = n >= 2 ? 32 + (((d[0] & 7) << 3) | (d[1] >> 5)) : 0;
  }
  if (aot == 0 && par->profile >= 0) aot = par->profile + 1;  // FF_PROFILE_AAC_* are AOT - 1
  if (aot == 0) aot = 2;  // nothing to go on: LC is what every encoder here emits by default
  return "mp4a.40." + std::to_string(aot);
}

int bitDepth(const AVCodecParameters* par) {
  const AVPixFmtDescriptor* pd = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(par->format));
  return pd ? pd->comp[0].depth : 8;
}

struct Bits {
  const uint8_t* p;
  size_t n, pos = 0;
  bool ok = true;
  unsigned get(int k) {
    unsigned v = 0;
    for (int i = 0; i < k; i++, pos++) {
      if (pos >= n * 8) { ok = false; return 0; }
      v = (v << 1) | ((p[pos >> 3] >> (7 - (pos & 7))) & 1);
    }
    return v;
  }
};

std::string av01(const AVCodecParameters* par) {
  const uint8_t* d = par->extradata;
  size_t n = par->extradata && par->extradata_size > 0 ? static_cast<size_t>(par->extradata_size) : 0;
  int profile = -1, level = -1, tier = 0, depth = bitDepth(par);
  if (n >= 3 && d[0] == 0x81) {  // av1C: marker+version, profile/level, tier/depth flags
    profile = d[1] >> 5;
    level = d[1] & 0x1f;
    tier = d[2] >> 7;
    depth = (d[2] & 0x40) ? ((d[2] & 0x20) ? 12 : 10) : 8;
  } else if (n >= 2 && ((d[0] >> 3) & 0xf) == 1) {  // raw sequence header OBU (libaom/svt global header)
    size_t off = 1 + ((d[0] & 4) ? 1 : 0);
    if (d[0] & 2) {  // obu_size, leb128
      for (int i = 0; i < 8 && off < n; i++)
        if (!(d[off++] & 0x80)) break;
    }
    if (off < n) {
      Bits b{d + off, n - off};
      profile = b.get(3);
      b.get(1);
      if (b.get(1)) {
        level = b.get(5);  // reduced still picture header
      } else if (!b.get(1)) {  // timing_info_present: too involved, use the fallback
        b.get(1 + 5 + 12);     // initial_display_delay_present, op count, operating_point_idc[0]
        level = b.get(5);
        tier = level > 7 ? b.get(1) : 0;
      }
      if (!b.ok) profile = level = -1;
    }
  }
  if (profile < 0 || level < 0) {
    if (par->profile < 0 || par->level < 0) return "";
    profile = par->profile;
    level = par->level;
  }
  char b[32];
  snprintf(b, sizeof b, "av01.%d.%02d%c.%02d", profile, level, tier ? 'H' : 'M', depth);
  return b;
}

std::string vp09(const AVCodecParameters* par) {
  if (par->profile < 0 || par->profile > 3 || par->level <= 0) return "";  // level is mandatory in vp09
  char b[32];
  snprintf(b, sizeof b, "vp09.%02d.%02d.%02d", par->profile, par->level, bitDepth(par));
  return b;
}

// Encoders such as libx264 leave profile/level unset: read them from the headers.
void headerProfileLevel(const AVCodecParameters* par, int* profile, int* level) {
  uint8_t h[12];
  if (par->codec_id == AV_CODEC_ID_H264 && avcHeader(par, h)) {
    int p = h[0];
    if (p == 66 && (h[1] & 0x40)) p |= FF_PROFILE_H264_CONSTRAINED;
    if ((p == 110 || p == 122 || p == 244) && (h[1] & 0x10)) p |= FF_PROFILE_H264_INTRA;
    if (*profile == FF_PROFILE_UNKNOWN) *profile = p;
    if (*level == FF_LEVEL_UNKNOWN || *level <= 0) *level = h[2];
  } else if (par->codec_id == AV_CODEC_ID_HEVC && hvcHeader(par, h)) {
    if (*profile == FF_PROFILE_UNKNOWN) *profile = h[0] & 0x1f;
    if (*level == FF_LEVEL_UNKNOWN || *level <= 0) *level = h[11];
  }
}

}  // namespace

std::string rfc6381(const AVCodecParameters* par) {
  if (!par) return "";
  switch (par->codec_id) {
    case AV_CODEC_ID_H264: return avc(par);
    case AV_CODEC_ID_HEVC: return hvc(par);
    case AV_CODEC_ID_AAC: return aac(par);
    case AV_CODEC_ID_AV1: return av01(par);
    case AV_CODEC_ID_VP9: return vp09(par);
    case AV_CODEC_ID_VP8: return "vp8";
    case AV_CODEC_ID_OPUS: return "opus";
    case AV_CODEC_ID_VORBIS: return "vorbis";
    case AV_CODEC_ID_FLAC: return "fLaC";
    case AV_CODEC_ID_MP3: return "mp4a.40.34";
    case AV_CODEC_ID_MP2: return "mp4a.40.33";
    case AV_CODEC_ID_AC3: return "ac-3";
    case AV_CODEC_ID_EAC3: return "ec-3";
    default: return "";
  }
}

const char* mediaTypeName(AVMediaType t) {
  const char* n = av_get_media_type_string(t);
  return n ? n : "unknown";
}

Napi::Object codecParamsToJs(Napi::Env env, const AVCodecParameters* par) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("mediaType", mediaTypeName(par->codec_type));
  o.Set("codec", avcodec_get_name(par->codec_id));
  int profile = par->profile, level = par->level;
  headerProfileLevel(par, &profile, &level);
  const char* prof = profile != FF_PROFILE_UNKNOWN ? avcodec_profile_name(par->codec_id, profile) : nullptr;
  o.Set("profile", prof ? Napi::Value(Napi::String::New(env, prof)) : env.Null());
  o.Set("level", level != FF_LEVEL_UNKNOWN && level >= 0 ? Napi::Value(Napi::Number::New(env, level)) : env.Null());
  o.Set("bitRate", static_cast<double>(par->bit_rate));
  if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
    o.Set("width", par->width);
    o.Set("height", par->height);
    const char* pf = av_get_pix_fmt_name(static_cast<AVPixelFormat>(par->format));
    o.Set("pixelFormat", pf ? Napi::Value(Napi::String::New(env, pf)) : env.Null());
    o.Set("videoDelay", par->video_delay);  // frames of reordering (B-frames): first dts is this many frames before pts
  } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
    o.Set("sampleRate", par->sample_rate);
    o.Set("channels", par->ch_layout.nb_channels);
    char buf[128];
    bool haveLayout = par->ch_layout.nb_channels > 0 && av_channel_layout_describe(&par->ch_layout, buf, sizeof buf) >= 0;
    o.Set("channelLayout", haveLayout ? Napi::Value(Napi::String::New(env, buf)) : env.Null());
    const char* sf = av_get_sample_fmt_name(static_cast<AVSampleFormat>(par->format));
    o.Set("sampleFormat", sf ? Napi::Value(Napi::String::New(env, sf)) : env.Null());
    o.Set("frameSize", par->frame_size);
    o.Set("initialPadding", par->initial_padding);  // priming samples before the first real one (AAC: 1024)
  }
  std::string cs = rfc6381(par);
  o.Set("codecString", cs.empty() ? env.Null() : Napi::Value(Napi::String::New(env, cs)));
  if (par->extradata && par->extradata_size > 0)
    o.Set("extradata", Napi::Buffer<uint8_t>::Copy(env, par->extradata, static_cast<size_t>(par->extradata_size)));
  else
    o.Set("extradata", env.Null());
  return o;
}

namespace {
[[noreturn]] void bad(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, "CodecParameters: " + msg); }

// CodecParameters describe a stream a demuxer already read, so every field
// takes any value its C field can hold (what a Decoder's StreamInfo reports
// always comes back in); a muxer that cannot write it fails with an FFmpegError.
// The ranges only keep the casts defined.
constexpr int64_t kMaxSafeInteger = 9007199254740991;  // 2^53 - 1
constexpr int64_t kMaxDemuxedChannels = 512;            // libavformat's FF_SANE_NB_CHANNELS

// Present = not undefined/null. Integers only, within [lo, hi].
bool intField(Napi::Env env, Napi::Object o, const char* k, int64_t lo, int64_t hi, int64_t* out) {
  Napi::Value v = o.Get(k);
  if (v.IsUndefined() || v.IsNull()) return false;
  *out = check::integer(env, "CodecParameters", k, v, lo, hi);  // TypeError / RangeError, as everywhere
  return true;
}

bool strField(Napi::Env env, Napi::Object o, const char* k, std::string* out) {
  Napi::Value v = o.Get(k);
  if (v.IsUndefined() || v.IsNull()) return false;
  if (!v.IsString()) bad(env, std::string(k) + " must be a string");
  *out = v.As<Napi::String>().Utf8Value();
  return true;
}
}  // namespace

void codecParamsFromJs(Napi::Env env, Napi::Value v, AVCodecParameters* par) {
  if (!v.IsObject() || v.IsArray()) bad(env, "expected an object");
  Napi::Object o = v.As<Napi::Object>();
  std::string s;
  if (!strField(env, o, "codec", &s)) bad(env, "codec must be a codec name string");
  const AVCodecDescriptor* desc = avcodec_descriptor_get_by_name(s.c_str());
  if (!desc) bad(env, "unknown codec '" + s + "'");
  if (strField(env, o, "mediaType", &s) && s != mediaTypeName(desc->type))
    bad(env, "mediaType '" + s + "' does not match codec " + desc->name + " (" + mediaTypeName(desc->type) + ")");
  par->codec_type = desc->type;
  par->codec_id = desc->id;
  par->codec_tag = 0;

  int64_t n = 0;
  par->profile = FF_PROFILE_UNKNOWN;
  Napi::Value pv = o.Get("profile");
  if (pv.IsString()) {
    std::string name = pv.As<Napi::String>().Utf8Value();
    bool found = false;
    for (const AVProfile* p = desc->profiles; p && p->profile != FF_PROFILE_UNKNOWN; p++)
      if (av_strcasecmp(p->name, name.c_str()) == 0) {
        par->profile = p->profile;
        found = true;
        break;
      }
    if (!found) bad(env, "unknown profile '" + name + "' for " + desc->name);
  } else if (intField(env, o, "profile", -99, INT_MAX, &n)) {
    par->profile = static_cast<int>(n);
  }
  par->level = intField(env, o, "level", -99, INT_MAX, &n) ? static_cast<int>(n) : FF_LEVEL_UNKNOWN;
  par->bit_rate = intField(env, o, "bitRate", 0, kMaxSafeInteger, &n) ? n : 0;

  if (desc->type == AVMEDIA_TYPE_VIDEO) {
    par->width = intField(env, o, "width", 0, INT_MAX, &n) ? static_cast<int>(n) : 0;
    par->height = intField(env, o, "height", 0, INT_MAX, &n) ? static_cast<int>(n) : 0;
    par->format = -1;
    if (strField(env, o, "pixelFormat", &s) && (par->format = av_get_pix_fmt(s.c_str())) == AV_PIX_FMT_NONE)
      bad(env, "unknown pixelFormat '" + s + "'");
  } else if (desc->type == AVMEDIA_TYPE_AUDIO) {
    par->sample_rate = intField(env, o, "sampleRate", 0, INT_MAX, &n) ? static_cast<int>(n) : 0;
    par->frame_size = intField(env, o, "frameSize", 0, INT_MAX, &n) ? static_cast<int>(n) : 0;
    av_channel_layout_uninit(&par->ch_layout);
    if (strField(env, o, "channelLayout", &s)) {
      if (av_channel_layout_from_string(&par->ch_layout, s.c_str()) < 0) bad(env, "unknown channelLayout '" + s + "'");
    } else if (intField(env, o, "channels", 0, kMaxDemuxedChannels, &n) && n > 0) {
      av_channel_layout_default(&par->ch_layout, static_cast<int>(n));
    }
    par->format = -1;
    if (strField(env, o, "sampleFormat", &s) && (par->format = av_get_sample_fmt(s.c_str())) == AV_SAMPLE_FMT_NONE)
      bad(env, "unknown sampleFormat '" + s + "'");
  }

  Napi::Value ev = o.Get("extradata");
  av_freep(&par->extradata);
  par->extradata_size = 0;
  if (!ev.IsUndefined() && !ev.IsNull()) {
    if (!ev.IsBuffer()) bad(env, "extradata must be a Buffer or null");
    Napi::Buffer<uint8_t> b = ev.As<Napi::Buffer<uint8_t>>();
    if (b.Length() > (1u << 24)) bad(env, "extradata larger than 16 MiB");
    if (b.Length()) {
      par->extradata = static_cast<uint8_t*>(av_mallocz(b.Length() + AV_INPUT_BUFFER_PADDING_SIZE));
      if (!par->extradata) throw Napi::Error::New(env, "CodecParameters: out of memory");
      memcpy(par->extradata, b.Data(), b.Length());
      par->extradata_size = static_cast<int>(b.Length());
    }
  }
}

}  // namespace ffnode
