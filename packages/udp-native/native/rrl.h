// Response rate limiting, the algorithm of services/dns/src/limits/rrl.ts: a token bucket per client prefix
// (IPv4 /24, IPv6 /56, IPv4-mapped IPv6 counted as IPv4), `burst` tokens refilled at `rate` per second; over the
// limit a reply is dropped except every `slip`-th one, sent truncated. Exempt addresses are never limited.
// One table for native hits and JS replies (rrlCheck), sharded so the socket threads rarely share a lock.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "net.h"

namespace udpn {

enum class Verdict : uint8_t { Send = 0, Slip = 1, Drop = 2 };

struct RrlOptions {
  double rate;
  double burst;
  uint32_t slip;
  std::vector<IpAddr> exempt;
};

class RateLimiter {
 public:
  explicit RateLimiter(RrlOptions opts);
  // `nowMs`: a monotonic clock in milliseconds (read once per batch by the caller)
  Verdict check(const IpAddr& addr, double nowMs);

 private:
  struct Bucket {
    double tokens;
    double at;
    uint64_t limited;
  };
  struct alignas(64) Shard {
    std::mutex mu;
    std::unordered_map<uint64_t, Bucket> buckets;
  };
  static constexpr size_t kShards = 16;
  // the TypeScript limiter prunes full buckets once its table passes 100 000 prefixes
  static constexpr size_t kPruneAbove = 100000 / kShards;

  void prune(Shard& s, double nowMs);

  RrlOptions opts_;
  std::unique_ptr<Shard[]> shards_;
};

double monotonicMs();

}  // namespace udpn
