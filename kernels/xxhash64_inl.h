// Definition of Xxh64 (declared in kernels/xxhash64.h), shared by host and device code. Follows the
// reference XXH64 algorithm (xxHash by Yann Collet, BSD-2-Clause) step for step, so results are
// bit-identical to libxxhash's XXH64() on every input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/common.h"

namespace freshet::kernels {
namespace xxh64_detail {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

FRESHET_HD uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Little-endian loads from any address. On the host a fixed-size memcpy compiles to one unaligned
// load; on the device (where unaligned wide loads fault) the bytes are assembled one at a time.
FRESHET_HD uint64_t Read64(const unsigned char* p) {
#if defined(__CUDA_ARCH__)
  uint64_t v = 0;
#pragma unroll
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
#else
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
#endif
}

FRESHET_HD uint32_t Read32(const unsigned char* p) {
#if defined(__CUDA_ARCH__)
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
#else
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
#endif
}

FRESHET_HD uint64_t Round(uint64_t acc, uint64_t input) {
  acc += input * kPrime2;
  acc = Rotl(acc, 31);
  return acc * kPrime1;
}

FRESHET_HD uint64_t MergeRound(uint64_t acc, uint64_t val) {
  acc ^= Round(0, val);
  return acc * kPrime1 + kPrime4;
}

FRESHET_HD uint64_t Avalanche(uint64_t h) {
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

// Consumes one 8-byte lane of the tail.
FRESHET_HD uint64_t Tail8(uint64_t h, uint64_t lane) {
  h ^= Round(0, lane);
  return Rotl(h, 27) * kPrime1 + kPrime4;
}

}  // namespace xxh64_detail

FRESHET_HD uint64_t Xxh64(const void* p, size_t len, uint64_t seed) {
  using namespace xxh64_detail;
  const unsigned char* in = static_cast<const unsigned char*>(p);
  const unsigned char* const end = in + len;
  uint64_t h;
  if (len >= 32) {
    const unsigned char* const limit = end - 32;
    uint64_t v1 = seed + kPrime1 + kPrime2;
    uint64_t v2 = seed + kPrime2;
    uint64_t v3 = seed;
    uint64_t v4 = seed - kPrime1;
    do {
      v1 = Round(v1, Read64(in));
      v2 = Round(v2, Read64(in + 8));
      v3 = Round(v3, Read64(in + 16));
      v4 = Round(v4, Read64(in + 24));
      in += 32;
    } while (in <= limit);
    h = Rotl(v1, 1) + Rotl(v2, 7) + Rotl(v3, 12) + Rotl(v4, 18);
    h = MergeRound(h, v1);
    h = MergeRound(h, v2);
    h = MergeRound(h, v3);
    h = MergeRound(h, v4);
  } else {
    h = seed + kPrime5;
  }
  h += static_cast<uint64_t>(len);
  while (end - in >= 8) {
    h = Tail8(h, Read64(in));
    in += 8;
  }
  if (end - in >= 4) {
    h ^= static_cast<uint64_t>(Read32(in)) * kPrime1;
    h = Rotl(h, 23) * kPrime2 + kPrime3;
    in += 4;
  }
  while (in < end) {
    h ^= static_cast<uint64_t>(*in) * kPrime5;
    h = Rotl(h, 11) * kPrime1;
    ++in;
  }
  return Avalanche(h);
}

FRESHET_HD uint64_t Xxh64U64(uint64_t value, uint64_t seed) {
  using namespace xxh64_detail;
  const uint64_t h = seed + kPrime5 + 8;
  return Avalanche(Tail8(h, value));
}

}  // namespace freshet::kernels
