// InputBuffer: bytes pushed from a Node stream, read by libav's custom AVIO on
// the decoder's strand thread. Bounded: push() reports when the high-water
// mark is passed so JS pauses the source (peer-controlled input cannot grow
// memory without limit).
#pragma once
#include "common.h"

#include <chrono>
#include <condition_variable>
#include <deque>

namespace ffnode {

class InputBuffer {
 public:
  static constexpr size_t kHighWater = 4 << 20;
  static constexpr size_t kLowWater = 1 << 20;

  // JS thread. Returns false once buffered bytes reach the high-water mark.
  bool Push(const uint8_t* data, size_t len) {
    std::lock_guard<std::mutex> lk(mu_);
    if (ended_) return false;
    chunks_.emplace_back(data, data + len);
    buffered_ += len;
    cv_.notify_all();
    return buffered_ < kHighWater;
  }
  void End() {
    std::lock_guard<std::mutex> lk(mu_);
    ended_ = true;
    cv_.notify_all();
  }
  void Wake() { cv_.notify_all(); }
  bool Full() {
    std::lock_guard<std::mutex> lk(mu_);
    return buffered_ >= kHighWater && !ended_;
  }
  // Strand thread: blocks until data, end, or `stop()` says give up. Returns
  // bytes copied, AVERROR_EOF at end, or the error stop() returned.
  template <typename Stop>
  int Read(uint8_t* buf, int size, Stop stop, bool* crossedLow) {
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      if (buffered_ > 0) break;
      if (ended_) return AVERROR_EOF;
      int s = stop();
      if (s) return s;
      cv_.wait_for(lk, std::chrono::milliseconds(50));
    }
    size_t before = buffered_;
    int n = 0;
    while (n < size && !chunks_.empty()) {
      auto& c = chunks_.front();
      size_t take = std::min(static_cast<size_t>(size - n), c.size() - offset_);
      memcpy(buf + n, c.data() + offset_, take);
      n += static_cast<int>(take);
      offset_ += take;
      if (offset_ == c.size()) {
        chunks_.pop_front();
        offset_ = 0;
      }
    }
    buffered_ -= static_cast<size_t>(n);
    *crossedLow = before >= kLowWater && buffered_ < kLowWater;
    return n;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<uint8_t>> chunks_;
  size_t offset_ = 0;
  size_t buffered_ = 0;
  bool ended_ = false;
};

}  // namespace ffnode
