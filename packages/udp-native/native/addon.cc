// The JavaScript face of the engine (node-addon-api): argument checking, Error objects with an errno `code`,
// and the threadsafe function that brings misses to the JavaScript thread. The API is documented in
// src/index.ts (the contract of FASTPATH.md).
#include <napi.h>

#include <memory>

#include "engine.h"
#include "wire.h"

namespace {

using udpn::Engine;
using udpn::MissBatch;

// Delivers miss batches to `onMisses` on the JavaScript thread. The threadsafe function is unref'd: the
// engine alone never keeps the process alive.
class JsMissSink : public udpn::MissSink {
 public:
  JsMissSink(napi_env env, napi_value callback, std::shared_ptr<std::atomic<int64_t>> pending)
      : pending_(std::move(pending)) {
    napi_value name;
    napi_create_string_utf8(env, "udp-native misses", NAPI_AUTO_LENGTH, &name);
    // the context owns the pending counter: queued calls may run (or be discarded) after the engine is gone
    auto* ctx = new std::shared_ptr<std::atomic<int64_t>>(pending_);
    const napi_status st = napi_create_threadsafe_function(env, callback, nullptr, name, 0, 1, ctx, Finalize, ctx,
                                                          CallJs, &tsfn_);
    if (st != napi_ok) {
      delete ctx;
      tsfn_ = nullptr;
      throw Napi::Error::New(Napi::Env(env), "udp-native: cannot create the threadsafe function");
    }
    napi_unref_threadsafe_function(env, tsfn_);
  }

  bool deliver(MissBatch* batch) override {
    if (!tsfn_) return false;
    return napi_call_threadsafe_function(tsfn_, batch, napi_tsfn_nonblocking) == napi_ok;
  }

  // After the socket threads are joined: queued batches are discarded (CallJs with env == nullptr).
  void release() {
    if (!tsfn_) return;
    napi_release_threadsafe_function(tsfn_, napi_tsfn_abort);
    tsfn_ = nullptr;
  }

 private:
  static void Finalize(napi_env, void* data, void*) { delete static_cast<std::shared_ptr<std::atomic<int64_t>>*>(data); }

  static void CallJs(napi_env env, napi_value callback, void* context, void* data) {
    std::unique_ptr<MissBatch> batch(static_cast<MissBatch*>(data));
    // env == nullptr: the function is being torn down (after close()); Node runs Finalize, which frees the
    // context, before it discards the queue, so only the batch may be touched here
    if (!batch || env == nullptr || callback == nullptr) return;
    auto& pending = *static_cast<std::shared_ptr<std::atomic<int64_t>>*>(context);
    pending->fetch_sub(int64_t(batch->items.size()), std::memory_order_relaxed);
    Napi::Env e(env);
    Napi::HandleScope scope(e);
    Napi::Array arr = Napi::Array::New(e, batch->items.size());
    uint32_t i = 0;
    for (const MissBatch::Item& it : batch->items) {
      Napi::Object m = Napi::Object::New(e);
      m.Set("packet", Napi::Buffer<uint8_t>::Copy(e, batch->bytes.data() + it.offset, it.length));
      m.Set("address", Napi::String::New(e, udpn::addressText(it.addr)));
      m.Set("port", Napi::Number::New(e, udpn::portOf(it.addr)));
      Napi::Buffer<uint8_t> peer = Napi::Buffer<uint8_t>::New(e, Engine::kPeerLen);
      Engine::encodePeer(peer.Data(), it.socket, it.addr, it.addrLen);
      m.Set("peer", peer);
      arr.Set(i++, m);
    }
    // an exception thrown by onMisses surfaces as an uncaught exception, like one in any event handler
    Napi::Function(e, callback).Call({arr});
  }

