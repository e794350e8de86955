// Strand: one dedicated thread per object that reads inputs (Decoder, Remuxer).
// Network and Node-stream reads may block for long; running them here keeps
// the libuv pool free for codec work, so many live inputs never starve it.
// Tasks run in order (serializing the object's calls); results come back to
// the JS thread through one thread-safe function.
#pragma once
#include "common.h"

#include <condition_variable>
#include <deque>
#include <thread>

namespace ffnode {

class Strand {
 public:
  using Exec = PromiseWorker::Exec;
  using Done = PromiseWorker::Done;
  using After = PromiseWorker::After;
  explicit Strand(Napi::Env env);
  ~Strand();
  // Queues `exec` on the strand thread; `done` (or the Failure) settles the
  // returned Promise on the JS thread. `keep` stays alive until then.
  // `after` (optional) runs on the JS thread once it settled, either way.
  Napi::Promise Run(Napi::Env env, Napi::Object keep, Exec exec, Done done, After after = nullptr);
  // Runs `fn` on the JS thread soon; callable from any thread.
  void Post(std::function<void(Napi::Env)> fn);
  // Keep the event loop alive while JS waits on something the strand will post.
  void Hold(Napi::Env env);
  void Unhold(Napi::Env env);
  // Runs queued tasks to completion, then ends the thread. Idempotent.
  void Stop();
  // Stop() and give back the thread-safe function (JS thread; after close).
  void Shutdown();

 private:
  struct Task;
  void Loop();
  bool Start();  // the thread starts with the first task; false if none can be made
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task*> queue_;
  bool stopping_ = false;
  bool stopped_ = false;
  bool started_ = false;
  Napi::ThreadSafeFunction tsfn_;
  // Node may destroy the TSFN itself at environment teardown; its finalizer
  // clears this so we never release a dead one.
  std::shared_ptr<std::atomic<bool>> alive_;
  bool released_ = false;
  int holds_ = 0;  // JS thread only
};

}  // namespace ffnode
