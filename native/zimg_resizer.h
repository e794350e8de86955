// ZimgResizer: same-format resizing of planar YUV/grey frames with zimg.
// zimg's AVX2 kernels do the bicubic downscales of an ABR ladder in about
// half of swscale's CPU time (docs/performance/benchmark.md), and CPU is
// what a ladder on a small machine runs out of. Anything zimg can't take
// (format conversion, planes not aligned for its kernels) stays with swscale.
#pragma once
#include <string>

#include "common.h"

#ifdef FFNODE_HAVE_ZIMG
#include <zimg.h>
#endif

namespace ffnode {

class ZimgResizer {
 public:
  // True when this build has zimg and it can resize `fmt` frames with `algorithm`.
  static bool Supports(AVPixelFormat fmt, const std::string& algorithm);
  // "major.minor.micro" of the zimg in use, or "" when built without it.
  static std::string Version();
  ZimgResizer(const std::string& algorithm) : algorithm_(algorithm) {}
  ~ZimgResizer();
  ZimgResizer(const ZimgResizer&) = delete;
  ZimgResizer& operator=(const ZimgResizer&) = delete;
  // Resizes src into dst (same pixel format, dst allocated): 1 done, 0 not
  // for zimg (odd 4:2:0 sizes, unaligned planes, ...: use swscale; declined()
  // says why), -1 failed (f set).
  int Scale(const AVFrame* src, AVFrame* dst, Failure& f);
  const std::string& declined() const { return declined_; }

 private:
  bool Build(const AVFrame* src, const AVFrame* dst, int align, Failure& f);
  int decline(const std::string& why) {
    declined_ = why;
    return 0;
  }
  std::string algorithm_;
  std::string declined_;
#ifdef FFNODE_HAVE_ZIMG
  zimg_filter_graph* graph_ = nullptr;
#endif
  void* tmp_ = nullptr;
  // geometry the graph was built for
  int srcW_ = 0, srcH_ = 0, dstW_ = 0, dstH_ = 0, fmt_ = -1, range_ = -1, chroma_ = -1;
  int align_ = 32;  // bytes the graph's kernels need
  std::string unbuildable_;  // zimg's reason when no graph fits this geometry
};

}  // namespace ffnode