  std::shared_ptr<std::atomic<int64_t>> pending_;
  napi_threadsafe_function tsfn_ = nullptr;
};

double numberOpt(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("createEngine: ") + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "UdpEngine",
                       {InstanceMethod("bind", &EngineWrap::Bind), InstanceMethod("send", &EngineWrap::Send),
                        InstanceMethod("setVersion", &EngineWrap::SetVersion),
                        InstanceMethod("cacheSet", &EngineWrap::CacheSet),
                        InstanceMethod("rrlCheck", &EngineWrap::RrlCheck), InstanceMethod("stats", &EngineWrap::Stats),
                        InstanceMethod("close", &EngineWrap::Close)});
  }

  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info), env_(info.Env()) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "createEngine: options object expected");
    Napi::Object o = info[0].As<Napi::Object>();
    udpn::EngineConfig cfg;
    cfg.cacheBytes = size_t(std::max(0.0, numberOpt(o, "cacheBytes")));
    const double udpMax = numberOpt(o, "udpMaxPayload");
    // as the responder: never below the classic 512, and a UDP payload fits 16 bits
    cfg.udpMaxPayload = uint16_t(std::min(65535.0, std::max(512.0, udpMax)));
    cfg.maxPendingMisses = int64_t(std::max(0.0, numberOpt(o, "maxPendingMisses")));
    Napi::Value rrl = o.Get("rrl");
    if (rrl.IsObject()) {
      Napi::Object r = rrl.As<Napi::Object>();
      auto opts = std::make_unique<udpn::RrlOptions>();
      opts->rate = numberOpt(r, "rate");
      opts->burst = numberOpt(r, "burst");
      opts->slip = uint32_t(std::max(0.0, numberOpt(r, "slip")));
      Napi::Value ex = r.Get("exempt");
      if (ex.IsArray()) {
        Napi::Array a = ex.As<Napi::Array>();
        for (uint32_t i = 0; i < a.Length(); i++) {
          Napi::Value v = a.Get(i);
          if (v.IsString()) opts->exempt.push_back(udpn::parseIp(v.As<Napi::String>().Utf8Value()));
        }
      }
      cfg.rrl = std::move(opts);
    } else if (!rrl.IsNull() && !rrl.IsUndefined()) {
      throw Napi::TypeError::New(env, "createEngine: rrl must be an object or null");
    }
    Napi::Value cb = o.Get("onMisses");
    if (!cb.IsFunction()) throw Napi::TypeError::New(env, "createEngine: onMisses must be a function");
    auto pending = std::make_shared<std::atomic<int64_t>>(0);
    try {
      engine_ = std::make_unique<Engine>(std::move(cfg), nullptr);
    } catch (const udpn::SystemError& e) {
      throw SysError(env, e);
    }
    sink_ = std::make_unique<JsMissSink>(env, cb, engine_->pendingCounter());
    engine_->setSink(sink_.get());
    // registered after the threadsafe function so that it runs first at environment teardown (LIFO)
    napi_add_env_cleanup_hook(env, CleanupHook, this);
    hooked_ = true;
  }

  ~EngineWrap() override {
    Shutdown();
    if (hooked_) napi_remove_env_cleanup_hook(env_, CleanupHook, this);
  }

 private:
  static Napi::Error SysError(Napi::Env env, const udpn::SystemError& e) {
    Napi::Error err = Napi::Error::New(env, e.what());
    err.Set("code", Napi::String::New(env, e.code));
    return err;
  }

  static void CleanupHook(void* arg) {
    auto* self = static_cast<EngineWrap*>(arg);
    self->hooked_ = false;
    self->Shutdown();
  }

  void Shutdown() {
    if (engine_) engine_->close();  // joins the threads: nothing calls the sink afterwards
    if (sink_) sink_->release();
  }

  Napi::Value Bind(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber())
      throw Napi::TypeError::New(env, "bind(host: string, port: number, threads: number)");
    const double port = info[1].As<Napi::Number>().DoubleValue();
    const double threads = info[2].As<Napi::Number>().DoubleValue();
    if (!(port >= 0 && port <= 65535)) throw Napi::RangeError::New(env, "bind: port out of range");
    if (!(threads >= 1 && threads <= 256)) throw Napi::RangeError::New(env, "bind: threads must be 1..256");
    try {
      return Napi::Number::New(env, engine_->bind(info[0].As<Napi::String>().Utf8Value(), uint16_t(port),
                                                  unsigned(threads)));
    } catch (const udpn::SystemError& e) {
      throw SysError(env, e);
    }
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsArray()) throw Napi::TypeError::New(env, "send(replies: [peer, packet][])");
    Napi::Array a = info[0].As<Napi::Array>();
    std::vector<Engine::Reply> replies;
    replies.reserve(a.Length());
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value pair = a.Get(i);
      if (!pair.IsArray()) throw Napi::TypeError::New(env, "send: each reply is [peer, packet]");
      Napi::Array p = pair.As<Napi::Array>();
      Napi::Value peer = p.Get(uint32_t(0)), data = p.Get(uint32_t(1));
      if (!peer.IsBuffer() || !data.IsBuffer()) throw Napi::TypeError::New(env, "send: peer and packet must be Buffers");
      auto pb = peer.As<Napi::Buffer<uint8_t>>();
      auto db = data.As<Napi::Buffer<uint8_t>>();
      replies.push_back({pb.Data(), pb.Length(), db.Data(), db.Length()});
    }
    engine_->send(replies);
    return env.Undefined();
  }

  Napi::Value SetVersion(const Napi::CallbackInfo& info) {
    if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "setVersion(version: number)");
    engine_->cache().setVersion(info[0].As<Napi::Number>().Int64Value());
    return info.Env().Undefined();
  }

  Napi::Value CacheSet(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber() || !info[1].IsBuffer() || !info[2].IsNumber() || !info[3].IsNumber() ||
        !info[5].IsBuffer() || !info[6].IsNumber())
      throw Napi::TypeError::New(env, "cacheSet(version, qnameWire, qtype, qclass, dnssecOk, response, rcode)");
    auto name = info[1].As<Napi::Buffer<uint8_t>>();
    auto resp = info[5].As<Napi::Buffer<uint8_t>>();
    // a question name the hit path could never look up, or a response too short to hold that question
    if (name.Length() < 1 || name.Length() > 255 || resp.Length() < udpn::kHeaderLen + name.Length() + 4)
      return env.Undefined();
    uint8_t key[udpn::kMaxKey];
    const size_t kl = udpn::makeKey(key, name.Data(), name.Length(), uint16_t(info[2].As<Napi::Number>().Uint32Value()),
                                    uint16_t(info[3].As<Napi::Number>().Uint32Value()), info[4].ToBoolean().Value());
    engine_->cache().set(info[0].As<Napi::Number>().Int64Value(), key, kl, resp.Data(), resp.Length(),
                         uint16_t(info[6].As<Napi::Number>().Uint32Value()));
    return env.Undefined();
  }

  Napi::Value RrlCheck(const Napi::CallbackInfo& info) {
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "rrlCheck(address: string)");
    return Napi::Number::New(info.Env(), int(engine_->rrlCheck(info[0].As<Napi::String>().Utf8Value())));
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const udpn::Stats s = engine_->stats();
    Napi::Object o = Napi::Object::New(env);
    o.Set("received", double(s.received));
    o.Set("hits", double(s.hits));
    o.Set("misses", double(s.misses));
    o.Set("missesDropped", double(s.missesDropped));
    o.Set("sendErrors", double(s.sendErrors));
    o.Set("rrlDropped", double(s.rrlDropped));
    o.Set("rrlSlipped", double(s.rrlSlipped));
    o.Set("cacheEntries", double(s.cacheEntries));
    o.Set("cacheBytes", double(s.cacheBytes));
    o.Set("evictions", double(s.evictions));
    Napi::Array answered = Napi::Array::New(env, s.answered.size());
    uint32_t i = 0;
    for (auto& [k, n] : s.answered) {
      Napi::Array row = Napi::Array::New(env, 3);
      row.Set(uint32_t(0), double(k.first));
      row.Set(uint32_t(1), double(k.second));
      row.Set(uint32_t(2), double(n));
      answered.Set(i++, row);
    }
    o.Set("answered", answered);
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  napi_env env_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<JsMissSink> sink_;
  bool hooked_ = false;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("UdpEngine", EngineWrap::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(udp_native, Init)
