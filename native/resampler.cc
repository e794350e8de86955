// Resampler: swresample (rate, layout, sample format) plus an audio FIFO that
// re-chunks output into frames of exactly the encoder's frame size.
#include "async_object.h"
#include "frame.h"
#include "objects.h"
#include "validate.h"

extern "C" {
#include <libavutil/audio_fifo.h>
#include <libswresample/swresample.h>
}

namespace ffnode {

class Resampler : public Napi::ObjectWrap<Resampler>, public AsyncObject {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("Resampler", DefineClass(env, "Resampler",
                                         {InstanceMethod<&Resampler::Convert>("convert"), InstanceMethod<&Resampler::Close>("close"),
                                          InstanceAccessor<&Resampler::Closed>("closed")}));
  }

  explicit Resampler(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Resampler>(info) {
    Napi::Env env = info.Env();
    const char* where = "Resampler";
    if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray())
      check::typeError(env, where, "options", "an object { sampleRate, channelLayout, format }", info.Length() ? info[0] : env.Undefined());
    Napi::Object o = info[0].As<Napi::Object>();
    int64_t rate = check::integer(env, where, "sampleRate", o.Get("sampleRate"), 1, limits::kMaxSampleRate);
    rate_ = static_cast<int>(rate);
    std::string fmt = check::stringField(env, where, o, "format", "fltp");
    fmt_ = check::sampleFormat(env, where, "format", fmt);
    int64_t fs = check::integerField(env, where, o, "frameSize", 0, limits::kMaxNbSamples, 0);
    std::string layout = check::stringField(env, where, o, "channelLayout", "stereo");
    check::channelLayout(env, where, "channelLayout", layout, &layout_);
    frameSize_ = static_cast<int>(fs);
    life.opened();
  }

  ~Resampler() override {
    if (!freed_) {
      freed_ = true;
      FreeContexts();
      life.released(true);
    }
    av_channel_layout_uninit(&layout_);
  }

 private:
  void FreeContexts() override {
    swr_free(&swr_);
    if (fifo_) av_audio_fifo_free(fifo_);
    fifo_ = nullptr;
    av_channel_layout_uninit(&inLayout_);
  }

