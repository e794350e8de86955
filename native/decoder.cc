// Decoder: demux + decode of one input (file, URL, lavfi graph, or bytes
// pushed from a Node stream). Every call runs on the decoder's own strand
// thread: reads may block on the network, and the libuv pool must stay free.
#include "codec_params.h"
#include "frame.h"
#include "input.h"
#include "input_buffer.h"
#include "objects.h"
#include "packet.h"
#include "strand.h"

#include <atomic>
#include <cmath>
#include <memory>

namespace ffnode {

class Decoder : public Napi::ObjectWrap<Decoder> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("Decoder", DefineClass(env, "Decoder",
                                       {InstanceMethod<&Decoder::Open>("open"),
                                        InstanceMethod<&Decoder::ReadPacket>("readPacket"),
                                        InstanceMethod<&Decoder::DecodePacket>("decodePacket"),
                                        InstanceMethod<&Decoder::FlushStream>("flushStream"),
                                        InstanceMethod<&Decoder::Read>("read"),
                                        InstanceMethod<&Decoder::Seek>("seek"),
                                        InstanceMethod<&Decoder::PushInput>("pushInput"),
                                        InstanceMethod<&Decoder::EndInput>("endInput"),
                                        InstanceMethod<&Decoder::InputDrained>("inputDrained"),
                                        InstanceMethod<&Decoder::Interrupt>("interrupt"),
                                        InstanceMethod<&Decoder::Close>("close"),
                                        InstanceAccessor<&Decoder::Closed>("closed"),
                                        InstanceAccessor<&Decoder::DecodeErrors>("decodeErrors"),
                                        InstanceMethod<&Decoder::StreamDecodeErrors>("streamDecodeErrors")}));
  }

  explicit Decoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Decoder>(info), strand_(info.Env()) {
    pkt_ = av_packet_alloc();
    life_.opened();
    // Environment teardown: a blocked open/read (network, custom I/O waiting
    // for bytes JS will never push) must return so the strand can be joined.
    strand_.OnTeardown([this] {
      interrupted_ = true;
      input_.Wake();
    });
  }

  ~Decoder() override {
    interrupted_ = true;
    input_.Wake();
    strand_.Stop();
    bool leaked = !closing_;
    FreeAll();
    av_packet_free(&pkt_);
    life_.released(leaked);
  }

 private:
  // ---- libav callbacks (strand thread) ---------------------------------------
  static bool StoppedFn(const void* owner) { return static_cast<const Decoder*>(owner)->interrupted_; }

  static int ReadCb(void* opaque, uint8_t* buf, int size) {
    auto* d = static_cast<Decoder*>(opaque);
    bool crossedLow = false;
    bool waited = false;
    int n = d->input_.Read(
        buf, size,
        [d, &waited]() -> int {
          if (!waited) d->session_.ArmNow();  // timeoutMs counts only this wait for bytes
          waited = true;
          return InputSession::InterruptCb(&d->session_) ? AVERROR_EXIT : 0;
        },
        &crossedLow);
    if (waited && !d->session_.TimedOut()) d->session_.Disarm();
    if (crossedLow) d->strand_.Post([d](Napi::Env env) { d->ResolveDrainWaiters(env); });
    return n;
  }

  void Arm() { session_.Arm(); }

  // Failure from a blocking call. libav often reports an interrupted or
  // timed-out read as EOF or EIO; the flags say what really happened. A
  // refused nested open (a playlist naming a forbidden URL) comes first.
  void Fail(Failure& f, int r, const char* op) {
    if (session_.TakeRefusal(f, op)) return;
    bool timedOut = session_.TimedOut();
    if (interrupted_) r = AVERROR_EXIT;
    else if (timedOut) r = AVERROR(ETIMEDOUT);
    f.set(r, op, url_);
    if (r == AVERROR_EXIT && interrupted_) f.message = std::string(op) + " (" + url_ + "): interrupted by close() or interrupt()";
    if (r == AVERROR(ETIMEDOUT) && timedOut) f.message = std::string(op) + " (" + url_ + "): no data for " + std::to_string(session_.TimeoutUs() / 1000) + " ms";
  }

  // True (and `f` set) when a blocking call ended because of close/timeout,
  // or a nested open was refused on the way (hls skips a failed segment).
  bool Cut(Failure& f, const char* op) {
    if (session_.TakeRefusal(f, op)) return true;
    if (!interrupted_ && !session_.TimedOut()) return false;
    Fail(f, AVERROR_EXIT, op);
    return true;
  }

  void FreeAll() {
    for (auto*& c : dec_) avcodec_free_context(&c);
    dec_.clear();
    flushed_.clear();
    if (fmt_) avformat_close_input(&fmt_);
    if (avio_) {
      av_freep(&avio_->buffer);
      avio_context_free(&avio_);
    }
  }

  void Check(Napi::Env env, const char* what, bool needOpen = true) {
    if (closing_) throw closedError(env, what);
    if (needOpen && !opened_) {
      Failure f;
      f.setMessage("EINVAL", what, "decoder is not open: call open() first");
      throw makeError(env, f);
    }
  }

  // ---- open -------------------------------------------------------------------
  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Check(env, "Decoder.open", false);
    if (opened_ || opening_) throw Napi::Error::New(env, "Decoder.open: already opened");
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "Decoder.open: expected a URL or path string");
    url_ = info[0].As<Napi::String>().Utf8Value();
    InputRequest req;
    AVDictionary* opts = nullptr;
    bool decode = true;
    int threads = 0;
    double oneThreadUpTo = 0;
    double timeoutMs = isNetworkUrl(url_) ? 15000 : 0;
    if (info.Length() > 1 && info[1].IsObject()) {
      Napi::Object o = info[1].As<Napi::Object>();
      req.format = getString(o, "format", "");
      req.allowPlaylists = getBool(o, "allowPlaylists", false);
      toDict(env, o.Get("options"), &opts);
      decode = getBool(o, "decode", true);
      int64_t t = getInt(o, "threads", 0);
      if (t < 0 || t > 64) throw Napi::RangeError::New(env, "Decoder.open: threads must be 0..64");
      threads = static_cast<int>(t);
      oneThreadUpTo = getNumber(o, "oneThreadUpTo", 0);
      if (!(oneThreadUpTo >= 0)) throw Napi::RangeError::New(env, "Decoder.open: oneThreadUpTo must be a pixel rate >= 0");
      timeoutMs = getNumber(o, "timeoutMs", timeoutMs);
      if (timeoutMs < 0) throw Napi::RangeError::New(env, "Decoder.open: timeoutMs must be >= 0");
      customIO_ = getBool(o, "customIO", false);
    }
    if (customIO_ && url_.empty()) url_ = "stream input";
    if (customIO_ && timeoutMs == 0 && info.Length() > 1 && info[1].As<Napi::Object>().Get("timeoutMs").IsUndefined()) timeoutMs = 30000;
    timeoutMs = std::min(timeoutMs, 7 * 24 * 3600 * 1000.0);  // a week: no overflow in the deadline
    // openTimeoutMs: the open (avformat_open_input + find_stream_info) alone, e.g.
    // 0 for a listener that may wait forever for its publisher; reads keep timeoutMs.
    double openTimeoutMs = timeoutMs;
    if (info.Length() > 1 && info[1].IsObject()) openTimeoutMs = getNumber(info[1].As<Napi::Object>(), "openTimeoutMs", timeoutMs);
    if (!(openTimeoutMs >= 0)) throw Napi::RangeError::New(env, "Decoder.open: openTimeoutMs must be >= 0");
    openTimeoutMs = std::min(openTimeoutMs, 7 * 24 * 3600 * 1000.0);
    readTimeoutUs_ = static_cast<int64_t>(timeoutMs * 1000);
    session_.SetTimeoutUs(static_cast<int64_t>(openTimeoutMs * 1000));
    session_.SetWaitOnly(customIO_);
    req.url = url_;
    req.customIO = customIO_;
    {
      Failure f;
      if (!session_.Prepare(req, &opts, "Decoder.open", f)) {
        av_dict_free(&opts);
        throw makeError(env, f);
      }
    }
    opening_ = true;
    return strand_.Run(
        env, Value(),
        [this, opts, decode, threads, oneThreadUpTo](Failure& f) mutable {
          DoOpen(&opts, decode, threads, oneThreadUpTo, f);
          av_dict_free(&opts);
        },
        [this](Napi::Env env) -> Napi::Value {
          opening_ = false;
          // close() may have freed everything after open finished on the strand.
          if (closing_ || !fmt_) throw closedError(env, "Decoder.open");
          opened_ = true;
          return InfoToJs(env);
        },
        [this] { opening_ = false; });
  }

  void DoOpen(AVDictionary** opts, bool decode, int threads, double oneThreadUpTo, Failure& f) {
    std::lock_guard<std::mutex> lk(life_.mu);
    fmt_ = avformat_alloc_context();
    if (!fmt_) return f.set(AVERROR(ENOMEM), "avformat_alloc_context", url_);
    if (customIO_) {
      const int size = 64 * 1024;
      uint8_t* buf = static_cast<uint8_t*>(av_malloc(size));
      avio_ = buf ? avio_alloc_context(buf, size, 0, this, &Decoder::ReadCb, nullptr, nullptr) : nullptr;
      if (!avio_) {
        av_free(buf);
        return f.set(AVERROR(ENOMEM), "avio_alloc_context", url_);
      }
      fmt_->pb = avio_;
      fmt_->flags |= AVFMT_FLAG_CUSTOM_IO;
    }
    int r = session_.Open(&fmt_, opts, f, "avformat_open_input");  // frees fmt_ on failure
    if (f.failed) return;
    if (r < 0) return Fail(f, r, "avformat_open_input");
    if (Cut(f, "avformat_open_input")) return;
    Arm();
    r = avformat_find_stream_info(fmt_, nullptr);
    if (r < 0) return Fail(f, r, "avformat_find_stream_info");
    if (Cut(f, "avformat_find_stream_info")) return;
    session_.Disarm();
    session_.SetTimeoutUs(readTimeoutUs_);  // open done: every read from now on has timeoutMs
    dec_.assign(fmt_->nb_streams, nullptr);
    flushed_.assign(fmt_->nb_streams, false);
    // Sized once, read from JS only after open resolved, kept until destruction.
    streamErrors_.reset(new std::atomic<int64_t>[fmt_->nb_streams]());
    nStreamErrors_ = fmt_->nb_streams;
    if (!decode) return;
    for (unsigned i = 0; i < fmt_->nb_streams; i++) {
      AVStream* st = fmt_->streams[i];
      AVMediaType t = st->codecpar->codec_type;
      if (t != AVMEDIA_TYPE_VIDEO && t != AVMEDIA_TYPE_AUDIO) continue;
      const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
      if (!codec) continue;  // reported as decodable: false
      AVCodecContext* c = avcodec_alloc_context3(codec);
      if (!c) return f.set(AVERROR(ENOMEM), "avcodec_alloc_context3", url_);
      avcodec_parameters_to_context(c, st->codecpar);
      c->pkt_timebase = st->time_base;
      c->thread_count = threads;
      if (t == AVMEDIA_TYPE_VIDEO) {
        c->framerate = av_guess_frame_rate(fmt_, st, nullptr);
        // Frame threads cost CPU and frames in flight; a light stream doesn't need them.
        double fps = c->framerate.num > 0 && c->framerate.den > 0 ? av_q2d(c->framerate) : 30.0;
        if (oneThreadUpTo > 0 && static_cast<double>(c->width) * c->height * fps <= oneThreadUpTo) c->thread_count = 1;
      }
      r = avcodec_open2(c, codec, nullptr);
      if (r < 0) {
        avcodec_free_context(&c);
        return f.set(r, "avcodec_open2", std::string(codec->name) + " for stream " + std::to_string(i) + " of " + url_);
      }
      dec_[i] = c;
    }
  }

  Napi::Object InfoToJs(Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("format", fmt_->iformat ? fmt_->iformat->name : "");
    o.Set("duration", fmt_->duration > 0 ? Napi::Value(Napi::Number::New(env, fmt_->duration / double(AV_TIME_BASE))) : env.Null());
    o.Set("bitRate", static_cast<double>(fmt_->bit_rate));
    o.Set("startTime", fmt_->start_time != AV_NOPTS_VALUE ? Napi::Value(Napi::Number::New(env, fmt_->start_time / double(AV_TIME_BASE))) : env.Null());
    Napi::Array streams = Napi::Array::New(env, fmt_->nb_streams);
    for (unsigned i = 0; i < fmt_->nb_streams; i++) {
      AVStream* st = fmt_->streams[i];
      Napi::Object s = codecParamsToJs(env, st->codecpar);
      s.Set("index", i);
      s.Set("timeBase", rationalToJs(env, st->time_base));
      AVRational fr = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
      s.Set("frameRate", st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && fr.num > 0 ? Napi::Value(rationalToJs(env, fr)) : env.Null());
      s.Set("duration", st->duration != AV_NOPTS_VALUE ? Napi::Value(Napi::Number::New(env, st->duration * av_q2d(st->time_base))) : env.Null());
      s.Set("startTime", st->start_time != AV_NOPTS_VALUE ? Napi::Value(Napi::Number::New(env, st->start_time * av_q2d(st->time_base))) : env.Null());
      s.Set("nbFrames", static_cast<double>(st->nb_frames));
      s.Set("decodable", dec_[i] != nullptr);
      streams.Set(i, s);
    }
    o.Set("streams", streams);
    return o;
  }

  // ---- reading / decoding (strand thread) --------------------------------------
  // Errors that end decoding: out of memory, or close()/interrupt(). Anything
  // else (INVALIDDATA, ENOSYS, EINVAL from a broken bitstream, ...) costs one
  // packet or frame, which is skipped and counted, as the ffmpeg CLI does.
  bool Fatal(int r) const { return r == AVERROR(ENOMEM) || r == AVERROR_EXIT || interrupted_; }

  // Sends one packet (nullptr = flush) to stream `si`'s decoder and collects
  // every frame it yields. Packets the decoder rejects are skipped (counted in
  // decodeErrors), as players do.
  void DecodeInto(int si, AVPacket* pkt, std::vector<AVFrame*>& out, Failure& f) {
    AVCodecContext* c = dec_[si];
    int r = avcodec_send_packet(c, pkt);
    if (r == AVERROR(EAGAIN)) {  // cannot happen when always drained; handle anyway
      Receive(si, out, f);
      if (f.failed) return;
      r = avcodec_send_packet(c, pkt);
    }
    if (r < 0 && r != AVERROR_EOF) {
      if (Fatal(r)) return f.set(r, "avcodec_send_packet", url_ + " stream " + std::to_string(si));
      CountError(si);  // this packet is lost; the stream goes on, as in the ffmpeg CLI
      return;
    }
    Receive(si, out, f);
  }

  void Receive(int si, std::vector<AVFrame*>& out, Failure& f) {
    AVCodecContext* c = dec_[si];
    AVStream* st = fmt_->streams[si];
    // A frame-threaded decoder may hold more frames after one fails (most of
    // all while flushing): keep receiving, but a decoder that only reports
    // errors is left after a bounded number.
    int errors = 0;
    for (;;) {
      AVFrame* fr = av_frame_alloc();
      if (!fr) return f.set(AVERROR(ENOMEM), "av_frame_alloc", url_);
      int r = avcodec_receive_frame(c, fr);
      if (r < 0) {
        av_frame_free(&fr);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
        if (!Fatal(r)) {
          CountError(si);
          if (++errors < 64) continue;
          return;
        }
        return f.set(r, "avcodec_receive_frame", url_ + " stream " + std::to_string(si));
      }
      fr->pts = fr->best_effort_timestamp;
      fr->time_base = st->time_base;
      out.push_back(fr);
    }
  }

  int ReadRaw(Failure& f) {
    Arm();
    int r = readFrame(fmt_, pkt_, session_);
    // After close()/interrupt() nothing more is delivered, even a packet the
    // demuxer flushed out of its buffers on the way out; nor after a refused
    // nested open (hls would skip that segment and go on).
    if (session_.TakeRefusal(f, "av_read_frame")) {
      av_packet_unref(pkt_);
      session_.Disarm();
      return AVERROR(EPERM);
    }
    if ((r < 0 || interrupted_) && Cut(f, "av_read_frame")) {
      av_packet_unref(pkt_);
      session_.Disarm();
      return AVERROR_EXIT;
    }
    session_.Disarm();
    if (r < 0 && r != AVERROR_EOF) {
      // A truncated file ends like a short one; anything else is an error.
      if (!customIO_ && !isNetworkUrl(url_) && r == AVERROR(EIO) && avio_feof(fmt_->pb)) return AVERROR_EOF;
      Fail(f, r, "av_read_frame");
    }
    if (r >= 0) pkt_->time_base = fmt_->streams[pkt_->stream_index]->time_base;
    return r;
  }

  Napi::Value ReadPacket(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Check(env, "Decoder.readPacket");
    auto out = std::make_shared<AVPacket*>(nullptr);
    return strand_.Run(
        env, Value(),
        [this, out](Failure& f) {
          std::lock_guard<std::mutex> lk(life_.mu);
          if (!fmt_) return f.setMessage("ECLOSED", "Decoder.readPacket", "decoder is closed");
          int r = ReadRaw(f);
          if (r < 0) return;
          *out = av_packet_alloc();
          av_packet_move_ref(*out, pkt_);
        },
        [out](Napi::Env env) -> Napi::Value { return *out ? Napi::Value(Packet::Wrap(env, *out)) : env.Null(); });
  }

  static Napi::Value FramesToJs(Napi::Env env, std::vector<AVFrame*>& v) { return framesToJs(env, v); }

  static void FreeFrames(std::vector<AVFrame*>& v) {
    for (AVFrame* fr : v) av_frame_free(&fr);
    v.clear();
  }

  Napi::Value DecodePacket(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Check(env, "Decoder.decodePacket");
    AVPacket* p = Packet::RefFrom(env, info.Length() ? info[0] : env.Undefined(), "Decoder.decodePacket");
    int si = p->stream_index;
    if (si < 0 || si >= static_cast<int>(dec_.size()) || !dec_[si]) {
      av_packet_free(&p);
      throw Napi::RangeError::New(env, "Decoder.decodePacket: packet.streamIndex " + std::to_string(si) + " is not a decodable stream");
    }
    auto out = std::make_shared<std::vector<AVFrame*>>();
    return strand_.Run(
        env, Value(),
        [this, p, si, out](Failure& f) mutable {
          std::lock_guard<std::mutex> lk(life_.mu);
          if (fmt_) {
            if (p->time_base.num > 0) av_packet_rescale_ts(p, p->time_base, fmt_->streams[si]->time_base);
            DecodeInto(si, p, *out, f);
          } else {
            f.setMessage("ECLOSED", "Decoder.decodePacket", "decoder is closed");
          }
          av_packet_free(&p);
          if (f.failed) FreeFrames(*out);
        },
        [out](Napi::Env env) { return FramesToJs(env, *out); });
  }

  Napi::Value FlushStream(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Check(env, "Decoder.flushStream");
    int si = info.Length() && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : -1;
    if (si < 0 || si >= static_cast<int>(dec_.size()) || !dec_[si])
      throw Napi::RangeError::New(env, "Decoder.flushStream: not a decodable stream index");
    auto out = std::make_shared<std::vector<AVFrame*>>();
    return strand_.Run(
        env, Value(),
        [this, si, out](Failure& f) {
          std::lock_guard<std::mutex> lk(life_.mu);
          if (!fmt_) return f.setMessage("ECLOSED", "Decoder.flushStream", "decoder is closed");
          DecodeInto(si, nullptr, *out, f);
          if (!f.failed) FlushAndReset(si);
          if (f.failed) FreeFrames(*out);
        },
        [out](Napi::Env env) { return FramesToJs(env, *out); });
  }

  // After a flush a decoder must be reset before it accepts packets again.
  void FlushAndReset(int si) { avcodec_flush_buffers(dec_[si]); }

  // read(): the efficient loop, one Promise per packet that yields frames.
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Check(env, "Decoder.read");
    auto out = std::make_shared<std::vector<AVFrame*>>();
    auto stream = std::make_shared<int>(-1);
    return strand_.Run(
        env, Value(),
        [this, out, stream](Failure& f) {
          std::lock_guard<std::mutex> lk(life_.mu);
          if (!fmt_) return f.setMessage("ECLOSED", "Decoder.read", "decoder is closed");
          DoRead(*out, *stream, f);
          if (f.failed) FreeFrames(*out);
        },
        [out, stream](Napi::Env env) -> Napi::Value {
          if (*stream < 0) return env.Null();
          Napi::Object o = Napi::Object::New(env);
          o.Set("streamIndex", *stream);
          o.Set("frames", FramesToJs(env, *out));
          return o;
        });
  }

  void DoRead(std::vector<AVFrame*>& out, int& stream, Failure& f) {
    while (!eof_) {
      int r = ReadRaw(f);
      if (r == AVERROR_EOF) {
        eof_ = true;
        break;
      }
      if (r < 0) {
        if (interrupted_) return;
        // A live peer that hangs up or stalls ends the input with an error:
        // deliver what the decoders still hold first, then report it.
        pending_ = f;
        f = Failure();
        eof_ = true;
        break;
      }
      int si = pkt_->stream_index;
      if (si < static_cast<int>(dec_.size()) && dec_[si]) DecodeInto(si, pkt_, out, f);
      av_packet_unref(pkt_);
      if (f.failed) return;
      if (!out.empty()) {
        stream = si;
        return;
      }
    }
    // End of input: drain each decoder in turn so no tail frame is lost.
    for (size_t si = 0; si < dec_.size(); si++) {
      if (!dec_[si] || flushed_[si]) continue;
      DecodeInto(static_cast<int>(si), nullptr, out, f);
      flushed_[si] = true;
      if (f.failed) return;
      if (!out.empty()) {
        stream = static_cast<int>(si);
        return;
      }
    }
    if (pending_.failed) {
      f = pending_;
      pending_ = Failure();
    }
  }

  Napi::Value Seek(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Check(env, "Decoder.seek");
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "Decoder.seek: expected seconds");
    double secs = info[0].As<Napi::Number>().DoubleValue();
    if (!(secs >= 0) || !std::isfinite(secs) || secs > 1e9) throw Napi::RangeError::New(env, "Decoder.seek: seconds must be a finite number >= 0");
    int si = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : -1;
    if (si >= static_cast<int>(dec_.size())) throw Napi::RangeError::New(env, "Decoder.seek: no such stream");
    return strand_.Run(
        env, Value(),
        [this, secs, si](Failure& f) {
          std::lock_guard<std::mutex> lk(life_.mu);
          if (!fmt_) return f.setMessage("ECLOSED", "Decoder.seek", "decoder is closed");
          int64_t ts = si >= 0 ? static_cast<int64_t>(secs / av_q2d(fmt_->streams[si]->time_base)) : static_cast<int64_t>(secs * AV_TIME_BASE);
          Arm();
          int r = av_seek_frame(fmt_, si, ts, AVSEEK_FLAG_BACKWARD);
          session_.Disarm();
          if (r < 0) return Fail(f, r, "av_seek_frame");
          for (size_t i = 0; i < dec_.size(); i++) {
            if (dec_[i]) avcodec_flush_buffers(dec_[i]);
            flushed_[i] = false;
          }
          eof_ = false;
          pending_ = Failure();
        },
        nullptr);
  }

  // ---- custom I/O (JS thread) ----------------------------------------------------
  Napi::Value PushInput(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) throw closedError(env, "Decoder.pushInput");
    if (!customIO_) throw Napi::Error::New(env, "Decoder.pushInput: decoder was not opened with customIO");
    if (info.Length() < 1 || !info[0].IsBuffer()) throw Napi::TypeError::New(env, "Decoder.pushInput: expected a Buffer");
    auto b = info[0].As<Napi::Buffer<uint8_t>>();
    return Napi::Boolean::New(env, input_.Push(b.Data(), b.Length()));
  }

  Napi::Value EndInput(const Napi::CallbackInfo& info) {
    input_.End();
    ResolveDrainWaiters(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value InputDrained(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto d = Napi::Promise::Deferred::New(env);
    if (closing_ || !input_.Full()) {
      d.Resolve(env.Undefined());
    } else {
      drainWaiters_.push_back(d);
      strand_.Hold(env);
    }
    return d.Promise();
  }

  void ResolveDrainWaiters(Napi::Env env) {
    for (auto& d : drainWaiters_) {
      d.Resolve(env.Undefined());
      strand_.Unhold(env);
    }
    drainWaiters_.clear();
  }

  // ---- lifecycle -------------------------------------------------------------------
  Napi::Value Interrupt(const Napi::CallbackInfo& info) {
    interrupted_ = true;
    input_.Wake();
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) return resolvedPromise(env);
    closing_ = true;
    interrupted_ = true;  // a blocked open/read returns now
    input_.End();
    ResolveDrainWaiters(env);
    return strand_.Run(
        env, Value(),
        [this](Failure&) {
          std::lock_guard<std::mutex> lk(life_.mu);
          FreeAll();
        },
        [this](Napi::Env env) -> Napi::Value {
          strand_.Shutdown();
          life_.released(false);
          return env.Undefined();
        });
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), closing_); }
  // Packets or frames the decoders rejected and that were skipped.
  Napi::Value DecodeErrors(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(decodeErrors_.load())); }
  // The same, for one stream: a caller can tell a dead audio track from a few bad video packets.
  Napi::Value StreamDecodeErrors(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "Decoder.streamDecodeErrors: expected a stream index");
    int64_t si = info[0].As<Napi::Number>().Int64Value();
    if (!opened_ || si < 0 || static_cast<uint64_t>(si) >= nStreamErrors_) return Napi::Number::New(env, 0);
    return Napi::Number::New(env, static_cast<double>(streamErrors_[si].load()));
  }
  void CountError(int si) {
    decodeErrors_++;
    if (si >= 0 && static_cast<unsigned>(si) < nStreamErrors_) streamErrors_[si]++;
  }

  Strand strand_;
  Lifetime life_;
  InputBuffer input_;
  std::vector<Napi::Promise::Deferred> drainWaiters_;
  std::string url_;
  AVFormatContext* fmt_ = nullptr;
  AVIOContext* avio_ = nullptr;
  AVPacket* pkt_ = nullptr;
  std::vector<AVCodecContext*> dec_;
  std::vector<bool> flushed_;
  std::atomic<bool> interrupted_{false};
  InputSession session_{&Decoder::StoppedFn, this};  // interrupt, deadline, whitelists, TLS
  std::atomic<int64_t> decodeErrors_{0};  // packets/frames skipped after a decode error
  std::unique_ptr<std::atomic<int64_t>[]> streamErrors_;  // the same, per stream
  unsigned nStreamErrors_ = 0;
  Failure pending_;  // a read error held back until the decoders are drained
  bool customIO_ = false;
  int64_t readTimeoutUs_ = 0;  // timeoutMs, in force once the open is done (openTimeoutMs before)
  bool opening_ = false;
  bool opened_ = false;
  bool closing_ = false;
  bool eof_ = false;
};

void InitDecoder(Napi::Env env, Napi::Object exports) { Decoder::Init(env, exports); }

}  // namespace ffnode
