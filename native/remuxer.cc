// Remuxer: input → output stream copy on the object's Strand thread.
// Every libav context of one run lives in a RemuxJob freed on that thread, so
// any failure (or an interrupt) releases everything that run allocated.
#include "remuxer.h"

#include "input.h"
#include "input_policy.h"
#include "objects.h"
#include "packet.h"
#include "strand.h"
#include "codec_params.h"
#include "validate.h"

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

// The per-stream write path shared by remux()'s run (RemuxJob) and the
// Remuxer object (WriterJob): output context, bitstream filters, timestamp
// fixing, trailer. Lives on one strand thread; every context it allocated is
// freed by FreeMux() on that thread (or at destruction).
struct MuxCore {
  struct Out {
    int in = -1;
    AVStream* st = nullptr;
    AVBSFContext* bsf = nullptr;
    const char* bsfName = nullptr;
    AVRational tb{0, 1};  // time base of packets reaching Write (bsf output or input stream)
    int64_t lastDts = AV_NOPTS_VALUE;
    int64_t nextDts = 0;     // predicted, in `tb`: for packets without a dts
    bool sawDts = false;     // nextDts follows a real packet
    int64_t rescaleLast = AV_NOPTS_VALUE;  // av_rescale_delta's state (audio)
    int64_t offset = 0;      // start time in `tb`, subtracted unless copyTs
    int64_t frameDur = 0;    // nominal packet duration in `tb` (0 = unknown)
    int64_t packets = 0;
  };
  MuxCore() = default;
  MuxCore(const MuxCore&) = delete;
  MuxCore& operator=(const MuxCore&) = delete;
  virtual ~MuxCore() {
    FreeMux();
    av_dict_free(&muxOpts);
  }

  std::string subject;  // names a bsf failure: the input of remux(), the output of a Remuxer
  std::string output, outFormat;
  AVDictionary* muxOpts = nullptr;
  const std::atomic<uint64_t>* gen = nullptr;  // owner's interrupt generation
  uint64_t myGen = 0;
  // Interrupt and deadline of every blocking call (remux(): also the input's
  // whitelists and TLS); the output shares its deadline.
  InputSession session{&MuxCore::StoppedFn, this};
  AVFormatContext* oc = nullptr;
  AVPacket* out = nullptr;  // bsf output
  std::vector<Out> outs;
  int64_t bytes = 0, fixedTs = 0, badPackets = 0;
  bool stopped = false;  // remux(): stop() ended the copy early; the output was still finished

  void FreeMux() {
    for (Out& o : outs) av_bsf_free(&o.bsf);
    av_packet_free(&out);
    if (oc) {
      if (oc->pb && !(oc->oformat->flags & AVFMT_NOFILE)) avio_closep(&oc->pb);
      avformat_free_context(oc);  // runs the muxer's deinit when no trailer was written
      oc = nullptr;
    }
  }
  bool interrupted() const { return gen->load() != myGen; }
  // What the I/O interrupt callback obeys: interrupt() always; remux()'s
  // stop() only while the input is being opened or read.
  virtual bool halted() const { return interrupted(); }
  virtual bool stopAsked() const { return false; }
  static bool StoppedFn(const void* owner) { return static_cast<const MuxCore*>(owner)->halted(); }
  void Arm() { session.Arm(); }
  // A failure of a blocking call, telling an interrupt from a timeout; a
  // refused nested open (a playlist naming a forbidden URL) comes first.
  void Fail(Failure& f, int r, const char* op, const std::string& what) {
    if (session.TakeRefusal(f, op)) return;
    if (r == AVERROR_EXIT && !interrupted() && !stopAsked() && session.Armed()) r = AVERROR(ETIMEDOUT);
    f.set(r, op, what);
    if (r == AVERROR_EXIT && interrupted()) f.message = std::string(op) + " (" + what + "): interrupted by close() or interrupt()";
    else if (r == AVERROR_EXIT && stopAsked()) f.message = std::string(op) + " (" + what + "): stopped by stop() before the input was open";
    if (r == AVERROR(ETIMEDOUT)) f.message = std::string(op) + " (" + what + "): no progress for " + std::to_string(session.TimeoutUs() / 1000) + " ms";
  }

