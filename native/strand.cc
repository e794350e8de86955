#include "strand.h"

#include <system_error>

namespace ffnode {

struct Strand::Task {
  Napi::Promise::Deferred deferred;
  Napi::ObjectReference keep;
  Exec exec;
  Done done;
  After after;
  Failure failure;
  Strand* strand;
};

Strand::Strand(Napi::Env env) : addon_(&addon(env)), alive_(std::make_shared<std::atomic<bool>>(true)) {
  auto* flag = new std::shared_ptr<std::atomic<bool>>(alive_);
  tsfn_ = Napi::ThreadSafeFunction::New(
      env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "ffnode-strand", 0, 1,
      [](Napi::Env, std::shared_ptr<std::atomic<bool>>* f) {
        **f = false;
        delete f;
      },
      flag);
  tsfn_.Unref(env);
  addon_->strands.insert(this);
}

bool Strand::Start() {
  if (started_) return true;
  try {
    thread_ = std::thread([this] { Loop(); });
  } catch (const std::system_error&) {
    return false;  // out of threads: the caller gets EAGAIN, the process lives
  }
  started_ = true;
  return true;
}

// Finalizers run before the instance data (AddonData) is freed, also at
// environment teardown, so addon_ is still valid here.
Strand::~Strand() {
  Shutdown();
  addon_->strands.erase(this);
}

void Strand::Shutdown() {
  Stop();
  if (!released_ && alive_->load()) tsfn_.Release();
  released_ = true;
}

void Strand::Hold(Napi::Env env) {
  if (holds_++ == 0 && !released_) tsfn_.Ref(env);
}

void Strand::Unhold(Napi::Env env) {
  if (holds_ > 0 && --holds_ == 0 && !released_) tsfn_.Unref(env);
}

Napi::Promise Strand::Run(Napi::Env env, Napi::Object keep, Exec exec, Done done, After after) {
  auto* t = new Task{Napi::Promise::Deferred::New(env), Napi::ObjectReference(), std::move(exec), std::move(done), std::move(after), Failure(), this};
  if (!keep.IsEmpty()) t->keep = Napi::Persistent(keep);
  Napi::Promise p = t->deferred.Promise();
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopping_ || !Start()) {
      if (stopping_) t->failure.setMessage("ECLOSED", "strand", "object is closed");
      else t->failure.set(AVERROR(EAGAIN), "std::thread", "no thread could be started for this object");
      settle(env, t->deferred, t->failure, nullptr, t->after);
      delete t;
      return p;
    }
    queue_.push_back(t);
  }
  Hold(env);
  cv_.notify_one();
  return p;
}

bool Strand::Post(std::function<void(Napi::Env)> fn) {
  std::lock_guard<std::mutex> lk(postMu_);
  if (dead_ || !alive_->load()) return false;
  auto* f = new std::function<void(Napi::Env)>(std::move(fn));
  napi_status st = tsfn_.BlockingCall(f, [](Napi::Env env, Napi::Function, std::function<void(Napi::Env)>* f) {
    std::unique_ptr<std::function<void(Napi::Env)>> owned(f);
    if (!env) return;
    Napi::HandleScope scope(env);
    try {
      (*f)(env);
    } catch (...) {
      // Nothing may escape into Node's TSFN dispatch: it would abort the
      // process. Only reachable when JS can no longer run (teardown).
    }
  });
  if (st != napi_ok) {
    delete f;
    return false;
  }
  return true;
}

void Strand::Loop() {
  for (;;) {
    Task* t;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;
      t = queue_.front();
      queue_.pop_front();
    }
    try {
      t->exec(t->failure);
    } catch (const std::exception& e) {
      t->failure.setMessage("EXCEPTION", "native", e.what());
    }
    bool posted = Post([t](Napi::Env env) {
      std::unique_ptr<Task> own(t);
      Strand* s = t->strand;
      settle(env, t->deferred, t->failure, t->done, t->after);
      s->Unhold(env);
    });
    if (!posted) {
      // Abandoned (teardown): the task's JS references may only be dropped
      // on the JS thread, which Abandon() does after joining this one.
      std::lock_guard<std::mutex> lk(mu_);
      orphans_.push_back(t);
    }
  }
}

void Strand::Stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopped_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  stopped_ = true;
}

void Strand::Abandon() {
  {
    std::lock_guard<std::mutex> lk(postMu_);
    dead_ = true;
  }
  std::deque<Task*> dropped;
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
    dropped.swap(queue_);  // never started: no one will await them
  }
  cv_.notify_all();
  if (interrupt_) interrupt_();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  stopped_ = true;
  // The TSFN is Node's to close now (it does so at teardown); never touch it again.
  released_ = true;
  for (Task* t : dropped) delete t;
  for (Task* t : orphans_) delete t;
  orphans_.clear();
}

}  // namespace ffnode
