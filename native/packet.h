// Packet: a JS handle on one AVPacket reference (encoded data + timestamps).
#pragma once
#include "common.h"

namespace ffnode {

class Packet : public Napi::ObjectWrap<Packet> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // Takes ownership of `p` and returns its JS handle. `tb` is the time base of
  // its timestamps (AVPacket.time_base is set from it).
  static Napi::Object Wrap(Napi::Env env, AVPacket* p);
  // New AVPacket referencing the same data as JS Packet `v` (caller owns it).
  static AVPacket* RefFrom(Napi::Env env, Napi::Value v, const char* what);
  static bool Is(Napi::Env env, Napi::Value v);

  explicit Packet(const Napi::CallbackInfo& info);
  ~Packet() override;

 private:
  void Release(bool leaked);
  AVPacket* Need(Napi::Env env);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value FreeJs(const Napi::CallbackInfo& info);
  Napi::Value Data(const Napi::CallbackInfo& info);
  Napi::Value ToJSON(const Napi::CallbackInfo& info);
  static Napi::Value FromBuffer(const Napi::CallbackInfo& info);

  Napi::Value GetFreed(const Napi::CallbackInfo& info);
  Napi::Value GetPts(const Napi::CallbackInfo& info);
  void SetPts(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value GetDts(const Napi::CallbackInfo& info);
  void SetDts(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value GetDuration(const Napi::CallbackInfo& info);
  void SetDuration(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value GetTimeBase(const Napi::CallbackInfo& info);
  void SetTimeBase(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value GetStreamIndex(const Napi::CallbackInfo& info);
  void SetStreamIndex(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value GetKeyFrame(const Napi::CallbackInfo& info);
  void SetKeyFrame(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value GetSize(const Napi::CallbackInfo& info);

  AVPacket* pkt_ = nullptr;
  int64_t bytes_ = 0;
};

}  // namespace ffnode