  bool AllocOutput(Failure& f);
  bool AddStream(Out& o, const AVCodecParameters* par, AVRational tb, AVRational frameRate, Failure& f);
  bool OpenIo(Failure& f);
  bool Send(Out& o, AVPacket* p, Failure& f);
  bool Write(Out& o, AVPacket* p, Failure& f);
  bool Finish(Failure& f);
  // The settled result, JS thread: { packets, bytes, streams }. remux()'s
  // streams name input and output index; the object's, its own stream index.
  Napi::Object ResultToJs(Napi::Env env, bool oneCall) const {
    Napi::Object r = Napi::Object::New(env);
    Napi::Array streams = Napi::Array::New(env, outs.size());
    double total = 0;
    for (size_t i = 0; i < outs.size(); i++) {
      const Out& o = outs[i];
      Napi::Object s = Napi::Object::New(env);
      if (oneCall) {
        s.Set("inputIndex", o.in);
        s.Set("outputIndex", static_cast<double>(i));
      } else {
        s.Set("index", static_cast<double>(i));
      }
      s.Set("packets", static_cast<double>(o.packets));
      s.Set("bsf", o.bsfName ? Napi::Value(Napi::String::New(env, o.bsfName)) : env.Null());
      streams.Set(static_cast<uint32_t>(i), s);
      total += static_cast<double>(o.packets);
    }
    r.Set("packets", total);
    r.Set("bytes", static_cast<double>(bytes));
    r.Set("streams", streams);
    if (oneCall) r.Set("stopped", stopped);
    return r;
  }
};

bool MuxCore::AllocOutput(Failure& f) {
  if (!(out = av_packet_alloc())) return f.set(AVERROR(ENOMEM), "av_packet_alloc", output), false;
  const AVOutputFormat* of = outFormat.empty() ? av_guess_format(nullptr, output.c_str(), nullptr)
                                               : av_guess_format(outFormat.c_str(), nullptr, nullptr);
  if (!of) {
    f.set(AVERROR_MUXER_NOT_FOUND, "av_guess_format", outFormat.empty() ? "no muxer for the extension of " + output : "'" + outFormat + "' for " + output);
    return false;
  }
  int r = avformat_alloc_output_context2(&oc, of, nullptr, output.c_str());
  if (r < 0) return f.set(r, "avformat_alloc_output_context2", output), false;
  oc->interrupt_callback = {&InputSession::InterruptCb, &session};
  return true;
}

// One output stream for packets of `par` in time base `tb`, behind the
// bitstream filter the muxer needs (if any).
bool MuxCore::AddStream(Out& o, const AVCodecParameters* par, AVRational tb, AVRational fr, Failure& f) {
  const AVOutputFormat* of = oc->oformat;
  int r;
  o.tb = tb;
  if ((o.bsfName = pickBsf(par, of))) {
    const AVBitStreamFilter* bf = av_bsf_get_by_name(o.bsfName);
    if (!bf) return f.set(AVERROR_BSF_NOT_FOUND, "av_bsf_get_by_name", o.bsfName), false;
    if ((r = av_bsf_alloc(bf, &o.bsf)) < 0) return f.set(r, "av_bsf_alloc", o.bsfName), false;
    avcodec_parameters_copy(o.bsf->par_in, par);
    o.bsf->time_base_in = tb;
    if ((r = av_bsf_init(o.bsf)) < 0) return f.set(r, "av_bsf_init", std::string(o.bsfName) + " for stream " + std::to_string(o.in) + " of " + subject), false;
    par = o.bsf->par_out;  // what the muxer really receives
    o.tb = o.bsf->time_base_out;
  }
  if (!(o.st = avformat_new_stream(oc, nullptr))) return f.set(AVERROR(ENOMEM), "avformat_new_stream", output), false;
  if ((r = avcodec_parameters_copy(o.st->codecpar, par)) < 0) return f.set(r, "avcodec_parameters_copy", output), false;
  // Keep the source tag only where the muxer maps it back to the same codec
  // (hvc1 vs hev1 in mp4); otherwise the muxer picks its own.
  unsigned tag = par->codec_tag;
  if (!of->codec_tag || av_codec_get_id(of->codec_tag, tag) != par->codec_id) o.st->codecpar->codec_tag = 0;
  if (par->codec_type == AVMEDIA_TYPE_VIDEO && fr.num > 0 && fr.den > 0) o.frameDur = av_rescale_q(1, av_inv_q(fr), o.tb);
  if (par->codec_type == AVMEDIA_TYPE_AUDIO && par->frame_size > 0 && par->sample_rate > 0)
    o.frameDur = av_rescale_q(par->frame_size, AVRational{1, par->sample_rate}, o.tb);
  o.st->time_base = o.tb;  // a hint; the muxer may choose another in write_header
  if (fr.num > 0 && fr.den > 0) o.st->avg_frame_rate = fr;
  return true;
}

