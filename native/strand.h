// Strand: one dedicated thread per object that reads inputs (Decoder, Remuxer).
// Network and Node-stream reads may block for long; running them here keeps
// the libuv pool free for codec work, so many live inputs never starve it.
// Tasks run in order (serializing the object's calls); results come back to
// the JS thread through one thread-safe function.
//
// Environment teardown (worker.terminate(), process exit): the addon's
// cleanup hook calls Abandon() on every live strand of that environment. The
// owner's teardown interrupt ends blocking work, queued tasks are dropped, the
// thread is joined, and Post() becomes a no-op, so no strand thread ever
// calls into (or through the thread-safe function of) a dead environment.
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
  // Runs `fn` on the JS thread soon; callable from any thread. False (and
  // `fn` dropped) once the strand was abandoned or its TSFN is gone.
  bool Post(std::function<void(Napi::Env)> fn);
  // Keep the event loop alive while JS waits on something the strand will post.
  void Hold(Napi::Env env);
  void Unhold(Napi::Env env);
  // Runs queued tasks to completion, then ends the thread. Idempotent.
  void Stop();
  // Stop() and give back the thread-safe function (JS thread; after close).
  void Shutdown();
  // Set by the owner (JS thread, at construction): makes its running task
  // return soon (interrupt flag, wake a blocked read). Called at teardown.
  void OnTeardown(std::function<void()> interrupt) { interrupt_ = std::move(interrupt); }
  // Environment teardown (JS thread, from the cleanup hook); see above.
  void Abandon();

 private:
  struct Task;
  void Loop();
  bool Start();  // the thread starts with the first task; false if none can be made
  AddonData* addon_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task*> queue_;
  std::vector<Task*> orphans_;  // finished after Abandon(): freed on the JS thread
  bool stopping_ = false;
  bool stopped_ = false;
  bool started_ = false;
  Napi::ThreadSafeFunction tsfn_;
  // Node may destroy the TSFN itself at environment teardown; its finalizer
  // clears this so we never release a dead one.
  std::shared_ptr<std::atomic<bool>> alive_;
  // Set by Abandon(): Post() no longer touches the TSFN. Guarded by postMu_,
  // which Post() holds across its call into the TSFN.
  std::mutex postMu_;
  bool dead_ = false;
  std::function<void()> interrupt_;
  bool released_ = false;
  int holds_ = 0;  // JS thread only
};

}  // namespace ffnode
