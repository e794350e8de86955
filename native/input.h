// InputSession: how every demuxing input (Decoder, Remuxer) is opened, in
// one place, so the two cannot drift apart again:
// - interrupt callback + per-call deadline (close()/interrupt() and timeoutMs),
// - protocol whitelist from what the caller named (path → file, https → the
//   http family, byte source → nothing), applied to every nested open,
// - TLS verification on by default, carried to nested opens (HLS segments,
//   keys, http → https redirects) together with a caller's ca_file,
// - playlist/reference demuxers (hls, dash, concat, ...) never chosen by
//   content probing unless the caller asked (format or allowPlaylists).
// See docs/ingest/network-inputs.md for the policy and its evidence.
#pragma once
#include "common.h"

#include <atomic>

namespace ffnode {

int64_t nowUs();
// True for URLs that reach the network (any scheme but file: and pipe:).
bool isNetworkUrl(const std::string& url);

struct InputRequest {
  std::string url;             // path or URL; a label ("stream input") with custom I/O
  std::string format;          // demuxer the caller named, or ""
  bool customIO = false;       // bytes come from the caller's AVIOContext
  bool allowPlaylists = false; // playlist demuxers may be chosen by probing
};

class InputSession {
 public:
  // `stopped(owner)` says the owner was closed or interrupted.
  using StopFn = bool (*)(const void* owner);
  InputSession(StopFn stopped, const void* owner) : stopped_(stopped), owner_(owner) {}
  InputSession(const InputSession&) = delete;
  InputSession& operator=(const InputSession&) = delete;

  // ---- deadline ----
  void SetTimeoutUs(int64_t us) { timeoutUs_ = us; }
  int64_t TimeoutUs() const { return timeoutUs_; }
  // Byte sources: the deadline runs only while a read waits for bytes
  // (ArmNow from the read callback), so a demuxer's own CPU time on a hard
  // input is never reported as "no data".
  void SetWaitOnly(bool on) { waitOnly_ = on; }
  void Arm() {
    if (!waitOnly_) ArmNow();
  }
  void ArmNow() { deadline_ = timeoutUs_ > 0 ? nowUs() + timeoutUs_ : 0; }
  void Disarm() { deadline_ = 0; }
  bool Armed() const { return deadline_.load() > 0; }
  bool Stopped() const { return stopped_ && stopped_(owner_); }
  // Sticky: libav keeps returning its stored I/O error after a timeout.
  bool TimedOut() const { return timedOut_; }
  static int InterruptCb(void* opaque);

  // Checks the request, resolves the named demuxer and adds the TLS defaults
  // to `opts`. False (and `f` set) when the input is refused before any I/O.
  bool Prepare(const InputRequest& req, AVDictionary** opts, const char* op, Failure& f);
  const AVInputFormat* Format() const { return ifmt_; }

  // avformat_open_input on `*ctx` (allocated by the caller; pb set for custom
  // I/O) with the callbacks, whitelists and probing restriction installed.
  // Returns libav's result; on failure *ctx is freed and null, and `f` is set
  // when the session knows why (a refusal, leftover options); otherwise the
  // caller explains the code (interrupt, timeout).
  int Open(AVFormatContext** ctx, AVDictionary** opts, Failure& f, const char* op);

  // True (and `f` set, EPERM naming the URL and why) when this session
  // refused a probed demuxer or a nested open since the last call.
  bool TakeRefusal(Failure& f, const char* op);

  const std::string& Whitelist() const { return whitelist_; }

 private:
  static int IoOpen(AVFormatContext* s, AVIOContext** pb, const char* url, int flags, AVDictionary** options);
  int OpenNested(AVFormatContext* s, AVIOContext** pb, const char* url, int flags, AVDictionary** options);
  // Refuses `fmt` when it is a playlist demuxer the caller didn't ask for.
  bool RefuseProbed(const AVInputFormat* fmt);
  void Refuse(const std::string& why);

  StopFn stopped_;
  const void* owner_;
  std::atomic<int64_t> deadline_{0};
  std::atomic<bool> timedOut_{false};
  int64_t timeoutUs_ = 0;
  bool waitOnly_ = false;

  InputRequest req_;
  const AVInputFormat* ifmt_ = nullptr;
  std::string whitelist_;      // comma separated protocol names ("none" for byte sources)
  bool restrictProbe_ = true;  // no explicit format: probing may not pick a blocked demuxer
  bool tlsVerify_ = true;
  bool tlsReachable_ = false;  // the whitelist lets this input reach a TLS layer
  std::string caFile_;
  bool mainPending_ = false;   // the next io_open on &s->pb is the input itself
  std::mutex refusedMu_;       // io_open may run on a demuxer's own thread (hls)
  std::string refused_;
};

// av_read_frame, retried on EAGAIN as the ffmpeg CLI does: some demuxers (raw
// ADTS after garbage, devices) say EAGAIN for "skipped, read again", which a
// caller could not tell from its own try-again. Bounded: a demuxer that keeps
// saying it without moving through the input ends with INVALIDDATA.
int readFrame(AVFormatContext* ctx, AVPacket* pkt, const InputSession& session);

}  // namespace ffnode