// Opens the output's I/O (TLS verified by default) and writes the header.
bool MuxCore::OpenIo(Failure& f) {
  const AVOutputFormat* of = oc->oformat;
  int r;
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

// Drains the bitstream filters, writes the trailer and takes the size.
bool MuxCore::Finish(Failure& f) {
  for (Out& o : outs)
    if (o.bsf && !Send(o, nullptr, f)) return false;
  Arm();
  int r = av_write_trailer(oc);
  if (r < 0) return Fail(f, r, "av_write_trailer", output), false;
  if (oc->pb) {
    avio_flush(oc->pb);
    int64_t sz = avio_size(oc->pb);
    bytes = sz >= 0 ? sz : oc->pb->bytes_written;
  }
  if (fixedTs || badPackets)
    av_log(nullptr, AV_LOG_WARNING, "Remuxer (%s -> %s): %lld timestamps fixed, %lld corrupt packets skipped\n", subject.c_str(), output.c_str(),
           static_cast<long long>(fixedTs), static_cast<long long>(badPackets));
  session.Disarm();
  return true;
}

// All state of one run(); freed on the strand thread when the run ends.
struct RemuxJob : MuxCore {
  std::string input, inFormat;
  AVDictionary* inOpts = nullptr;
  bool copyTs = false;  // keep input timestamps (default: output starts at 0, like the ffmpeg CLI)
  bool allowPlaylists = false;
  std::vector<int> want;

  AVFormatContext* ic = nullptr;
  AVPacket* pkt = nullptr;
  std::vector<int> map;  // input stream index → index in outs, or -1
  // stop(): end the copy early but cleanly (trailer written). It cuts a
  // blocked open or read short; the output's writes are never cut.
  const std::atomic<uint64_t>* stopGen = nullptr;
  uint64_t myStop = 0;
  bool onInput = false;  // an open or read of the input is under way (strand thread only)
  bool stopRequested() const { return stopGen->load() != myStop; }
  bool stopAsked() const override { return stopRequested(); }
  bool halted() const override { return interrupted() || (onInput && stopRequested()); }

  ~RemuxJob() override {
    Free();
    av_dict_free(&inOpts);
  }
  void Free() {
    FreeMux();
    av_packet_free(&pkt);
    avformat_close_input(&ic);
  }

  void Run(Failure& f);
  bool OpenInput(Failure& f);
  bool OpenOutput(Failure& f);
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
  if (!AllocOutput(f)) return false;
  av_dict_copy(&oc->metadata, ic->metadata, 0);
  for (Out& o : outs) {
    AVStream* is = ic->streams[o.in];
    AVRational fr = is->avg_frame_rate.num > 0 ? is->avg_frame_rate : is->r_frame_rate;
    if (!AddStream(o, is->codecpar, is->time_base, fr, f)) return false;
    if (!copyTs && ic->start_time != AV_NOPTS_VALUE) o.offset = av_rescale_q(ic->start_time, AV_TIME_BASE_Q, o.tb);
    o.st->avg_frame_rate = is->avg_frame_rate;
    o.st->r_frame_rate = is->r_frame_rate;
    o.st->sample_aspect_ratio = is->sample_aspect_ratio;
    o.st->disposition = is->disposition;
    av_dict_copy(&o.st->metadata, is->metadata, 0);
  }
  return OpenIo(f);
}

// Through the stream's bsf (if any) into the muxer; p == nullptr drains the bsf.
bool MuxCore::Send(Out& o, AVPacket* p, Failure& f) {
  if (!o.bsf) return p ? Write(o, p, f) : true;
  int r = av_bsf_send_packet(o.bsf, p);
  if (r < 0) {
    if (p) av_packet_unref(p);
    if (r != AVERROR_INVALIDDATA) return f.set(r, "av_bsf_send_packet", std::string(o.bsfName) + " on " + subject), false;
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
    if (r < 0) return f.set(r, "av_bsf_receive_packet", std::string(o.bsfName) + " on " + subject), false;
    if (!Write(o, out, f)) return false;
  }
}

bool MuxCore::Write(Out& o, AVPacket* p, Failure& f) {
  p->stream_index = o.st->index;
  p->pos = -1;
  // Raw elementary streams (.h264, .aac) carry no timestamps: number the
  // packets in decode order at their nominal duration, as ffmpeg does.
  if (p->dts == AV_NOPTS_VALUE && p->pts == AV_NOPTS_VALUE) {
    p->dts = o.nextDts;
    // Without reordering pts == dts; with B-frames it stays unknown (mp4 copes).
    if (o.st->codecpar->video_delay == 0) p->pts = p->dts;
    fixedTs++;
  } else if (p->dts == AV_NOPTS_VALUE) {
    // Matroska stores only pts, and libav leaves the dts of the first
    // packets unset: predict it as ffmpeg does, the first as pts less the
    // reorder delay, later ones as the one before plus its duration.
    int64_t dur = p->duration > 0 ? p->duration : o.frameDur;
    p->dts = o.sawDts ? o.nextDts : p->pts - o.st->codecpar->video_delay * dur;
    if (p->dts > p->pts) p->dts = p->pts;
  }
  if (p->dts != AV_NOPTS_VALUE) {
    o.nextDts = p->dts + (p->duration > 0 ? p->duration : o.frameDur);
    o.sawDts = true;
  }
  if (p->pts != AV_NOPTS_VALUE) p->pts -= o.offset;
  if (p->dts != AV_NOPTS_VALUE) p->dts -= o.offset;
  const AVCodecParameters* par = o.st->codecpar;
  int samples = 0;
  if (par->codec_type == AVMEDIA_TYPE_AUDIO && par->sample_rate > 0 && p->dts != AV_NOPTS_VALUE) {
    samples = av_get_audio_frame_duration2(o.st->codecpar, p->size);
    if (samples <= 0) samples = par->frame_size;
  }
  if (samples > 0) {
    // Audio from a coarse time base (Matroska and FLV count milliseconds):
    // keep the sample-exact spacing the frames really have, as ffmpeg's
    // stream copy does, instead of rounding each one on its own.
    int64_t dur = p->duration;
    p->dts = av_rescale_delta(o.tb, p->dts, AVRational{1, par->sample_rate}, samples, &o.rescaleLast, o.st->time_base);
    p->pts = p->dts;  // audio frames are not reordered
    p->duration = dur > 0 ? av_rescale_q(dur, o.tb, o.st->time_base) : 0;
  } else {
    av_packet_rescale_ts(p, o.tb, o.st->time_base);
  }
  p->time_base = o.st->time_base;
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
  if (!(pkt = av_packet_alloc())) return f.set(AVERROR(ENOMEM), "av_packet_alloc", input);
  onInput = true;
  bool opened = OpenInput(f);
  onInput = false;
  if (!opened) return;  // a stop() during the open: nothing was written, nothing to finish
  if (stopRequested()) return Fail(f, AVERROR_EXIT, "avformat_open_input", input);
  if (!OpenOutput(f)) return;
  bool local = !isNetworkUrl(input);
  for (;;) {
    if (interrupted()) return Fail(f, AVERROR_EXIT, "av_read_frame", input);
    if (stopRequested()) {
      stopped = true;
      break;
    }
    Arm();
    onInput = true;
    int r = readFrame(ic, pkt, session);
    onInput = false;
    if (session.TakeRefusal(f, "av_read_frame")) return av_packet_unref(pkt);  // hls would skip the segment
    if (r == AVERROR_EOF) break;
    if (r < 0 && stopRequested() && !interrupted()) {
      stopped = true;  // a read cut short by stop(): keep what was copied
      break;
    }
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
  Finish(f);
}

class Remuxer : public Napi::ObjectWrap<Remuxer> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("Remuxer", DefineClass(env, "Remuxer",
                                       {InstanceMethod<&Remuxer::RunJs>("run"), InstanceMethod<&Remuxer::Interrupt>("interrupt"),
                                        InstanceMethod<&Remuxer::Stop>("stop"), InstanceMethod<&Remuxer::Close>("close"), InstanceAccessor<&Remuxer::Closed>("closed")}));
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
    job->subject = job->input;
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
    job->stopGen = &stop_;
    job->myStop = stop_.load();
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
        [job](Napi::Env env) -> Napi::Value { return job->ResultToJs(env, true); });
  }

  // Aborts the running run() and those already queued; later calls start fresh.
  Napi::Value Interrupt(const Napi::CallbackInfo& info) {
    gen_++;
    return info.Env().Undefined();
  }

  // Ends the running run() (and those queued) early but cleanly: reading
  // stops, the output is finished, and the run resolves with stopped: true.
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    stop_++;
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
  std::atomic<uint64_t> stop_{0};
  bool closing_ = false;
};


