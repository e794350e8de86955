// Encoder: any libavcodec encoder by name, typed options, hardware device
// selection with software fallback, full send/receive draining on the libuv pool.
#pragma once
#include "common.h"
#include "strand.h"

namespace ffnode {

struct EncoderSpec;  // open() options, parsed and validated on the JS thread

class Encoder : public Napi::ObjectWrap<Encoder> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Encoder(const Napi::CallbackInfo& info);
  ~Encoder() override;

 private:
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Encode(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  static Napi::Value Hardware(const Napi::CallbackInfo& info);
  Napi::Value GetParameters(const Napi::CallbackInfo& info);
  Napi::Value GetTimeBase(const Napi::CallbackInfo& info);
  Napi::Value GetFrameSize(const Napi::CallbackInfo& info);
  Napi::Value GetSelection(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);

  void Check(Napi::Env env, const char* what, bool needOpen);
  Napi::Value SelectionToJs(Napi::Env env);
  Napi::Promise Queue(Napi::Env env, std::function<void(Failure&)> work, PromiseWorker::Done done,
                      PromiseWorker::After after = nullptr);

  // strand thread, under life_.mu
  void OpenWork(const EncoderSpec& s, Failure& f);
  bool TryOpen(const EncoderSpec& s, const AVCodec* codec, AVHWDeviceType hw, AVBufferRef* dev, Failure& f,
               std::string* notes);
  void EncodeWork(AVFrame* in, std::vector<AVPacket*>& out, Failure& f);
  int Drain(std::vector<AVPacket*>& out, Failure& f);
  void FreeAll();

  Lifetime life_;
  // Encoders run on their own thread, not the libuv pool: x264/x265 with frame
  // threads block the calling thread until a frame thread is free, and four
  // such calls would hold every pool thread while scalers and segmenters wait
  // (measured: 31 s instead of 15 s for a 4-rung 1080p ladder with a pool of 8).
  Strand strand_;

  // Owned by the strand thread while a call runs.
  AVCodecContext* ctx_ = nullptr;
  AVCodecParameters* par_ = nullptr;
  AVPixelFormat swFormat_ = AV_PIX_FMT_NONE;  // what encode() accepts (video)
  bool upload_ = false;                       // vaapi/qsv: copy frames into hw surfaces
  bool flushed_ = false;
  int64_t framesSent_ = 0;

  // Written by the open worker, read on the JS thread only after it settled.
  AVRational tb_{0, 1};
  int frameSize_ = 0;
  std::string selEncoder_, selHw_, selReason_;

  // JS thread.
  bool opening_ = false, opened_ = false, closing_ = false;
};

void InitEncoder(Napi::Env env, Napi::Object exports);

}  // namespace ffnode
