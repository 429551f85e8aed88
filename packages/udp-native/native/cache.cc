#include "cache.h"

#include <cstring>
#include <functional>

namespace udpn {

PacketCache::PacketCache(size_t budgetBytes)
    : shardBudget_(budgetBytes / kShards), shards_(new Shard[kShards]) {}

PacketCache::Shard& PacketCache::shardOf(std::string_view key) {
  // the top bits pick the shard; the map uses the whole hash (std::hash of the same view) for its buckets
  const size_t h = std::hash<std::string_view>{}(key);
  return shards_[(h >> 48) % kShards];
}

size_t PacketCache::get(const uint8_t* key, size_t keyLen, uint8_t* out, size_t maxLen, uint16_t& rcode) {
  const std::string_view k(reinterpret_cast<const char*>(key), keyLen);
  const int64_t current = version();
  Shard& s = shardOf(k);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.index.find(k);
  if (it == s.index.end()) return 0;
  Slot& slot = s.slots[it->second];
  if (slot.version != current || slot.respLen > maxLen) return 0;
  if (!slot.referenced.load(std::memory_order_relaxed)) slot.referenced.store(true, std::memory_order_relaxed);
  std::memcpy(out, slot.data.get() + slot.keyLen, slot.respLen);
  rcode = slot.rcode;
  return slot.respLen;
}

void PacketCache::set(int64_t version, const uint8_t* key, size_t keyLen, const uint8_t* resp, size_t respLen,
                      uint16_t rcode) {
  const int64_t current = this->version();
  if (version != current) return;
  const size_t cost = keyLen + respLen + kEntryOverhead;
  if (cost > shardBudget_) return;
  std::unique_ptr<uint8_t[]> data(new uint8_t[keyLen + respLen]);
  std::memcpy(data.get(), key, keyLen);
  std::memcpy(data.get() + keyLen, resp, respLen);
  const std::string_view k(reinterpret_cast<const char*>(data.get()), keyLen);
  Shard& s = shardOf(k);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.index.find(k);
  if (it != s.index.end()) drop(s, it->second);  // replaced: the new bytes take its place
  while (s.bytes + cost > shardBudget_ && !s.index.empty()) evictOne(s, current);
  uint32_t i;
  if (!s.free.empty()) {
    i = s.free.back();
    s.free.pop_back();
  } else {
    i = uint32_t(s.slots.size());
    s.slots.emplace_back();
  }
  Slot& slot = s.slots[i];
  slot.data = std::move(data);
  slot.keyLen = uint32_t(keyLen);
  slot.respLen = uint32_t(respLen);
  slot.version = version;
  slot.rcode = rcode;
  slot.used = true;
  slot.referenced.store(false, std::memory_order_relaxed);
  s.index.emplace(k, i);
  s.bytes += cost;
}

// CLOCK: the hand passes over entries, giving a referenced one a second chance (clearing its bit) and evicting
// the first unreferenced one; an entry of an old store version goes at once.
void PacketCache::evictOne(Shard& s, int64_t current) {
  for (;;) {
    if (s.hand >= s.slots.size()) s.hand = 0;
    const uint32_t i = uint32_t(s.hand++);
    Slot& slot = s.slots[i];
    if (!slot.used) continue;
    if (slot.version == current && slot.referenced.load(std::memory_order_relaxed)) {
      slot.referenced.store(false, std::memory_order_relaxed);
      continue;
    }
    drop(s, i);
    s.evictions++;
    return;
  }
}

void PacketCache::drop(Shard& s, uint32_t i) {
  Slot& slot = s.slots[i];
  s.index.erase(std::string_view(reinterpret_cast<const char*>(slot.data.get()), slot.keyLen));
  s.bytes -= slot.cost();
  slot.data.reset();
  slot.used = false;
  s.free.push_back(i);
}

size_t PacketCache::entries() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; i++) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    n += shards_[i].index.size();
  }
  return n;
}

size_t PacketCache::bytes() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; i++) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    n += shards_[i].bytes;
  }
  return n;
}

uint64_t PacketCache::evictions() const {
  uint64_t n = 0;
  for (size_t i = 0; i < kShards; i++) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    n += shards_[i].evictions;
  }
  return n;
}

}  // namespace udpn
