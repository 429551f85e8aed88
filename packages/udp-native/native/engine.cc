#include "engine.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <netdb.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "wire.h"

namespace udpn {

// A socket thread's own buffers: recvmmsg fills `recv`, hits are re-stamped into `out` and leave with one
// sendmmsg. Allocated once (default-initialised: untouched pages cost no memory); nothing per packet.
struct Engine::Worker {
  static constexpr size_t kBatch = 64;
  static constexpr size_t kRecvSlot = 65536;  // the largest datagram: a miss reaches JavaScript whole
  // slots a little more than 64 KiB apart, so the 64 packet headers do not all fall into the same cache sets
  static constexpr size_t kRecvStride = kRecvSlot + 320;

  int fd;
  uint32_t socket;
  size_t outSlot;
  std::unique_ptr<uint8_t[]> recv;
  std::unique_ptr<uint8_t[]> out;
  mmsghdr rmsg[kBatch];
  iovec riov[kBatch];
  sockaddr_storage raddr[kBatch];
  mmsghdr smsg[kBatch];
  iovec siov[kBatch];
  Counters counters;
  std::thread thread;

  Worker(int f, uint32_t s, size_t udpMax)
      : fd(f), socket(s), outSlot(udpMax), recv(new uint8_t[kBatch * kRecvStride]), out(new uint8_t[kBatch * udpMax]) {
    std::memset(rmsg, 0, sizeof rmsg);
    std::memset(smsg, 0, sizeof smsg);
    for (size_t i = 0; i < kBatch; i++) {
      riov[i] = {recv.get() + i * kRecvStride, kRecvSlot};
      rmsg[i].msg_hdr.msg_iov = &riov[i];
      rmsg[i].msg_hdr.msg_iovlen = 1;
      rmsg[i].msg_hdr.msg_name = &raddr[i];
      smsg[i].msg_hdr.msg_iov = &siov[i];
      smsg[i].msg_hdr.msg_iovlen = 1;
    }
  }
};

Engine::Engine(EngineConfig cfg, MissSink* sink)
    : cfg_(std::move(cfg)),
      sink_(sink),
      cache_(cfg_.cacheBytes),
      rrl_(cfg_.rrl ? new RateLimiter(*cfg_.rrl) : nullptr),
      pending_(std::make_shared<std::atomic<int64_t>>(0)) {
}

Engine::~Engine() { close(); }

static SystemError sysError(int err, const std::string& what) {
  return SystemError(errnoName(err), what + " " + errnoName(err) + " (" + std::strerror(err) + ")");
}

static bool resolve(const std::string& host, uint16_t port, sockaddr_storage& sa, socklen_t& len) {
  std::memset(&sa, 0, sizeof sa);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&sa);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&sa);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
    return true;
  }
  addrinfo hints = {};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) return false;
  std::memcpy(&sa, res->ai_addr, res->ai_addrlen);
  len = res->ai_addrlen;
  freeaddrinfo(res);
  if (sa.ss_family == AF_INET) v4->sin_port = htons(port);
  if (sa.ss_family == AF_INET6) v6->sin6_port = htons(port);
  return true;
}

static void bigBuffer(int fd, int opt, int forced) {
  const int size = 4 << 20;
  // the FORCE variant passes net.core.*mem_max when we are allowed to; otherwise take what the kernel gives
  if (setsockopt(fd, SOL_SOCKET, forced, &size, sizeof size) != 0) setsockopt(fd, SOL_SOCKET, opt, &size, sizeof size);
}

// SO_REUSEPORT group: the datagram goes to socket (cpu % n), the socket of the CPU that took it from the
// network, instead of a hash of the 4-tuple (which leaves a thread idle when few clients send: dnsperf -c 8
// -T 2 here, 82-117k qps hashed vs 138-155k steered). Without the filter (old kernel) the hash it is.
static void steerByCpu(int fd, unsigned n) {
  sock_filter code[] = {
      {BPF_LD | BPF_W | BPF_ABS, 0, 0, uint32_t(SKF_AD_OFF + SKF_AD_CPU)},
      {BPF_ALU | BPF_MOD | BPF_K, 0, 0, n},
      {BPF_RET | BPF_A, 0, 0, 0},
  };
  sock_fprog prog = {3, code};
  setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog);
}

