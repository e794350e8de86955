#include "encoder_options.h"
#include "validate.h"

#include <climits>
#include <cmath>
#include <cstring>

namespace ffnode {

// Which device a hardware encoder runs on, from its name (libav has no API for it).
AVHWDeviceType hwOf(const AVCodec* c) {
  if (!c) return AV_HWDEVICE_TYPE_NONE;
  std::string n = c->name;
  auto ends = [&](const char* s) { return n.size() > strlen(s) && n.compare(n.size() - strlen(s), std::string::npos, s) == 0; };
  if (ends("_nvenc")) return AV_HWDEVICE_TYPE_CUDA;
  if (ends("_vaapi")) return AV_HWDEVICE_TYPE_VAAPI;
  if (ends("_qsv")) return AV_HWDEVICE_TYPE_QSV;
  if (ends("_videotoolbox")) return AV_HWDEVICE_TYPE_VIDEOTOOLBOX;
  return AV_HWDEVICE_TYPE_NONE;
}

static bool isHardware(const AVCodec* c) {
  return hwOf(c) != AV_HWDEVICE_TYPE_NONE || (c->capabilities & (AV_CODEC_CAP_HARDWARE | AV_CODEC_CAP_HYBRID));
}

// Encoder for `id` on device `t` ("h264" + cuda -> h264_nvenc), or null.
const AVCodec* hwEncoderFor(AVCodecID id, AVHWDeviceType t) {
  void* it = nullptr;
  while (const AVCodec* c = av_codec_iterate(&it))
    if (av_codec_is_encoder(c) && c->id == id && hwOf(c) == t) return c;
  return nullptr;
}

// The software encoder for `id`: libx264/libx265 first, else the first
// non-hardware, non-experimental one (e.g. libopus over the experimental opus).
static const AVCodec* softwareFor(AVCodecID id) {
  const char* pref = id == AV_CODEC_ID_H264 ? "libx264" : id == AV_CODEC_ID_HEVC ? "libx265" : nullptr;
  if (pref)
    if (const AVCodec* c = avcodec_find_encoder_by_name(pref)) return c;
  const AVCodec* experimental = nullptr;
  void* it = nullptr;
  while (const AVCodec* c = av_codec_iterate(&it)) {
    if (!av_codec_is_encoder(c) || c->id != id || isHardware(c)) continue;
    if (!(c->capabilities & AV_CODEC_CAP_EXPERIMENTAL)) return c;
    if (!experimental) experimental = c;
  }
  return experimental;
}

[[noreturn]] static void typeErr(Napi::Env env, const std::string& m) { throw Napi::TypeError::New(env, "Encoder.open: " + m); }

static bool absent(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }

static bool optNum(Napi::Env env, Napi::Object o, const char* k, double lo, double hi, bool integer, double* out) {
  Napi::Value v = o.Get(k);
  if (absent(v)) return false;
  const std::string where = "Encoder.open";
  *out = integer ? static_cast<double>(check::integer(env, where, k, v, static_cast<int64_t>(lo), static_cast<int64_t>(hi)))
                 : check::number(env, where, k, v, lo, hi);
  return true;
}

static int optInt(Napi::Env env, Napi::Object o, const char* k, int lo, int hi, int def) {
  double d;
  return optNum(env, o, k, lo, hi, true, &d) ? static_cast<int>(d) : def;
}

static bool optStr(Napi::Env env, Napi::Object o, const char* k, std::string* out) {
  Napi::Value v = o.Get(k);
  if (absent(v)) return false;
  if (!v.IsString()) typeErr(env, std::string(k) + " must be a string");
  *out = v.As<Napi::String>().Utf8Value();
  return true;
}

static bool optBool(Napi::Env env, Napi::Object o, const char* k, bool* out) {
  Napi::Value v = o.Get(k);
  if (absent(v)) return false;
  if (!v.IsBoolean()) typeErr(env, std::string(k) + " must be a boolean");
  *out = v.As<Napi::Boolean>().Value();
  return true;
}

static AVRational optRational(Napi::Env env, Napi::Object o, const char* k) {
  return check::rationalField(env, "Encoder.open", o, k, AVRational{0, 0});
}

// The raw `options` dict, values checked here so nothing odd reaches libav.
static void rawOptions(Napi::Env env, Napi::Value v, AVDictionary** d) {
  if (absent(v)) return;
  if (!v.IsObject() || v.IsArray() || v.IsFunction()) typeErr(env, "options must be an object of strings/numbers/booleans");
  Napi::Object o = v.As<Napi::Object>();
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); i++) {
    std::string k = keys.Get(i).ToString().Utf8Value();
    Napi::Value val = o.Get(k);
    if (val.IsUndefined()) continue;
    std::string s;
    if (val.IsString()) s = val.As<Napi::String>().Utf8Value();
    else if (val.IsBoolean()) s = val.As<Napi::Boolean>().Value() ? "1" : "0";
    else if (val.IsNumber() && std::isfinite(val.As<Napi::Number>().DoubleValue())) s = val.ToString().Utf8Value();
    else typeErr(env, "options." + k + " must be a string, finite number or boolean");
    av_dict_set(d, k.c_str(), s.c_str(), 0);
  }
}

