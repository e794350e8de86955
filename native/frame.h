// Frame: a JS handle on one AVFrame reference. ref() shares buffers, free()
// drops this handle's reference; plane Buffers hold their own AVBufferRef.
#pragma once
#include "common.h"

namespace ffnode {

class Frame : public Napi::ObjectWrap<Frame> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // Takes ownership of `f` (a frame reference) and returns its JS handle.
  static Napi::Object Wrap(Napi::Env env, AVFrame* f);
  // New AVFrame referencing the same buffers as the JS Frame `v` (caller owns
  // it). Throws TypeError if `v` is not a live Frame.
  static AVFrame* RefFrom(Napi::Env env, Napi::Value v, const char* what);
  // Borrowed pointer (no new reference): only for use on the JS thread.
  static AVFrame* Peek(Napi::Env env, Napi::Value v, const char* what);
  static bool Is(Napi::Env env, Napi::Value v);

  explicit Frame(const Napi::CallbackInfo& info);
  ~Frame() override;

 private:
  void Release(bool leaked);
  AVFrame* Need(Napi::Env env);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value FreeJs(const Napi::CallbackInfo& info);
  Napi::Value Data(const Napi::CallbackInfo& info);
  Napi::Value Linesize(const Napi::CallbackInfo& info);
  Napi::Value ToJSON(const Napi::CallbackInfo& info);
  static Napi::Value AllocVideo(const Napi::CallbackInfo& info);
  static Napi::Value AllocAudio(const Napi::CallbackInfo& info);

  Napi::Value GetFreed(const Napi::CallbackInfo& info);
  Napi::Value GetMediaType(const Napi::CallbackInfo& info);
  Napi::Value GetWidth(const Napi::CallbackInfo& info);
  Napi::Value GetHeight(const Napi::CallbackInfo& info);
  Napi::Value GetFormat(const Napi::CallbackInfo& info);
  Napi::Value GetPts(const Napi::CallbackInfo& info);
  void SetPts(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value GetDuration(const Napi::CallbackInfo& info);
  void SetDuration(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value GetTimeBase(const Napi::CallbackInfo& info);
  void SetTimeBase(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value GetKeyFrame(const Napi::CallbackInfo& info);
  void SetKeyFrame(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value GetKeyRequested(const Napi::CallbackInfo& info);
  Napi::Value GetPictType(const Napi::CallbackInfo& info);
  Napi::Value GetSampleRate(const Napi::CallbackInfo& info);
  Napi::Value GetChannelLayout(const Napi::CallbackInfo& info);
  Napi::Value GetChannels(const Napi::CallbackInfo& info);
  Napi::Value GetNbSamples(const Napi::CallbackInfo& info);
  Napi::Value GetPlanes(const Napi::CallbackInfo& info);
  Napi::Value GetSize(const Napi::CallbackInfo& info);

  AVFrame* frame_ = nullptr;
  int64_t bytes_ = 0;
};

// Wraps every frame of `v` into a JS array (each then owned by its handle)
// and empties `v`. If wrapping fails (JS cannot run: environment teardown),
// the frames not yet wrapped are freed before the exception propagates.
Napi::Array framesToJs(Napi::Env env, std::vector<AVFrame*>& v);

// Bytes referenced by a frame's buffers (for accounting).
int64_t frameBytes(const AVFrame* f);

}  // namespace ffnode
