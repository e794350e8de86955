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

Strand::Strand(Napi::Env env) : alive_(std::make_shared<std::atomic<bool>>(true)) {
  auto* flag = new std::shared_ptr<std::atomic<bool>>(alive_);
  tsfn_ = Napi::ThreadSafeFunction::New(
      env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "ffnode-strand", 0, 1,
      [](Napi::Env, std::shared_ptr<std::atomic<bool>>* f) {
        **f = false;
        delete f;
      },
      flag);
  tsfn_.Unref(env);
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

Strand::~Strand() { Shutdown(); }

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
      if (t->after) t->after();
      if (stopping_) t->failure.setMessage("ECLOSED", "strand", "object is closed");
      else t->failure.set(AVERROR(EAGAIN), "std::thread", "no thread could be started for this object");
      Napi::Error e = makeError(env, t->failure);
      t->deferred.Reject(e.Value());
      delete t;
      return p;
    }
    queue_.push_back(t);
  }
  Hold(env);
  cv_.notify_one();
  return p;
}

void Strand::Post(std::function<void(Napi::Env)> fn) {
  if (!alive_->load()) return;
  auto* f = new std::function<void(Napi::Env)>(std::move(fn));
  napi_status st = tsfn_.BlockingCall(f, [](Napi::Env env, Napi::Function, std::function<void(Napi::Env)>* f) {
    if (env) {
      Napi::HandleScope scope(env);
      (*f)(env);
    }
    delete f;
  });
  if (st != napi_ok) delete f;
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
    Post([t](Napi::Env env) {
      Strand* s = t->strand;
      if (t->after) t->after();
      if (t->failure.failed) {
        t->deferred.Reject(makeError(env, t->failure).Value());
      } else {
        try {
          t->deferred.Resolve(t->done ? t->done(env) : env.Undefined());
        } catch (const Napi::Error& e) {
          t->deferred.Reject(e.Value());
        }
      }
      delete t;
      s->Unhold(env);
    });
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

}  // namespace ffnode
