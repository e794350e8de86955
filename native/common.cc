#include "common.h"
#include "strand.h"


#include <cerrno>

namespace ffnode {

Stats& stats() {
  static Stats s;
  return s;
}

// Node tears an environment down on the thread that ran it, and that thread
// runs no other environment of ours: a thread-local flag needs no env handle,
// which Lifetime and the finalizers do not have.
static thread_local bool tlTearingDown = false;
bool tearingDownHere() { return tlTearingDown; }

void countLeak(std::atomic<int64_t>& counter) {
  if (!tlTearingDown) counter++;
}

void AddonData::Teardown() {
  tearingDown = true;
  tlTearingDown = true;
  // Copy: Abandon() leaves the set alone, but be safe against re-entry.
  std::vector<Strand*> live(strands.begin(), strands.end());
  for (Strand* s : live) s->Abandon();
}

std::string errorString(int averr) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(averr, buf, sizeof buf);
  return buf;
}

std::string errorName(int e) {
  switch (e) {
    case AVERROR_EOF: return "EOF";
    case AVERROR(EAGAIN): return "EAGAIN";
    case AVERROR(EINVAL): return "EINVAL";
    case AVERROR(ENOMEM): return "ENOMEM";
    case AVERROR(ENOENT): return "ENOENT";
    case AVERROR(EIO): return "EIO";
    case AVERROR(EACCES): return "EACCES";
    case AVERROR(EPERM): return "EPERM";
    case AVERROR(ENODEV): return "ENODEV";
    case AVERROR(ENOTSUP): return "ENOTSUP";
    case AVERROR(EPIPE): return "EPIPE";
    case AVERROR(ETIMEDOUT): return "ETIMEDOUT";
    case AVERROR(ECONNREFUSED): return "ECONNREFUSED";
    case AVERROR(ECONNRESET): return "ECONNRESET";
    case AVERROR(ENOSYS): return "ENOSYS";
    case AVERROR(ERANGE): return "ERANGE";
    case AVERROR_INVALIDDATA: return "INVALIDDATA";
    case AVERROR_EXIT: return "EXIT";
    case AVERROR_BUG: case AVERROR_BUG2: return "BUG";
    case AVERROR_EXTERNAL: return "EXTERNAL";
    case AVERROR_PATCHWELCOME: return "PATCHWELCOME";
    case AVERROR_DECODER_NOT_FOUND: return "DECODER_NOT_FOUND";
    case AVERROR_ENCODER_NOT_FOUND: return "ENCODER_NOT_FOUND";
    case AVERROR_DEMUXER_NOT_FOUND: return "DEMUXER_NOT_FOUND";
    case AVERROR_MUXER_NOT_FOUND: return "MUXER_NOT_FOUND";
    case AVERROR_PROTOCOL_NOT_FOUND: return "PROTOCOL_NOT_FOUND";
    case AVERROR_STREAM_NOT_FOUND: return "STREAM_NOT_FOUND";
    case AVERROR_OPTION_NOT_FOUND: return "OPTION_NOT_FOUND";
    case AVERROR_FILTER_NOT_FOUND: return "FILTER_NOT_FOUND";
    case AVERROR_BSF_NOT_FOUND: return "BSF_NOT_FOUND";
    case AVERROR_HTTP_BAD_REQUEST: return "HTTP_BAD_REQUEST";
    case AVERROR_HTTP_UNAUTHORIZED: return "HTTP_UNAUTHORIZED";
    case AVERROR_HTTP_FORBIDDEN: return "HTTP_FORBIDDEN";
    case AVERROR_HTTP_NOT_FOUND: return "HTTP_NOT_FOUND";
    case AVERROR_HTTP_OTHER_4XX: return "HTTP_4XX";
    case AVERROR_HTTP_SERVER_ERROR: return "HTTP_5XX";
    default: return "UNKNOWN";
  }
}

void Failure::set(int averr, const std::string& operation, const std::string& subject) {
  failed = true;
  code = averr;
  op = operation;
  name = errorName(averr);
  message = operation + (subject.empty() ? "" : " (" + subject + ")") + ": " + errorString(averr);
}

void Failure::setMessage(const std::string& nm, const std::string& operation, const std::string& msg) {
  failed = true;
  code = 0;
  name = nm;
  op = operation;
  message = operation + ": " + msg;
}

