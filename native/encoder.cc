#include "encoder.h"

#include <cstring>

#include "codec_params.h"
#include "encoder_options.h"
#include "frame.h"
#include "objects.h"
#include "packet.h"

namespace ffnode {

namespace {

void fail(Failure& f, int code, const std::string& op, const std::string& msg) {
  f.set(code, op, "");
  f.message = op + ": " + msg;
}

std::string describe(const AVFrame* fr, bool video) {
  if (video) {
    const char* n = av_get_pix_fmt_name(static_cast<AVPixelFormat>(fr->format));
    return std::to_string(fr->width) + "x" + std::to_string(fr->height) + " " + (n ? n : "?");
  }
  char lay[64] = "?";
  av_channel_layout_describe(&fr->ch_layout, lay, sizeof lay);
  const char* n = av_get_sample_fmt_name(static_cast<AVSampleFormat>(fr->format));
  return std::to_string(fr->sample_rate) + " Hz " + lay + " " + (n ? n : "?");
}

struct PacketList {
  std::vector<AVPacket*> v;
  ~PacketList() {
    for (AVPacket*& p : v) av_packet_free(&p);
  }
};

}  // namespace

// Calls run on the encoder's strand in the order JS made them, so frames stay
// in order even when JS does not await between encode() calls.

// ---- JS API ---------------------------------------------------------------------
void Encoder::Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Encoder", DefineClass(env, "Encoder",
                                     {InstanceMethod<&Encoder::Open>("open"), InstanceMethod<&Encoder::Encode>("encode"),
                                      InstanceMethod<&Encoder::Close>("close"), StaticMethod<&Encoder::Hardware>("hardware"),
                                      InstanceAccessor<&Encoder::GetParameters>("parameters"),
                                      InstanceAccessor<&Encoder::GetTimeBase>("timeBase"),
                                      InstanceAccessor<&Encoder::GetFrameSize>("frameSize"),
                                      InstanceAccessor<&Encoder::GetSelection>("selection"),
                                      InstanceAccessor<&Encoder::GetClosed>("closed")}));
}

Encoder::Encoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Encoder>(info), strand_(info.Env()) { life_.opened(); }

// GC finalizer: nothing is in flight (every worker keeps `this` alive).
Encoder::~Encoder() {
  strand_.Stop();
  FreeAll();
  life_.released(true);  // no-op when close() already released it
}

void Encoder::FreeAll() {
  // libsvtav1 (1.4) hangs in close when it never saw a frame: give it one.
  if (ctx_ && !framesSent_ && !strcmp(ctx_->codec->name, "libsvtav1")) {
    AVFrame* fr = av_frame_alloc();
    if (fr) {
      fr->width = ctx_->width;
      fr->height = ctx_->height;
      fr->format = swFormat_;
      fr->pts = 0;
      if (av_frame_get_buffer(fr, 0) >= 0) {
        av_frame_make_writable(fr);
        for (int i = 0; i < 4 && fr->buf[i]; i++) memset(fr->buf[i]->data, 0, fr->buf[i]->size);
        avcodec_send_frame(ctx_, fr);
      }
      av_frame_free(&fr);
    }
  }
  avcodec_free_context(&ctx_);
  avcodec_parameters_free(&par_);
}

void Encoder::Check(Napi::Env env, const char* what, bool needOpen) {
  if (closing_) throw closedError(env, what);
  if (needOpen && !opened_) {
    Failure f;
    fail(f, AVERROR(EINVAL), what, "encoder is not open: call open() and await it first");
    throw makeError(env, f);
  }
}

Napi::Promise Encoder::Queue(Napi::Env env, std::function<void(Failure&)> work, PromiseWorker::Done done,
                             PromiseWorker::After after) {
  // The strand runs calls in call order, one at a time.
  return strand_.Run(
      env, Value(),
      [this, work](Failure& f) {
        std::lock_guard<std::mutex> lk(life_.mu);
        work(f);
      },
      std::move(done), std::move(after));
}

