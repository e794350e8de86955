// What an input may open: the demuxers probing may not pick, and the
// protocols a URL names with the layers libav opens below them. Pure tables
// and string work (no I/O); InputSession (input.cc) applies them.
#include "input_policy.h"

#include <sys/stat.h>

extern "C" {
#include <libavutil/avstring.h>
}

#include <cstring>

namespace ffnode {

// Only hls routes every nested open through AVFormatContext.io_open (segments,
// keys, variant playlists), where the whitelist and TLS options are enforced.
// dash opens its segments itself (Debian's 5.1.9 with ffio_open_whitelist:
// the protocol whitelist holds, our TLS options don't reach them), concat and
// vobsub open nested contexts with the default io_open: none of them carries
// tls_verify/ca_file, so they stay behind an explicit `format`.
static const BlockedDemuxer kBlocked[] = {
    {"hls", "it opens the segment, key and variant URLs the playlist lists", true},
    {"dash", "it opens the BaseURL/segment URLs the manifest lists", false},
    {"concat", "it opens the files the list names", false},
    {"imf", "it opens the asset files the composition playlist names", false},
    {"sdp", "it opens RTP/UDP sockets to the addresses the SDP names", false},
    {"vobsub", "it opens a companion .sub file next to the input", false},
    {"avisynth", "it runs a script", false},
    {"vapoursynth", "it runs a script", false},
};

const BlockedDemuxer* blockedDemuxer(const AVInputFormat* f) {
  if (!f || !f->name) return nullptr;
  for (const BlockedDemuxer& b : kBlocked)
    if (av_match_list(b.name, f->name, ',') > 0) return &b;
  return nullptr;
}

// Every registered demuxer except the blocked ones (hls stays with
// allowPlaylists): libav's own format whitelist backs our probe check, since
// it refuses whatever init_input picked, and it is copied to the contexts a
// demuxer nests (hls segments). A whitelist rather than a blacklist because
// that is the only list libavformat has.
const std::string& allowedDemuxers(bool playlists) {
  auto build = [](bool withPlaylists) {
    std::string s;
    void* it = nullptr;
    while (const AVInputFormat* f = av_demuxer_iterate(&it)) {
      const BlockedDemuxer* b = blockedDemuxer(f);
      if (!f->name || (b && !(withPlaylists && b->byAllowPlaylists))) continue;
      if (!s.empty()) s += ',';
      s += f->name;
    }
    return s;
  };
  static const std::string strict = build(false), withHls = build(true);
  return playlists ? withHls : strict;
}

// The protocols a URL names, outermost first, as url_find_protocol reads a
// scheme: [A-Za-z0-9+.-]+ before ':'; none means a path (file). Wrappers
// (cache:, async:, crypto+, hls+, subfile) name their inner URL too.
void namedProtocols(const std::string& url, std::vector<std::string>& out, int depth) {
  static const char* kSchemeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.";
  size_t n = strspn(url.c_str(), kSchemeChars);
  if (depth > 8 || n == 0 || n >= url.size() || url[n] != ':') {
    if (url.rfind("subfile,", 0) == 0) out.push_back("subfile"), out.push_back("file");
    else out.push_back("file");
    return;
  }
  std::string scheme = url.substr(0, n);
  size_t plus = scheme.find('+');
  if (plus != std::string::npos) {  // nested scheme: crypto+https://, hls+http://
    out.push_back(scheme.substr(0, plus));
    namedProtocols(url.substr(plus + 1), out, depth + 1);
    return;
  }
  out.push_back(scheme);
  if (scheme == "cache" || scheme == "async" || scheme == "crypto" || scheme == "hls" || scheme == "concatf")
    namedProtocols(url.substr(n + 1), out, depth + 1);
  else if (scheme == "concat") {  // concat:a|b
    std::string rest = url.substr(n + 1);
    size_t start = 0;
    for (size_t bar; (bar = rest.find('|', start)) != std::string::npos; start = bar + 1) namedProtocols(rest.substr(start, bar - start), out, depth + 1);
    namedProtocols(rest.substr(start), out, depth + 1);
  }
}

void localPaths(const std::string& url, std::vector<std::string>& out, int depth) {
  static const char* kSchemeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.";
  if (depth > 8) return;
  if (url.rfind("subfile,", 0) == 0) {  // subfile,,start,N,end,M,:path
    size_t p = url.find(",:");
    if (p != std::string::npos) localPaths(url.substr(p + 2), out, depth + 1);
    return;
  }
  size_t n = strspn(url.c_str(), kSchemeChars);
  if (n == 0 || n >= url.size() || url[n] != ':') return out.push_back(url);
  std::string scheme = url.substr(0, n);
  size_t plus = scheme.find('+');
  if (plus != std::string::npos) return localPaths(url.substr(plus + 1), out, depth + 1);
  std::string rest = url.substr(n + 1);
  if (scheme == "file") return out.push_back(rest.empty() ? "." : rest);
  if (scheme == "cache" || scheme == "async" || scheme == "crypto" || scheme == "hls" || scheme == "concatf") return localPaths(rest, out, depth + 1);
  if (scheme == "concat") {
    size_t start = 0;
    for (size_t bar; (bar = rest.find('|', start)) != std::string::npos; start = bar + 1) localPaths(rest.substr(start, bar - start), out, depth + 1);
    localPaths(rest.substr(start), out, depth + 1);
  }
}

bool readsOutputFile(const std::string& in, const std::string& out) {
  std::vector<std::string> outs, ins;
  localPaths(out, outs);
  struct stat so;
  if (outs.size() != 1 || stat(outs[0].c_str(), &so) != 0) return false;
  localPaths(in, ins);
  for (const std::string& p : ins) {
    struct stat si;
    if (stat(p.c_str(), &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino) return true;
  }
  return false;
}

// What a named protocol needs underneath (libav checks each layer against
// the whitelist). http includes https: a redirect may switch scheme, and the
// TLS options we add go with it.
void addProtocolLayers(const std::string& p, std::set<std::string>& s) {
  auto add = [&s](std::initializer_list<const char*> l) {
    for (const char* x : l) s.insert(x);
  };
  s.insert(p);
  // crypto: AES-128 HLS segments; data: inline keys/playlists (no I/O at all).
  if (p == "file") add({"crypto", "data"});
  else if (p == "http" || p == "https") add({"http", "https", "tls", "tcp", "crypto", "data", "httpproxy"});
  else if (p == "tls") add({"tcp"});
  else if (p == "rtmp") add({"tcp"});
  else if (p == "rtmps") add({"tls", "tcp"});
  else if (p == "rtmpt") add({"ffrtmphttp", "http", "tcp"});
  else if (p == "rtmpts") add({"ffrtmphttp", "http", "https", "tls", "tcp"});
  else if (p == "rtsp") add({"tcp", "udp", "rtp", "http"});  // rtsp is a demuxer; these are its transports
  else if (p == "rtsps") add({"tcp", "udp", "rtp", "srtp", "tls", "http", "https"});
  else if (p == "rtp") add({"udp"});
  else if (p == "srtp") add({"rtp", "udp"});
  else if (p == "sap") add({"udp", "rtp"});
  else if (p == "ftp" || p == "gopher" || p == "mmst") add({"tcp"});
  else if (p == "gophers") add({"tls", "tcp"});
  else if (p == "mmsh") add({"http", "tcp"});
  else if (p == "ipfs" || p == "ipns") add({"http", "https", "tls", "tcp"});
}

}  // namespace ffnode