AddonData& addon(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

Napi::Error makeError(Napi::Env env, const Failure& f) {
  AddonData& d = addon(env);
  // Constructing FFmpegError runs JS, which fails once the environment is
  // going away; a plain Error (no JS needed) is then the best we can do.
  if (!d.errorClass.IsEmpty() && !d.tearingDown) {
    try {
      Napi::Value v = d.errorClass.New({Napi::String::New(env, f.message), Napi::Number::New(env, f.code),
                                        Napi::String::New(env, f.name), Napi::String::New(env, f.op)});
      return Napi::Error(env, v);
    } catch (const Napi::Error&) {
    }
  }
  Napi::Error e = Napi::Error::New(env, f.message);
  try {
    e.Set("code", Napi::Number::New(env, f.code));
    e.Set("errorName", Napi::String::New(env, f.name));
  } catch (const Napi::Error&) {
  }
  return e;
}

void settle(Napi::Env env, Napi::Promise::Deferred& d, const Failure& f, const std::function<Napi::Value(Napi::Env)>& done,
            const std::function<void()>& after) {
  try {
    if (after) after();
  } catch (...) {
    // `after` only releases state; a failure to call into JS from it (teardown) changes nothing here.
  }
  try {
    if (f.failed) {
      d.Reject(makeError(env, f).Value());
      return;
    }
    Napi::Value v;
    try {
      v = done ? done(env) : env.Undefined();
    } catch (const Napi::Error& e) {
      d.Reject(e.Value());
      return;
    }
    d.Resolve(v);
  } catch (...) {
    // Only when settling itself failed: JS cannot run (environment teardown)
    // or memory ran out. Reject plainly if JS still runs; else drop it.
    if (addon(env).tearingDown) return;
    try {
      d.Reject(Napi::Error::New(env, "ffnode: could not settle the operation's result").Value());
    } catch (...) {
    }
  }
}

Napi::Error closedError(Napi::Env env, const char* what) {
  Failure f;
  f.setMessage("ECLOSED", what, "object is closed");
  return makeError(env, f);
}

Napi::Promise resolvedPromise(Napi::Env env) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Resolve(env.Undefined());
  return d.Promise();
}

void throwTypeError(Napi::Env env, const std::string& msg) { Napi::TypeError::New(env, msg).ThrowAsJavaScriptException(); }

void toDict(Napi::Env env, Napi::Value v, AVDictionary** dict) {
  if (!v.IsObject()) return;
  Napi::Object o = v.As<Napi::Object>();
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); i++) {
    std::string k = keys.Get(i).ToString().Utf8Value();
    Napi::Value val = o.Get(k);
    if (val.IsUndefined() || val.IsNull()) continue;
    std::string s = val.IsBoolean() ? (val.ToBoolean().Value() ? "1" : "0") : val.ToString().Utf8Value();
    av_dict_set(dict, k.c_str(), s.c_str(), 0);
  }
}

std::string leftoverKeys(AVDictionary* dict) {
  std::string out;
  const AVDictionaryEntry* e = nullptr;
  while ((e = av_dict_get(dict, "", e, AV_DICT_IGNORE_SUFFIX))) {
    if (!out.empty()) out += ", ";
    out += e->key;
  }
  return out;
}

int64_t getInt(Napi::Object o, const char* key, int64_t def) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : def;
}
double getNumber(Napi::Object o, const char* key, double def) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : def;
}
std::string getString(Napi::Object o, const char* key, const std::string& def) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : def;
}
bool getBool(Napi::Object o, const char* key, bool def) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : def;
}

Napi::Array rationalToJs(Napi::Env env, AVRational r) {
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, r.num));
  a.Set(1u, Napi::Number::New(env, r.den));
  return a;
}

AVRational rationalFromJs(Napi::Value v, AVRational def) {
  if (!v.IsArray()) return def;
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() != 2) return def;
  Napi::Value n = a.Get(0u), d = a.Get(1u);
  if (!n.IsNumber() || !d.IsNumber()) return def;
  AVRational r{n.As<Napi::Number>().Int32Value(), d.As<Napi::Number>().Int32Value()};
  return r.den > 0 ? r : def;
}

Napi::Value tsToJs(Napi::Env env, int64_t ts) {
  if (ts == AV_NOPTS_VALUE) return env.Null();
  return Napi::Number::New(env, static_cast<double>(ts));
}

int64_t tsFromJs(Napi::Value v) {
  if (!v.IsNumber()) return AV_NOPTS_VALUE;
  double d = v.As<Napi::Number>().DoubleValue();
  // NaN and anything beyond ±2^62 (no real timestamp) mean "no timestamp";
  // casting them would be undefined behaviour.
  if (d != d || d > 4.6e18 || d < -4.6e18) return AV_NOPTS_VALUE;
  return static_cast<int64_t>(d);
}

// ---- PromiseWorker ----------------------------------------------------------
PromiseWorker::PromiseWorker(Napi::Env env, Napi::Object keep, Exec exec, Done done, After after)
    : Napi::AsyncWorker(env, "ffnode"), deferred_(Napi::Promise::Deferred::New(env)),
      exec_(std::move(exec)), done_(std::move(done)), after_(std::move(after)) {
  if (!keep.IsEmpty()) keep_ = Napi::Persistent(keep);
}

Napi::Promise PromiseWorker::Queue(Napi::Env env, Napi::Object keep, Exec exec, Done done, After after) {
  auto* w = new PromiseWorker(env, keep, std::move(exec), std::move(done), std::move(after));
  Napi::Promise p = w->deferred_.Promise();
  w->Napi::AsyncWorker::Queue();
  return p;
}

void PromiseWorker::Execute() {
  try {
    exec_(failure_);
  } catch (const std::exception& e) {
    failure_.setMessage("EXCEPTION", "native", e.what());
  }
}

// Completions may run during environment teardown (Node finishes pool work
// a terminated worker started): settle() never throws into libuv.
void PromiseWorker::OnOK() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  settle(env, deferred_, failure_, done_, after_);
}

void PromiseWorker::OnError(const Napi::Error& e) {
  try {
    if (after_) after_();
    deferred_.Reject(e.Value());
  } catch (...) {
    // JS cannot run (teardown): no one is left to observe the rejection.
  }
}

}  // namespace ffnode
