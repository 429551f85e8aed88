// The engine without N-API: sockets, one thread per socket answering cache hits, misses handed to a sink
// (the addon's threadsafe function), JS replies sent with sendmmsg. See addon.cc for the JavaScript face.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cache.h"
#include "net.h"
#include "rrl.h"

namespace udpn {

// Packets the native side did not answer, copied out of the receive buffers (one allocation per batch).
struct MissBatch {
  struct Item {
    uint32_t offset;
    uint32_t length;
    uint32_t socket;
    socklen_t addrLen;
    sockaddr_storage addr;
  };
  std::vector<uint8_t> bytes;
  std::vector<Item> items;
};

class MissSink {
 public:
  virtual ~MissSink() = default;
  // takes ownership when it returns true
  virtual bool deliver(MissBatch* batch) = 0;
};

struct EngineConfig {
  size_t cacheBytes;
  uint16_t udpMaxPayload;
  std::unique_ptr<RrlOptions> rrl;  // null: off
  int64_t maxPendingMisses;
};

struct SystemError : std::runtime_error {
  std::string code;
  SystemError(const std::string& c, const std::string& msg) : std::runtime_error(msg), code(c) {}
};

// A counter only one thread writes: a plain load and store, no locked instruction on the hot path.
inline void bump(std::atomic<uint64_t>& a, uint64_t n = 1) {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// Counters of one socket thread, written by it alone (relaxed), summed by stats().
struct alignas(64) Counters {
  std::atomic<uint64_t> received{0}, hits{0}, misses{0}, missesDropped{0}, sendErrors{0}, rrlDropped{0},
      rrlSlipped{0};
  static constexpr size_t kTypes = 256, kRcodes = 16;
  std::atomic<uint64_t> answered[kTypes * kRcodes] = {};
};

struct Stats {
  uint64_t received = 0, hits = 0, misses = 0, missesDropped = 0, sendErrors = 0, rrlDropped = 0, rrlSlipped = 0;
  uint64_t cacheEntries = 0, cacheBytes = 0, evictions = 0;
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> answered;
};

class Engine {
 public:
  Engine(EngineConfig cfg, MissSink* sink);
  ~Engine();

  uint16_t bind(const std::string& host, uint16_t port, unsigned threads);
  // one JS reply: `peer` as produced for a Miss (socket index + sockaddr)
  struct Reply {
    const uint8_t* peer;
    size_t peerLen;
    const uint8_t* data;
    size_t len;
  };
  void send(const std::vector<Reply>& replies);
  Verdict rrlCheck(const std::string& address);
  void close();
  Stats stats();

  void setSink(MissSink* sink) { sink_ = sink; }
  PacketCache& cache() { return cache_; }
  // a miss left JavaScript's queue (delivered or discarded)
  void missesDone(size_t n) { pending_->fetch_sub(int64_t(n), std::memory_order_relaxed); }
  std::shared_ptr<std::atomic<int64_t>> pendingCounter() { return pending_; }

  static constexpr size_t kPeerLen = 8 + sizeof(sockaddr_in6);
  static void encodePeer(uint8_t* out, uint32_t socket, const sockaddr_storage& sa, socklen_t len);

 private:
  struct Worker;
  void run(Worker* w);
  void answerCounted(Counters& c, uint16_t qtype, uint16_t rcode);

  const EngineConfig cfg_;
  MissSink* sink_;
  PacketCache cache_;
  std::unique_ptr<RateLimiter> rrl_;
  std::shared_ptr<std::atomic<int64_t>> pending_;
  std::atomic<bool> stopping_{false};
  bool closed_ = false;
  std::vector<int> fds_;  // socket index → fd (JavaScript thread only)
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<uint64_t> jsSendErrors_{0};
  std::mutex rareMu_;  // answers with a qtype ≥ 256 or an extended rcode (rare)
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> rareAnswered_;
};

}  // namespace udpn
