// Remuxer: input → output stream copy on the object's Strand thread.
// Every libav context of one run lives in a RemuxJob freed on that thread, so
// any failure (or an interrupt) releases everything that run allocated.
#include "remuxer.h"

#include "input.h"
#include "input_policy.h"
#include "objects.h"
#include "strand.h"

extern "C" {
#include <libavcodec/bsf.h>
}

#include <cstring>

namespace ffnode {
namespace {

bool oneOf(const char* name, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (!strcmp(name, n)) return true;
  return false;
}

// Annex B extradata starts with a start code; avcC/hvcC does not.
bool annexB(const AVCodecParameters* p) {
  const uint8_t* d = p->extradata;
  int n = p->extradata_size;
  return n >= 3 && d[0] == 0 && d[1] == 0 && (d[2] == 1 || (n >= 4 && d[2] == 0 && d[3] == 1));
}

// The bitstream filter a stream needs on its way into muxer `of`, or null.
// Length-prefixed H.264/HEVC must become Annex B for TS/raw; ADTS AAC (no
// AudioSpecificConfig in extradata) must lose its headers for ISO/FLV/MKV.
// Annex B H.264/HEVC into ISO/FLV/MKV is converted by those muxers themselves
// (they build avcC/hvcC from the Annex B extradata or first keyframe).
const char* pickBsf(const AVCodecParameters* p, const AVOutputFormat* of) {
  bool wantsAnnexB = oneOf(of->name, {"mpegts", "h264", "hevc"});
  bool wantsAsc = oneOf(of->name, {"mp4", "mov", "ipod", "ismv", "3gp", "3g2", "psp", "f4v", "flv", "matroska", "webm"});
  bool lengthPrefixed = p->extradata_size > 0 && !annexB(p);
  if (wantsAnnexB && lengthPrefixed && p->codec_id == AV_CODEC_ID_H264) return "h264_mp4toannexb";
  if (wantsAnnexB && lengthPrefixed && p->codec_id == AV_CODEC_ID_HEVC) return "hevc_mp4toannexb";
  if (wantsAsc && p->codec_id == AV_CODEC_ID_AAC && p->extradata_size == 0) return "aac_adtstoasc";
  return nullptr;
}

// All state of one run(); freed on the strand thread when the run ends.
struct RemuxJob {
  struct Out {
    int in = -1;
    AVStream* st = nullptr;
    AVBSFContext* bsf = nullptr;
    const char* bsfName = nullptr;
    AVRational tb{0, 1};  // time base of packets reaching Write (bsf output or input stream)
    int64_t lastDts = AV_NOPTS_VALUE;
    int64_t nextDts = 0;     // predicted, in `tb`: for raw streams without timestamps
    int64_t offset = 0;      // input start time in `tb`, subtracted unless copyTs
    int64_t frameDur = 0;    // nominal packet duration in `tb` (0 = unknown)
    int64_t packets = 0;
  };
  std::string input, output, inFormat, outFormat;
  AVDictionary* inOpts = nullptr;
  AVDictionary* muxOpts = nullptr;
  bool copyTs = false;  // keep input timestamps (default: output starts at 0, like the ffmpeg CLI)
  bool allowPlaylists = false;
  std::vector<int> want;
  const std::atomic<uint64_t>* gen = nullptr;  // owner's interrupt generation
  uint64_t myGen = 0;
  // The input's interrupt/deadline, whitelists and TLS; the output shares its deadline.
  InputSession session{&RemuxJob::StoppedFn, this};

  AVFormatContext* ic = nullptr;
  AVFormatContext* oc = nullptr;
  AVPacket* pkt = nullptr;
  AVPacket* out = nullptr;
  std::vector<Out> outs;
  std::vector<int> map;  // input stream index → index in outs, or -1
  int64_t bytes = 0, fixedTs = 0, badPackets = 0;

  ~RemuxJob() {
    Free();
    av_dict_free(&inOpts);
    av_dict_free(&muxOpts);
  }
  void Free() {
    for (Out& o : outs) av_bsf_free(&o.bsf);
    av_packet_free(&pkt);
    av_packet_free(&out);
    avformat_close_input(&ic);
    if (oc) {
      if (oc->pb && !(oc->oformat->flags & AVFMT_NOFILE)) avio_closep(&oc->pb);
      avformat_free_context(oc);  // runs the muxer's deinit when no trailer was written
      oc = nullptr;
    }
  }
  bool interrupted() const { return gen->load() != myGen; }
  static bool StoppedFn(const void* owner) { return static_cast<const RemuxJob*>(owner)->interrupted(); }
  void Arm() { session.Arm(); }
  // A failure of a blocking call, telling an interrupt from a timeout; a
  // refused nested open (a playlist naming a forbidden URL) comes first.
  void Fail(Failure& f, int r, const char* op, const std::string& subject) {
    if (session.TakeRefusal(f, op)) return;
    if (r == AVERROR_EXIT && !interrupted() && session.Armed()) r = AVERROR(ETIMEDOUT);
    f.set(r, op, subject);
    if (r == AVERROR_EXIT && interrupted()) f.message = std::string(op) + " (" + subject + "): interrupted by close() or interrupt()";
    if (r == AVERROR(ETIMEDOUT)) f.message = std::string(op) + " (" + subject + "): no progress for " + std::to_string(session.TimeoutUs() / 1000) + " ms";
  }

