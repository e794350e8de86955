// Scaler: resizes/converts video frames into pooled frames on the libuv pool.
// Same-format resizes go to zimg when the build has it (faster kernels);
// everything else, and backend 'swscale', goes to swscale.
#include "async_object.h"
#include "frame.h"
#include "frame_pool.h"
#include "objects.h"
#include "validate.h"
#include "zimg_resizer.h"

extern "C" {
#include <libswscale/swscale.h>
}

namespace ffnode {

static int algorithmFlag(const std::string& a) {
  if (a == "bicubic") return SWS_BICUBIC;
  if (a == "bilinear") return SWS_BILINEAR;
  if (a == "fast_bilinear") return SWS_FAST_BILINEAR;
  if (a == "lanczos") return SWS_LANCZOS;
  if (a == "area") return SWS_AREA;
  if (a == "point") return SWS_POINT;
  if (a == "spline") return SWS_SPLINE;
  return -1;
}

class Scaler : public Napi::ObjectWrap<Scaler>, public AsyncObject {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("Scaler", DefineClass(env, "Scaler",
                                      {InstanceMethod<&Scaler::Scale>("scale"), InstanceMethod<&Scaler::Close>("close"),
                                       InstanceAccessor<&Scaler::Closed>("closed")}));
  }

  explicit Scaler(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Scaler>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray())
      check::typeError(env, "Scaler", "options", "an object { width, height, format }", info.Length() ? info[0] : env.Undefined());
    Napi::Object o = info[0].As<Napi::Object>();
    int64_t w = check::integer(env, "Scaler", "width", o.Get("width"), 1, limits::kMaxDimension);
    int64_t h = check::integer(env, "Scaler", "height", o.Get("height"), 1, limits::kMaxDimension);
    std::string fmt = check::stringField(env, "Scaler", o, "format", "yuv420p");
    dstFmt_ = av_get_pix_fmt(fmt.c_str());
    if (dstFmt_ == AV_PIX_FMT_NONE || !sws_isSupportedOutput(dstFmt_))
      throw Napi::TypeError::New(env, "Scaler: unsupported output pixel format '" + fmt + "'");
    std::string alg = check::stringField(env, "Scaler", o, "algorithm", "bicubic");
    flags_ = algorithmFlag(alg);
    if (flags_ < 0) throw Napi::TypeError::New(env, "Scaler: unknown algorithm '" + alg + "'");
    std::string backend = check::stringField(env, "Scaler", o, "backend", "auto");
    if (backend != "auto" && backend != "swscale" && backend != "zimg")
      throw Napi::TypeError::New(env, "Scaler: backend must be 'auto', 'swscale' or 'zimg'");
    if (backend == "zimg" && !ZimgResizer::Supports(dstFmt_, alg))
      throw Napi::TypeError::New(env, "Scaler: zimg cannot produce " + fmt + " with '" + alg + "' in this build");
    if (backend != "swscale" && ZimgResizer::Supports(dstFmt_, alg)) zimg_ = std::make_unique<ZimgResizer>(alg);
    zimgOnly_ = backend == "zimg";
    pool_ = std::make_shared<ImagePool>(static_cast<int>(w), static_cast<int>(h), dstFmt_);
    life.opened();
  }

  ~Scaler() override {
    if (!freed_) {
      freed_ = true;
      FreeContexts();
      life.released(true);
    }
  }

 private:
  void FreeContexts() override {
    sws_freeContext(sws_);
    sws_ = nullptr;
    zimg_.reset();
    pool_.reset();
  }

  Napi::Value Scale(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) throw closedError(env, "Scaler.scale");
    AVFrame* src = Frame::RefFrom(env, info.Length() ? info[0] : env.Undefined(), "Scaler.scale");
    if (src->width <= 0 || src->height <= 0 || !sws_isSupportedInput(static_cast<AVPixelFormat>(src->format))) {
      av_frame_free(&src);
      throw Napi::TypeError::New(env, "Scaler.scale: expected a video frame in a pixel format swscale reads");
    }
    Begin(env, "Scaler.scale");
    auto out = std::make_shared<AVFrame*>(nullptr);
    return PromiseWorker::Queue(
        env, Value(),
        [this, src, out](Failure& f) mutable {
          Run(src, out.get(), f);
          av_frame_free(&src);
        },
        [out](Napi::Env env) -> Napi::Value {
          AVFrame* o = *out;
          *out = nullptr;
          return o ? Frame::Wrap(env, o) : env.Null();
        },
        [this] { End(); });
  }

  // Worker thread. Only one scale runs at a time per Scaler (mu), and the
  // context is reconfigured when the input geometry changes mid-stream.
  void Run(AVFrame* src, AVFrame** out, Failure& f) {
    std::lock_guard<std::mutex> lk(life.mu);
    if (zimgOnly_ && src->format != dstFmt_)
      return f.setMessage("EINVAL", "Scaler.scale", "backend 'zimg' only resizes; the input's pixel format differs");
    AVFrame* dst = pool_->Get();
    if (!dst) return f.set(AVERROR(ENOMEM), "Scaler.scale", "frame pool");
    int done = zimg_ && src->format == dstFmt_ ? zimg_->Scale(src, dst, f) : 0;
    if (done == 0 && zimgOnly_) {
      av_frame_free(&dst);
      return f.setMessage("EINVAL", "Scaler.scale", "backend 'zimg' cannot take this frame: " + zimg_->declined());
    }
    if (done == 0) {
      sws_ = sws_getCachedContext(sws_, src->width, src->height, static_cast<AVPixelFormat>(src->format), pool_->width(),
                                  pool_->height(), dstFmt_, flags_, nullptr, nullptr, nullptr);
      int r = sws_ ? sws_scale(sws_, src->data, src->linesize, 0, src->height, dst->data, dst->linesize) : AVERROR(EINVAL);
      if (r <= 0) {
        av_frame_free(&dst);
        return sws_ ? f.set(r < 0 ? r : AVERROR(EINVAL), "sws_scale", "") : f.setMessage("EINVAL", "sws_getCachedContext", "cannot convert this input");
      }
    } else if (done < 0) {
      av_frame_free(&dst);
      return;
    }
    dst->pts = src->pts;
    dst->time_base = src->time_base;
    dst->key_frame = src->key_frame;
    dst->pict_type = src->pict_type;
    dst->opaque = src->opaque;  // carries a keyframe request
    FF_FRAME_DURATION(dst) = FF_FRAME_DURATION(src);
    dst->sample_aspect_ratio = src->sample_aspect_ratio;
    *out = dst;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    RequestClose();
    return info.Env().Undefined();
  }
  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), closing_); }

  AVPixelFormat dstFmt_;
  int flags_;
  SwsContext* sws_ = nullptr;
  std::unique_ptr<ZimgResizer> zimg_;  // same-format resizes, when available
  bool zimgOnly_ = false;
  std::shared_ptr<ImagePool> pool_;
};

void InitScaler(Napi::Env env, Napi::Object exports) { Scaler::Init(env, exports); }

}  // namespace ffnode