static void setPort(sockaddr_storage& sa, uint16_t port) {
  if (sa.ss_family == AF_INET) reinterpret_cast<sockaddr_in&>(sa).sin_port = htons(port);
  else if (sa.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6&>(sa).sin6_port = htons(port);
}

// A port no socket holds on this address (a plain socket bound to port 0, then closed).
static uint16_t freePort(sockaddr_storage sa, socklen_t saLen, const std::string& host) {
  setPort(sa, 0);
  const int fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw sysError(errno, "socket " + host);
  const int one = 1;
  if (sa.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  sockaddr_storage got;
  socklen_t gotLen = sizeof got;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), saLen) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&got), &gotLen) != 0) {
    const int err = errno;
    ::close(fd);
    throw sysError(err, "bind " + host + ":0");
  }
  ::close(fd);
  return portOf(got);
}

uint16_t Engine::bind(const std::string& host, uint16_t port, unsigned threads) {
  if (closed_) throw SystemError("ERR_SOCKET_DGRAM_NOT_RUNNING", "engine closed");
  if (threads < 1) threads = 1;
  sockaddr_storage sa;
  socklen_t saLen;
  if (!resolve(host, port, sa, saLen)) throw SystemError("ENOTFOUND", "bind: cannot resolve " + host);
  // Port 0 with several threads: the kernel, choosing a port for a SO_REUSEPORT socket, may hand out one that
  // another reuseport group of this user holds (two engines would share traffic). A plain socket is only given a
  // port nobody holds: it picks, then the group binds there.
  if (port == 0 && threads > 1) port = freePort(sa, saLen, host);
  setPort(sa, port);
  std::vector<int> opened;
  auto fail = [&](int err, const std::string& what) {
    for (int fd : opened) ::close(fd);
    return sysError(err, what + " " + host + ":" + std::to_string(port));
  };
  for (unsigned i = 0; i < threads; i++) {
    const int fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw fail(errno, "socket");
    opened.push_back(fd);
    const int one = 1;
    // like the TypeScript path, which binds "::" with ipv6Only: IPv4 arrives on the IPv4 socket
    if (sa.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)
      throw fail(errno, "setsockopt IPV6_V6ONLY");
    if (threads > 1 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      throw fail(errno, "setsockopt SO_REUSEPORT");
    // blocking reads (the thread sleeps in recvmmsg); close() wakes it with shutdown(), this bounds the wait
    // should a kernel not wake it
    const timeval tick = {0, 200 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
    bigBuffer(fd, SO_RCVBUF, SO_RCVBUFFORCE);
    bigBuffer(fd, SO_SNDBUF, SO_SNDBUFFORCE);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), saLen) != 0) throw fail(errno, "bind");
    if (i == 0 && port == 0) {
      sockaddr_storage got;
      socklen_t gotLen = sizeof got;
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&got), &gotLen) != 0) throw fail(errno, "getsockname");
      port = portOf(got);
    }
  }
  if (opened.size() > 1) steerByCpu(opened[0], unsigned(opened.size()));
  for (int fd : opened) {
    const uint32_t index = uint32_t(fds_.size());
    fds_.push_back(fd);
    auto w = std::make_unique<Worker>(fd, index, cfg_.udpMaxPayload);
    Worker* raw = w.get();
    workers_.push_back(std::move(w));
    raw->thread = std::thread([this, raw] { run(raw); });
    pthread_setname_np(raw->thread.native_handle(), "ddns-udp");
  }
  return port;
}

void Engine::encodePeer(uint8_t* out, uint32_t socket, const sockaddr_storage& sa, socklen_t len) {
  std::memset(out, 0, kPeerLen);
  std::memcpy(out, &socket, 4);
  const uint32_t l = std::min<uint32_t>(len, sizeof(sockaddr_in6));
  std::memcpy(out + 4, &l, 4);
  std::memcpy(out + 8, &sa, l);
}

void Engine::answerCounted(Counters& c, uint16_t qtype, uint16_t rcode) {
  if (qtype < Counters::kTypes && rcode < Counters::kRcodes) {
    bump(c.answered[qtype * Counters::kRcodes + rcode]);
    return;
  }
  std::lock_guard<std::mutex> lock(rareMu_);
  rareAnswered_[{qtype, rcode}]++;
}