static AVHWDeviceType hwFromName(const std::string& n) {
  if (n == "cuda") return AV_HWDEVICE_TYPE_CUDA;
  if (n == "vaapi") return AV_HWDEVICE_TYPE_VAAPI;
  if (n == "qsv") return AV_HWDEVICE_TYPE_QSV;
  if (n == "videotoolbox") return AV_HWDEVICE_TYPE_VIDEOTOOLBOX;
  return AV_HWDEVICE_TYPE_NONE;
}

// Parses and validates everything on the JS thread. Returns false (and sets
// `f`) only for an unknown codec, which open() reports as a rejection.
bool parseSpec(Napi::Env env, Napi::Object o, EncoderSpec& s, Failure& f) {
  if (!optStr(env, o, "codec", &s.requested) || s.requested.empty() || s.requested.size() > 128)
    typeErr(env, "codec must be a non-empty encoder or codec name");
  std::string hwName;
  if (optStr(env, o, "hwDevice", &hwName) && hwName != "auto" && hwFromName(hwName) == AV_HWDEVICE_TYPE_NONE)
    typeErr(env, "hwDevice must be 'cuda' | 'vaapi' | 'qsv' | 'videotoolbox' | 'auto'");
  Napi::Value dev = o.Get("device");
  if (dev.IsString()) {
    s.device = dev.As<Napi::String>().Utf8Value();
  } else if (!absent(dev)) {
    double d = dev.IsNumber() ? dev.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d <= 1024 && d == std::floor(d))) typeErr(env, "device must be a path string or a device index");
    s.device = std::to_string(static_cast<int>(d));
  }
  std::string fb;
  if (optStr(env, o, "fallback", &fb)) {
    if (fb != "software" && fb != "error") typeErr(env, "fallback must be 'software' | 'error'");
    s.fallbackSoftware = fb == "software";
  }

  // Codec: an encoder name ('libx264', 'h264_nvenc') or a codec name ('h264').
  const AVCodec* named = avcodec_find_encoder_by_name(s.requested.c_str());
  if (named) {
    s.id = named->id;
    if (hwOf(named) != AV_HWDEVICE_TYPE_NONE) s.explicitHw = named;  // others (v4l2m2m, ...) open as named
    s.sw = s.explicitHw ? softwareFor(named->id) : named;
    // 'opus' names both the codec and libav's experimental encoder: as a codec
    // name it means the usable one (libopus).
    if ((named->capabilities & AV_CODEC_CAP_EXPERIMENTAL) && !strcmp(named->name, avcodec_get_name(named->id)))
      s.sw = softwareFor(named->id);
  } else {
    const AVCodecDescriptor* d = avcodec_descriptor_get_by_name(s.requested == "h265" ? "hevc" : s.requested.c_str());
    if (d) s.id = d->id;
    s.sw = d ? softwareFor(d->id) : nullptr;
  }
  if (s.id == AV_CODEC_ID_NONE) {
    f.set(AVERROR_ENCODER_NOT_FOUND, "Encoder.open", s.requested);
    f.message = "Encoder.open: no encoder or codec named '" + s.requested + "'";
    return false;
  }
  s.type = avcodec_get_type(s.id);
  // Devices to try: the one asked for, or the one an explicit hw encoder implies.
  if (hwName == "auto") {
    s.hw.assign(std::begin(kAutoDevices), std::end(kAutoDevices));
    s.hwLabel = "auto";
  } else if (!hwName.empty() || s.explicitHw) {
    s.hw.push_back(hwName.empty() ? hwOf(s.explicitHw) : hwFromName(hwName));
    s.hwLabel = av_hwdevice_get_type_name(s.hw[0]);
  }

  double d;
  std::string str;
  if (s.type == AVMEDIA_TYPE_VIDEO) {
    s.width = optInt(env, o, "width", 1, limits::kMaxDimension, 0);
    s.height = optInt(env, o, "height", 1, limits::kMaxDimension, 0);
    if (!s.width || !s.height) typeErr(env, "a video encoder needs width and height");
    if (optStr(env, o, "pixelFormat", &str) && (s.pixFmt = av_get_pix_fmt(str.c_str())) == AV_PIX_FMT_NONE)
      typeErr(env, "unknown pixelFormat '" + str + "'");
    s.frameRate = optRational(env, o, "frameRate");
  } else if (s.type == AVMEDIA_TYPE_AUDIO) {
    s.sampleRate = optInt(env, o, "sampleRate", 1, limits::kMaxSampleRate, 0);
    if (!s.sampleRate) typeErr(env, "an audio encoder needs sampleRate");
    str = "stereo";
    optStr(env, o, "channelLayout", &str);
    if (av_channel_layout_from_string(&s.layout, str.c_str()) < 0) typeErr(env, "unknown channelLayout '" + str + "'");
    if (optStr(env, o, "sampleFormat", &str) && (s.sampleFmt = av_get_sample_fmt(str.c_str())) == AV_SAMPLE_FMT_NONE)
      typeErr(env, "unknown sampleFormat '" + str + "'");
  }
  s.timeBase = optRational(env, o, "timeBase");
  if (s.type == AVMEDIA_TYPE_VIDEO && !s.timeBase.num && !s.frameRate.num) typeErr(env, "a video encoder needs frameRate or timeBase");
  if (s.type == AVMEDIA_TYPE_VIDEO && !s.timeBase.num) s.timeBase = AVRational{s.frameRate.den, s.frameRate.num};
  if (s.type == AVMEDIA_TYPE_AUDIO && !s.timeBase.num) s.timeBase = AVRational{1, s.sampleRate};

  if (optNum(env, o, "bitRate", 0, 1099511627776.0, true, &d)) s.bitRate = static_cast<int64_t>(d);
  if (optNum(env, o, "maxRate", 0, 1099511627776.0, true, &d)) s.maxRate = static_cast<int64_t>(d);
  if (optNum(env, o, "bufSize", 0, INT_MAX, true, &d)) s.bufSize = static_cast<int64_t>(d);
  if (optNum(env, o, "crf", 0, 63, false, &d)) s.crf = d;
  optStr(env, o, "preset", &s.preset);
  optStr(env, o, "tune", &s.tune);
  optStr(env, o, "profile", &s.profile);
  optStr(env, o, "level", &s.level);
  s.gop = optInt(env, o, "gop", 0, 100000, -1);
  s.minKeyint = optInt(env, o, "minKeyint", 0, 100000, -1);
  s.bFrames = optInt(env, o, "bFrames", 0, 16, -1);
  s.threads = optInt(env, o, "threads", 0, 256, -1);
  bool b;
  if (optBool(env, o, "sceneCut", &b)) s.sceneCut = b;
  optBool(env, o, "globalHeader", &s.globalHeader);
  rawOptions(env, o.Get("options"), &s.raw);
  return true;
}

