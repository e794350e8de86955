#include "frame.h"
#include "validate.h"

namespace ffnode {

int64_t frameBytes(const AVFrame* f) {
  int64_t n = 0;
  for (int i = 0; i < AV_NUM_DATA_POINTERS; i++)
    if (f->buf[i]) n += static_cast<int64_t>(f->buf[i]->size);
  for (int i = 0; i < f->nb_extended_buf; i++) n += static_cast<int64_t>(f->extended_buf[i]->size);
  return n;
}

void Frame::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(
      env, "Frame",
      {
          InstanceMethod<&Frame::Ref>("ref"),
          InstanceMethod<&Frame::FreeJs>("free"),
          InstanceMethod<&Frame::Data>("data"),
          InstanceMethod<&Frame::Linesize>("linesize"),
          InstanceMethod<&Frame::ToJSON>("toJSON"),
          StaticMethod<&Frame::AllocVideo>("video"),
          StaticMethod<&Frame::AllocAudio>("audio"),
          InstanceAccessor<&Frame::GetFreed>("freed"),
          InstanceAccessor<&Frame::GetMediaType>("mediaType"),
          InstanceAccessor<&Frame::GetWidth>("width"),
          InstanceAccessor<&Frame::GetHeight>("height"),
          InstanceAccessor<&Frame::GetFormat>("format"),
          InstanceAccessor<&Frame::GetPts, &Frame::SetPts>("pts"),
          InstanceAccessor<&Frame::GetDuration, &Frame::SetDuration>("duration"),
          InstanceAccessor<&Frame::GetTimeBase, &Frame::SetTimeBase>("timeBase"),
          InstanceAccessor<&Frame::GetKeyFrame, &Frame::SetKeyFrame>("keyFrame"),
          InstanceAccessor<&Frame::GetPictType>("pictType"),
          InstanceAccessor<&Frame::GetKeyRequested>("keyRequested"),
          InstanceAccessor<&Frame::GetSampleRate>("sampleRate"),
          InstanceAccessor<&Frame::GetChannelLayout>("channelLayout"),
          InstanceAccessor<&Frame::GetChannels>("channels"),
          InstanceAccessor<&Frame::GetNbSamples>("nbSamples"),
          InstanceAccessor<&Frame::GetPlanes>("planes"),
          InstanceAccessor<&Frame::GetSize>("size"),
      });
  addon(env).frameCtor = Napi::Persistent(ctor);
  exports.Set("Frame", ctor);
}

Napi::Object Frame::Wrap(Napi::Env env, AVFrame* f) {
  // Construction runs JS and fails once the environment is being torn down;
  // the frame was never counted, so freeing it here keeps stats() exact.
  try {
    return addon(env).frameCtor.New({Napi::External<AVFrame>::New(env, f)});
  } catch (...) {
    av_frame_free(&f);
    throw;
  }
}

Napi::Array framesToJs(Napi::Env env, std::vector<AVFrame*>& v) {
  size_t i = 0;
  try {
    Napi::Array a = Napi::Array::New(env, v.size());
    for (; i < v.size(); i++) {
      AVFrame* f = v[i];
      v[i] = nullptr;  // Wrap owns it from here, even when it throws
      a.Set(static_cast<uint32_t>(i), Frame::Wrap(env, f));
    }
    v.clear();
    return a;
  } catch (...) {
    for (AVFrame*& f : v) av_frame_free(&f);
    v.clear();
    throw;
  }
}

bool Frame::Is(Napi::Env env, Napi::Value v) {
  return v.IsObject() && v.As<Napi::Object>().InstanceOf(addon(env).frameCtor.Value());
}

AVFrame* Frame::Peek(Napi::Env env, Napi::Value v, const char* what) {
  if (!Is(env, v)) throw Napi::TypeError::New(env, std::string(what) + ": expected a Frame");
  Frame* fr = Frame::Unwrap(v.As<Napi::Object>());
  if (!fr->frame_) throw Napi::TypeError::New(env, std::string(what) + ": the Frame was already freed");
  return fr->frame_;
}

AVFrame* Frame::RefFrom(Napi::Env env, Napi::Value v, const char* what) {
  AVFrame* src = Peek(env, v, what);
  AVFrame* f = av_frame_clone(src);
  if (!f) throw Napi::Error::New(env, std::string(what) + ": out of memory");
  return f;
}