Napi::Value Encoder::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Check(env, "Encoder.open", false);
  if (opened_ || opening_) throw Napi::Error::New(env, "Encoder.open: already opened");
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray()) throw Napi::TypeError::New(env, "Encoder.open: expected an options object");
  auto spec = std::make_shared<EncoderSpec>();
  Failure nf;
  if (!parseSpec(env, info[0].As<Napi::Object>(), *spec, nf)) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(makeError(env, nf).Value());
    return d.Promise();
  }
  opening_ = true;
  return Queue(
      env, [this, spec](Failure& f) { OpenWork(*spec, f); },
      [this](Napi::Env env) -> Napi::Value {
        opened_ = true;
        return SelectionToJs(env);
      },
      [this] { opening_ = false; });
}


Napi::Value Encoder::SelectionToJs(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("encoder", selEncoder_);
  o.Set("hardware", selHw_.empty() ? env.Null() : Napi::Value(Napi::String::New(env, selHw_)));
  o.Set("reason", selReason_);
  return o;
}

// ---- open (worker) ------------------------------------------------------------------
void Encoder::OpenWork(const EncoderSpec& s, Failure& f) {
  if (ctx_) return fail(f, AVERROR(EINVAL), "Encoder.open", "already open");
  std::string tried;  // why each device was passed over
  int lastErr = 0;
  auto note = [&](const std::string& m) { tried += (tried.empty() ? "" : "; ") + m; };
  const char* codecName = avcodec_get_name(s.id);
  for (AVHWDeviceType t : s.hw) {
    const char* tn = av_hwdevice_get_type_name(t);
    const AVCodec* hc = s.explicitHw && hwOf(s.explicitHw) == t ? s.explicitHw : hwEncoderFor(s.id, t);
    if (!hc) {
      note(std::string(tn) + ": no " + codecName + " encoder for it in this FFmpeg build");
      lastErr = AVERROR_ENCODER_NOT_FOUND;
      continue;
    }
    AVBufferRef* dev = nullptr;
    int r = av_hwdevice_ctx_create(&dev, t, s.device.empty() ? nullptr : s.device.c_str(), nullptr, 0);
    if (r < 0) {
      note(std::string(tn) + ": av_hwdevice_ctx_create failed: " + errorString(r));
      lastErr = r;
      continue;
    }
    Failure of;
    std::string notes;
    bool ok = TryOpen(s, hc, t, dev, of, &notes);
    av_buffer_unref(&dev);  // the codec context holds its own references
    if (ok) {
      selEncoder_ = hc->name;
      selHw_ = tn;
      selReason_ = std::string(tn) + ": device and " + hc->name + " opened" + (notes.empty() ? "" : " (" + notes + ")");
      if (!tried.empty()) selReason_ = tried + "; " + selReason_;
      return;
    }
    note(std::string(tn) + ": " + of.message);
    lastErr = of.code ? of.code : AVERROR_EXTERNAL;
  }
  // "cuda: <why>" for one device; "auto: cuda: <why>; vaapi: <why>; ..." for auto.
  std::string prefix = s.hwLabel == "auto" ? "auto: " + tried : tried;
  if (!s.hw.empty() && !s.fallbackSoftware) {
    fail(f, lastErr ? lastErr : AVERROR_ENCODER_NOT_FOUND, "Encoder.open", "no hardware encoder opened (" + prefix + ")");
    return;
  }
  if (!s.sw) {
    fail(f, AVERROR_ENCODER_NOT_FOUND, "Encoder.open",
         std::string("no software encoder for ") + codecName + (prefix.empty() ? "" : " (" + prefix + ")"));
    return;
  }
  std::string notes;
  if (!TryOpen(s, s.sw, AV_HWDEVICE_TYPE_NONE, nullptr, f, &notes)) {
    if (!prefix.empty()) f.message = prefix + "; " + f.message;
    return;
  }
  selEncoder_ = s.sw->name;
  selHw_.clear();
  selReason_ = prefix.empty() ? "software encoder requested" : prefix + "; using " + s.sw->name;
  if (!notes.empty()) selReason_ += " (" + notes + ")";
}

