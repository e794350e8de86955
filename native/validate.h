// The argument vocabulary every native entry point shares (docs/patterns/error-handling.md):
//   wrong JS type (or an unknown name)           -> TypeError
//   right type, but NaN, fractional, out of range -> RangeError
// Messages name the call and the field: "Frame.video: width must be an integer
// 1..16384, got 12.5". Absent (undefined/null) optional fields take their
// default; nothing is coerced silently. The limits are mirrored in
// lib/media/validate.ts (LIMITS); test/validation.test.mjs probes both.
#pragma once
#include "common.h"

#include <climits>
#include <cmath>
#include <string>

namespace ffnode {
namespace limits {
constexpr int64_t kMaxDimension = 16384;
constexpr int64_t kMaxSampleRate = 768000;
constexpr int64_t kMaxNbSamples = 1 << 20;
constexpr int64_t kMaxChannels = 64;             // swresample's SWR_CH_MAX
constexpr int64_t kMaxStreamIndex = 999;         // libavformat's default max_streams is 1000
constexpr int64_t kMaxRationalTerm = INT_MAX;    // AVRational holds ints
// Segmenter timeOffset, seconds: 10^7 s (~115 days) covers days-long live
// streams continued across reconnects; in µs (1e13) and in a 90 kHz time base
// (9e11) it stays far below the 2^52 timestamp range the segmenter accepts.
constexpr double kMaxTimeOffset = 1e7;
constexpr double kMaxTimestamp = 4611686018427387904.0;  // 2^62: any real timestamp, far from INT64_MIN (NOPTS)
}  // namespace limits

namespace check {

inline bool absent(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }

// "12.5", "NaN", "'abc'", "an object", ... for the "got X" tail of a message.
inline std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber() || v.IsBoolean() || v.IsBigInt()) return v.ToString().Utf8Value();
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    if (s.size() > 40) s = s.substr(0, 40) + "…";
    return "'" + s + "'";
  }
  if (v.IsArray()) return "an array of " + std::to_string(v.As<Napi::Array>().Length());
  if (v.IsFunction()) return "a function";
  return "an object";
}

[[noreturn]] inline void typeError(Napi::Env env, const std::string& where, const std::string& field, const std::string& what,
                                   const Napi::Value& got) {
  throw Napi::TypeError::New(env, where + ": " + field + " must be " + what + ", got " + describe(got));
}
[[noreturn]] inline void rangeError(Napi::Env env, const std::string& where, const std::string& field, const std::string& what,
                                    const Napi::Value& got) {
  throw Napi::RangeError::New(env, where + ": " + field + " must be " + what + ", got " + describe(got));
}

// An integer lo..hi. Non-numbers: TypeError; NaN, ±Infinity, fractions, out of range: RangeError.
inline int64_t integer(Napi::Env env, const std::string& where, const std::string& field, const Napi::Value& v, int64_t lo,
                       int64_t hi) {
  std::string what = "an integer " + std::to_string(lo) + ".." + std::to_string(hi);
  if (!v.IsNumber()) typeError(env, where, field, what, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != std::floor(d)) rangeError(env, where, field, what, v);
  return static_cast<int64_t>(d);
}
inline int64_t integerField(Napi::Env env, const std::string& where, Napi::Object o, const char* key, int64_t lo, int64_t hi,
                            int64_t def) {
  Napi::Value v = o.Get(key);
  return absent(v) ? def : integer(env, where, key, v, lo, hi);
}

// A finite number lo..hi (fractions allowed: durations in seconds).
inline double number(Napi::Env env, const std::string& where, const std::string& field, const Napi::Value& v, double lo,
                     double hi) {
  auto fmt = [](double x) {
    std::string s = std::to_string(x);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  std::string what = "a number " + fmt(lo) + ".." + fmt(hi);
  if (!v.IsNumber()) typeError(env, where, field, what, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= hi)) rangeError(env, where, field, what, v);
  return d;
}
inline double numberField(Napi::Env env, const std::string& where, Napi::Object o, const char* key, double lo, double hi, double def) {
  Napi::Value v = o.Get(key);
  return absent(v) ? def : number(env, where, key, v, lo, hi);
}

// A timestamp: an integer within ±2^62, or null/undefined for "none" (AV_NOPTS_VALUE).
inline int64_t timestamp(Napi::Env env, const std::string& where, const std::string& field, const Napi::Value& v, bool allowNone) {
  const char* what = allowNone ? "an integer timestamp (within ±2^62) or null" : "an integer (within ±2^62)";
  if (absent(v)) {
    if (allowNone) return AV_NOPTS_VALUE;
    typeError(env, where, field, what, v);
  }
  if (!v.IsNumber()) typeError(env, where, field, what, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= -limits::kMaxTimestamp && d <= limits::kMaxTimestamp) || d != std::floor(d)) rangeError(env, where, field, what, v);
  return static_cast<int64_t>(d);
}