// ---- the Remuxer object: open(output, streams) → write(packet) → close() ----

bool isIsoFamily(const char* name) { return oneOf(name, {"mp4", "mov", "ipod", "ismv", "3gp", "3g2", "psp", "f4v"}); }
bool isMatroska(const char* name) { return oneOf(name, {"matroska", "webm"}); }

// All state of one Remuxer object; touched only on its strand thread.
struct WriterJob : MuxCore {
  struct Stream {
    AVCodecParameters* par = nullptr;
    AVRational tb{1, 1};
    AVRational fr{0, 1};
  };
  std::vector<Stream> streams;  // as declared by open()
  std::atomic<uint64_t> stop{0};  // interrupt() generation
  bool copyTs = false;
  int fragmented = -1;  // -1: the format's default (on for mp4/mov and matroska)
  bool opened = false, finished = false, broken = false;
  std::string brokenWhy;
  int64_t startUs = AV_NOPTS_VALUE;  // first timestamp written, subtracted unless copyTs

  WriterJob() {
    gen = &stop;
    myGen = 0;
  }
  ~WriterJob() override {
    for (Stream& s : streams) avcodec_parameters_free(&s.par);
  }

  void Open(Failure& f) {
    if (!AllocOutput(f)) return;
    const char* name = oc->oformat->name;
    bool frag = fragmented < 0 ? (isIsoFamily(name) || isMatroska(name)) : fragmented == 1;
    if (frag) {
      // Crash-safe recording: whatever reached the file plays. ISO: an empty
      // moov up front, then one self-contained moof+mdat per keyframe;
      // Matroska: clusters of at most a second. Each is flushed to the file
      // as soon as the muxer emits it.
      if (isIsoFamily(name) && !av_dict_get(muxOpts, "movflags", nullptr, 0))
        av_dict_set(&muxOpts, "movflags", "+frag_keyframe+empty_moov+default_base_moof", 0);
      if (isMatroska(name) && !av_dict_get(muxOpts, "cluster_time_limit", nullptr, 0)) av_dict_set(&muxOpts, "cluster_time_limit", "1000", 0);
      oc->flush_packets = 1;
    }
    outs.resize(streams.size());
    for (size_t i = 0; i < streams.size(); i++) {
      outs[i].in = static_cast<int>(i);
      if (!AddStream(outs[i], streams[i].par, streams[i].tb, streams[i].fr, f)) return;
    }
    if (!OpenIo(f)) return;
    opened = true;
  }

