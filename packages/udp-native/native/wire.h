// The DNS wire work of the hit path: which queries the native side may answer from the cache, and the re-stamp
// of a cached response for one query. Byte for byte what services/dns/src/responder.ts does (restamp(),
// slipped()); anything this parser does not accept is handed to the TypeScript responder untouched.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace udpn {

constexpr size_t kHeaderLen = 12;
constexpr size_t kOptLen = 11;
constexpr uint16_t kTypeOpt = 41;
constexpr size_t kMaxKey = 255 + 5;  // name + type + class + DO

// A plain query as the cache sees it.
struct Query {
  size_t nameLen;  // wire length of the question name, root byte included
  uint16_t qtype;
  uint16_t qclass;
  bool edns;
  bool dnssecOk;
  uint16_t udpSize;
};

inline uint16_t rd16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline void wr16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

// True only for a standard query the cache may answer (the contract in FASTPATH.md): QR=0, opcode 0, one
// uncompressed question, no answer/authority records, at most an OPT (EDNS version 0, well-formed options)
// that ends the packet exactly. Never reads outside [p, p + n).
inline bool parseQuery(const uint8_t* p, size_t n, Query& q) {
  if (n < 17) return false;
  if (p[2] & 0x80) return false;                // a response: never answered
  if (((p[2] >> 3) & 0xf) != 0) return false;   // not QUERY
  if (rd16(p + 4) != 1 || rd16(p + 6) != 0 || rd16(p + 8) != 0) return false;
  const uint16_t ar = rd16(p + 10);
  if (ar > 1) return false;
  size_t off = kHeaderLen;
  for (;;) {
    if (off >= n) return false;
    const uint8_t len = p[off];
    if (len == 0) break;
    if (len > 63) return false;  // compression pointer or reserved label type
    off += 1 + len;
    if (off - kHeaderLen + 1 > 255) return false;
  }
  off += 1;
  q.nameLen = off - kHeaderLen;
  if (off + 4 > n) return false;
  q.qtype = rd16(p + off);
  q.qclass = rd16(p + off + 2);
  off += 4;
  q.edns = false;
  q.dnssecOk = false;
  q.udpSize = 0;
  if (ar == 0) return off == n;
  // the one additional record must be an OPT owned by the root
  if (off + kOptLen > n) return false;
  if (p[off] != 0 || rd16(p + off + 1) != kTypeOpt) return false;
  if (p[off + 6] != 0) return false;  // EDNS version > 0: BADVERS comes from the responder
  const size_t rdlen = rd16(p + off + 9);
  const size_t rdata = off + kOptLen;
  if (rdata + rdlen != n) return false;
  for (size_t o = rdata; o < n;) {  // options must be well-formed, as the TypeScript validator demands
    if (o + 4 > n) return false;
    o += 4 + rd16(p + o + 2);
    if (o > n) return false;
  }
  q.edns = true;
  q.udpSize = rd16(p + off + 3);
  q.dnssecOk = (p[off + 7] & 0x80) != 0;
  return true;
}

// Cache key: lowercased name wire (ASCII letters only, like the responder's toLowerCase of the presentation
// name, where every other byte is escaped), type, class, DO. Returns its length.
inline size_t makeKey(uint8_t* key, const uint8_t* name, size_t nameLen, uint16_t qtype, uint16_t qclass,
                      bool dnssecOk) {
  for (size_t i = 0; i < nameLen; i++) {
    const uint8_t c = name[i];
    key[i] = (c >= 'A' && c <= 'Z') ? uint8_t(c + 32) : c;
  }
  wr16(key + nameLen, qtype);
  wr16(key + nameLen + 2, qclass);
  key[nameLen + 4] = dnssecOk ? 1 : 0;
  return nameLen + 5;
}

// The largest reply this query may get (responder.ts step 4).
inline size_t replyLimit(const Query& q, size_t udpMax) {
  if (!q.edns) return 512;
  const size_t asked = q.udpSize < 512 ? 512 : q.udpSize;
  return asked < udpMax ? asked : udpMax;
}

// responder.ts restamp(): `out` already holds the cached response (len bytes); stamps the query's id, RD bit and
// question name (its case), then appends our OPT when the query had EDNS. Returns the reply length.
inline size_t restamp(uint8_t* out, size_t len, const uint8_t* query, const Query& q, uint16_t udpMax) {
  out[0] = query[0];
  out[1] = query[1];
  out[2] = uint8_t((out[2] & 0xfe) | (query[2] & 0x01));
  std::memcpy(out + kHeaderLen, query + kHeaderLen, q.nameLen);
  if (!q.edns) return len;
  uint8_t* o = out + len;
  o[0] = 0;
  wr16(o + 1, kTypeOpt);
  wr16(o + 3, udpMax);
  o[5] = 0;
  o[6] = 0;
  o[7] = q.dnssecOk ? 0x80 : 0;
  o[8] = 0;
  wr16(o + 9, 0);
  wr16(out + 10, uint16_t(rd16(out + 10) + 1));
  return len + kOptLen;
}

// responder.ts slipped(): header + question only, TC set, answer/authority/additional counts 0.
inline size_t slip(uint8_t* out, size_t nameLen) {
  out[2] |= 0x02;
  std::memset(out + 6, 0, 6);
  return kHeaderLen + nameLen + 4;
}

}  // namespace udpn