  void Run(Failure& f);
  bool OpenInput(Failure& f);
  bool OpenOutput(Failure& f);
  bool Send(Out& o, AVPacket* p, Failure& f);
  bool Write(Out& o, AVPacket* p, Failure& f);
};

bool RemuxJob::OpenInput(Failure& f) {
  InputRequest req;
  req.url = input;
  req.format = inFormat;
  req.allowPlaylists = allowPlaylists;
  if (!session.Prepare(req, &inOpts, "avformat_open_input", f)) return false;
  if (!(ic = avformat_alloc_context())) return f.set(AVERROR(ENOMEM), "avformat_alloc_context", input), false;
  int r = session.Open(&ic, &inOpts, f, "avformat_open_input");  // ic freed and nulled on failure
  if (f.failed) return false;
  if (r < 0) return Fail(f, r, "avformat_open_input", input), false;
  Arm();
  r = avformat_find_stream_info(ic, nullptr);
  if (session.TakeRefusal(f, "avformat_find_stream_info")) return false;
  if (r < 0) return Fail(f, r, "avformat_find_stream_info", input), false;
  map.assign(ic->nb_streams, -1);
  if (want.empty()) {
    for (unsigned i = 0; i < ic->nb_streams; i++) {
      AVStream* st = ic->streams[i];
      AVMediaType t = st->codecpar->codec_type;
      // Cover art is a video stream of one picture: not what a remux copies by default.
      if ((t == AVMEDIA_TYPE_VIDEO || t == AVMEDIA_TYPE_AUDIO) && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) want.push_back(i);
    }
    if (want.empty()) return f.set(AVERROR_STREAM_NOT_FOUND, "Remuxer.run", input + ": no audio or video stream"), false;
  }
  for (int i : want) {
    if (i >= static_cast<int>(ic->nb_streams))
      return f.set(AVERROR_STREAM_NOT_FOUND, "Remuxer.run", input + ": no stream " + std::to_string(i)), false;
    if (map[i] >= 0) continue;  // listed twice
    map[i] = static_cast<int>(outs.size());
    Out o;
    o.in = i;
    outs.push_back(o);
  }
  return true;
}

bool RemuxJob::OpenOutput(Failure& f) {
  const AVOutputFormat* of = outFormat.empty() ? av_guess_format(nullptr, output.c_str(), nullptr)
                                               : av_guess_format(outFormat.c_str(), nullptr, nullptr);
  if (!of) {
    f.set(AVERROR_MUXER_NOT_FOUND, "av_guess_format", outFormat.empty() ? "no muxer for the extension of " + output : "'" + outFormat + "' for " + output);
    return false;
  }
  int r = avformat_alloc_output_context2(&oc, of, nullptr, output.c_str());
  if (r < 0) return f.set(r, "avformat_alloc_output_context2", output), false;
  oc->interrupt_callback = {&InputSession::InterruptCb, &session};
  av_dict_copy(&oc->metadata, ic->metadata, 0);
  for (Out& o : outs) {
    AVStream* is = ic->streams[o.in];
    const AVCodecParameters* par = is->codecpar;
    o.tb = is->time_base;
    if ((o.bsfName = pickBsf(par, of))) {
      const AVBitStreamFilter* bf = av_bsf_get_by_name(o.bsfName);
      if (!bf) return f.set(AVERROR_BSF_NOT_FOUND, "av_bsf_get_by_name", o.bsfName), false;
      if ((r = av_bsf_alloc(bf, &o.bsf)) < 0) return f.set(r, "av_bsf_alloc", o.bsfName), false;
      avcodec_parameters_copy(o.bsf->par_in, par);
      o.bsf->time_base_in = is->time_base;
      if ((r = av_bsf_init(o.bsf)) < 0) return f.set(r, "av_bsf_init", std::string(o.bsfName) + " for stream " + std::to_string(o.in) + " of " + input), false;
      par = o.bsf->par_out;  // what the muxer really receives
      o.tb = o.bsf->time_base_out;
    }
    if (!(o.st = avformat_new_stream(oc, nullptr))) return f.set(AVERROR(ENOMEM), "avformat_new_stream", output), false;
    if ((r = avcodec_parameters_copy(o.st->codecpar, par)) < 0) return f.set(r, "avcodec_parameters_copy", output), false;
    // Keep the source tag only where the muxer maps it back to the same codec
    // (hvc1 vs hev1 in mp4); otherwise the muxer picks its own.
    unsigned tag = par->codec_tag;
    if (!of->codec_tag || av_codec_get_id(of->codec_tag, tag) != par->codec_id) o.st->codecpar->codec_tag = 0;
    AVRational fr = is->avg_frame_rate.num > 0 ? is->avg_frame_rate : is->r_frame_rate;
    if (par->codec_type == AVMEDIA_TYPE_VIDEO && fr.num > 0 && fr.den > 0) o.frameDur = av_rescale_q(1, av_inv_q(fr), o.tb);
    if (par->codec_type == AVMEDIA_TYPE_AUDIO && par->frame_size > 0 && par->sample_rate > 0)
      o.frameDur = av_rescale_q(par->frame_size, AVRational{1, par->sample_rate}, o.tb);
    if (!copyTs && ic->start_time != AV_NOPTS_VALUE) o.offset = av_rescale_q(ic->start_time, AV_TIME_BASE_Q, o.tb);
    o.st->time_base = o.tb;  // a hint; the muxer may choose another in write_header
    o.st->avg_frame_rate = is->avg_frame_rate;
    o.st->r_frame_rate = is->r_frame_rate;
    o.st->sample_aspect_ratio = is->sample_aspect_ratio;
    o.st->disposition = is->disposition;
    av_dict_copy(&o.st->metadata, is->metadata, 0);
  }
  AVDictionary* ioOpts = nullptr;
  av_dict_copy(&ioOpts, muxOpts, 0);
  // An upload to https/rtmps/tls verifies its peer too, unless the caller
  // explicitly says otherwise (plain protocols ignore the option).
  if (isNetworkUrl(output) && !av_dict_get(ioOpts, "tls_verify", nullptr, 0)) av_dict_set(&ioOpts, "tls_verify", "1", 0);
  if (!(of->flags & AVFMT_NOFILE)) {
    Arm();
    r = avio_open2(&oc->pb, output.c_str(), AVIO_FLAG_WRITE, &oc->interrupt_callback, &ioOpts);
    if (r < 0) {
      av_dict_free(&ioOpts);
      return Fail(f, r, "avio_open2", output), false;
    }
  }
  Arm();
  r = avformat_write_header(oc, &muxOpts);
  // An option neither the protocol nor the muxer took is a caller error.
  std::string unknown;
  const AVDictionaryEntry* e = nullptr;
  while ((e = av_dict_get(muxOpts, "", e, AV_DICT_IGNORE_SUFFIX)))
    if ((of->flags & AVFMT_NOFILE) || av_dict_get(ioOpts, e->key, nullptr, 0)) unknown += (unknown.empty() ? "" : ", ") + std::string(e->key);
  av_dict_free(&ioOpts);
  if (r < 0) return Fail(f, r, "avformat_write_header", output), false;
  if (!unknown.empty()) return f.set(AVERROR_OPTION_NOT_FOUND, "avformat_write_header", output + ": unknown option(s) " + unknown), false;
  return true;
}

// Through the stream's bsf (if any) into the muxer; p == nullptr drains the bsf.
bool RemuxJob::Send(Out& o, AVPacket* p, Failure& f) {
  if (!o.bsf) return Write(o, p, f);
  int r = av_bsf_send_packet(o.bsf, p);
  if (r < 0) {
    if (p) av_packet_unref(p);
    if (r != AVERROR_INVALIDDATA) return f.set(r, "av_bsf_send_packet", std::string(o.bsfName) + " on " + input), false;
    badPackets++;  // one corrupt packet: skip it, as a player would
    return true;
  }
  for (;;) {
    r = av_bsf_receive_packet(o.bsf, out);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return true;
    if (r == AVERROR_INVALIDDATA) {
      badPackets++;
      continue;
    }
    if (r < 0) return f.set(r, "av_bsf_receive_packet", std::string(o.bsfName) + " on " + input), false;
    if (!Write(o, out, f)) return false;
  }
}

bool RemuxJob::Write(Out& o, AVPacket* p, Failure& f) {
  p->stream_index = o.st->index;
  p->pos = -1;
  // Raw elementary streams (.h264, .aac) carry no timestamps: number the
  // packets in decode order at their nominal duration, as ffmpeg does.
  if (p->dts == AV_NOPTS_VALUE && p->pts == AV_NOPTS_VALUE) {
    p->dts = o.nextDts;
    // Without reordering pts == dts; with B-frames it stays unknown (mp4 copes).
    if (o.st->codecpar->video_delay == 0) p->pts = p->dts;
    fixedTs++;
  }
  if (p->dts != AV_NOPTS_VALUE) o.nextDts = p->dts + (p->duration > 0 ? p->duration : o.frameDur);
  if (p->pts != AV_NOPTS_VALUE) p->pts -= o.offset;
  if (p->dts != AV_NOPTS_VALUE) p->dts -= o.offset;
  av_packet_rescale_ts(p, o.tb, o.st->time_base);
  // Muxers reject dts going backwards; nudge it forward like ffmpeg does.
  if (p->dts != AV_NOPTS_VALUE && o.lastDts != AV_NOPTS_VALUE) {
    int64_t min = o.lastDts + ((oc->oformat->flags & AVFMT_TS_NONSTRICT) ? 0 : 1);
    if (p->dts < min) {
      if (p->pts != AV_NOPTS_VALUE && p->pts >= p->dts) p->pts = FFMAX(p->pts, min);
      p->dts = min;
      fixedTs++;
    }
  }
  if (p->pts != AV_NOPTS_VALUE && p->dts != AV_NOPTS_VALUE && p->pts < p->dts) {
    p->pts = p->dts;
    fixedTs++;
  }
  if (p->dts != AV_NOPTS_VALUE) o.lastDts = p->dts;
  Arm();
  int r = av_interleaved_write_frame(oc, p);  // takes the reference, even on failure
  if (r < 0) return Fail(f, r, "av_interleaved_write_frame", output), false;
  o.packets++;
  return true;
}

void RemuxJob::Run(Failure& f) {
  if (!(pkt = av_packet_alloc()) || !(out = av_packet_alloc())) return f.set(AVERROR(ENOMEM), "av_packet_alloc", input);
  if (!OpenInput(f) || !OpenOutput(f)) return;
  bool local = !isNetworkUrl(input);
  for (;;) {
    if (interrupted()) return Fail(f, AVERROR_EXIT, "av_read_frame", input);
    Arm();
    int r = readFrame(ic, pkt, session);
    if (session.TakeRefusal(f, "av_read_frame")) return av_packet_unref(pkt);  // hls would skip the segment
    if (r == AVERROR_EOF) break;
    if (r < 0) {
      // A truncated file ends like a short one: keep what was copied.
      if (local && !interrupted() && ic->pb && avio_feof(ic->pb)) break;
      return Fail(f, r, "av_read_frame", input);
    }
    int oi = pkt->stream_index < static_cast<int>(map.size()) ? map[pkt->stream_index] : -1;
    if (oi < 0) {
      av_packet_unref(pkt);
      continue;
    }
    if (!Send(outs[oi], pkt, f)) return;
  }
  for (Out& o : outs)
    if (o.bsf && !Send(o, nullptr, f)) return;
  Arm();
  int r = av_write_trailer(oc);
  if (r < 0) return Fail(f, r, "av_write_trailer", output);
  if (oc->pb) {
    avio_flush(oc->pb);
    int64_t sz = avio_size(oc->pb);
    bytes = sz >= 0 ? sz : oc->pb->bytes_written;
  }
  if (fixedTs || badPackets)
    av_log(nullptr, AV_LOG_WARNING, "Remuxer (%s -> %s): %lld timestamps fixed, %lld corrupt packets skipped\n", input.c_str(), output.c_str(),
           static_cast<long long>(fixedTs), static_cast<long long>(badPackets));
  session.Disarm();
}

class Remuxer : public Napi::ObjectWrap<Remuxer> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("Remuxer", DefineClass(env, "Remuxer",
                                       {InstanceMethod<&Remuxer::RunJs>("run"), InstanceMethod<&Remuxer::Interrupt>("interrupt"),
                                        InstanceMethod<&Remuxer::Close>("close"), InstanceAccessor<&Remuxer::Closed>("closed")}));
  }

