// Encoder: any libavcodec encoder by name, typed options, hardware device
// selection with software fallback, full send/receive draining on the libuv pool.
#pragma once
#include "common.h"

#include <condition_variable>

namespace ffnode {

struct EncoderSpec;  // open() options, parsed and validated on the JS thread

class Encoder : public Napi::ObjectWrap<Encoder> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Encoder(const Napi::CallbackInfo& info);
  ~Encoder() override;

 private:
  class Turn;  // worker-side ordered lock (see encoder.cc)

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

  // worker thread, under Turn
  void OpenWork(const EncoderSpec& s, Failure& f);
  bool TryOpen(const EncoderSpec& s, const AVCodec* codec, AVHWDeviceType hw, AVBufferRef* dev, Failure& f,
               std::string* notes);
  void EncodeWork(AVFrame* in, std::vector<AVPacket*>& out, Failure& f);
  int Drain(std::vector<AVPacket*>& out, Failure& f);
  void FreeAll();

  Lifetime life_;
  std::condition_variable turnCv_;
  uint64_t nextTicket_ = 0;  // JS thread: handed out in call order
  uint64_t serving_ = 0;     // guarded by life_.mu: the ticket allowed to run

  // Owned by whichever worker holds the Turn.
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
