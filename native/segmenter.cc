// Segmenter: packets → CMAF/MPEG-TS segments in memory.
// One output AVFormatContext writes through a custom AVIOContext into buf_;
// a cut flushes the muxer (fragment for mp4, PES buffers for TS) and takes
// what buf_ holds as the finished segment. Calls are queued on the JS thread
// and run one at a time on the libuv pool, so they run in call order.
#include "segmenter.h"

#include "codec_params.h"
#include "objects.h"
#include "packet.h"
#include "validate.h"

extern "C" {
#include <libavcodec/bsf.h>
}

#include <algorithm>
#include <cstring>
#include <deque>

namespace ffnode {
namespace {

struct Segment {
  int64_t sequence = 0;
  double start = 0, duration = 0;
  bool key = false;
  std::vector<uint8_t> data;
};

// Owners for what a queued call carries, so nothing leaks if it never runs.
struct ParamList {
  std::vector<AVCodecParameters*> v;
  ~ParamList() {
    for (AVCodecParameters*& p : v) avcodec_parameters_free(&p);
  }
};
struct PacketList {
  std::vector<AVPacket*> v;
  ~PacketList() {
    for (AVPacket*& p : v) av_packet_free(&p);
  }
};

// CMAF media segments start with a styp box; the 5.1 mp4 muxer writes none.
const uint8_t kStyp[] = {0, 0, 0, 24, 's', 't', 'y', 'p', 'm', 's', 'd', 'h', 0, 0, 0, 0,
                         'm', 's', 'd', 'h', 'c', 'm', 'f', 's'};

// AudioSpecificConfig for AAC that arrives as ADTS (no extradata): the init
// segment needs it before any packet is seen, so it is built from the
// parameters. ADTS can only carry Main/LC/SSR/LTP (HE-AAC rides as LC).
bool makeAsc(const AVCodecParameters* p, std::vector<uint8_t>& asc) {
  static const int rates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350};
  int freq = -1;
  for (int i = 0; i < 13; i++)
    if (rates[i] == p->sample_rate) freq = i;
  int ch = p->ch_layout.nb_channels;
  int chanConfig = ch >= 1 && ch <= 6 ? ch : ch == 8 ? 7 : -1;
  if (freq < 0 || chanConfig < 0) return false;
  int aot = p->profile >= FF_PROFILE_AAC_MAIN && p->profile <= FF_PROFILE_AAC_LTP ? p->profile + 1 : 2;
  asc = {static_cast<uint8_t>(aot << 3 | freq >> 1), static_cast<uint8_t>((freq & 1) << 7 | chanConfig << 3)};
  return true;
}

// The TS muxer re-emits its tables as SDT, PAT, PMT; players want the PAT
// first. Tables are whole 188-byte packets of distinct PIDs, so the leading
// run can be reordered to PAT, PMT, SDT without touching continuity counters.
void patFirst(std::vector<uint8_t>& v) {
  auto pid = [&](size_t i) { return (v[i * 188 + 1] & 0x1f) << 8 | v[i * 188 + 2]; };
  size_t n = 0;
  while ((n + 1) * 188 <= v.size() && v[n * 188] == 0x47 && (pid(n) == 0 || pid(n) == 0x11 || pid(n) == 0x1000)) n++;
  if (n < 2 || pid(0) == 0) return;
  std::vector<uint8_t> head;
  for (int want : {0, 0x1000, 0x11})
    for (size_t i = 0; i < n; i++)
      if (pid(i) == want) head.insert(head.end(), v.begin() + i * 188, v.begin() + (i + 1) * 188);
  std::copy(head.begin(), head.end(), v.begin());
}

class Segmenter : public Napi::ObjectWrap<Segmenter> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("Segmenter", DefineClass(env, "Segmenter",
                                         {InstanceMethod<&Segmenter::Open>("open"), InstanceMethod<&Segmenter::Write>("write"),
                                          InstanceMethod<&Segmenter::Finish>("finish"), InstanceMethod<&Segmenter::Close>("close"),
                                          InstanceAccessor<&Segmenter::Closed>("closed")}));
  }

  explicit Segmenter(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Segmenter>(info) { life_.opened(); }

  // No worker can be running here: each one holds a reference to this object.
  ~Segmenter() override {
    FreeAll();
    life_.released(!closing_);
  }

 private:
  // ---- call queue (JS thread) ---------------------------------------------------
  struct Pending {
    Napi::Promise::Deferred deferred;
    PromiseWorker::Exec exec;
    PromiseWorker::Done done;
  };

  Napi::Value Enqueue(Napi::Env env, PromiseWorker::Exec exec, PromiseWorker::Done done) {
    if (!busy_) {
      busy_ = true;
      return Start(env, std::move(exec), std::move(done));
    }
    Pending p{Napi::Promise::Deferred::New(env), std::move(exec), std::move(done)};
    Napi::Promise promise = p.deferred.Promise();
    pending_.push_back(std::move(p));
    return promise;
  }

  Napi::Promise Start(Napi::Env env, PromiseWorker::Exec exec, PromiseWorker::Done done) {
    return PromiseWorker::Queue(env, Value(), std::move(exec), std::move(done), [this]() { Next(); });
  }

  // Runs on the JS thread when an operation settles: starts the next queued one.
  void Next() {
    if (pending_.empty()) {
      busy_ = false;
      return;
    }
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    p.deferred.Resolve(Start(Env(), std::move(p.exec), std::move(p.done)));  // adopts its outcome
  }

  // ---- open -------------------------------------------------------------------------
  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) throw closedError(env, "Segmenter.open");
    if (openCalled_) throw Napi::Error::New(env, "Segmenter.open: already opened");
    const char* where = "Segmenter.open";
    if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray())
      check::typeError(env, where, "options", "an object", info.Length() ? info[0] : env.Undefined());
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value fv = o.Get("format");
    std::string format = fv.IsString() ? fv.As<Napi::String>().Utf8Value() : "";
    if (format != "cmaf" && format != "mpegts") check::typeError(env, where, "format", "'cmaf' or 'mpegts'", fv);
    double dur = check::number(env, where, "segmentDuration", o.Get("segmentDuration"), 0.1, 60);
    double offset = check::numberField(env, where, o, "timeOffset", 0, limits::kMaxTimeOffset, 0);
    // The one grid rule (lib/transcoding/grid.ts): a keyframe opens segment k
    // when pts + gridTolerance >= origin + k * segmentDuration.
    double tolerance = check::numberField(env, where, o, "gridTolerance", 0, dur / 2, 0);
    Napi::Value sv = o.Get("streams");
    if (!sv.IsArray() || sv.As<Napi::Array>().Length() == 0) throw Napi::TypeError::New(env, "Segmenter.open: streams must be a non-empty array");
    Napi::Array streams = sv.As<Napi::Array>();
    if (streams.Length() > 64) throw Napi::RangeError::New(env, "Segmenter.open: at most 64 streams");
    auto pars = std::make_shared<ParamList>();
    std::vector<AVRational> tbs;
    for (uint32_t i = 0; i < streams.Length(); i++) {
      std::string what = "Segmenter.open: streams[" + std::to_string(i) + "]";
      Napi::Value s = streams.Get(i);
      if (!s.IsObject()) throw Napi::TypeError::New(env, what + " must be an object");
      AVRational tb = check::rational(env, where, "streams[" + std::to_string(i) + "].timeBase", s.As<Napi::Object>().Get("timeBase"));
      AVCodecParameters* par = avcodec_parameters_alloc();
      if (!par) throw Napi::Error::New(env, "Segmenter.open: out of memory");
      pars->v.push_back(par);
      codecParamsFromJs(env, s.As<Napi::Object>().Get("parameters"), par);
      if (par->codec_type != AVMEDIA_TYPE_VIDEO && par->codec_type != AVMEDIA_TYPE_AUDIO)
        throw Napi::TypeError::New(env, what + ".parameters must describe an audio or video stream");
      tbs.push_back(tb);
    }
    openCalled_ = true;
    nStreams_ = static_cast<int>(pars->v.size());
    cmaf_ = format == "cmaf";
    durUs_ = static_cast<int64_t>(dur * 1e6 + 0.5);
    offsetUs_ = static_cast<int64_t>(offset * 1e6 + 0.5);
    tolUs_ = static_cast<int64_t>(tolerance * 1e6 + 0.5);
    // The init bytes travel in this call's own result: a call queued after
    // open (even close()) may already run when the completion reaches JS.
    auto init = std::make_shared<std::vector<uint8_t>>();
    return Enqueue(
        env,
        [this, pars, tbs, init](Failure& f) {
          std::lock_guard<std::mutex> lk(life_.mu);
          DoOpen(pars->v, tbs, f);
          if (f.failed) FreeAll();
          else init->swap(init_);
        },
        [this, init](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("init", cmaf_ ? Napi::Value(TakeBuffer(env, *init)) : env.Null());
          return r;
        });
  }

  static int WriteCb(void* opaque, uint8_t* buf, int size) {
    auto* v = static_cast<std::vector<uint8_t>*>(opaque);
    v->insert(v->end(), buf, buf + size);
    return size;
  }

  void DoOpen(const std::vector<AVCodecParameters*>& pars, const std::vector<AVRational>& tbs, Failure& f) {
    const char* op = "Segmenter.open";
    int r = avformat_alloc_output_context2(&oc_, nullptr, cmaf_ ? "mp4" : "mpegts", nullptr);
    if (r < 0) return f.set(r, "avformat_alloc_output_context2", cmaf_ ? "mp4" : "mpegts");
    const int size = 64 * 1024;
    uint8_t* b = static_cast<uint8_t*>(av_malloc(size));
    if (!b || !(pb_ = avio_alloc_context(b, size, 1, &buf_, nullptr, &Segmenter::WriteCb, nullptr))) {
      av_free(b);
      return f.set(AVERROR(ENOMEM), "avio_alloc_context", op);
    }
    oc_->pb = pb_;  // ours: never avio_close()d by libav, freed in FreeAll
    adts_.assign(pars.size(), nullptr);
    for (size_t i = 0; i < pars.size(); i++) {
      AVStream* st = avformat_new_stream(oc_, nullptr);
      if (!st) return f.set(AVERROR(ENOMEM), "avformat_new_stream", op);
      if ((r = avcodec_parameters_copy(st->codecpar, pars[i])) < 0) return f.set(r, "avcodec_parameters_copy", op);
      st->codecpar->codec_tag = 0;
      AVCodecID id = pars[i]->codec_id;
      // The init segment carries the decoder config: no extradata, no init.
      if (cmaf_ && pars[i]->extradata_size == 0 && (id == AV_CODEC_ID_H264 || id == AV_CODEC_ID_HEVC || id == AV_CODEC_ID_AV1))
        return f.setMessage("EINVAL", "Segmenter.open", "stream " + std::to_string(i) + " (" + avcodec_get_name(id) +
                                                            "): CMAF needs parameters.extradata (open the encoder with globalHeader)");
      if (cmaf_ && pars[i]->codec_id == AV_CODEC_ID_AAC && pars[i]->extradata_size == 0 && !AdtsFilter(st, static_cast<int>(i), tbs[i], f)) return;
      st->time_base = tbs[i];  // a wish: the muxer sets the real one in write_header
      if (cut_ < 0 && pars[i]->codec_type == AVMEDIA_TYPE_VIDEO) cut_ = static_cast<int>(i);
    }
    if (cut_ < 0) cut_ = 0;  // audio only: segments may start at any packet of stream 0
    cutAnyPacket_ = oc_->streams[cut_]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO;
    inTb_ = tbs;
    lastDts_.assign(pars.size(), AV_NOPTS_VALUE);
    held_.assign(pars.size(), {});
    AVDictionary* opts = nullptr;
    if (cmaf_) {
      // empty_moov: write_header emits ftyp+moov (the init segment) at once;
      // frag_custom: fragments are cut only when we flush. frag_discont makes
      // each track's first tfdt its real first dts (not 0), so absolute times
      // and A/V offsets survive; without an edit list (none fits in an empty
      // moov) a negative first dts (B-frames, AAC priming) cannot be stored,
      // so all streams are shifted together by the smallest amount that fits.
      // (+cmaf would force edit-list style tfdt = first pts, desyncing A/V here.)
      av_dict_set(&opts, "movflags", "+frag_custom+empty_moov+default_base_moof+frag_discont+skip_sidx+skip_trailer", 0);
      av_dict_set(&opts, "use_editlist", "0", 0);
      av_dict_set(&opts, "avoid_negative_ts", "make_non_negative", 0);
    }
    r = avformat_write_header(oc_, &opts);
    av_dict_free(&opts);
    if (r < 0) return f.set(r, "avformat_write_header", cmaf_ ? "cmaf" : "mpegts");
    avio_flush(pb_);
    if (cmaf_) {
      init_.swap(buf_);
      addCmafBrand(init_);
    }
    buf_.clear();
  }

  // Lists 'cmfc' among the ftyp's compatible brands (the init's first box;
  // nothing in an empty moov points at absolute offsets, so it may grow).
  static void addCmafBrand(std::vector<uint8_t>& v) {
    if (v.size() < 16 || memcmp(&v[4], "ftyp", 4)) return;
    uint32_t size = (uint32_t(v[0]) << 24) | (v[1] << 16) | (v[2] << 8) | v[3];
    if (size < 16 || size > v.size()) return;
    for (uint32_t o = 16; o + 4 <= size; o += 4)
      if (!memcmp(&v[o], "cmfc", 4)) return;
    const uint8_t brand[4] = {'c', 'm', 'f', 'c'};
    v.insert(v.begin() + size, brand, brand + 4);
    size += 4;
    for (int i = 0; i < 4; i++) v[i] = static_cast<uint8_t>(size >> (24 - 8 * i));
  }

  // ADTS AAC into mp4: an ASC in the moov, and aac_adtstoasc strips the
  // headers from each packet (raw packets pass through it unchanged).
  bool AdtsFilter(AVStream* st, int i, AVRational tb, Failure& f) {
    std::vector<uint8_t> asc;
    if (!makeAsc(st->codecpar, asc))
      return f.setMessage("EINVAL", "Segmenter.open", "stream " + std::to_string(i) + ": AAC without extradata needs a standard sample rate and 1-6 or 8 channels (or pass parameters.extradata)"), false;
    st->codecpar->extradata = static_cast<uint8_t*>(av_mallocz(asc.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (!st->codecpar->extradata) return f.set(AVERROR(ENOMEM), "av_mallocz", "Segmenter.open"), false;
    memcpy(st->codecpar->extradata, asc.data(), asc.size());
    st->codecpar->extradata_size = static_cast<int>(asc.size());
    AVBSFContext*& bsf = adts_[i];
    const AVBitStreamFilter* bf = av_bsf_get_by_name("aac_adtstoasc");
    if (!bf) return f.set(AVERROR_BSF_NOT_FOUND, "av_bsf_get_by_name", "aac_adtstoasc"), false;
    int r = av_bsf_alloc(bf, &bsf);
    if (r >= 0) r = avcodec_parameters_copy(bsf->par_in, st->codecpar);
    if (r >= 0) {
      bsf->time_base_in = tb;
      r = av_bsf_init(bsf);
    }
    if (r < 0) return f.set(r, "av_bsf_init", "aac_adtstoasc for stream " + std::to_string(i)), false;
    return true;
  }

  // Passes an ADTS packet through its filter (one in, one out) and checks the
  // ASC it derives against the one already in the init segment.
  bool StripAdts(AVPacket* p, Failure& f) {
    AVBSFContext* bsf = adts_[p->stream_index];
    std::string what = "aac_adtstoasc on stream " + std::to_string(p->stream_index);
    int r = av_bsf_send_packet(bsf, p);
    if (r >= 0) r = av_bsf_receive_packet(bsf, p);
    if (r < 0) return f.set(r == AVERROR(EAGAIN) ? AVERROR_BUG : r, "av_bsf_receive_packet", what), false;
    size_t n = 0;
    const uint8_t* side = av_packet_get_side_data(p, AV_PKT_DATA_NEW_EXTRADATA, &n);
    const AVCodecParameters* par = oc_->streams[p->stream_index]->codecpar;
    if (side && (n != static_cast<size_t>(par->extradata_size) || memcmp(side, par->extradata, n)))
      return f.setMessage("EINVAL", "Segmenter.write", what + ": the ADTS headers disagree with the stream parameters (profile, sample rate or channels); pass parameters.extradata"), false;
    av_packet_free_side_data(p);
    return true;
  }

  // ---- write ------------------------------------------------------------------------
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) throw closedError(env, "Segmenter.write");
    if (!openCalled_) throw Napi::Error::New(env, "Segmenter.write: call open() first");
    if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "Segmenter.write: expected an array of packets");
    Napi::Array a = info[0].As<Napi::Array>();
    auto pkts = std::make_shared<PacketList>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      AVPacket* p = Packet::RefFrom(env, a.Get(i), "Segmenter.write");  // the caller keeps its packet
      pkts->v.push_back(p);
      if (p->stream_index < 0 || p->stream_index >= nStreams_)
        throw Napi::RangeError::New(env, "Segmenter.write: packet " + std::to_string(i) + " has streamIndex " + std::to_string(p->stream_index) +
                                             ", expected 0.." + std::to_string(nStreams_ - 1));
    }
    auto out = std::make_shared<std::vector<Segment>>();
    return Enqueue(
        env,
        [this, pkts, out](Failure& f) {
          std::lock_guard<std::mutex> lk(life_.mu);
          DoWrite(pkts->v, *out, f);
        },
        [this, out](Napi::Env env) { return SegmentsToJs(env, *out); });
  }

  bool Usable(Failure& f, const char* op) {
    if (!oc_) f.setMessage("EINVAL", op, "segmenter is not open");
    else if (broken_) f.setMessage("EINVAL", op, "segmenter failed earlier: " + brokenWhy_);
    else if (finished_) f.setMessage("EINVAL", op, "finish() was already called");
    return !f.failed;
  }

  // Matroska (and other pts-only containers) leave dts unset on the first
  // packets of a stream with B-frames, until the demuxer knows the reorder
  // delay. Those packets are held (at most kMaxHeld per stream) and get dts
  // counted back, one frame apart, from the first packet that has one.
  static constexpr size_t kMaxHeld = 16;

  // Assigns dts to `held` (decode order) so they end one frame before
  // `next`, the first packet with a dts.
  static bool Backfill(std::vector<AVPacket*>& held, const AVPacket* next, const std::string& which, Failure& f) {
    std::vector<int64_t> ts{next->pts};
    for (AVPacket* q : held) ts.push_back(q->pts);
    std::sort(ts.begin(), ts.end());
    // One frame: the packets' duration, else the smallest gap between their pictures' times.
    int64_t step = next->duration > 0 ? next->duration : 0;
    for (AVPacket* q : held)
      if (q->duration > 0 && (step == 0 || q->duration < step)) step = q->duration;
    if (step == 0)
      for (size_t i = 1; i < ts.size(); i++)
        if (ts[i] > ts[i - 1] && (step == 0 || ts[i] - ts[i - 1] < step)) step = ts[i] - ts[i - 1];
    int64_t end = next->dts;
    for (int64_t s : {step, int64_t(1)}) {
      if (s <= 0) continue;
      bool ok = true;
      for (size_t j = 0; j < held.size(); j++) {
        held[j]->dts = end - static_cast<int64_t>(held.size() - j) * s;
        ok = ok && held[j]->pts >= held[j]->dts;
      }
      if (ok) return true;
    }
    f.setMessage("EINVAL", "Segmenter.write", which + ": no decode timestamps fit the packets before it");
    return false;
  }

  void DoWrite(std::vector<AVPacket*>& pkts, std::vector<Segment>& out, Failure& f) {
    if (!Usable(f, "Segmenter.write")) return;
    // Check the whole batch first so a bad one writes nothing (and holds nothing new).
    std::vector<int64_t> last = lastDts_;
    std::vector<std::vector<AVPacket*>> held = held_;
    std::vector<AVPacket*> order, fresh;  // write order; packets newly held by us
    auto fail = [&fresh] {
      for (AVPacket*& q : fresh) av_packet_free(&q);
    };
    for (size_t i = 0; i < pkts.size(); i++) {
      AVPacket* p = pkts[i];
      int si = p->stream_index;
      AVRational src = p->time_base.num > 0 && p->time_base.den > 0 ? p->time_base : inTb_[si];
      AVRational dst = oc_->streams[si]->time_base;
      av_packet_rescale_ts(p, src, dst);
      p->time_base = dst;
      std::string which = "packet " + std::to_string(i) + " (stream " + std::to_string(si) + ")";
      if (p->dts == AV_NOPTS_VALUE && p->pts == AV_NOPTS_VALUE) return fail(), f.setMessage("EINVAL", "Segmenter.write", which + " has no timestamps");
      // Far beyond any real media time: the grid arithmetic below would overflow.
      constexpr int64_t kLimit = int64_t(1) << 52;
      auto out_of_range = [](int64_t t) { return t != AV_NOPTS_VALUE && (t > kLimit || t < -kLimit); };
      if (out_of_range(p->pts) || out_of_range(p->dts)) return fail(), f.setMessage("EINVAL", "Segmenter.write", which + ": timestamp out of range");
      if (offsetUs_) {  // after the range check: no overflow
        // Every rendition of a presentation adds the same offset, so all keep
        // one timeline even when each starts with its own negative dts.
        int64_t off = av_rescale_q(offsetUs_, AV_TIME_BASE_Q, dst);
        if (p->pts != AV_NOPTS_VALUE) p->pts += off;
        if (p->dts != AV_NOPTS_VALUE) p->dts += off;
      }
      bool video = oc_->streams[si]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO;
      if (p->dts == AV_NOPTS_VALUE && video && last[si] == AV_NOPTS_VALUE) {
        if (held[si].size() >= kMaxHeld)
          return fail(), f.setMessage("EINVAL", "Segmenter.write", which + ": no decode timestamp in the stream's first " + std::to_string(kMaxHeld) + " packets");
        AVPacket* own = av_packet_clone(p);
        if (!own) return fail(), f.set(AVERROR(ENOMEM), "Segmenter.write", which);
        fresh.push_back(own);
        held[si].push_back(own);
        continue;
      }
      if (p->dts == AV_NOPTS_VALUE) p->dts = p->pts;
      if (p->pts == AV_NOPTS_VALUE) p->pts = p->dts;
      if (!held[si].empty()) {
        if (!Backfill(held[si], p, which, f)) return fail();
        order.insert(order.end(), held[si].begin(), held[si].end());
        held[si].clear();
        last[si] = p->dts - 1;
      }
      if (p->pts < p->dts) return fail(), f.setMessage("EINVAL", "Segmenter.write", which + ": pts < dts");
      if (last[si] != AV_NOPTS_VALUE && p->dts <= last[si])
        return fail(), f.setMessage("EINVAL", "Segmenter.write", which + ": non-monotonic dts " + std::to_string(p->dts) + " after " + std::to_string(last[si]));
      last[si] = p->dts;
      order.push_back(p);
    }
    // Packets we hold (earlier or in this batch) are ours to free once written.
    std::vector<AVPacket*> owned;
    for (int si = 0; si < nStreams_; si++)
      for (AVPacket* q : held_[si])
        if (std::find(held[si].begin(), held[si].end(), q) == held[si].end()) owned.push_back(q);
    for (AVPacket* q : fresh)
      if (std::find(order.begin(), order.end(), q) != order.end()) owned.push_back(q);
    held_ = std::move(held);
    WritePackets(order, out, f);
    for (AVPacket*& q : owned) av_packet_free(&q);
  }

  void WritePackets(std::vector<AVPacket*>& order, std::vector<Segment>& out, Failure& f) {
    for (AVPacket* p : order) {
      if (broken_) {
        av_packet_unref(p);
        continue;
      }
      int si = p->stream_index;
      int64_t dts = p->dts;  // Put() consumes the packet
      if (!Put(p, out, f)) {
        broken_ = true;  // the muxer may hold half a packet: stop here
        brokenWhy_ = f.message;
        continue;
      }
      lastDts_[si] = dts;
    }
  }

  // finish(): packets still held never met one with a dts. Increasing pts
  // means no reordering, so dts = pts; anything else can't be timed.
  bool FlushHeld(std::vector<Segment>& out, Failure& f) {
    std::vector<AVPacket*> order;
    bool ok = true;
    for (int si = 0; si < nStreams_; si++) {
      for (size_t j = 0; j < held_[si].size(); j++) {
        AVPacket* q = held_[si][j];
        q->dts = q->pts;
        ok = ok && (j == 0 || q->pts > held_[si][j - 1]->pts);
        order.push_back(q);
      }
      held_[si].clear();
    }
    if (ok) WritePackets(order, out, f);
    for (AVPacket*& q : order) av_packet_free(&q);
    if (!ok) f.setMessage("EINVAL", "Segmenter.finish", "reordered video packets never got decode timestamps");
    return ok && !f.failed;
  }

  bool OnGrid(int64_t pts) const {
    return av_compare_ts(pts - origin_, oc_->streams[cut_]->time_base, nextK_ * durUs_ - tolUs_, AV_TIME_BASE_Q) >= 0;
  }

  // The first grid index after `pts`, computed, not counted: a timestamp jump
  // (hostile or a restarted live source) must not spin a worker thread.
  void AdvanceGrid(int64_t pts) {
    int64_t us = av_rescale_q(pts - origin_, oc_->streams[cut_]->time_base, AV_TIME_BASE_Q);
    if (us < 0) return;
    int64_t k = (us + tolUs_) / durUs_ + 1;
    if (k > nextK_) nextK_ = k;
    while (OnGrid(pts)) nextK_++;  // at most one or two steps (rounding)
  }

  bool Put(AVPacket* p, std::vector<Segment>& out, Failure& f) {
    int si = p->stream_index;
    bool key = (p->flags & AV_PKT_FLAG_KEY) != 0;
    if (si == cut_) {
      if (origin_ == AV_NOPTS_VALUE) origin_ = p->pts;
      // Cut only at a keyframe (any audio packet) at or after the next grid point.
      if (segHasCut_ && (key || cutAnyPacket_) && OnGrid(p->pts) && !Cut(out, p->pts, f)) return false;
      if (!segHasCut_) {
        segHasCut_ = true;
        segStart_ = p->pts;
        segKey_ = key;
        AdvanceGrid(segStart_);
      }
      // Encoders with delay (x264) leave packet durations at 0: take one
      // frame as the dts step, so the last segment is not a frame short.
      int64_t dur = p->duration > 0 ? p->duration : (cutDts_ != AV_NOPTS_VALUE && p->dts > cutDts_ ? p->dts - cutDts_ : 0);
      if (p->dts != AV_NOPTS_VALUE) cutDts_ = p->dts;
      int64_t end = p->pts + dur;
      if (segEnd_ == AV_NOPTS_VALUE || end > segEnd_) segEnd_ = end;
    }
    // Each TS segment must open with PAT/PMT so it plays on its own.
    if (!cmaf_ && !segHasData_ && seq_ > 0) av_opt_set(oc_->priv_data, "mpegts_flags", "+resend_headers", 0);
    if (adts_[si] && !StripAdts(p, f)) return false;
    int r = av_write_frame(oc_, p);
    av_packet_unref(p);
    if (r < 0) return f.set(r, "av_write_frame", "Segmenter stream " + std::to_string(si)), false;
    segHasData_ = true;
    return true;
  }

  // Ends the current segment: flush the muxer, take the bytes. `next` is the
  // pts (cut stream time base) of the next segment's first packet, or NOPTS.
  bool Cut(std::vector<Segment>& out, int64_t next, Failure& f) {
    int r = av_write_frame(oc_, nullptr);  // mp4: writes moof+mdat; TS: flushes PES buffers
    if (r < 0) return f.set(r, "av_write_frame (flush)", "Segmenter"), false;
    avio_flush(pb_);
    AVRational tb = oc_->streams[cut_]->time_base;
    Segment s;
    s.sequence = seq_++;
    s.key = segKey_;
    if (segHasCut_) {
      s.start = segStart_ * av_q2d(tb);
      int64_t end = next != AV_NOPTS_VALUE ? next : segEnd_;
      s.duration = end != AV_NOPTS_VALUE ? (end - segStart_) * av_q2d(tb) : 0;
    }
    if (cmaf_) s.data.assign(kStyp, kStyp + sizeof kStyp);
    s.data.insert(s.data.end(), buf_.begin(), buf_.end());
    if (!cmaf_) patFirst(s.data);
    buf_.clear();
    out.push_back(std::move(s));
    segHasCut_ = segHasData_ = false;
    segEnd_ = AV_NOPTS_VALUE;
    return true;
  }

  // ---- finish -----------------------------------------------------------------------
  Napi::Value Finish(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) throw closedError(env, "Segmenter.finish");
    if (!openCalled_) throw Napi::Error::New(env, "Segmenter.finish: call open() first");
    auto out = std::make_shared<std::vector<Segment>>();
    return Enqueue(
        env,
        [this, out](Failure& f) {
          std::lock_guard<std::mutex> lk(life_.mu);
          if (finished_ && oc_) return;  // a second finish(): nothing left
          if (!Usable(f, "Segmenter.finish")) return;
          if (!FlushHeld(*out, f)) return;
          if (segHasData_ && !Cut(*out, AV_NOPTS_VALUE, f)) return;
          finished_ = true;
          int r = av_write_trailer(oc_);
          avio_flush(pb_);
          // mp4: an empty flush (skip_trailer leaves no mfra); TS: nothing left after our
          // flush. Anything else belongs to the last segment, never to a new one.
          if (!cmaf_ && !buf_.empty() && !out->empty()) out->back().data.insert(out->back().data.end(), buf_.begin(), buf_.end());
          buf_.clear();
          if (r < 0) f.set(r, "av_write_trailer", "Segmenter");
        },
        [this, out](Napi::Env env) { return SegmentsToJs(env, *out); });
  }

  // ---- results (JS thread) ------------------------------------------------------------
  static Napi::Buffer<uint8_t> TakeBuffer(Napi::Env env, std::vector<uint8_t>& v) {
    auto* heap = new std::vector<uint8_t>(std::move(v));
    v.clear();
    if (heap->empty()) {
      delete heap;
      return Napi::Buffer<uint8_t>::New(env, 0);
    }
    return Napi::Buffer<uint8_t>::New(env, heap->data(), heap->size(), [](Napi::Env, uint8_t*, std::vector<uint8_t>* h) { delete h; }, heap);
  }

  static Napi::Value SegmentsToJs(Napi::Env env, std::vector<Segment>& segs) {
    Napi::Array a = Napi::Array::New(env, segs.size());
    for (size_t i = 0; i < segs.size(); i++) {
      Segment& s = segs[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("sequence", static_cast<double>(s.sequence));
      o.Set("start", s.start);
      o.Set("duration", s.duration);
      o.Set("size", static_cast<double>(s.data.size()));
      o.Set("startsWithKeyframe", s.key);
      o.Set("data", TakeBuffer(env, s.data));
      a.Set(static_cast<uint32_t>(i), o);
    }
    return a;
  }

  // ---- lifecycle --------------------------------------------------------------------
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) return resolvedPromise(env);
    closing_ = true;
    // Queued behind calls already made, which still complete.
    return Enqueue(
        env,
        [this](Failure&) {
          std::lock_guard<std::mutex> lk(life_.mu);
          FreeAll();
        },
        [this](Napi::Env env) -> Napi::Value {
          life_.released(false);
          return env.Undefined();
        });
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), closing_); }

  void FreeAll() {
    if (oc_) {
      oc_->pb = nullptr;
      avformat_free_context(oc_);  // runs the muxer's deinit when no trailer was written
      oc_ = nullptr;
    }
    if (pb_) {
      av_freep(&pb_->buffer);
      avio_context_free(&pb_);
    }
    for (AVBSFContext*& b : adts_) av_bsf_free(&b);
    for (auto& h : held_)
      for (AVPacket*& q : h) av_packet_free(&q);
    held_.clear();
    buf_.clear();
    buf_.shrink_to_fit();
    init_.clear();
  }

  Lifetime life_;
  bool closing_ = false;
  bool openCalled_ = false;
  int nStreams_ = 0;
  std::deque<Pending> pending_;
  bool busy_ = false;

  // Muxer state: touched by one worker at a time, under life_.mu.
  bool cmaf_ = false;
  int64_t durUs_ = 0;
  AVFormatContext* oc_ = nullptr;
  AVIOContext* pb_ = nullptr;
  std::vector<uint8_t> buf_, init_;
  std::vector<AVRational> inTb_;
  std::vector<AVBSFContext*> adts_;  // per stream: ADTS stripper for cmaf, or null
  std::vector<int64_t> lastDts_;  // per stream, output time base
  int64_t offsetUs_ = 0;          // timeOffset, added to every timestamp
  int64_t tolUs_ = 0;             // gridTolerance: a keyframe this early still opens the segment
  std::vector<std::vector<AVPacket*>> held_;  // per stream: leading packets waiting for a dts (ours)
  int cut_ = -1;                   // stream whose packets decide cuts (first video)
  bool cutAnyPacket_ = false;
  int64_t origin_ = AV_NOPTS_VALUE;  // grid origin: first pts of the cut stream
  int64_t cutDts_ = AV_NOPTS_VALUE;  // last dts of the cut stream (durations encoders leave at 0)
  int64_t nextK_ = 1;                // next cut at origin + nextK_ * duration
  int64_t seq_ = 0;
  bool segHasCut_ = false, segHasData_ = false, segKey_ = false;
  int64_t segStart_ = AV_NOPTS_VALUE, segEnd_ = AV_NOPTS_VALUE;
  bool finished_ = false, broken_ = false;
  std::string brokenWhy_;
};

}  // namespace

void InitSegmenter(Napi::Env env, Napi::Object exports) { Segmenter::Init(env, exports); }

}  // namespace ffnode
