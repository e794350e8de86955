// Shared helpers for every native object: libav includes, accounting, typed
// errors, and the promise worker that runs codec work on the libuv pool.
#pragma once
#include <napi.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/samplefmt.h>
}

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#if LIBAVCODEC_VERSION_MAJOR < 59
#error "ffnode needs FFmpeg 5.1 or newer (libavcodec >= 59): apt-get install libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev libavdevice-dev"
#endif

// AVFrame.duration arrived in FFmpeg 6.0 (lavu 58); 5.1 only has pkt_duration.
#if LIBAVUTIL_VERSION_MAJOR >= 58
#define FF_FRAME_DURATION(f) ((f)->duration)
#else
#define FF_FRAME_DURATION(f) ((f)->pkt_duration)
#endif

namespace ffnode {

// Marks a frame whose keyFrame was set from JS: only such frames force an IDR.
// Decoded I-frames are not requests (the encoder keeps its own GOP); the marker
// lives in AVFrame.opaque, which av_frame_ref/copy_props carry along.
inline void* forceKeyMarker() {
  static char marker;
  return &marker;
}

// ---- accounting -----------------------------------------------------------
// Counters are process-wide and lock-free; stats() reads them. "leaked" counts
// handles that JS dropped without free()/close(): the finalizer freed them.
// Handles freed because their environment ended (a terminated worker) are
// not leaks: countLeak() skips them, so one worker's end never shows up in
// another thread's stats().
struct Stats {
  std::atomic<int64_t> frames{0};
  std::atomic<int64_t> packets{0};
  std::atomic<int64_t> objects{0};      // Decoder, Encoder, Scaler, ... not yet closed
  std::atomic<int64_t> frameBytes{0};   // bytes referenced by live Frame handles
  std::atomic<int64_t> packetBytes{0};  // bytes referenced by live Packet handles
  std::atomic<int64_t> leakedFrames{0};
  std::atomic<int64_t> leakedPackets{0};
  std::atomic<int64_t> leakedObjects{0};
  std::atomic<int64_t> poolBytes{0};    // bytes held by frame pools (free or in use)
};
Stats& stats();
void countLeak(std::atomic<int64_t>& counter);

// ---- errors ----------------------------------------------------------------
// What a failed libav call reports; turned into an FFmpegError on the JS thread.
struct Failure {
  bool failed = false;
  int code = 0;           // negative AVERROR value, or 0 for a non-libav failure
  std::string op;         // e.g. "avformat_open_input"
  std::string message;    // full message naming op and input
  void set(int averr, const std::string& operation, const std::string& subject);
  void setMessage(const std::string& name, const std::string& operation, const std::string& msg);
  std::string name;       // symbolic name ("EOF", "EAGAIN", ...)
};

std::string errorName(int averr);
std::string errorString(int averr);
// Builds the JS error (an instance of the FFmpegError class registered by lib/).
Napi::Error makeError(Napi::Env env, const Failure& f);
Napi::Error closedError(Napi::Env env, const char* what);
// Settles `d` on the JS thread: `after` (if any) first, then the Failure's
// error or `done`'s value (a Napi::Error `done` throws rejects). Never throws:
// when JS can no longer run (environment teardown) the outcome is dropped,
// since no one is left to observe it.
void settle(Napi::Env env, Napi::Promise::Deferred& d, const Failure& f, const std::function<Napi::Value(Napi::Env)>& done,
            const std::function<void()>& after);
// An already-resolved Promise (e.g. a second close()).
Napi::Promise resolvedPromise(Napi::Env env);
void throwTypeError(Napi::Env env, const std::string& msg);

// ---- per-addon data -------------------------------------------------------
// One per environment (main thread, each worker): the addon is context-aware.
class Strand;
struct AddonData {
  Napi::FunctionReference errorClass;  // FFmpegError from lib/, set at load
  Napi::FunctionReference frameCtor;
  Napi::FunctionReference packetCtor;
  // Set by the environment cleanup hook (worker.terminate(), process exit):
  // from then on JS cannot run and nothing may try to call into it.
  bool tearingDown = false;
  // Live strands of this environment (JS thread only): the cleanup hook stops
  // them so no strand thread outlives the environment it reports to.
  std::unordered_set<Strand*> strands;
  // Cleanup hook body (JS thread, while the environment is torn down).
  void Teardown();
};
AddonData& addon(Napi::Env env);
// True while this thread's environment is being torn down. Finalizers that
// run then free handles because their thread ended, not because JS dropped
// them, so they are not counted as leaks (see Stats).
bool tearingDownHere();


// ---- options ----------------------------------------------------------------
// Copies a plain JS object of strings/numbers/booleans into an AVDictionary.
void toDict(Napi::Env env, Napi::Value v, AVDictionary** dict);
// Names of the entries libav left unconsumed ("unknown option"), comma separated.
std::string leftoverKeys(AVDictionary* dict);

int64_t getInt(Napi::Object o, const char* key, int64_t def);
double getNumber(Napi::Object o, const char* key, double def);
std::string getString(Napi::Object o, const char* key, const std::string& def);
bool getBool(Napi::Object o, const char* key, bool def);
Napi::Array rationalToJs(Napi::Env env, AVRational r);
AVRational rationalFromJs(Napi::Value v, AVRational def);
// pts as a JS number; AV_NOPTS_VALUE becomes null.
Napi::Value tsToJs(Napi::Env env, int64_t ts);
int64_t tsFromJs(Napi::Value v);

// ---- promise worker ---------------------------------------------------------
// Runs `execute` on a libuv worker thread and settles a Promise on the JS thread
// with `complete`'s value, or rejects with the Failure that `execute` set.
// `keep` holds JS objects alive (the object whose method was called) so GC
// cannot finalize them mid-operation.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Exec = std::function<void(Failure&)>;
  using Done = std::function<Napi::Value(Napi::Env)>;
  using After = std::function<void()>;
  // `after` (optional) runs on the JS thread once the operation settled,
  // success or failure, before the Promise settles.
  static Napi::Promise Queue(Napi::Env env, Napi::Object keep, Exec exec, Done done, After after = nullptr);

 private:
  PromiseWorker(Napi::Env env, Napi::Object keep, Exec exec, Done done, After after);
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  Exec exec_;
  Done done_;
  After after_;
  Failure failure_;
};

// ---- object lifetime ------------------------------------------------------
// Base for native objects that own libav contexts: one mutex serializes calls
// (an FFmpeg context is not thread-safe), `closed` makes late calls fail cleanly.
struct Lifetime {
  std::mutex mu;
  std::atomic<bool> closed{false};
  bool counted = false;
  void opened() { counted = true; stats().objects++; }
  void released(bool leaked) {
    if (!counted) return;
    counted = false;
    stats().objects--;
    if (leaked) countLeak(stats().leakedObjects);
  }
};

}  // namespace ffnode
