// Close-while-busy for pool-thread objects (Scaler, Resampler): close() is
// synchronous for the caller, but contexts are freed only once no worker is
// using them, so a close during scale() can never free memory in use.
#pragma once
#include "common.h"

namespace ffnode {

class AsyncObject {
 public:
  virtual ~AsyncObject() = default;

 protected:
  // JS thread: marks one operation in flight; throws if closed.
  void Begin(Napi::Env env, const char* what) {
    if (closing_) throw closedError(env, what);
    inflight_++;
  }
  // JS thread: the operation settled; frees now if close() was waiting.
  void End() {
    if (--inflight_ == 0 && closing_) FreeNow();
  }
  void RequestClose() {
    if (closing_) return;
    closing_ = true;
    if (inflight_ == 0) FreeNow();
  }
  void FreeNow() {
    if (freed_) return;
    freed_ = true;
    FreeContexts();
    life.released(false);
  }
  // Frees libav state; called once, never while a worker runs.
  virtual void FreeContexts() = 0;
  bool closing_ = false;
  bool freed_ = false;
  int inflight_ = 0;
  Lifetime life;
};

}  // namespace ffnode