  explicit Remuxer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Remuxer>(info), strand_(info.Env()) {
    life_.opened();
    strand_.OnTeardown([this] { gen_++; });  // environment teardown: a run stops at its next check
  }

  ~Remuxer() override {
    gen_++;  // a run still going (environment teardown) stops at its next check
    strand_.Stop();
    life_.released(!closing_);
  }

 private:
  Napi::Value RunJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) throw closedError(env, "Remuxer.run");
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) throw Napi::TypeError::New(env, "Remuxer.run: expected (input, output[, options])");
    auto job = std::make_shared<RemuxJob>();
    job->input = info[0].As<Napi::String>().Utf8Value();
    job->output = info[1].As<Napi::String>().Utf8Value();
    if (job->input.empty() || job->output.empty()) throw Napi::TypeError::New(env, "Remuxer.run: input and output must be non-empty");
    double timeoutMs = isNetworkUrl(job->input) || isNetworkUrl(job->output) ? 15000 : 0;
    if (info.Length() > 2 && !info[2].IsUndefined() && !info[2].IsNull()) {
      if (!info[2].IsObject()) throw Napi::TypeError::New(env, "Remuxer.run: options must be an object");
      Napi::Object o = info[2].As<Napi::Object>();
      job->outFormat = getString(o, "format", "");
      job->inFormat = getString(o, "inputFormat", "");
      timeoutMs = getNumber(o, "timeoutMs", timeoutMs);
      if (!(timeoutMs >= 0)) throw Napi::RangeError::New(env, "Remuxer.run: timeoutMs must be >= 0");
      Napi::Value s = o.Get("streams");
      if (!s.IsUndefined() && !s.IsNull()) {
        if (!s.IsArray()) throw Napi::TypeError::New(env, "Remuxer.run: streams must be an array of stream indices");
        Napi::Array a = s.As<Napi::Array>();
        for (uint32_t i = 0; i < a.Length(); i++) {
          Napi::Value v = a.Get(i);
          double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
          if (!(d >= 0 && d < 1e6) || d != static_cast<int>(d)) throw Napi::TypeError::New(env, "Remuxer.run: streams must be an array of stream indices");
          job->want.push_back(static_cast<int>(d));
        }
        if (job->want.empty()) throw Napi::RangeError::New(env, "Remuxer.run: streams is empty");
      }
      toDict(env, o.Get("inputOptions"), &job->inOpts);
      toDict(env, o.Get("options"), &job->muxOpts);
      job->copyTs = getBool(o, "copyTs", false);
      job->allowPlaylists = getBool(o, "allowPlaylists", false);
    }
    timeoutMs = std::min(timeoutMs, 7 * 24 * 3600 * 1000.0);  // a week: no overflow in the deadline
    job->session.SetTimeoutUs(static_cast<int64_t>(timeoutMs * 1000));
    job->gen = &gen_;
    job->myGen = gen_.load();
    return strand_.Run(
        env, Value(),
        [job](Failure& f) {
          // Defence behind lib/'s check: opening the output would truncate the input.
          if (readsOutputFile(job->input, job->output)) {
            f.set(AVERROR(EINVAL), "remux", job->output);
            f.message = "remux (" + job->output + "): Output same as Input (" + job->input + ")";
            return;
          }
          job->Run(f);
          job->Free();  // contexts go now, on this thread; the counts stay for `done`
        },
        [job](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          Napi::Array streams = Napi::Array::New(env, job->outs.size());
          double total = 0;
          for (size_t i = 0; i < job->outs.size(); i++) {
            const RemuxJob::Out& o = job->outs[i];
            Napi::Object s = Napi::Object::New(env);
            s.Set("inputIndex", o.in);
            s.Set("outputIndex", static_cast<double>(i));
            s.Set("packets", static_cast<double>(o.packets));
            s.Set("bsf", o.bsfName ? Napi::Value(Napi::String::New(env, o.bsfName)) : env.Null());
            streams.Set(static_cast<uint32_t>(i), s);
            total += static_cast<double>(o.packets);
          }
          r.Set("packets", total);
          r.Set("streams", streams);
          r.Set("bytes", static_cast<double>(job->bytes));
          return r;
        });
  }

  // Aborts the running run() and those already queued; later calls start fresh.
  Napi::Value Interrupt(const Napi::CallbackInfo& info) {
    gen_++;
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) return resolvedPromise(env);
    closing_ = true;
    gen_++;
    // Queued behind any run: resolves once the strand is idle, then ends it.
    return strand_.Run(env, Value(), [](Failure&) {}, [this](Napi::Env env) -> Napi::Value {
      strand_.Shutdown();
      life_.released(false);
      return env.Undefined();
    });
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), closing_); }

  Strand strand_;
  Lifetime life_;
  std::atomic<uint64_t> gen_{0};
  bool closing_ = false;
};

}  // namespace

void InitRemuxer(Napi::Env env, Napi::Object exports) { Remuxer::Init(env, exports); }

}  // namespace ffnode
