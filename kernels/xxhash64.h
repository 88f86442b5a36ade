// xxHash64 (XXH64), callable on host and device, bit-identical to libxxhash's XXH64().
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common.h"

namespace freshet::kernels {

// Returns XXH64 of `len` bytes at `p` with `seed`. Reads bytes one at a time where unaligned, so
// any pointer into a string buffer is fine. Pure; thread-safe.
FRESHET_HD uint64_t Xxh64(const void* p, size_t len, uint64_t seed);

// Returns XXH64 of the 8 little-endian bytes of `value` with `seed`, i.e. Xxh64(&value, 8, seed) on
// a little-endian machine, without going through memory. Pure; thread-safe.
FRESHET_HD uint64_t Xxh64U64(uint64_t value, uint64_t seed);

}  // namespace freshet::kernels

#include "kernels/xxhash64_inl.h"
