#include "frame_pool.h"

#include "frame.h"
#include "objects.h"
#include "validate.h"

namespace ffnode {

static constexpr int kAlign = 64;  // SIMD-friendly rows for swscale and x264

namespace {
struct BufOwner {
  std::shared_ptr<std::atomic<int64_t>> live;
  size_t size;
};
}  // namespace

ImagePool::ImagePool(int w, int h, AVPixelFormat fmt)
    : width_(w), height_(h), fmt_(fmt), live_(std::make_shared<std::atomic<int64_t>>(0)) {
  size_ = av_image_get_buffer_size(fmt, w, h, kAlign);
  if (size_ > 0) pool_ = av_buffer_pool_init2(static_cast<size_t>(size_), this, &ImagePool::Alloc, nullptr);
}

ImagePool::~ImagePool() {
  // Buffers still referenced elsewhere keep the pool alive until released.
  av_buffer_pool_uninit(&pool_);
}

AVBufferRef* ImagePool::Alloc(void* opaque, size_t size) {
  auto* self = static_cast<ImagePool*>(opaque);
  uint8_t* data = static_cast<uint8_t*>(av_malloc(size));
  if (!data) return nullptr;
  auto* owner = new BufOwner{self->live_, size};
  AVBufferRef* ref = av_buffer_create(data, size, &ImagePool::FreeBuf, owner, 0);
  if (!ref) {
    av_free(data);
    delete owner;
    return nullptr;
  }
  self->bytes_ += static_cast<int64_t>(size);
  self->allocated_++;
  *self->live_ += static_cast<int64_t>(size);
  stats().poolBytes += static_cast<int64_t>(size);
  return ref;
}

void ImagePool::FreeBuf(void* opaque, uint8_t* data) {
  auto* owner = static_cast<BufOwner*>(opaque);
  *owner->live -= static_cast<int64_t>(owner->size);
  stats().poolBytes -= static_cast<int64_t>(owner->size);
  delete owner;
  av_free(data);
}

AVFrame* ImagePool::Get() {
  if (!pool_) return nullptr;
  AVFrame* f = av_frame_alloc();
  if (!f) return nullptr;
  f->buf[0] = av_buffer_pool_get(pool_);
  if (!f->buf[0]) {
    av_frame_free(&f);
    return nullptr;
  }
  f->width = width_;
  f->height = height_;
  f->format = fmt_;
  if (av_image_fill_arrays(f->data, f->linesize, f->buf[0]->data, fmt_, width_, height_, kAlign) < 0) {
    av_frame_free(&f);
    return nullptr;
  }
  return f;
}

// ---- JS handle ---------------------------------------------------------------
class FramePool : public Napi::ObjectWrap<FramePool> {
 public:
  explicit FramePool(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FramePool>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray())
      check::typeError(env, "FramePool", "init", "an object { width, height, format }", info.Length() ? info[0] : env.Undefined());
    Napi::Object o = info[0].As<Napi::Object>();
    int64_t w = check::integer(env, "FramePool", "width", o.Get("width"), 1, limits::kMaxDimension);
    int64_t h = check::integer(env, "FramePool", "height", o.Get("height"), 1, limits::kMaxDimension);
    std::string name = check::stringField(env, "FramePool", o, "format", "yuv420p");
    AVPixelFormat fmt = check::pixelFormat(env, "FramePool", "format", name);
    if (av_image_get_buffer_size(fmt, static_cast<int>(w), static_cast<int>(h), 1) <= 0)
      throw Napi::TypeError::New(env, "FramePool: '" + name + "' is not a pixel format with memory frames");
    pool_ = std::make_unique<ImagePool>(static_cast<int>(w), static_cast<int>(h), fmt);
    life_.opened();
  }
  ~FramePool() override { life_.released(pool_ != nullptr); }

  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("FramePool", DefineClass(env, "FramePool",
                                         {InstanceMethod<&FramePool::GetJs>("get"), InstanceMethod<&FramePool::Close>("close"),
                                          InstanceAccessor<&FramePool::Width>("width"), InstanceAccessor<&FramePool::Height>("height"),
                                          InstanceAccessor<&FramePool::Format>("format"), InstanceAccessor<&FramePool::Bytes>("bytes"),
                                          InstanceAccessor<&FramePool::Allocated>("allocated")}));
  }

 private:
  ImagePool& Need(Napi::Env env) {
    if (!pool_) throw closedError(env, "FramePool");
    return *pool_;
  }
  Napi::Value GetJs(const Napi::CallbackInfo& info) {
    AVFrame* f = Need(info.Env()).Get();
    if (!f) throw Napi::Error::New(info.Env(), "FramePool.get: out of memory");
    return Frame::Wrap(info.Env(), f);
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (pool_) {
      pool_.reset();
      life_.released(false);
    }
    return info.Env().Undefined();
  }
  Napi::Value Width(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Need(info.Env()).width()); }
  Napi::Value Height(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Need(info.Env()).height()); }
  Napi::Value Format(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), av_get_pix_fmt_name(Need(info.Env()).format())); }
  Napi::Value Bytes(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(Need(info.Env()).bytes())); }
  Napi::Value Allocated(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(Need(info.Env()).allocated())); }

  std::unique_ptr<ImagePool> pool_;
  Lifetime life_;
};

void InitFramePool(Napi::Env env, Napi::Object exports) { FramePool::Init(env, exports); }

}  // namespace ffnode