// ---- typed options -> per-encoder AVOptions ------------------------------------
namespace {
enum class Kind { X264, X265, Nvenc, Vaapi, Qsv, VideoToolbox, Aac, Other };
}

static Kind kindOf(const AVCodec* c) {
  if (!strncmp(c->name, "libx264", 7)) return Kind::X264;
  if (!strcmp(c->name, "libx265")) return Kind::X265;
  switch (hwOf(c)) {
    case AV_HWDEVICE_TYPE_CUDA: return Kind::Nvenc;
    case AV_HWDEVICE_TYPE_VAAPI: return Kind::Vaapi;
    case AV_HWDEVICE_TYPE_QSV: return Kind::Qsv;
    case AV_HWDEVICE_TYPE_VIDEOTOOLBOX: return Kind::VideoToolbox;
    default: break;
  }
  return c->id == AV_CODEC_ID_AAC ? Kind::Aac : Kind::Other;
}

static std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
  return s;
}

// x264 preset names -> nvenc p1..p7 / qsv names, so one typed preset works everywhere.
static std::string mapPreset(Kind k, const std::string& p) {
  static const char* x264[] = {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"};
  static const char* nv[] = {"p1", "p2", "p3", "p3", "p4", "p4", "p5", "p6", "p7", "p7"};
  static const char* qsv[] = {"veryfast", "veryfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "veryslow"};
  for (int i = 0; i < 10; i++)
    if (p == x264[i]) return k == Kind::Nvenc ? nv[i] : qsv[i];
  return p;
}

// AAC profile names (as CodecParameters reports them, or libav's) -> FF_PROFILE_AAC_*.
static std::string aacProfile(const std::string& p) {
  std::string l = lower(p);
  if (l == "lc" || l == "low" || l == "aac_low") return "1";
  if (l == "main" || l == "aac_main") return "0";
  if (l == "ltp" || l == "aac_ltp") return "3";
  if (l == "he-aac" || l == "he" || l == "aac_he") return "4";
  if (l == "he-aacv2" || l == "hev2" || l == "he_v2" || l == "aac_he_v2") return "28";
  return p;
}

AVDictionary* typedOptions(const EncoderSpec& s, const AVCodec* c, std::string* notes) {
  AVDictionary* d = nullptr;
  Kind k = kindOf(c);
  bool hw = k == Kind::Nvenc || k == Kind::Vaapi || k == Kind::Qsv || k == Kind::VideoToolbox;
  std::string x265;  // x265-params, merged with a raw one below
  auto ignored = [&](const char* what) { *notes += std::string(notes->empty() ? "" : ", ") + what + " ignored"; };
  char num[32];

  if (s.crf >= 0) {
    snprintf(num, sizeof num, "%g", s.crf);
    if (k == Kind::Nvenc) av_dict_set(&d, "cq", num, 0);
    else if (k == Kind::Qsv) av_dict_set_int(&d, "global_quality", std::lround(s.crf), 0);
    else if (k == Kind::Vaapi) av_dict_set_int(&d, "qp", std::lround(s.crf), 0);
    else if (k == Kind::VideoToolbox) ignored("crf");
    else av_dict_set(&d, "crf", num, 0);  // unknown to the encoder -> OPTION_NOT_FOUND
  }
  if (!s.preset.empty()) {
    if (k == Kind::Nvenc || k == Kind::Qsv) av_dict_set(&d, "preset", mapPreset(k, s.preset).c_str(), 0);
    else if (hw) ignored("preset");
    else av_dict_set(&d, "preset", s.preset.c_str(), 0);
  }
  if (!s.tune.empty()) {
    if (k == Kind::Nvenc && s.tune == "zerolatency") av_dict_set(&d, "tune", "ull", 0);
    else if (hw) ignored("tune");
    else av_dict_set(&d, "tune", s.tune.c_str(), 0);
  }
  if (!s.profile.empty()) {
    std::string p = k == Kind::Aac ? aacProfile(s.profile) : hw ? lower(s.profile) : s.profile;
    if (k == Kind::Vaapi && p == "baseline") p = "constrained_baseline";
    av_dict_set(&d, "profile", p.c_str(), 0);
  }
  if (!s.level.empty()) {
    double lv = atof(s.level.c_str());
    if (k == Kind::X265) x265 += "level-idc=" + s.level;
    else if ((k == Kind::Vaapi || k == Kind::Qsv) && lv > 0)
      av_dict_set_int(&d, "level", std::lround(lv * (k == Kind::Vaapi && s.id == AV_CODEC_ID_HEVC ? 30 : 10)), 0);
    else if (k == Kind::VideoToolbox) ignored("level");
    else av_dict_set(&d, "level", s.level.c_str(), 0);
  }
  if (s.sceneCut == 0) {
    if (k == Kind::X264) av_dict_set(&d, "sc_threshold", "0", 0);
    else if (k == Kind::X265) x265 += std::string(x265.empty() ? "" : ":") + "scenecut=0";
    else if (k == Kind::Nvenc) av_dict_set(&d, "no-scenecut", "1", 0);
  }
  // A frame with keyFrame set must start a new GOP (segment boundary): IDR, not just I.
  if (k == Kind::X264 || k == Kind::X265 || k == Kind::Nvenc) av_dict_set(&d, "forced-idr", "1", 0);
  if (k == Kind::Qsv) av_dict_set(&d, "forced_idr", "1", 0);

  av_dict_copy(&d, s.raw, 0);  // raw options win over typed ones
  if (!x265.empty()) {
    const AVDictionaryEntry* e = av_dict_get(s.raw, "x265-params", nullptr, 0);
    if (e && *e->value) x265 += std::string(":") + e->value;  // later x265 params win
    av_dict_set(&d, "x265-params", x265.c_str(), 0);
  }
  return d;
}

AVPixelFormat defaultPixFmt(const AVCodec* c) {
  if (!c->pix_fmts) return AV_PIX_FMT_YUV420P;
  for (const AVPixelFormat* p = c->pix_fmts; *p != AV_PIX_FMT_NONE; p++)
    if (*p == AV_PIX_FMT_YUV420P) return *p;
  for (const AVPixelFormat* p = c->pix_fmts; *p != AV_PIX_FMT_NONE; p++) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(*p);
    if (d && !(d->flags & AV_PIX_FMT_FLAG_HWACCEL)) return *p;
  }
  return c->pix_fmts[0];
}

// Checks the format/rate against what the encoder lists; "" when fine.
// Encoders of the linked libavcodec that corrupt memory or abort the whole
// process on valid input (reproduced with the ffmpeg CLI of the same build):
// refused at open, since a crash would take every stream in the process.
static std::string knownUnsafe(const AVCodec* codec, const AVCodecContext* c) {
  // FFmpeg 5.1 rpza: heap corruption / SIGSEGV on ordinary pictures (testsrc2
  // at 12x12..32x32, noise at 96x96), av_assert0 at 1x1.
  if (codec->id == AV_CODEC_ID_RPZA && LIBAVCODEC_VERSION_MAJOR < 61)
    return "the rpza encoder of this FFmpeg (libavcodec " AV_STRINGIFY(LIBAVCODEC_VERSION_MAJOR) ") corrupts memory on ordinary input; refused";
  // flashsv: its packet is sized from the picture, too small for a 1-pixel
  // row or column, and put_bits aborts (av_assert0).
  if (codec->id == AV_CODEC_ID_FLASHSV && (c->width < 2 || c->height < 2))
    return "flashsv needs a picture of at least 2x2 (smaller aborts inside libavcodec)";
  return "";
}

std::string supportCheck(const AVCodec* codec, const AVCodecContext* c, bool hwFrames) {
  std::string unsafe = knownUnsafe(codec, c);
  if (!unsafe.empty()) return unsafe;
  std::string list;
  bool ok = true;
  if (c->codec_type == AVMEDIA_TYPE_VIDEO && codec->pix_fmts && !hwFrames) {
    ok = false;
    for (const AVPixelFormat* p = codec->pix_fmts; *p != AV_PIX_FMT_NONE; p++) {
      ok = ok || *p == c->pix_fmt;
      list += std::string(list.empty() ? "" : ", ") + av_get_pix_fmt_name(*p);
    }
    if (!ok) return std::string("pixelFormat ") + av_get_pix_fmt_name(c->pix_fmt) + " is not supported (supported: " + list + ")";
  }
  if (c->codec_type != AVMEDIA_TYPE_AUDIO) return "";
  if (codec->sample_fmts) {
    ok = false;
    for (const AVSampleFormat* p = codec->sample_fmts; *p != AV_SAMPLE_FMT_NONE; p++) {
      ok = ok || *p == c->sample_fmt;
      list += std::string(list.empty() ? "" : ", ") + av_get_sample_fmt_name(*p);
    }
    if (!ok) return std::string("sampleFormat ") + av_get_sample_fmt_name(c->sample_fmt) + " is not supported (supported: " + list + ")";
  }
  if (codec->supported_samplerates) {
    ok = false;
    list.clear();
    for (const int* r = codec->supported_samplerates; *r; r++) {
      ok = ok || *r == c->sample_rate;
      list += std::string(list.empty() ? "" : ", ") + std::to_string(*r);
    }
    if (!ok) return "sampleRate " + std::to_string(c->sample_rate) + " is not supported (supported: " + list + ")";
  }
  return "";
}

}  // namespace ffnode