Frame::Frame(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Frame>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsExternal())
    throw Napi::TypeError::New(env, "Frame cannot be constructed directly: use Frame.video(), Frame.audio() or a decoder");
  frame_ = info[0].As<Napi::External<AVFrame>>().Data();
  bytes_ = frameBytes(frame_);
  stats().frames++;
  stats().frameBytes += bytes_;
}

void Frame::Release(bool leaked) {
  if (!frame_) return;
  av_frame_free(&frame_);
  stats().frames--;
  stats().frameBytes -= bytes_;
  if (leaked) countLeak(stats().leakedFrames);
}

Frame::~Frame() { Release(true); }

AVFrame* Frame::Need(Napi::Env env) {
  if (!frame_) throw Napi::TypeError::New(env, "Frame: already freed");
  return frame_;
}

Napi::Value Frame::Ref(const Napi::CallbackInfo& info) {
  AVFrame* f = av_frame_clone(Need(info.Env()));
  if (!f) throw Napi::Error::New(info.Env(), "Frame.ref: out of memory");
  return Wrap(info.Env(), f);
}

Napi::Value Frame::FreeJs(const Napi::CallbackInfo& info) {
  Release(false);
  return info.Env().Undefined();
}

static void releaseBuf(Napi::Env, uint8_t*, AVBufferRef* ref) { av_buffer_unref(&ref); }

Napi::Value Frame::Data(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AVFrame* f = Need(env);
  int plane = info.Length() > 0 && !check::absent(info[0]) ? static_cast<int>(check::integer(env, "Frame.data", "plane", info[0], 0, AV_NUM_DATA_POINTERS - 1)) : 0;
  size_t len = 0;
  uint8_t* ptr = nullptr;
  if (f->width > 0 && f->height > 0) {
    size_t sizes[4] = {0};
    ptrdiff_t ls[4];
    for (int i = 0; i < 4; i++) ls[i] = f->linesize[i];
    if (av_image_fill_plane_sizes(sizes, static_cast<AVPixelFormat>(f->format), f->height, ls) < 0)
      throw Napi::Error::New(env, "Frame.data: unsupported pixel format");
    if (plane < 0 || plane > 3 || !f->data[plane] || f->linesize[plane] <= 0)
      throw Napi::RangeError::New(env, "Frame.data: no such plane");
    len = sizes[plane];
    ptr = f->data[plane];
  } else if (f->nb_samples > 0) {
    AVSampleFormat fmt = static_cast<AVSampleFormat>(f->format);
    int ch = f->ch_layout.nb_channels;
    int planar = av_sample_fmt_is_planar(fmt);
    int nplanes = planar ? ch : 1;
    if (plane < 0 || plane >= nplanes) throw Napi::RangeError::New(env, "Frame.data: no such plane");
    len = static_cast<size_t>(f->nb_samples) * av_get_bytes_per_sample(fmt) * (planar ? 1 : ch);
    ptr = f->extended_data[plane];
  } else {
    throw Napi::Error::New(env, "Frame.data: frame has no data");
  }
  AVBufferRef* owner = av_frame_get_plane_buffer(f, plane);
  if (!owner || !ptr) throw Napi::Error::New(env, "Frame.data: plane is not ref-counted");
  AVBufferRef* ref = av_buffer_ref(owner);
  if (!ref) throw Napi::Error::New(env, "Frame.data: out of memory");
  return Napi::Buffer<uint8_t>::New(env, ptr, len, releaseBuf, ref);
}

Napi::Value Frame::Linesize(const Napi::CallbackInfo& info) {
  AVFrame* f = Need(info.Env());
  int plane = info.Length() > 0 && !check::absent(info[0]) ? static_cast<int>(check::integer(info.Env(), "Frame.linesize", "plane", info[0], 0, AV_NUM_DATA_POINTERS - 1)) : 0;
  return Napi::Number::New(info.Env(), f->linesize[plane]);
}

static bool isVideo(const AVFrame* f) { return f->width > 0 && f->height > 0; }