bool Encoder::TryOpen(const EncoderSpec& s, const AVCodec* codec, AVHWDeviceType hw, AVBufferRef* dev, Failure& f,
                      std::string* notes) {
  std::string op = std::string("Encoder.open (") + codec->name + ")";
  AVCodecContext* c = avcodec_alloc_context3(codec);
  if (!c) return fail(f, AVERROR(ENOMEM), op, "out of memory"), false;
  AVPixelFormat sw = AV_PIX_FMT_NONE;
  bool upload = false;
  c->time_base = s.timeBase;
  if (s.type == AVMEDIA_TYPE_VIDEO) {
    c->width = s.width;
    c->height = s.height;
    if (s.frameRate.num) c->framerate = s.frameRate;
    sw = s.pixFmt != AV_PIX_FMT_NONE ? s.pixFmt : defaultPixFmt(codec);
    c->pix_fmt = sw;
    if (hw == AV_HWDEVICE_TYPE_VAAPI || hw == AV_HWDEVICE_TYPE_QSV) {
      // These encoders only take hardware surfaces: encode() uploads into this pool.
      AVBufferRef* fr = av_hwframe_ctx_alloc(dev);
      if (!fr) return avcodec_free_context(&c), fail(f, AVERROR(ENOMEM), op, "av_hwframe_ctx_alloc failed"), false;
      auto* fc = reinterpret_cast<AVHWFramesContext*>(fr->data);
      fc->format = hw == AV_HWDEVICE_TYPE_VAAPI ? AV_PIX_FMT_VAAPI : AV_PIX_FMT_QSV;
      fc->sw_format = sw;
      fc->width = s.width;
      fc->height = s.height;
      fc->initial_pool_size = 20;  // qsv needs a fixed pool
      int r = av_hwframe_ctx_init(fr);
      if (r < 0) {
        av_buffer_unref(&fr);
        avcodec_free_context(&c);
        f.set(r, "av_hwframe_ctx_init", std::string(av_get_pix_fmt_name(sw)) + " surfaces");
        return false;
      }
      c->hw_frames_ctx = fr;
      c->pix_fmt = fc->format;
      upload = true;
    } else if (dev) {
      c->hw_device_ctx = av_buffer_ref(dev);  // nvenc/videotoolbox: system-memory frames, this device
    }
  } else if (s.type == AVMEDIA_TYPE_AUDIO) {
    c->sample_rate = s.sampleRate;
    av_channel_layout_copy(&c->ch_layout, &s.layout);
    c->sample_fmt = s.sampleFmt != AV_SAMPLE_FMT_NONE ? s.sampleFmt : codec->sample_fmts ? codec->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
  }
  // Say what is wrong up front: avcodec_open2 only logs it and returns EINVAL.
  std::string unsupported = supportCheck(codec, c, upload);
  if (!unsupported.empty()) return avcodec_free_context(&c), fail(f, AVERROR(EINVAL), op, unsupported), false;
  if (s.bitRate >= 0) c->bit_rate = s.bitRate;
  if (s.maxRate >= 0) c->rc_max_rate = s.maxRate;
  if (s.bufSize >= 0) c->rc_buffer_size = static_cast<int>(s.bufSize);
  if (s.gop >= 0) c->gop_size = s.gop;
  if (s.minKeyint >= 0) c->keyint_min = s.minKeyint;
  if (s.bFrames >= 0) c->max_b_frames = s.bFrames;
  if (s.threads >= 0) c->thread_count = s.threads;
  if (s.globalHeader) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

  AVDictionary* d = typedOptions(s, codec, notes);
  int r = avcodec_open2(c, codec, &d);
  std::string left = r >= 0 ? leftoverKeys(d) : "";
  av_dict_free(&d);
  if (r < 0 || !left.empty()) {
    avcodec_free_context(&c);
    if (r < 0) f.set(r, "avcodec_open2", codec->name);
    else fail(f, AVERROR_OPTION_NOT_FOUND, op, "unknown option(s) for this encoder: " + left);
    return false;
  }
  AVCodecParameters* par = avcodec_parameters_alloc();
  if (!par || avcodec_parameters_from_context(par, c) < 0) {
    avcodec_parameters_free(&par);
    avcodec_free_context(&c);
    return fail(f, AVERROR(ENOMEM), op, "avcodec_parameters_from_context failed"), false;
  }
  if (upload) par->format = sw;  // report what encode() accepts, not the surface type
  ctx_ = c;
  par_ = par;
  swFormat_ = sw;
  upload_ = upload;
  flushed_ = false;
  framesSent_ = 0;
  tb_ = c->time_base;
  frameSize_ = s.type == AVMEDIA_TYPE_AUDIO ? c->frame_size : 0;
  return true;
}