// A time base / frame rate: [num, den], both integers 1..INT_MAX. Not an array of
// two numbers: TypeError; [0, 0], negative, fractional or too large: RangeError.
inline AVRational rational(Napi::Env env, const std::string& where, const std::string& field, const Napi::Value& v) {
  const std::string what = "[num, den] with integers 1..2147483647";
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 2) typeError(env, where, field, what, v);
  Napi::Array a = v.As<Napi::Array>();
  int64_t r[2];
  for (uint32_t i = 0; i < 2; i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsNumber()) typeError(env, where, field, what, v);
    double d = e.As<Napi::Number>().DoubleValue();
    if (!(d >= 1 && d <= static_cast<double>(limits::kMaxRationalTerm)) || d != std::floor(d))
      throw Napi::RangeError::New(env, where + ": " + field + " must be " + what + ", got [" + describe(a.Get(0u)) + ", " +
                                           describe(a.Get(1u)) + "]");
    r[i] = static_cast<int64_t>(d);
  }
  return AVRational{static_cast<int>(r[0]), static_cast<int>(r[1])};
}
inline AVRational rationalField(Napi::Env env, const std::string& where, Napi::Object o, const char* key, AVRational def) {
  Napi::Value v = o.Get(key);
  return absent(v) ? def : rational(env, where, key, v);
}

inline bool boolean(Napi::Env env, const std::string& where, const std::string& field, const Napi::Value& v) {
  if (!v.IsBoolean()) typeError(env, where, field, "a boolean", v);
  return v.As<Napi::Boolean>().Value();
}
inline bool booleanField(Napi::Env env, const std::string& where, Napi::Object o, const char* key, bool def) {
  Napi::Value v = o.Get(key);
  return absent(v) ? def : boolean(env, where, key, v);
}

inline std::string stringField(Napi::Env env, const std::string& where, Napi::Object o, const char* key, const std::string& def) {
  Napi::Value v = o.Get(key);
  if (absent(v)) return def;
  if (!v.IsString()) typeError(env, where, key, "a string", v);
  return v.As<Napi::String>().Utf8Value();
}

// An options object: absent is allowed (empty), anything but a plain object is a TypeError.
inline bool optionsObject(Napi::Env env, const std::string& where, const std::string& field, const Napi::Value& v) {
  if (absent(v)) return false;
  if (!v.IsObject() || v.IsArray() || v.IsFunction() || v.IsBuffer()) typeError(env, where, field, "an object", v);
  return true;
}

// A named pixel format with memory planes (not a hardware surface format).
inline AVPixelFormat pixelFormat(Napi::Env env, const std::string& where, const std::string& field, const std::string& name) {
  AVPixelFormat fmt = av_get_pix_fmt(name.c_str());
  if (fmt == AV_PIX_FMT_NONE) throw Napi::TypeError::New(env, where + ": " + field + ": unknown pixel format '" + name + "'");
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  if (!d || (d->flags & AV_PIX_FMT_FLAG_HWACCEL))
    throw Napi::TypeError::New(env, where + ": " + field + ": '" + name + "' is a hardware format without memory planes");
  return fmt;
}

inline AVSampleFormat sampleFormat(Napi::Env env, const std::string& where, const std::string& field, const std::string& name) {
  AVSampleFormat fmt = av_get_sample_fmt(name.c_str());
  if (fmt == AV_SAMPLE_FMT_NONE) throw Napi::TypeError::New(env, where + ": " + field + ": unknown sample format '" + name + "'");
  return fmt;
}

// Parses a channel layout name into `out` (caller uninits it): unknown names are
// a TypeError, more than kMaxChannels channels a RangeError.
inline void channelLayout(Napi::Env env, const std::string& where, const std::string& field, const std::string& name,
                          AVChannelLayout* out) {
  if (av_channel_layout_from_string(out, name.c_str()) < 0 || out->nb_channels <= 0) {
    av_channel_layout_uninit(out);
    throw Napi::TypeError::New(env, where + ": " + field + ": unknown channel layout '" + name + "'");
  }
  if (out->nb_channels > limits::kMaxChannels) {
    int n = out->nb_channels;
    av_channel_layout_uninit(out);
    std::string shown = name.size() > 40 ? name.substr(0, 40) + "…" : name;
    throw Napi::RangeError::New(env, where + ": " + field + " must have 1.." + std::to_string(limits::kMaxChannels) +
                                         " channels, got '" + shown + "' (" + std::to_string(n) + ")");
  }
}

}  // namespace check
}  // namespace ffnode