  Napi::Value Convert(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) throw closedError(env, "Resampler.convert");
    AVFrame* in = nullptr;
    if (info.Length() > 0 && !info[0].IsNull() && !info[0].IsUndefined()) {
      in = Frame::RefFrom(env, info[0], "Resampler.convert");
      if (in->nb_samples <= 0 || in->sample_rate <= 0 || in->ch_layout.nb_channels <= 0) {
        av_frame_free(&in);
        throw Napi::TypeError::New(env, "Resampler.convert: expected an audio frame");
      }
    }
    Begin(env, "Resampler.convert");
    auto out = std::make_shared<std::vector<AVFrame*>>();
    return PromiseWorker::Queue(
        env, Value(),
        [this, in, out](Failure& f) mutable {
          std::lock_guard<std::mutex> lk(life.mu);
          Run(in, *out, f);
          av_frame_free(&in);
          if (f.failed) {
            for (AVFrame* o : *out) av_frame_free(&o);
            out->clear();
          }
        },
        [out](Napi::Env env) -> Napi::Value {
          return framesToJs(env, *out);
        },
        [this] { End(); });
  }

  int Setup(const AVFrame* in, Failure& f) {
    swr_free(&swr_);
    av_channel_layout_uninit(&inLayout_);
    av_channel_layout_copy(&inLayout_, &in->ch_layout);
    inRate_ = in->sample_rate;
    inFmt_ = static_cast<AVSampleFormat>(in->format);
    int r = swr_alloc_set_opts2(&swr_, &layout_, fmt_, rate_, &inLayout_, inFmt_, inRate_, 0, nullptr);
    if (r >= 0) r = swr_init(swr_);
    if (r < 0) {
      swr_free(&swr_);  // a half-set-up context must not be used by a later call
      f.set(r, "swr_init", "");
      return r;
    }
    if (!fifo_) fifo_ = av_audio_fifo_alloc(fmt_, layout_.nb_channels, std::max(frameSize_, 1024) * 2);
    if (!fifo_) {
      f.set(AVERROR(ENOMEM), "av_audio_fifo_alloc", "");
      return AVERROR(ENOMEM);
    }
    if (nextPts_ == AV_NOPTS_VALUE)
      nextPts_ = in->pts == AV_NOPTS_VALUE ? 0 : av_rescale_q(in->pts, in->time_base.num > 0 ? in->time_base : AVRational{1, in->sample_rate}, AVRational{1, rate_});
    return 0;
  }

  AVFrame* NewFrame(int nb) {
    AVFrame* o = av_frame_alloc();
    if (!o) return nullptr;
    o->format = fmt_;
    o->sample_rate = rate_;
    o->nb_samples = nb;
    av_channel_layout_copy(&o->ch_layout, &layout_);
    if (av_frame_get_buffer(o, 0) < 0) av_frame_free(&o);
    return o;
  }

  // Worker thread: in == nullptr drains swresample and the FIFO.
  void Run(AVFrame* in, std::vector<AVFrame*>& out, Failure& f) {
    if (in) {
      bool changed = !swr_ || in->sample_rate != inRate_ || in->format != inFmt_ ||
                     av_channel_layout_compare(&in->ch_layout, &inLayout_) != 0;
      if (changed && Setup(in, f) < 0) return;
    }
    if (!swr_) return;  // flush before any input: nothing to do
    int cap = swr_get_out_samples(swr_, in ? in->nb_samples : 0);
    if (cap < 0) return f.set(cap, "swr_get_out_samples", "");
    if (cap > 0) {
      AVFrame* tmp = NewFrame(cap);
      if (!tmp) return f.set(AVERROR(ENOMEM), "Resampler", "");
      int n = swr_convert(swr_, tmp->extended_data, cap, in ? const_cast<const uint8_t**>(in->extended_data) : nullptr, in ? in->nb_samples : 0);
      if (n < 0) {
        av_frame_free(&tmp);
        return f.set(n, "swr_convert", "");
      }
      tmp->nb_samples = n;
      if (frameSize_ == 0) {
        if (n > 0) {
          Stamp(tmp);
          out.push_back(tmp);
        } else {
          av_frame_free(&tmp);
        }
      } else {
        int w = n > 0 ? av_audio_fifo_write(fifo_, reinterpret_cast<void**>(tmp->extended_data), n) : 0;
        av_frame_free(&tmp);
        if (w < 0) return f.set(w, "av_audio_fifo_write", "");
      }
    }
    if (frameSize_ == 0 || !fifo_) return;
    while (av_audio_fifo_size(fifo_) >= frameSize_ || (!in && av_audio_fifo_size(fifo_) > 0)) {
      int nb = std::min(frameSize_, av_audio_fifo_size(fifo_));
      AVFrame* o = NewFrame(nb);
      if (!o) return f.set(AVERROR(ENOMEM), "Resampler", "");
      int r = av_audio_fifo_read(fifo_, reinterpret_cast<void**>(o->extended_data), nb);
      if (r < 0) {
        av_frame_free(&o);
        return f.set(r, "av_audio_fifo_read", "");
      }
      Stamp(o);
      out.push_back(o);
    }
  }

  // Output timestamps count samples, so they stay exact across resampling.
  void Stamp(AVFrame* o) {
    o->pts = nextPts_;
    o->time_base = AVRational{1, rate_};
    FF_FRAME_DURATION(o) = o->nb_samples;
    nextPts_ += o->nb_samples;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    RequestClose();
    return info.Env().Undefined();
  }
  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), closing_); }

  int rate_;
  AVSampleFormat fmt_;
  AVChannelLayout layout_{};
  int frameSize_;
  SwrContext* swr_ = nullptr;
  AVAudioFifo* fifo_ = nullptr;
  AVChannelLayout inLayout_{};
  int inRate_ = 0;
  AVSampleFormat inFmt_ = AV_SAMPLE_FMT_NONE;
  int64_t nextPts_ = AV_NOPTS_VALUE;
};

void InitResampler(Napi::Env env, Napi::Object exports) { Resampler::Init(env, exports); }

}  // namespace ffnode
