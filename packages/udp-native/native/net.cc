#include "net.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cstdio>
#include <functional>

namespace udpn {

static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

IpAddr fromSockaddr(const sockaddr_storage& sa) {
  IpAddr a;
  if (sa.ss_family == AF_INET) {
    a.family = 4;
    std::memcpy(a.bytes, &reinterpret_cast<const sockaddr_in&>(sa).sin_addr, 4);
  } else if (sa.ss_family == AF_INET6) {
    a.family = 6;
    std::memcpy(a.bytes, &reinterpret_cast<const sockaddr_in6&>(sa).sin6_addr, 16);
  }
  return a;
}

IpAddr parseIp(const std::string& text) {
  IpAddr a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes) == 1) {
    a.family = 4;
  } else if (inet_pton(AF_INET6, text.c_str(), a.bytes) == 1) {
    a.family = 6;
  } else {
    // not an address: its own bucket, as the TypeScript limiter keys it by the raw string
    const size_t h = std::hash<std::string>{}(text);
    std::memcpy(a.bytes, &h, sizeof h);
  }
  return a;
}

uint64_t prefixKey(const IpAddr& a) {
  const uint8_t* b = a.bytes;
  if (a.family == 4) return (uint64_t(4) << 56) | (uint64_t(b[0]) << 16) | (uint64_t(b[1]) << 8) | b[2];
  if (a.family == 6) {
    if (std::memcmp(b, kMapped, 12) == 0)
      return (uint64_t(4) << 56) | (uint64_t(b[12]) << 16) | (uint64_t(b[13]) << 8) | b[14];
    uint64_t k = uint64_t(6) << 56;
    for (int i = 0; i < 7; i++) k |= uint64_t(b[i]) << (8 * (6 - i));
    return k;
  }
  uint64_t h;
  std::memcpy(&h, b, sizeof h);
  return (uint64_t(0xff) << 56) | (h & 0x00ffffffffffffffULL);
}

std::string addressText(const sockaddr_storage& sa) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (sa.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(sa).sin_addr, buf, sizeof buf);
  else if (sa.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(sa).sin6_addr, buf, sizeof buf);
  return buf;
}

uint16_t portOf(const sockaddr_storage& sa) {
  if (sa.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(sa).sin_port);
  if (sa.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(sa).sin6_port);
  return 0;
}

std::string errnoName(int err) {
  const char* name = strerrorname_np(err);
  if (name) return name;
  char buf[32];
  std::snprintf(buf, sizeof buf, "E%d", err);
  return buf;
}

}  // namespace udpn
