// Input policy tables (see input_policy.cc and docs/ingest/network-inputs.md).
#pragma once
#include "common.h"

#include <set>

namespace ffnode {

// A demuxer that opens further URLs named inside the bytes it parses: probing
// never picks it unless the caller asked.
struct BlockedDemuxer {
  const char* name;
  const char* why;        // for the error message
  bool byAllowPlaylists;  // allowPlaylists enables it (else only an explicit format)
};
// The entry for `f`, or null when probing may pick it.
const BlockedDemuxer* blockedDemuxer(const AVInputFormat* f);
// Comma separated: every registered demuxer but the blocked ones (hls stays
// when `playlists`). Built once.
const std::string& allowedDemuxers(bool playlists);

// The protocols `url` names, outermost first; a path names "file".
void namedProtocols(const std::string& url, std::vector<std::string>& out, int depth = 0);
// Every local file `url` reads, through the wrappers that read another URL
// (cache:, async:, crypto:, subfile, each concat: part, concatf:'s list).
void localPaths(const std::string& url, std::vector<std::string>& out, int depth = 0);
// True when input `in` reads the file that output `out` names (same device
// and inode): opening the output would truncate the input.
bool readsOutputFile(const std::string& in, const std::string& out);
// Adds `p` and the protocols libav opens below it.
void addProtocolLayers(const std::string& p, std::set<std::string>& s);

}  // namespace ffnode
