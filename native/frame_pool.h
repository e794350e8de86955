// FramePool: video frames whose single data buffer comes from an AVBufferPool.
// A frame's buffer returns to the pool when its last reference is dropped (in
// JS or in an encoder), so steady-state scaling allocates nothing.
#pragma once
#include "common.h"

namespace ffnode {

// Thread-safe pool of one geometry; shared by JS FramePool handles and Scalers.
class ImagePool {
 public:
  ImagePool(int width, int height, AVPixelFormat fmt);
  ~ImagePool();
  // A new frame on pooled memory, or nullptr on allocation failure.
  AVFrame* Get();
  int width() const { return width_; }
  int height() const { return height_; }
  AVPixelFormat format() const { return fmt_; }
  int64_t bytes() const { return bytes_.load(); }
  int64_t allocated() const { return allocated_.load(); }

 private:
  static AVBufferRef* Alloc(void* opaque, size_t size);
  static void FreeBuf(void* opaque, uint8_t* data);
  int width_, height_;
  AVPixelFormat fmt_;
  int size_;
  AVBufferPool* pool_ = nullptr;
  // shared with every buffer, so accounting outlives the pool object itself
  std::shared_ptr<std::atomic<int64_t>> live_;
  std::atomic<int64_t> bytes_{0}, allocated_{0};
};

}  // namespace ffnode
