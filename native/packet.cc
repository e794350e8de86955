#include "packet.h"
#include "validate.h"

namespace ffnode {

void Packet::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(
      env, "Packet",
      {
          InstanceMethod<&Packet::Ref>("ref"),
          InstanceMethod<&Packet::FreeJs>("free"),
          InstanceMethod<&Packet::Data>("data"),
          InstanceMethod<&Packet::ToJSON>("toJSON"),
          StaticMethod<&Packet::FromBuffer>("fromBuffer"),
          InstanceAccessor<&Packet::GetFreed>("freed"),
          InstanceAccessor<&Packet::GetPts, &Packet::SetPts>("pts"),
          InstanceAccessor<&Packet::GetDts, &Packet::SetDts>("dts"),
          InstanceAccessor<&Packet::GetDuration, &Packet::SetDuration>("duration"),
          InstanceAccessor<&Packet::GetTimeBase, &Packet::SetTimeBase>("timeBase"),
          InstanceAccessor<&Packet::GetStreamIndex, &Packet::SetStreamIndex>("streamIndex"),
          InstanceAccessor<&Packet::GetKeyFrame, &Packet::SetKeyFrame>("keyFrame"),
          InstanceAccessor<&Packet::GetSize>("size"),
      });
  addon(env).packetCtor = Napi::Persistent(ctor);
  exports.Set("Packet", ctor);
}

Napi::Object Packet::Wrap(Napi::Env env, AVPacket* p) {
  // As Frame::Wrap: if JS cannot run (teardown), the uncounted packet is freed.
  try {
    return addon(env).packetCtor.New({Napi::External<AVPacket>::New(env, p)});
  } catch (...) {
    av_packet_free(&p);
    throw;
  }
}

bool Packet::Is(Napi::Env env, Napi::Value v) {
  return v.IsObject() && v.As<Napi::Object>().InstanceOf(addon(env).packetCtor.Value());
}

AVPacket* Packet::RefFrom(Napi::Env env, Napi::Value v, const char* what) {
  if (!Is(env, v)) throw Napi::TypeError::New(env, std::string(what) + ": expected a Packet");
  Packet* p = Packet::Unwrap(v.As<Napi::Object>());
  if (!p->pkt_) throw Napi::TypeError::New(env, std::string(what) + ": the Packet was already freed");
  AVPacket* c = av_packet_clone(p->pkt_);
  if (!c) throw Napi::Error::New(env, std::string(what) + ": out of memory");
  return c;
}

Packet::Packet(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Packet>(info) {
  if (info.Length() != 1 || !info[0].IsExternal())
    throw Napi::TypeError::New(info.Env(), "Packet cannot be constructed directly: use Packet.fromBuffer() or a decoder/encoder");
  pkt_ = info[0].As<Napi::External<AVPacket>>().Data();
  bytes_ = pkt_->buf ? static_cast<int64_t>(pkt_->buf->size) : pkt_->size;
  stats().packets++;
  stats().packetBytes += bytes_;
}

void Packet::Release(bool leaked) {
  if (!pkt_) return;
  av_packet_free(&pkt_);
  stats().packets--;
  stats().packetBytes -= bytes_;
  if (leaked) countLeak(stats().leakedPackets);
}

Packet::~Packet() { Release(true); }

AVPacket* Packet::Need(Napi::Env env) {
  if (!pkt_) throw Napi::TypeError::New(env, "Packet: already freed");
  return pkt_;
}

Napi::Value Packet::Ref(const Napi::CallbackInfo& info) {
  AVPacket* c = av_packet_clone(Need(info.Env()));
  if (!c) throw Napi::Error::New(info.Env(), "Packet.ref: out of memory");
  return Wrap(info.Env(), c);
}

Napi::Value Packet::FreeJs(const Napi::CallbackInfo& info) {
  Release(false);
  return info.Env().Undefined();
}

static void releaseBuf(Napi::Env, uint8_t*, AVBufferRef* ref) { av_buffer_unref(&ref); }

Napi::Value Packet::Data(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AVPacket* p = Need(env);
  if (p->size == 0 || !p->data) return Napi::Buffer<uint8_t>::New(env, 0);
  if (!p->buf) return Napi::Buffer<uint8_t>::Copy(env, p->data, p->size);
  AVBufferRef* ref = av_buffer_ref(p->buf);
  if (!ref) throw Napi::Error::New(env, "Packet.data: out of memory");
  return Napi::Buffer<uint8_t>::New(env, p->data, p->size, releaseBuf, ref);
}

Napi::Value Packet::FromBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "Packet.fromBuffer";
  if (info.Length() < 1 || !info[0].IsBuffer()) check::typeError(env, where, "data", "a Buffer", info.Length() ? info[0] : env.Undefined());
  Napi::Buffer<uint8_t> b = info[0].As<Napi::Buffer<uint8_t>>();
  if (b.Length() > (1u << 30)) throw Napi::RangeError::New(env, "Packet.fromBuffer: data must be at most 1 GiB, got " + std::to_string(b.Length()) + " bytes");
  // Every field is checked before anything is allocated.
  int64_t pts = AV_NOPTS_VALUE, dts = AV_NOPTS_VALUE, duration = 0, index = 0;
  AVRational tb{0, 1};  // unset: consumers take their own stream's time base
  bool key = false;
  if (info.Length() > 1 && check::optionsObject(env, where, "init", info[1])) {
    Napi::Object o = info[1].As<Napi::Object>();
    pts = check::timestamp(env, where, "pts", o.Get("pts"), true);
    dts = check::timestamp(env, where, "dts", o.Get("dts"), true);
    duration = check::integerField(env, where, o, "duration", 0, static_cast<int64_t>(limits::kMaxTimestamp), 0);
    index = check::integerField(env, where, o, "streamIndex", 0, limits::kMaxStreamIndex, 0);
    tb = check::rationalField(env, where, o, "timeBase", tb);
    key = check::booleanField(env, where, o, "keyFrame", false);
  }
  AVPacket* p = av_packet_alloc();
  if (!p || av_new_packet(p, static_cast<int>(b.Length())) < 0) {
    av_packet_free(&p);
    throw Napi::Error::New(env, "Packet.fromBuffer: out of memory");
  }
  if (b.Length()) memcpy(p->data, b.Data(), b.Length());
  p->pts = pts;
  p->dts = dts;
  p->duration = duration;
  p->stream_index = static_cast<int>(index);
  p->time_base = tb;
  if (key) p->flags |= AV_PKT_FLAG_KEY;
  return Wrap(env, p);
}

