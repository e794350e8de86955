#include "input.h"

#include "devices.h"
#include "input_policy.h"

extern "C" {
#include <libavutil/avstring.h>
#include <libavutil/time.h>
}

#include <chrono>
#include <cstring>
#include <algorithm>
#include <set>

namespace ffnode {

int64_t nowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool isNetworkUrl(const std::string& url) {
  auto p = url.find("://");
  if (p == std::string::npos) return false;
  std::string scheme = url.substr(0, p);
  return scheme != "file" && scheme != "pipe";
}

namespace {

std::string joinSet(const std::set<std::string>& s) {
  std::string out;
  for (const std::string& x : s) out += (out.empty() ? "" : ",") + x;
  return out;
}

// The caller turned an option off ("0", or a boolean word libav also reads so).
bool isOff(const AVDictionaryEntry* e) {
  if (!e || !e->value) return false;
  for (const char* v : {"0", "false", "off", "no"})
    if (!av_strcasecmp(e->value, v)) return true;
  return false;
}

}  // namespace

int InputSession::InterruptCb(void* opaque) {
  auto* s = static_cast<InputSession*>(opaque);
  if (!s) return 0;
  if (s->Stopped()) return 1;
  int64_t dl = s->deadline_.load();
  if (dl > 0 && nowUs() > dl) {
    s->timedOut_ = true;
    return 1;
  }
  return 0;
}

void InputSession::Refuse(const std::string& why) {
  std::lock_guard<std::mutex> lk(refusedMu_);
  if (refused_.empty()) refused_ = why;
}

bool InputSession::TakeRefusal(Failure& f, const char* op) {
  std::lock_guard<std::mutex> lk(refusedMu_);
  if (refused_.empty()) return false;
  f.setMessage("EPERM", op, refused_);
  f.code = AVERROR(EPERM);
  refused_.clear();
  return true;
}

bool InputSession::Prepare(const InputRequest& req, AVDictionary** opts, const char* op, Failure& f) {
  req_ = req;
  auto refuse = [&](const std::string& msg) {
    f.setMessage("EPERM", op, req.url + ": " + msg);
    f.code = AVERROR(EPERM);
    return false;
  };
  if (!req.format.empty()) {
    ifmt_ = av_find_input_format(req.format.c_str());
    if (!ifmt_ && EnsureDevices()) ifmt_ = av_find_input_format(req.format.c_str());  // lavfi, v4l2, x11grab, ...
    if (!ifmt_) {
      f.set(AVERROR_DEMUXER_NOT_FOUND, op, "format '" + req.format + "' for " + req.url);
      return false;
    }
  }
  restrictProbe_ = !ifmt_;  // a demuxer the caller named is the caller's choice
  tlsVerify_ = !isOff(av_dict_get(*opts, "tls_verify", nullptr, 0));
  // libav reads tls_verify as an integer: "false"/"off" would fail the open
  // while nested opens took it as off. One meaning for every connection.
  if (av_dict_get(*opts, "tls_verify", nullptr, 0)) av_dict_set(opts, "tls_verify", tlsVerify_ ? "1" : "0", 0);
  const AVDictionaryEntry* ca = av_dict_get(*opts, "ca_file", nullptr, 0);
  caFile_ = ca && ca->value ? ca->value : "";
  if (req.customIO) {
    whitelist_ = "none";  // bytes from the caller name no URL we may open
    return true;
  }
  std::vector<std::string> named;
  namedProtocols(req.url, named);
  std::set<std::string> allowed;
  std::string lister;         // hls/concat/concatf protocols drop options on nested opens
  std::string reader;         // hls/concatf: the URLs come from content, not from the caller
  for (const std::string& p : named) {
    addProtocolLayers(p, allowed);
    if ((p == "hls" || p == "concat" || p == "concatf") && lister.empty()) lister = p;
    if ((p == "hls" || p == "concatf") && reader.empty()) reader = p;
  }
  if (!reader.empty() && !req.allowPlaylists)
    return refuse("the '" + reader + "' protocol opens the URLs a playlist or list names; pass allowPlaylists: true to allow it (only for sources you trust)");
  // Paths to TLS that FFmpeg 5.1 opens without our options, so tls_verify and
  // ca_file never reach them: the hls/concat protocols open nested URLs with
  // none; the rtsp demuxer opens its rtsps connection with none; dash opens
  // its segments and concat/imf their files without io_open.
  std::string noTls;
  if (!lister.empty()) noTls = "the '" + lister + "' protocol opens its nested URLs without TLS options";
  else if (std::find(named.begin(), named.end(), "rtsps") != named.end()) noTls = "the rtsp demuxer opens its TLS connection without TLS options";
  else if (std::find(named.begin(), named.end(), "gophers") != named.end()) noTls = "the gopher protocol opens its TLS connection without TLS options";
  else if (std::find(named.begin(), named.end(), "rtmpts") != named.end()) noTls = "the rtmpt protocol opens its https tunnel without TLS options";
  else if (ifmt_ && blockedDemuxer(ifmt_) && !blockedDemuxer(ifmt_)->byAllowPlaylists)
    noTls = std::string("the '") + blockedDemuxer(ifmt_)->name + "' demuxer opens what it lists without TLS options";
  if (!noTls.empty() && tlsVerify_) {
    // The input's own connection would be TLS: nothing can make it verified.
    bool ownTls = false;
    for (const std::string& p : named) ownTls |= p == "https" || p == "tls" || p == "rtsps" || p == "rtmps" || p == "rtmpts" || p == "gophers";
    if (ownTls)
      return refuse("cannot verify TLS certificates in FFmpeg 5.1 (" + noTls + "); open an HLS playlist as a plain https:// URL with allowPlaylists: true, or pass options.tls_verify: 0 to accept unverified TLS");
    // Otherwise no nested open or redirect may reach TLS unverified: it fails.
    allowed.erase("https"), allowed.erase("tls"), allowed.erase("httpproxy");
  }
  whitelist_ = joinSet(allowed);
  tlsReachable_ = allowed.count("tls") > 0;
  // Verification is on unless the caller explicitly turned it off.
  if (tlsReachable_ && !av_dict_get(*opts, "tls_verify", nullptr, 0)) av_dict_set(opts, "tls_verify", "1", 0);
  return true;
}

bool InputSession::RefuseProbed(const AVInputFormat* fmt) {
  const BlockedDemuxer* b = blockedDemuxer(fmt);
  if (!b) return false;
  if (!restrictProbe_ || (b->byAllowPlaylists && req_.allowPlaylists)) return false;
  std::string how = b->byAllowPlaylists ? "pass allowPlaylists: true (or format: '" + std::string(b->name) + "')"
                                        : "name it with format: '" + std::string(b->name) + "'";
  Refuse(req_.url + ": playlist demuxer '" + b->name + "' is not allowed for this input (" + b->why + "); " + how +
         " only for sources you trust");
  return true;
}

int InputSession::IoOpen(AVFormatContext* s, AVIOContext** pb, const char* url, int flags, AVDictionary** options) {
  auto* self = s ? static_cast<InputSession*>(s->opaque) : nullptr;
  if (!self || !pb || !url) return AVERROR(EPERM);  // not one of ours: open nothing
  return self->OpenNested(s, pb, url, flags, options);
}

int InputSession::OpenNested(AVFormatContext* s, AVIOContext** pb, const char* url, int flags, AVDictionary** options) {
  bool main = mainPending_ && pb == &s->pb;
  mainPending_ = false;
  // A caller's options.protocol_whitelist (set on the context) overrides ours.
  const char* wl = s->protocol_whitelist ? s->protocol_whitelist : whitelist_.c_str();
  if (!main) {
    if (req_.customIO) {
      Refuse(std::string("nested open of '") + url + "' refused: a byte source may not open other URLs");
      return AVERROR(EPERM);
    }
    std::vector<std::string> named;
    namedProtocols(url, named);
    for (const std::string& p : named) {
      if (av_match_list(p.c_str(), wl, ',') <= 0) {
        Refuse(std::string("nested open of '") + url + "' refused: protocol '" + p + "' is not allowed for this input (allowed: " + wl + ")");
        return AVERROR(EPERM);
      }
    }
  }
  AVDictionary* tmp = nullptr;
  AVDictionary** o = options ? options : &tmp;
  // Every layer libav opens below checks this list (http → tls → tcp).
  av_dict_set(o, "protocol_whitelist", wl, 0);
  // libav's default io_open passes a caller's blacklist on too.
  if (s->protocol_blacklist) av_dict_set(o, "protocol_blacklist", s->protocol_blacklist, 0);
  if (!main && tlsReachable_) {
    // The caller's choice, never the playlist's: demuxers forward headers and
    // cookies to nested opens, not TLS options (hls in 5.1 saves no tls_*).
    av_dict_set(o, "tls_verify", tlsVerify_ ? "1" : "0", 0);
    if (!caFile_.empty()) av_dict_set(o, "ca_file", caFile_.c_str(), 0);
  }
  int r = avio_open2(pb, url, flags, &s->interrupt_callback, o);
  av_dict_free(&tmp);
  if (r < 0 || !main || !restrictProbe_ || s->iformat || !*pb) return r;
  // The input itself: probe it here, from the bytes now buffered (libav's own
  // probe re-reads the same buffer, no second request), and refuse playlist
  // demuxers before they open anything.
  const AVInputFormat* fmt = nullptr;
  if (av_probe_input_buffer2(*pb, &fmt, url, s, 0, s->format_probesize) >= 0 && RefuseProbed(fmt)) {
    avio_closep(pb);
    return AVERROR(EPERM);
  }
  return 0;
}

int InputSession::Open(AVFormatContext** ctx, AVDictionary** opts, Failure& f, const char* op) {
  AVFormatContext* c = *ctx;
  c->interrupt_callback = {&InputSession::InterruptCb, this};
  c->opaque = this;
  c->io_open = &InputSession::IoOpen;
  int r = 0;
  // Set directly (a caller's options.protocol_whitelist still overrides them).
  av_freep(&c->protocol_whitelist);
  c->protocol_whitelist = av_strdup(whitelist_.c_str());
  // Also with a named format: the contexts a demuxer nests (hls segments,
  // concat files) inherit this list, so a segment cannot turn into a dash
  // manifest. The named demuxer itself is added (libav checks it too).
  std::string formats = allowedDemuxers(req_.allowPlaylists);
  if (ifmt_ && ifmt_->name) formats += std::string(",") + ifmt_->name;
  av_freep(&c->format_whitelist);
  c->format_whitelist = av_strdup(formats.c_str());
  if (!c->protocol_whitelist || !c->format_whitelist) r = AVERROR(ENOMEM);
  if (r == 0 && req_.customIO && restrictProbe_ && c->pb) {
    // A byte source never reaches io_open: probe its buffer the same way.
    const AVInputFormat* fmt = nullptr;
    Arm();
    if (av_probe_input_buffer2(c->pb, &fmt, "", c, 0, c->format_probesize) >= 0 && RefuseProbed(fmt)) r = AVERROR(EPERM);
  }
  if (r < 0) {
    avformat_free_context(c);  // a custom pb stays the caller's
    *ctx = nullptr;
    if (!TakeRefusal(f, op)) f.set(r, op, req_.url);
    return r;
  }
  mainPending_ = !req_.customIO;  // a byte source has no io_open for itself
  Arm();
  r = avformat_open_input(ctx, req_.customIO ? "" : req_.url.c_str(), ifmt_, opts);
  mainPending_ = false;
  if (r < 0) {
    *ctx = nullptr;  // freed by avformat_open_input
    if (TakeRefusal(f, op)) return r;
    if (r == AVERROR(EIO) && tlsReachable_ && tlsVerify_ && !Stopped() && !TimedOut()) {
      // GnuTLS reports a refused certificate as a bare EIO.
      f.set(r, op, req_.url);
      f.message += " (TLS certificates are verified: an untrusted chain or a host name mismatch ends like this; options.ca_file trusts a private CA)";
    }
    return r;  // else the caller explains the code (interrupts, timeouts)
  }
  if (tlsReachable_) {
    // Not every network input reaches its TLS layer (plain http, no redirect).
    av_dict_set(opts, "tls_verify", nullptr, 0);
    if (!caFile_.empty()) av_dict_set(opts, "ca_file", nullptr, 0);
  }
  std::string unused = leftoverKeys(*opts);
  if (!unused.empty()) {
    f.set(AVERROR_OPTION_NOT_FOUND, op, req_.url + ": unknown option(s) " + unused);
    return AVERROR_OPTION_NOT_FOUND;
  }
  return r;
}

int readFrame(AVFormatContext* ctx, AVPacket* pkt, const InputSession& session) {
  constexpr int kMaxStuck = 2000;  // 1 ms apart: about 2 s without progress
  int stuck = 0;
  int64_t lastPos = -1;
  for (;;) {
    int r = av_read_frame(ctx, pkt);
    if (r != AVERROR(EAGAIN) || session.Stopped() || session.TimedOut()) return r;
    int64_t pos = ctx->pb ? avio_tell(ctx->pb) : -1;
    if (pos != lastPos) {
      lastPos = pos;
      stuck = 0;
      continue;
    }
    if (++stuck > kMaxStuck) return AVERROR_INVALIDDATA;
    av_usleep(1000);  // a device or live demuxer waiting for data
  }
}

}  // namespace ffnode