  // Writes one packet (ours: consumed either way).
  void Put(AVPacket* p, Failure& f) {
    if (!Usable(f, "Remuxer.write")) return av_packet_unref(p);
    if (interrupted()) {
      av_packet_unref(p);
      return Fail(f, AVERROR_EXIT, "Remuxer.write", output);
    }
    Stream& s = streams[p->stream_index];
    AVRational src = p->time_base.num > 0 && p->time_base.den > 0 ? p->time_base : s.tb;
    // Far beyond any real media time (or overflowing the rescale): refused
    // before the muxer sees it, so the recording goes on.
    constexpr int64_t kLimit = int64_t(1) << 52;
    auto outOfRange = [&](int64_t t) {
      if (t == AV_NOPTS_VALUE) return false;
      int64_t us = av_rescale_q(t, src, AV_TIME_BASE_Q), r = av_rescale_q(t, src, s.tb);
      return us == AV_NOPTS_VALUE || us > kLimit || us < -kLimit || r == AV_NOPTS_VALUE || r > kLimit || r < -kLimit;
    };
    if (outOfRange(p->pts) || outOfRange(p->dts)) {
      av_packet_unref(p);
      return f.setMessage("EINVAL", "Remuxer.write", "packet of stream " + std::to_string(&s - streams.data()) + ": timestamp out of range");
    }
    av_packet_rescale_ts(p, src, s.tb);
    p->time_base = s.tb;
    if (!copyTs && startUs == AV_NOPTS_VALUE) {
      int64_t t = p->dts != AV_NOPTS_VALUE ? p->dts : p->pts;
      if (t != AV_NOPTS_VALUE) {
        if (p->pts != AV_NOPTS_VALUE && p->pts < t) t = p->pts;
        startUs = av_rescale_q(t, s.tb, AV_TIME_BASE_Q);
        for (Out& o : outs) o.offset = av_rescale_q(startUs, AV_TIME_BASE_Q, o.tb);
      }
    }
    if (!Send(outs[p->stream_index], p, f)) {
      broken = true;  // the muxer may hold half a packet: nothing more goes in
      brokenWhy = f.message;
    }
  }