Napi::Value Frame::GetFreed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), frame_ == nullptr); }
Napi::Value Frame::GetMediaType(const Napi::CallbackInfo& info) {
  AVFrame* f = Need(info.Env());
  return Napi::String::New(info.Env(), isVideo(f) ? "video" : f->nb_samples > 0 ? "audio" : "unknown");
}
Napi::Value Frame::GetWidth(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Need(info.Env())->width); }
Napi::Value Frame::GetHeight(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Need(info.Env())->height); }
Napi::Value Frame::GetFormat(const Napi::CallbackInfo& info) {
  AVFrame* f = Need(info.Env());
  const char* n = isVideo(f) ? av_get_pix_fmt_name(static_cast<AVPixelFormat>(f->format))
                             : av_get_sample_fmt_name(static_cast<AVSampleFormat>(f->format));
  return n ? Napi::String::New(info.Env(), n) : info.Env().Null();
}
Napi::Value Frame::GetPts(const Napi::CallbackInfo& info) { return tsToJs(info.Env(), Need(info.Env())->pts); }
void Frame::SetPts(const Napi::CallbackInfo& info, const Napi::Value& v) {
  AVFrame* f = Need(info.Env());
  f->pts = check::timestamp(info.Env(), "Frame", "pts", v, true);
}
Napi::Value Frame::GetDuration(const Napi::CallbackInfo& info) { return tsToJs(info.Env(), FF_FRAME_DURATION(Need(info.Env()))); }
void Frame::SetDuration(const Napi::CallbackInfo& info, const Napi::Value& v) {
  AVFrame* f = Need(info.Env());
  // 0 = unknown, as libav reads it; negative durations mean nothing.
  int64_t d = check::timestamp(info.Env(), "Frame", "duration", v, false);
  if (d < 0) check::rangeError(info.Env(), "Frame", "duration", "an integer 0..2^62", v);
  FF_FRAME_DURATION(f) = d;
}
Napi::Value Frame::GetTimeBase(const Napi::CallbackInfo& info) { return rationalToJs(info.Env(), Need(info.Env())->time_base); }
void Frame::SetTimeBase(const Napi::CallbackInfo& info, const Napi::Value& v) {
  AVFrame* f = Need(info.Env());
  f->time_base = check::rational(info.Env(), "Frame", "timeBase", v);
}
Napi::Value Frame::GetKeyFrame(const Napi::CallbackInfo& info) {
  AVFrame* f = Need(info.Env());
  return Napi::Boolean::New(info.Env(), f->key_frame != 0 || f->opaque == forceKeyMarker());
}
void Frame::SetKeyFrame(const Napi::CallbackInfo& info, const Napi::Value& v) {
  // Setting keyFrame asks the encoder for an IDR here (pict_type I is what
  // libav encoders honour); clearing lets the encoder decide.
  AVFrame* f = Need(info.Env());
  bool k = check::boolean(info.Env(), "Frame", "keyFrame", v);
  f->key_frame = k;
  f->pict_type = k ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  f->opaque = k ? forceKeyMarker() : nullptr;
}
Napi::Value Frame::GetKeyRequested(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), Need(info.Env())->opaque == forceKeyMarker());
}
Napi::Value Frame::GetPictType(const Napi::CallbackInfo& info) {
  char c = av_get_picture_type_char(Need(info.Env())->pict_type);
  return Napi::String::New(info.Env(), std::string(1, c));
}
Napi::Value Frame::GetSampleRate(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Need(info.Env())->sample_rate); }
Napi::Value Frame::GetChannelLayout(const Napi::CallbackInfo& info) {
  AVFrame* f = Need(info.Env());
  if (f->ch_layout.nb_channels <= 0) return info.Env().Null();
  char buf[128];
  if (av_channel_layout_describe(&f->ch_layout, buf, sizeof buf) < 0) return info.Env().Null();
  return Napi::String::New(info.Env(), buf);
}
Napi::Value Frame::GetChannels(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Need(info.Env())->ch_layout.nb_channels); }
Napi::Value Frame::GetNbSamples(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Need(info.Env())->nb_samples); }
Napi::Value Frame::GetPlanes(const Napi::CallbackInfo& info) {
  AVFrame* f = Need(info.Env());
  int n = isVideo(f) ? av_pix_fmt_count_planes(static_cast<AVPixelFormat>(f->format))
                     : (av_sample_fmt_is_planar(static_cast<AVSampleFormat>(f->format)) ? f->ch_layout.nb_channels : 1);
  return Napi::Number::New(info.Env(), n);
}
Napi::Value Frame::GetSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(frameBytes(Need(info.Env())))); }