// ---- encode -------------------------------------------------------------------------
Napi::Value Encoder::Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Check(env, "Encoder.encode", true);
  Napi::Value arg = info.Length() ? info[0] : env.Undefined();
  // Our own reference: JS may free its Frame handle as soon as this returns.
  AVFrame* in = arg.IsUndefined() || arg.IsNull() ? nullptr : Frame::RefFrom(env, arg, "Encoder.encode");
  auto out = std::make_shared<PacketList>();  // frees whatever JS never got (failure)
  return Queue(
      env,
      [this, in, out](Failure& f) mutable {
        EncodeWork(in, out->v, f);
        av_frame_free(&in);
      },
      [out](Napi::Env env) -> Napi::Value {
        Napi::Array a = Napi::Array::New(env, out->v.size());
        for (uint32_t i = 0; i < out->v.size(); i++) {
          AVPacket* p = out->v[i];
          out->v[i] = nullptr;  // owned by its JS handle from here
          a.Set(i, Packet::Wrap(env, p));
        }
        return a;
      });
}

// Receives every packet ready. Returns 0, or the libav error that stopped it.
int Encoder::Drain(std::vector<AVPacket*>& out, Failure& f) {
  for (;;) {
    AVPacket* p = av_packet_alloc();
    if (!p) return fail(f, AVERROR(ENOMEM), "Encoder.encode", "out of memory"), AVERROR(ENOMEM);
    int r = avcodec_receive_packet(ctx_, p);
    if (r < 0) {
      av_packet_free(&p);
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return 0;
      f.set(r, "avcodec_receive_packet", ctx_->codec->name);
      return r;
    }
    p->time_base = ctx_->time_base;
    p->stream_index = 0;
    // Encoders with delay (x264) leave durations at 0. A video packet lasts one
    // frame at the declared rate: without it a stream's last (or only) frame
    // would end a segment of duration 0, which no manifest can hold.
    if (p->duration <= 0 && ctx_->codec_type == AVMEDIA_TYPE_VIDEO && ctx_->framerate.num > 0 && ctx_->framerate.den > 0) {
      int64_t d = av_rescale_q(1, av_inv_q(ctx_->framerate), ctx_->time_base);
      if (d > 0) p->duration = d;
    }
    out.push_back(p);
  }
}

void Encoder::EncodeWork(AVFrame* in, std::vector<AVPacket*>& out, Failure& f) {
  if (!ctx_) return f.setMessage("ECLOSED", "Encoder.encode", "encoder is closed");
  AVFrame* hwf = nullptr;
  if (in) {
    bool video = ctx_->codec_type == AVMEDIA_TYPE_VIDEO;
    bool match = video ? in->width == ctx_->width && in->height == ctx_->height && in->format == swFormat_
                       : in->nb_samples > 0 && in->format == ctx_->sample_fmt && in->sample_rate == ctx_->sample_rate &&
                             !av_channel_layout_compare(&in->ch_layout, &ctx_->ch_layout);
    if (!match) {
      AVFrame want{};
      want.width = ctx_->width;
      want.height = ctx_->height;
      want.format = video ? static_cast<int>(swFormat_) : static_cast<int>(ctx_->sample_fmt);
      want.sample_rate = ctx_->sample_rate;
      want.ch_layout = ctx_->ch_layout;  // shallow: only read by describe()
      return fail(f, AVERROR(EINVAL), "Encoder.encode",
                  "frame is " + describe(in, in->width > 0) + " but " + ctx_->codec->name + " was opened for " + describe(&want, video));
    }
    if (!video && ctx_->frame_size > 0 && in->nb_samples > ctx_->frame_size &&
        !(ctx_->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE))
      return fail(f, AVERROR(EINVAL), "Encoder.encode",
                  "frame has " + std::to_string(in->nb_samples) + " samples but " + ctx_->codec->name + " takes " +
                      std::to_string(ctx_->frame_size) + " per frame (frameSize; use a Resampler with frameSize)");
    if (flushed_) return fail(f, AVERROR_EOF, "Encoder.encode", "the encoder was flushed (encode(null)); it takes no more frames");
    // Timestamps arrive in the frame's time base; the encoder wants its own.
    if (in->time_base.num > 0 && in->time_base.den > 0 && av_cmp_q(in->time_base, ctx_->time_base)) {
      if (in->pts != AV_NOPTS_VALUE) in->pts = av_rescale_q(in->pts, in->time_base, ctx_->time_base);
      if (FF_FRAME_DURATION(in) > 0) FF_FRAME_DURATION(in) = av_rescale_q(FF_FRAME_DURATION(in), in->time_base, ctx_->time_base);
      in->time_base = ctx_->time_base;
    }
    // Only frames whose keyFrame was set from JS force an IDR; a decoded
    // I-frame passed straight through must not reshape the GOP.
    in->pict_type = in->opaque == forceKeyMarker() ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    if (upload_) {
      hwf = av_frame_alloc();
      int r = hwf ? av_hwframe_get_buffer(ctx_->hw_frames_ctx, hwf, 0) : AVERROR(ENOMEM);
      if (r >= 0) r = av_hwframe_transfer_data(hwf, in, 0);
      if (r >= 0) r = av_frame_copy_props(hwf, in);
      if (r < 0) {
        av_frame_free(&hwf);
        return f.set(r, "av_hwframe_transfer_data", ctx_->codec->name);
      }
    }
  } else {
    flushed_ = true;
    // Nothing was ever sent: there is nothing to flush, and libsvtav1 (1.4)
    // never returns from a flush or close that saw no frame.
    if (!framesSent_) return;
  }
  AVFrame* send = hwf ? hwf : in;
  bool retried = false;
  for (;;) {
    int r = avcodec_send_frame(ctx_, send);
    if (r == AVERROR(EAGAIN) && !retried) {  // output full: drain, then resend once
      retried = true;
      if (Drain(out, f) < 0) break;
      continue;
    }
    if (r == AVERROR_EOF && !send) r = 0;  // flushing twice: nothing more to come
    if (r < 0) f.set(r, "avcodec_send_frame", ctx_->codec->name);
    else framesSent_ += send ? 1 : 0, Drain(out, f);
    break;
  }
  av_frame_free(&hwf);
}

