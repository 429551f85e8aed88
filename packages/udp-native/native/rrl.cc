#include "rrl.h"

#include <algorithm>
#include <ctime>

namespace udpn {

double monotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) * 1000.0 + double(ts.tv_nsec) / 1e6;
}

RateLimiter::RateLimiter(RrlOptions opts) : opts_(std::move(opts)), shards_(new Shard[kShards]) {}

Verdict RateLimiter::check(const IpAddr& addr, double nowMs) {
  for (const IpAddr& e : opts_.exempt) {
    if (e == addr) return Verdict::Send;
  }
  const uint64_t key = prefixKey(addr);
  Shard& s = shards_[(key * 0x9e3779b97f4a7c15ULL) >> 60];
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.buckets.find(key);
  Bucket* b;
  if (it == s.buckets.end()) {
    if (s.buckets.size() > kPruneAbove) prune(s, nowMs);
    b = &s.buckets.emplace(key, Bucket{opts_.burst, nowMs, 0}).first->second;
  } else {
    b = &it->second;
    b->tokens = std::min(opts_.burst, b->tokens + (nowMs - b->at) / 1000.0 * opts_.rate);
    b->at = nowMs;
  }
  if (b->tokens >= 1) {
    b->tokens -= 1;
    return Verdict::Send;
  }
  b->limited++;
  return opts_.slip > 0 && b->limited % opts_.slip == 0 ? Verdict::Slip : Verdict::Drop;
}

// forget the prefixes that went quiet (their bucket has refilled)
void RateLimiter::prune(Shard& s, double nowMs) {
  for (auto it = s.buckets.begin(); it != s.buckets.end();) {
    const Bucket& b = it->second;
    if (b.tokens + (nowMs - b.at) / 1000.0 * opts_.rate >= opts_.burst)
      it = s.buckets.erase(it);
    else
      ++it;
  }
}

}  // namespace udpn
