// The packet cache in native memory: encoded responses (no OPT) by normalised question, filled only by the
// TypeScript responder (cacheSet) and read by the socket threads. Sharded by key hash so threads rarely meet on
// a lock; bounded by a byte budget with CLOCK eviction (gradual, never a flush). Entries of another store
// version are misses and the first to go when room is needed.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace udpn {

class PacketCache {
 public:
  // bytes an entry costs besides its key and response: hash node, slot, allocator headers
  static constexpr size_t kEntryOverhead = 128;

  explicit PacketCache(size_t budgetBytes);

  void setVersion(int64_t v) { version_.store(v, std::memory_order_relaxed); }
  int64_t version() const { return version_.load(std::memory_order_relaxed); }

  // Copies the response for `key` into `out` when there is a current-version entry of at most `maxLen`
  // bytes. Returns its length (0 = miss) and its rcode.
  size_t get(const uint8_t* key, size_t keyLen, uint8_t* out, size_t maxLen, uint16_t& rcode);

  // Stores (or replaces) an entry; ignored when `version` is not the current one or it cannot fit at all.
  void set(int64_t version, const uint8_t* key, size_t keyLen, const uint8_t* resp, size_t respLen,
           uint16_t rcode);

  size_t entries() const;
  size_t bytes() const;
  uint64_t evictions() const;

 private:
  struct Slot {
    std::unique_ptr<uint8_t[]> data;  // key, then response; the map's key views point into it
    uint32_t keyLen = 0;
    uint32_t respLen = 0;
    int64_t version = 0;
    uint16_t rcode = 0;
    bool used = false;
    std::atomic<bool> referenced{false};  // CLOCK bit, set by readers under the shard lock

    Slot() = default;
    Slot(Slot&& o) noexcept
        : data(std::move(o.data)), keyLen(o.keyLen), respLen(o.respLen), version(o.version), rcode(o.rcode),
          used(o.used), referenced(o.referenced.load(std::memory_order_relaxed)) {}
    size_t cost() const { return keyLen + respLen + kEntryOverhead; }
  };

  struct alignas(64) Shard {
    std::mutex mu;
    std::unordered_map<std::string_view, uint32_t> index;
    std::vector<Slot> slots;
    std::vector<uint32_t> free;
    size_t hand = 0;
    size_t bytes = 0;
    uint64_t evictions = 0;
  };

  static constexpr size_t kShards = 64;

  Shard& shardOf(std::string_view key);
  void evictOne(Shard& s, int64_t current);
  void drop(Shard& s, uint32_t i);

  std::atomic<int64_t> version_{-1};
  size_t shardBudget_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace udpn