// ---- close / getters / hardware -------------------------------------------------------
Napi::Value Encoder::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closing_) return resolvedPromise(env);
  closing_ = true;  // later calls throw; ones already queued finish first (strand order)
  return Queue(
      env, [this](Failure&) { FreeAll(); },
      [this](Napi::Env env) -> Napi::Value {
        strand_.Shutdown();
        life_.released(false);
        return env.Undefined();
      });
}

Napi::Value Encoder::GetParameters(const Napi::CallbackInfo& info) {
  Check(info.Env(), "Encoder.parameters", false);
  return opened_ && par_ ? Napi::Value(codecParamsToJs(info.Env(), par_)) : info.Env().Null();
}
Napi::Value Encoder::GetTimeBase(const Napi::CallbackInfo& info) {
  Check(info.Env(), "Encoder.timeBase", false);
  return opened_ ? Napi::Value(rationalToJs(info.Env(), tb_)) : info.Env().Null();
}
Napi::Value Encoder::GetFrameSize(const Napi::CallbackInfo& info) {
  Check(info.Env(), "Encoder.frameSize", false);
  return Napi::Number::New(info.Env(), opened_ ? frameSize_ : 0);
}
Napi::Value Encoder::GetSelection(const Napi::CallbackInfo& info) {
  Check(info.Env(), "Encoder.selection", false);
  return opened_ ? SelectionToJs(info.Env()) : info.Env().Null();
}
Napi::Value Encoder::GetClosed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), closing_); }

// Device types whose device really opens here (creating one is the only real test).
Napi::Value Encoder::Hardware(const Napi::CallbackInfo& info) {
  auto found = std::make_shared<std::vector<std::string>>();
  return PromiseWorker::Queue(
      info.Env(), Napi::Object(),
      [found](Failure&) {
        for (AVHWDeviceType t : kAutoDevices) {
          AVBufferRef* dev = nullptr;
          if (av_hwdevice_ctx_create(&dev, t, nullptr, nullptr, 0) >= 0) found->push_back(av_hwdevice_get_type_name(t));
          av_buffer_unref(&dev);
        }
      },
      [found](Napi::Env env) -> Napi::Value {
        Napi::Array a = Napi::Array::New(env, found->size());
        for (uint32_t i = 0; i < found->size(); i++) a.Set(i, (*found)[i]);
        return a;
      });
}

void InitEncoder(Napi::Env env, Napi::Object exports) { Encoder::Init(env, exports); }

}  // namespace ffnode
