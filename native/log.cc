// libav's log, routed: av_log_set_callback replaces libav's default (raw
// lines on stderr, any thread). Lines above the level are dropped here; the
// rest go to one JS listener (onLog) through a thread-safe function, or,
// with none, to stderr as 'ffnode: libav: ...'. An FFmpeg thread never
// blocks on JS: the queue is bounded and a full queue drops (and counts).
#include "log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace ffnode {
namespace {

struct LogLine {
  int level;
  std::string text;
};

void CallJs(Napi::Env env, Napi::Function cb, void*, LogLine* line);
using LogTsfn = Napi::TypedThreadSafeFunction<void, LogLine, CallJs>;

constexpr size_t kQueueMax = 1024;

// The library's default is errors only; the CLI sets 'warning' (its --log-level default).
std::atomic<int> gLevel{AV_LOG_ERROR};
std::atomic<uint64_t> gDropped{0};
// The listener's function and the environment that owns it. Guarded by gMu:
// the callback calls into it only while it is set, and the env's cleanup
// hook clears it before releasing, so no call reaches a released function.
std::mutex gMu;
LogTsfn gTsfn;
napi_env gOwner = nullptr;
std::once_flag gInstall;

const char* levelName(int level) {
  if (level <= AV_LOG_FATAL) return "fatal";
  if (level <= AV_LOG_ERROR) return "error";
  if (level <= AV_LOG_WARNING) return "warning";
  if (level <= AV_LOG_INFO) return "info";
  if (level <= AV_LOG_VERBOSE) return "verbose";
  return "debug";
}

void CallJs(Napi::Env env, Napi::Function cb, void*, LogLine* line) {
  // env is null when the queue is drained at teardown: drop the line
  if (env != nullptr && cb != nullptr) {
    try {
      cb.Call({Napi::String::New(env, levelName(line->level)), Napi::String::New(env, line->text)});
    } catch (...) {
      // a listener that throws must not take libav's log down with it
    }
  }
  delete line;
}

void writeStderr(const std::string& text) {
  std::string out = "ffnode: libav: " + text + "\n";
  // one write: lines from different threads do not interleave mid-line
  ssize_t n = ::write(2, out.data(), out.size());
  (void)n;
}

// On stderr a line identical to the one before it (same context, level and
// text: a decoder complaining about every packet of a damaged stretch) is
// counted, not printed, and summed up as 'Last message repeated N times'
// when a different line comes, every kRepeatRun repeats, and at exit — as
// the ffmpeg CLI does. A listener (onLog) gets every line.
constexpr uint64_t kRepeatRun = 1000;
std::mutex gRepeatMu;
std::string gLastText;
int gLastLevel = 0;
uint64_t gRepeats = 0;

void flushRepeatsLocked() {
  if (gRepeats == 0) return;
  writeStderr("Last message repeated " + std::to_string(gRepeats) + (gRepeats == 1 ? " time" : " times"));
  gRepeats = 0;
}

void flushRepeats() {
  std::lock_guard<std::mutex> lock(gRepeatMu);
  flushRepeatsLocked();
  gLastText.clear();
}

void toStderr(int level, std::string&& text) {
  std::lock_guard<std::mutex> lock(gRepeatMu);
  if (level == gLastLevel && text == gLastText) {
    if (++gRepeats >= kRepeatRun) flushRepeatsLocked();
    return;
  }
  flushRepeatsLocked();
  writeStderr(text);
  gLastLevel = level;
  gLastText = std::move(text);
}

// libav may emit one line in several calls (no '\n' until the last): each
// thread keeps its partial line until it is complete.
thread_local std::string tlPartial;
thread_local int tlPrintPrefix = 1;

void Callback(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > gLevel.load(std::memory_order_relaxed)) return;
  char buf[1024];
  av_log_format_line2(avcl, level, fmt, vl, buf, sizeof buf, &tlPrintPrefix);
  tlPartial += buf;
  size_t nl;
  while ((nl = tlPartial.find('\n')) != std::string::npos) {
    std::string text = tlPartial.substr(0, nl);
    tlPartial.erase(0, nl + 1);
    if (text.empty()) continue;
    {
      std::lock_guard<std::mutex> lock(gMu);
      if (gOwner != nullptr) {
        auto* line = new LogLine{level, std::move(text)};
        if (gTsfn.NonBlockingCall(line) != napi_ok) {
          delete line;  // queue full (or closing): never wait on JS
          gDropped.fetch_add(1, std::memory_order_relaxed);
        }
        continue;
      }
    }
    toStderr(level, std::move(text));
  }
}

// Env teardown (exit, worker end): release the listener it owns.
void ReleaseFor(napi_env env) {
  std::lock_guard<std::mutex> lock(gMu);
  if (gOwner != env) return;
  gOwner = nullptr;
  gTsfn.Release();
  gTsfn = LogTsfn();
}

Napi::Value SetLogLevel(const Napi::CallbackInfo& info) {
  static const struct { const char* name; int level; } levels[] = {
      {"quiet", AV_LOG_QUIET}, {"panic", AV_LOG_PANIC}, {"fatal", AV_LOG_FATAL}, {"error", AV_LOG_ERROR},
      {"warning", AV_LOG_WARNING}, {"info", AV_LOG_INFO}, {"verbose", AV_LOG_VERBOSE}, {"debug", AV_LOG_DEBUG}};
  std::string want = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  for (auto& l : levels)
    if (want == l.name) {
      flushRepeats();  // a count pending under the old level is still told
      gLevel.store(l.level);
      av_log_set_level(l.level);  // libav skips formatting above it, before our callback
      return info.Env().Undefined();
    }
  throw Napi::RangeError::New(info.Env(), "setLogLevel: expected quiet|panic|fatal|error|warning|info|verbose|debug");
}

// onLog(fn): fn(level, line) gets every line at or below the level; onLog(null)
// goes back to stderr. The last environment to call it owns the listener.
Napi::Value OnLog(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool set = info.Length() > 0 && info[0].IsFunction();
  if (!set && !(info.Length() == 0 || info[0].IsNull() || info[0].IsUndefined()))
    throw Napi::TypeError::New(env, "onLog: expected a function (or null to log to stderr)");
  flushRepeats();
  std::lock_guard<std::mutex> lock(gMu);
  if (gOwner != nullptr) {
    gTsfn.Release();
    gTsfn = LogTsfn();
    gOwner = nullptr;
  }
  if (set) {
    gTsfn = LogTsfn::New(env, info[0].As<Napi::Function>(), "ffnode-libav-log", kQueueMax, 1);
    gTsfn.Unref(env);  // a listener alone never keeps the process alive
    gOwner = env;
  }
  return env.Undefined();
}

Napi::Value Dropped(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(gDropped.load())); }

}  // namespace

void InitLog(Napi::Env env, Napi::Object exports) {
  std::call_once(gInstall, [] {
    av_log_set_level(AV_LOG_ERROR);
    av_log_set_callback(Callback);
    std::atexit(flushRepeats);  // a run of repeats that nothing followed is still told
  });
  napi_env raw = env;
  env.AddCleanupHook([raw]() { ReleaseFor(raw); });
  exports.Set("setLogLevel", Napi::Function::New(env, SetLogLevel));
  exports.Set("onLog", Napi::Function::New(env, OnLog));
  exports.Set("logDropped", Napi::Function::New(env, Dropped));
}

}  // namespace ffnode