Napi::Value Packet::GetFreed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), pkt_ == nullptr); }
Napi::Value Packet::GetPts(const Napi::CallbackInfo& info) { return tsToJs(info.Env(), Need(info.Env())->pts); }
void Packet::SetPts(const Napi::CallbackInfo& info, const Napi::Value& v) {
  AVPacket* p = Need(info.Env());
  p->pts = check::timestamp(info.Env(), "Packet", "pts", v, true);
}
Napi::Value Packet::GetDts(const Napi::CallbackInfo& info) { return tsToJs(info.Env(), Need(info.Env())->dts); }
void Packet::SetDts(const Napi::CallbackInfo& info, const Napi::Value& v) {
  AVPacket* p = Need(info.Env());
  p->dts = check::timestamp(info.Env(), "Packet", "dts", v, true);
}
Napi::Value Packet::GetDuration(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(Need(info.Env())->duration)); }
void Packet::SetDuration(const Napi::CallbackInfo& info, const Napi::Value& v) {
  AVPacket* p = Need(info.Env());
  p->duration = check::integer(info.Env(), "Packet", "duration", v, 0, static_cast<int64_t>(limits::kMaxTimestamp));
}
Napi::Value Packet::GetTimeBase(const Napi::CallbackInfo& info) { return rationalToJs(info.Env(), Need(info.Env())->time_base); }
void Packet::SetTimeBase(const Napi::CallbackInfo& info, const Napi::Value& v) {
  AVPacket* p = Need(info.Env());
  p->time_base = check::rational(info.Env(), "Packet", "timeBase", v);
}
Napi::Value Packet::GetStreamIndex(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Need(info.Env())->stream_index); }
void Packet::SetStreamIndex(const Napi::CallbackInfo& info, const Napi::Value& v) {
  AVPacket* p = Need(info.Env());
  p->stream_index = static_cast<int>(check::integer(info.Env(), "Packet", "streamIndex", v, 0, limits::kMaxStreamIndex));
}
Napi::Value Packet::GetKeyFrame(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), (Need(info.Env())->flags & AV_PKT_FLAG_KEY) != 0); }
void Packet::SetKeyFrame(const Napi::CallbackInfo& info, const Napi::Value& v) {
  AVPacket* p = Need(info.Env());
  if (check::boolean(info.Env(), "Packet", "keyFrame", v)) p->flags |= AV_PKT_FLAG_KEY; else p->flags &= ~AV_PKT_FLAG_KEY;
}
Napi::Value Packet::GetSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Need(info.Env())->size); }

Napi::Value Packet::ToJSON(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (!pkt_) {
    o.Set("freed", true);
    return o;
  }
  o.Set("streamIndex", pkt_->stream_index);
  o.Set("pts", tsToJs(env, pkt_->pts));
  o.Set("dts", tsToJs(env, pkt_->dts));
  o.Set("duration", static_cast<double>(pkt_->duration));
  o.Set("timeBase", rationalToJs(env, pkt_->time_base));
  o.Set("keyFrame", (pkt_->flags & AV_PKT_FLAG_KEY) != 0);
  o.Set("size", pkt_->size);
  return o;
}

}  // namespace ffnode
