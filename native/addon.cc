// Module entry: registers every native class and the process-wide helpers.
#include "common.h"
#include "frame.h"
#include "packet.h"
#include "objects.h"
#include "devices.h"
#include "zimg_resizer.h"
#include "log.h"

extern "C" {
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace ffnode {

static Napi::Value GetStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Stats& s = stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("frames", static_cast<double>(s.frames.load()));
  o.Set("packets", static_cast<double>(s.packets.load()));
  o.Set("objects", static_cast<double>(s.objects.load()));
  o.Set("frameBytes", static_cast<double>(s.frameBytes.load()));
  o.Set("packetBytes", static_cast<double>(s.packetBytes.load()));
  o.Set("poolBytes", static_cast<double>(s.poolBytes.load()));
  o.Set("leakedFrames", static_cast<double>(s.leakedFrames.load()));
  o.Set("leakedPackets", static_cast<double>(s.leakedPackets.load()));
  o.Set("leakedObjects", static_cast<double>(s.leakedObjects.load()));
  return o;
}

static Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorClass: expected a constructor");
  addon(info.Env()).errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

static std::string ver(unsigned v) {
  return std::to_string(AV_VERSION_MAJOR(v)) + "." + std::to_string(AV_VERSION_MINOR(v)) + "." + std::to_string(AV_VERSION_MICRO(v));
}

static Napi::Value Versions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("ffmpeg", av_version_info());
  o.Set("libavcodec", ver(avcodec_version()));
  o.Set("libavformat", ver(avformat_version()));
  o.Set("libavutil", ver(avutil_version()));
  o.Set("libswscale", ver(swscale_version()));
  o.Set("libswresample", ver(swresample_version()));
  o.Set("libavdevice", DevicesVersion());  // loaded on first use of a device format
  std::string zimg = ZimgResizer::Version();
  o.Set("zimg", zimg.empty() ? env.Null() : Napi::String::New(env, zimg));  // null: resizes use swscale
  return o;
}

constexpr size_t kMaxAlloc = size_t{512} << 20;

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Per-environment state: each worker that loads ffnode gets its own. The
  // cleanup hook runs when that environment ends (worker.terminate(), exit),
  // before Node closes its thread-safe functions and finalizes our objects:
  // it stops every strand so none reports into a dead environment.
  auto* data = new AddonData();
  env.SetInstanceData(data);
  env.AddCleanupHook([data]() { data->Teardown(); });
  avformat_network_init();
  // One allocation may not exceed this: a few header bytes can announce
  // millions of index entries (an MP4 trun/stsz count), and libav would
  // allocate for all of them. 512 MiB still fits the largest frame the API
  // accepts in common formats (16384x16384 8-bit 4:2:0 is 384 MiB).
  av_max_alloc(kMaxAlloc);
  Frame::Init(env, exports);
  Packet::Init(env, exports);
  InitObjects(env, exports);
  exports.Set("stats", Napi::Function::New(env, GetStats));
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass));
  exports.Set("versions", Napi::Function::New(env, Versions));
  InitLog(env, exports);
  return exports;
}

}  // namespace ffnode

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return ffnode::Init(env, exports); }
NODE_API_MODULE(ffnode, InitAddon)
