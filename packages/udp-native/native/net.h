// Addresses: the binary form the hot path compares and hashes, and the text form Node's dgram prints.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace udpn {

struct IpAddr {
  uint8_t family = 0;  // 4, 6, or 0 for a string that is no IP literal (`bytes` then holds a hash)
  uint8_t bytes[16] = {};
  bool operator==(const IpAddr& o) const { return family == o.family && std::memcmp(bytes, o.bytes, 16) == 0; }
};

IpAddr fromSockaddr(const sockaddr_storage& sa);
IpAddr parseIp(const std::string& text);

// The rate-limit prefix: IPv4 /24 (IPv4-mapped IPv6 too), IPv6 /56, as one integer.
uint64_t prefixKey(const IpAddr& a);

// "1.2.3.4", "::ffff:1.2.3.4", "2001:db8::1" — what Node's dgram gives as rinfo.address
std::string addressText(const sockaddr_storage& sa);
uint16_t portOf(const sockaddr_storage& sa);

// errno → its name ("EADDRINUSE"), the `code` Node puts on system errors
std::string errnoName(int err);

}  // namespace udpn
