// Encoder.open() options: parsed and validated on the JS thread into an
// EncoderSpec, then mapped per chosen encoder (x264, x265, nvenc, vaapi, qsv,
// ...) to AVOptions on the worker.
#pragma once
#include "common.h"

extern "C" {
#include <libavutil/hwcontext.h>
}

namespace ffnode {

struct EncoderSpec {
  std::string requested;           // codec name as given
  AVCodecID id = AV_CODEC_ID_NONE;
  AVMediaType type = AVMEDIA_TYPE_UNKNOWN;
  const AVCodec* explicitHw = nullptr;  // the named encoder when it is a hardware one
  const AVCodec* sw = nullptr;          // software encoder (direct or fallback)
  std::vector<AVHWDeviceType> hw;       // devices to try, in order; empty = software only
  std::string hwLabel, device;
  bool fallbackSoftware = true;
  int width = 0, height = 0;
  AVPixelFormat pixFmt = AV_PIX_FMT_NONE;
  AVRational frameRate{0, 0}, timeBase{0, 0};
  int sampleRate = 0;
  AVChannelLayout layout{};
  AVSampleFormat sampleFmt = AV_SAMPLE_FMT_NONE;
  int64_t bitRate = -1, maxRate = -1, bufSize = -1;
  double crf = -1;
  std::string preset, tune, profile, level;
  int gop = -1, minKeyint = -1, bFrames = -1, threads = -1, sceneCut = -1;
  bool globalHeader = true;
  AVDictionary* raw = nullptr;
  ~EncoderSpec() {
    av_dict_free(&raw);
    av_channel_layout_uninit(&layout);
  }
};

// 'auto' tries these, in order.
constexpr AVHWDeviceType kAutoDevices[] = {AV_HWDEVICE_TYPE_CUDA, AV_HWDEVICE_TYPE_VAAPI, AV_HWDEVICE_TYPE_QSV,
                                           AV_HWDEVICE_TYPE_VIDEOTOOLBOX};

// Throws TypeError/RangeError for bad options. Returns false (and sets `f`,
// ENCODER_NOT_FOUND) only for an unknown codec, which open() rejects with.
bool parseSpec(Napi::Env env, Napi::Object o, EncoderSpec& s, Failure& f);
// Device a hardware encoder runs on (from its name), or NONE.
AVHWDeviceType hwOf(const AVCodec* c);
// Encoder for codec `id` on device `t` ("h264" + cuda -> h264_nvenc), or null.
const AVCodec* hwEncoderFor(AVCodecID id, AVHWDeviceType t);
// Typed options mapped for encoder `c`, then the raw ones; `notes` lists typed
// options this hardware encoder has no equivalent for.
AVDictionary* typedOptions(const EncoderSpec& s, const AVCodec* c, std::string* notes);
AVPixelFormat defaultPixFmt(const AVCodec* c);
// Why the context's format/rate is not one the encoder lists; "" when fine.
std::string supportCheck(const AVCodec* codec, const AVCodecContext* c, bool hwFrames);

}  // namespace ffnode