// One socket thread: recvmmsg blocks until a datagram is there, then takes up to a batch without waiting
// (MSG_WAITFORONE); hits are answered with one sendmmsg, the rest go to JavaScript in one batch. Two system calls
// per batch, none per packet.
void Engine::run(Worker* w) {
  Counters& c = w->counters;
  const size_t udpMax = cfg_.udpMaxPayload;
  uint8_t key[kMaxKey];
  while (!stopping_.load(std::memory_order_relaxed)) {
    for (size_t i = 0; i < Worker::kBatch; i++) w->rmsg[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    const int n = recvmmsg(w->fd, w->rmsg, Worker::kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;  // timeout tick, EINTR, a transient error
    // after close()'s shutdown() the kernel reports empty "datagrams": not packets, never passed on
    if (stopping_.load(std::memory_order_acquire)) break;
    bump(c.received, uint64_t(n));
    const double now = rrl_ ? monotonicMs() : 0;
    size_t ns = 0;
    MissBatch* misses = nullptr;
    for (int i = 0; i < n; i++) {
      const uint8_t* pkt = w->recv.get() + size_t(i) * Worker::kRecvStride;
      const size_t len = w->rmsg[i].msg_len;
      uint8_t* out = w->out.get() + ns * w->outSlot;
      Query q;
      size_t outLen = 0;
      uint16_t rcode = 0;
      if (parseQuery(pkt, len, q)) {
        const size_t room = replyLimit(q, udpMax) - (q.edns ? kOptLen : 0);
        const size_t kl = makeKey(key, pkt + kHeaderLen, q.nameLen, q.qtype, q.qclass, q.dnssecOk);
        const size_t got = cache_.get(key, kl, out, room, rcode);
        if (got >= kHeaderLen + q.nameLen + 4) outLen = restamp(out, got, pkt, q, uint16_t(udpMax));
      }
      if (!outLen) {
        bump(c.misses);
        if (pending_->load(std::memory_order_relaxed) >= cfg_.maxPendingMisses) {
          bump(c.missesDropped);
          continue;
        }
        pending_->fetch_add(1, std::memory_order_relaxed);
        if (!misses) {
          misses = new MissBatch();
          misses->items.reserve(n - i);
        }
        MissBatch::Item item;
        item.offset = uint32_t(misses->bytes.size());
        item.length = uint32_t(len);
        item.socket = w->socket;
        item.addrLen = w->rmsg[i].msg_hdr.msg_namelen;
        item.addr = w->raddr[i];
        misses->bytes.insert(misses->bytes.end(), pkt, pkt + len);
        misses->items.push_back(item);
        continue;
      }
      bump(c.hits);
      if (rrl_) {
        const Verdict v = rrl_->check(fromSockaddr(w->raddr[i]), now);
        if (v == Verdict::Drop) {
          bump(c.rrlDropped);
          continue;
        }
        if (v == Verdict::Slip) {
          outLen = slip(out, q.nameLen);
          bump(c.rrlSlipped);
        }
      }
      answerCounted(c, q.qtype, rcode);
      msghdr& h = w->smsg[ns].msg_hdr;
      h.msg_name = &w->raddr[i];
      h.msg_namelen = w->rmsg[i].msg_hdr.msg_namelen;
      w->siov[ns] = {out, outLen};
      ns++;
    }
    for (size_t off = 0; off < ns;) {
      const int sent = sendmmsg(w->fd, w->smsg + off, unsigned(ns - off), MSG_DONTWAIT);
      if (sent > 0) {
        off += size_t(sent);
      } else if (sent < 0 && errno == EINTR) {
        continue;
      } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        bump(c.sendErrors, ns - off);  // socket buffer full: dropped
        break;
      } else {
        bump(c.sendErrors);  // this destination failed; go on
        off++;
      }
    }
    if (misses && !sink_->deliver(misses)) {
      bump(c.missesDropped, misses->items.size());
      pending_->fetch_sub(int64_t(misses->items.size()), std::memory_order_relaxed);
      delete misses;
    }
  }
}

void Engine::send(const std::vector<Reply>& replies) {
  if (closed_) {
    // the descriptors are closed (their numbers may already belong to other files): nothing goes out
    jsSendErrors_.fetch_add(replies.size(), std::memory_order_relaxed);
    return;
  }
  // group by socket (few), then sendmmsg in batches; the JavaScript thread never waits: EAGAIN = dropped
  std::vector<uint32_t> sockets;
  for (const Reply& r : replies) {
    uint32_t s;
    if (r.peerLen != kPeerLen) continue;
    std::memcpy(&s, r.peer, 4);
    if (std::find(sockets.begin(), sockets.end(), s) == sockets.end()) sockets.push_back(s);
  }
  size_t bad = 0;
  for (const Reply& r : replies) {
    uint32_t s = 0, l = 0;
    if (r.peerLen == kPeerLen) {
      std::memcpy(&s, r.peer, 4);
      std::memcpy(&l, r.peer + 4, 4);
    }
    if (r.peerLen != kPeerLen || s >= fds_.size() || l > sizeof(sockaddr_in6)) bad++;
  }
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iov;
  msgs.reserve(replies.size());
  iov.reserve(replies.size());
  for (uint32_t s : sockets) {
    if (s >= fds_.size()) continue;
    msgs.clear();
    iov.clear();
    for (const Reply& r : replies) {
      uint32_t rs, l;
      if (r.peerLen != kPeerLen) continue;
      std::memcpy(&rs, r.peer, 4);
      std::memcpy(&l, r.peer + 4, 4);
      if (rs != s || l > sizeof(sockaddr_in6)) continue;
      iov.push_back({const_cast<uint8_t*>(r.data), r.len});
      mmsghdr m = {};
      m.msg_hdr.msg_name = const_cast<uint8_t*>(r.peer + 8);
      m.msg_hdr.msg_namelen = l;
      msgs.push_back(m);
    }
    for (size_t i = 0; i < msgs.size(); i++) {
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    for (size_t off = 0; off < msgs.size();) {
      const int sent = sendmmsg(fds_[s], msgs.data() + off, unsigned(std::min<size_t>(msgs.size() - off, 64)),
                                MSG_DONTWAIT);
      if (sent > 0) {
        off += size_t(sent);
      } else if (sent < 0 && errno == EINTR) {
        continue;
      } else {
        jsSendErrors_.fetch_add(1, std::memory_order_relaxed);
        off++;
      }
    }
  }
  if (bad) jsSendErrors_.fetch_add(bad, std::memory_order_relaxed);
}

Verdict Engine::rrlCheck(const std::string& address) {
  if (!rrl_) return Verdict::Send;
  return rrl_->check(parseIp(address), monotonicMs());
}

void Engine::close() {
  if (closed_) return;
  closed_ = true;
  stopping_.store(true, std::memory_order_release);
  // wakes a thread blocked in recvmmsg (Linux does so even for an unconnected UDP socket, reporting ENOTCONN)
  for (int fd : fds_) shutdown(fd, SHUT_RD);
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
  for (int fd : fds_) ::close(fd);
  // the sockets are gone; the counters stay readable
  for (auto& w : workers_) {
    w->recv.reset();
    w->out.reset();
  }
}

Stats Engine::stats() {
  Stats s;
  for (auto& w : workers_) {
    const Counters& c = w->counters;
    s.received += c.received.load(std::memory_order_relaxed);
    s.hits += c.hits.load(std::memory_order_relaxed);
    s.misses += c.misses.load(std::memory_order_relaxed);
    s.missesDropped += c.missesDropped.load(std::memory_order_relaxed);
    s.sendErrors += c.sendErrors.load(std::memory_order_relaxed);
    s.rrlDropped += c.rrlDropped.load(std::memory_order_relaxed);
    s.rrlSlipped += c.rrlSlipped.load(std::memory_order_relaxed);
    for (size_t i = 0; i < Counters::kTypes * Counters::kRcodes; i++) {
      const uint64_t n = c.answered[i].load(std::memory_order_relaxed);
      if (n) s.answered[{uint32_t(i / Counters::kRcodes), uint32_t(i % Counters::kRcodes)}] += n;
    }
  }
  s.sendErrors += jsSendErrors_.load(std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(rareMu_);
    for (auto& [k, n] : rareAnswered_) s.answered[k] += n;
  }
  s.cacheEntries = cache_.entries();
  s.cacheBytes = cache_.bytes();
  s.evictions = cache_.evictions();
  return s;
}

}  // namespace udpn