  bool Usable(Failure& f, const char* op) {
    if (!opened) f.setMessage("EINVAL", op, "remuxer is not open");
    else if (broken) f.setMessage("EINVAL", op, "remuxer failed earlier: " + brokenWhy);
    else if (finished) f.setMessage("ECLOSED", op, "remuxer is closed");
    return !f.failed;
  }

  // Trailer (unless a write failed or it was interrupted), then free everything.
  void Close(Failure& f) {
    if (opened && !broken && !finished) {
      finished = true;
      if (interrupted()) Fail(f, AVERROR_EXIT, "Remuxer.close", output);
      else Finish(f);
    }
    FreeMux();
  }
};

// JS class "RemuxWriter" (lib/ exports it as Remuxer). Every call runs on the
// object's own Strand, in call order: file and network output may block.
class RemuxWriter : public Napi::ObjectWrap<RemuxWriter> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("RemuxWriter", DefineClass(env, "RemuxWriter",
                                           {InstanceMethod<&RemuxWriter::Open>("open"), InstanceMethod<&RemuxWriter::WriteJs>("write"),
                                            InstanceMethod<&RemuxWriter::Interrupt>("interrupt"), InstanceMethod<&RemuxWriter::Close>("close"),
                                            InstanceAccessor<&RemuxWriter::Closed>("closed")}));
  }

  explicit RemuxWriter(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<RemuxWriter>(info), strand_(info.Env()), job_(std::make_shared<WriterJob>()) {
    life_.opened();
    auto job = job_;
    strand_.OnTeardown([job] { job->stop++; });  // environment teardown: a blocked write stops
  }

  ~RemuxWriter() override {
    job_->stop++;  // a write still blocked (environment teardown) stops at its next check
    strand_.Stop();
    life_.released(!closing_);
  }

 private:
  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* where = "Remuxer.open";
    if (closing_) throw closedError(env, where);
    if (openCalled_) throw Napi::Error::New(env, "Remuxer.open: already opened");
    if (info.Length() < 1 || !info[0].IsString() || info[0].As<Napi::String>().Utf8Value().empty())
      check::typeError(env, where, "output", "a non-empty string", info.Length() ? info[0] : env.Undefined());
    if (info.Length() < 2 || !info[1].IsObject() || info[1].IsArray())
      check::typeError(env, where, "options", "an object", info.Length() > 1 ? info[1] : env.Undefined());
    Napi::Object o = info[1].As<Napi::Object>();
    auto job = job_;
    std::string output = info[0].As<Napi::String>().Utf8Value();
    // Every scalar first: nothing is kept from an open() that throws.
    bool copyTs = check::booleanField(env, where, o, "copyTs", false);
    Napi::Value fv = o.Get("fragmented");
    int fragmented = check::absent(fv) ? -1 : check::boolean(env, where, "fragmented", fv) ? 1 : 0;
    double timeoutMs = check::numberField(env, where, o, "timeoutMs", 0, 7 * 24 * 3600 * 1000.0, isNetworkUrl(output) ? 15000 : 0);
    std::string outFormat = check::stringField(env, where, o, "format", "");
    Napi::Value sv = o.Get("streams");
    if (!sv.IsArray() || sv.As<Napi::Array>().Length() == 0) check::typeError(env, where, "streams", "a non-empty array", sv);
    Napi::Array a = sv.As<Napi::Array>();
    if (a.Length() > 64) throw Napi::RangeError::New(env, "Remuxer.open: at most 64 streams");
    std::vector<WriterJob::Stream> streams;
    AVDictionary* muxOpts = nullptr;
    auto freeAll = [&streams] {
      for (WriterJob::Stream& s : streams) avcodec_parameters_free(&s.par);
    };
    try {
      for (uint32_t i = 0; i < a.Length(); i++) {
        std::string field = "streams[" + std::to_string(i) + "]";
        Napi::Value s = a.Get(i);
        if (!s.IsObject() || s.IsArray()) check::typeError(env, where, field, "an object", s);
        Napi::Object so = s.As<Napi::Object>();
        WriterJob::Stream st;
        if (!(st.par = avcodec_parameters_alloc())) throw Napi::Error::New(env, "Remuxer.open: out of memory");
        streams.push_back(st);
        if (check::absent(so.Get("parameters"))) check::typeError(env, where, field + ".parameters", "codec parameters (a Decoder StreamInfo)", so.Get("parameters"));
        codecParamsFromJs(env, so.Get("parameters"), streams.back().par);
        AVMediaType t = streams.back().par->codec_type;
        if (t != AVMEDIA_TYPE_VIDEO && t != AVMEDIA_TYPE_AUDIO && t != AVMEDIA_TYPE_SUBTITLE)
          throw Napi::TypeError::New(env, "Remuxer.open: " + field + ".parameters must describe an audio, video or subtitle stream");
        streams.back().tb = check::rational(env, where, field + ".timeBase", so.Get("timeBase"));
        Napi::Value fr = so.Get("frameRate");
        if (!check::absent(fr)) streams.back().fr = check::rational(env, where, field + ".frameRate", fr);
      }
      if (check::optionsObject(env, where, "options", o.Get("options"))) toDict(env, o.Get("options"), &muxOpts);
    } catch (...) {
      freeAll();
      av_dict_free(&muxOpts);
      throw;
    }
    job->output = job->subject = output;
    job->outFormat = outFormat;
    job->muxOpts = muxOpts;
    job->streams = std::move(streams);
    job->copyTs = copyTs;
    job->fragmented = fragmented;
    job->session.SetTimeoutUs(static_cast<int64_t>(timeoutMs * 1000));
    openCalled_ = true;
    nStreams_ = static_cast<int>(job->streams.size());
    return strand_.Run(env, Value(), [job](Failure& f) {
      job->Open(f);
      if (f.failed) job->FreeMux();
    }, [](Napi::Env env) { return env.Undefined(); });
  }

  Napi::Value WriteJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* where = "Remuxer.write";
    if (closing_) throw closedError(env, where);
    if (!openCalled_) throw Napi::Error::New(env, "Remuxer.write: call open() first");
    if (info.Length() < 1) check::typeError(env, where, "packet", "a Packet", env.Undefined());
    AVPacket* p = Packet::RefFrom(env, info[0], where);  // the caller keeps its packet
    std::shared_ptr<AVPacket> own(p, [](AVPacket* q) { av_packet_free(&q); });
    if (p->stream_index < 0 || p->stream_index >= nStreams_)
      throw Napi::RangeError::New(env, "Remuxer.write: packet has streamIndex " + std::to_string(p->stream_index) + ", expected 0.." +
                                           std::to_string(nStreams_ - 1));
    auto job = job_;
    return strand_.Run(env, Value(), [job, own](Failure& f) { job->Put(own.get(), f); }, [](Napi::Env env) { return env.Undefined(); });
  }

  // Aborts a blocked write (and every later one); close() then frees without a trailer.
  Napi::Value Interrupt(const Napi::CallbackInfo& info) {
    job_->stop++;
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) return resolvedPromise(env);
    closing_ = true;
    auto job = job_;
    // Queued behind every write already made; the strand ends once it settled.
    return strand_.Run(
        env, Value(), [job](Failure& f) { job->Close(f); },
        [job](Napi::Env env) -> Napi::Value { return job->ResultToJs(env, false); },
        [this] {
          strand_.Shutdown();
          life_.released(false);
        });
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), closing_); }

  Strand strand_;
  std::shared_ptr<WriterJob> job_;
  Lifetime life_;
  bool closing_ = false, openCalled_ = false;
  int nStreams_ = 0;
};

}  // namespace

void InitRemuxer(Napi::Env env, Napi::Object exports) {
  Remuxer::Init(env, exports);
  RemuxWriter::Init(env, exports);
}

}  // namespace ffnode