Napi::Value Frame::ToJSON(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (!frame_) {
    o.Set("freed", true);
    return o;
  }
  o.Set("mediaType", GetMediaType(info));
  o.Set("format", GetFormat(info));
  o.Set("pts", GetPts(info));
  o.Set("timeBase", GetTimeBase(info));
  if (isVideo(frame_)) {
    o.Set("width", frame_->width);
    o.Set("height", frame_->height);
    o.Set("keyFrame", frame_->key_frame != 0);
    o.Set("pictType", GetPictType(info));
  } else {
    o.Set("sampleRate", frame_->sample_rate);
    o.Set("channelLayout", GetChannelLayout(info));
    o.Set("nbSamples", frame_->nb_samples);
  }
  return o;
}

Napi::Value Frame::AllocVideo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "Frame.video";
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray())
    check::typeError(env, where, "init", "an object { width, height, format }", info.Length() ? info[0] : env.Undefined());
  Napi::Object o = info[0].As<Napi::Object>();
  int64_t w = check::integer(env, where, "width", o.Get("width"), 1, limits::kMaxDimension);
  int64_t h = check::integer(env, where, "height", o.Get("height"), 1, limits::kMaxDimension);
  std::string fmtName = check::stringField(env, where, o, "format", "yuv420p");
  AVPixelFormat fmt = check::pixelFormat(env, where, "format", fmtName);
  // No default time base: an unset one ([0, 1]) tells encoders not to rescale.
  AVRational tb = check::rationalField(env, where, o, "timeBase", AVRational{0, 1});
  int64_t pts = check::timestamp(env, where, "pts", o.Get("pts"), true);
  AVFrame* f = av_frame_alloc();
  if (!f) throw Napi::Error::New(env, "Frame.video: out of memory");
  f->width = static_cast<int>(w);
  f->height = static_cast<int>(h);
  f->format = fmt;
  f->time_base = tb;
  f->pts = pts;
  int r = av_frame_get_buffer(f, 0);
  if (r < 0) {
    av_frame_free(&f);
    Failure fl;
    fl.set(r, "Frame.video", fmtName);
    throw makeError(env, fl);
  }
  // Never hand uninitialized memory to JS.
  for (int i = 0; i < AV_NUM_DATA_POINTERS && f->buf[i]; i++) memset(f->buf[i]->data, 0, f->buf[i]->size);
  return Wrap(env, f);
}

Napi::Value Frame::AllocAudio(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "Frame.audio";
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray())
    check::typeError(env, where, "init", "an object { sampleRate, channelLayout, format, nbSamples }", info.Length() ? info[0] : env.Undefined());
  Napi::Object o = info[0].As<Napi::Object>();
  int64_t rate = check::integer(env, where, "sampleRate", o.Get("sampleRate"), 1, limits::kMaxSampleRate);
  int64_t n = check::integer(env, where, "nbSamples", o.Get("nbSamples"), 1, limits::kMaxNbSamples);
  std::string fmtName = check::stringField(env, where, o, "format", "fltp");
  AVSampleFormat fmt = check::sampleFormat(env, where, "format", fmtName);
  std::string layout = check::stringField(env, where, o, "channelLayout", "stereo");
  AVRational tb = check::rationalField(env, where, o, "timeBase", AVRational{1, static_cast<int>(rate)});
  int64_t pts = check::timestamp(env, where, "pts", o.Get("pts"), true);
  AVChannelLayout ch{};
  check::channelLayout(env, where, "channelLayout", layout, &ch);  // last check: nothing to free if an earlier one throws
  AVFrame* f = av_frame_alloc();
  if (!f) {
    av_channel_layout_uninit(&ch);
    throw Napi::Error::New(env, "Frame.audio: out of memory");
  }
  f->ch_layout = ch;  // the frame owns it now
  f->sample_rate = static_cast<int>(rate);
  f->nb_samples = static_cast<int>(n);
  f->format = fmt;
  f->time_base = tb;
  f->pts = pts;
  int r = av_frame_get_buffer(f, 0);
  if (r < 0) {
    av_frame_free(&f);
    Failure fl;
    fl.set(r, "Frame.audio", fmtName);
    throw makeError(env, fl);
  }
  av_samples_set_silence(f->extended_data, 0, f->nb_samples, f->ch_layout.nb_channels, fmt);
  return Wrap(env, f);
}

}  // namespace ffnode
