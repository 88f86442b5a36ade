// Categorical hashing: xxHash64 of a value's bytes, folded into N buckets, following the index
// contract of DESIGN.md (0 = missing, 1 = out of vocabulary, 2.. = buckets).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common.h"
#include "kernels/device.h"
#include "kernels/xxhash64.h"

namespace freshet::kernels {

// Element functor shared by the CPU loop and the CUDA kernel: a present value goes to
// 2 + XXH64(bytes, seed) % buckets, a missing one to 0. REQUIRES: buckets >= 1.
struct HashBucketOp {
  uint64_t seed = 0;
  int64_t buckets = 1;

  FRESHET_HD int64_t operator()(const void* p, size_t len, bool present) const {
    if (!present) return 0;
    return 2 + static_cast<int64_t>(Xxh64(p, len, seed) % static_cast<uint64_t>(buckets));
  }

  // The same for a 64-bit code hashed by its 8 little-endian bytes: equals
  // (*this)(&value, 8, present) on a little-endian machine.
  FRESHET_HD int64_t operator()(uint64_t value, bool present) const {
    if (!present) return 0;
    return 2 + static_cast<int64_t>(Xxh64U64(value, seed) % static_cast<uint64_t>(buckets));
  }
};

// Hashes n strings: value i is bytes[offsets[i], offsets[i+1]), missing when valid is non-null and
// valid[i] == 0 or when it is empty. Writes out[i * out_stride]. All pointers are host pointers on
// a CPU device and device pointers on a CUDA one; `stream` is a cudaStream_t (ignored on CPU).
void HashStrings(const Device& dev, const char* bytes, const int64_t* offsets, const uint8_t* valid,
                 int64_t n, HashBucketOp op, int64_t* out, int64_t out_stride, void* stream);

// Hashes n 64-bit integer codes by their 8 little-endian bytes; missing as for HashStrings.
void HashInt64(const Device& dev, const int64_t* values, const uint8_t* valid, int64_t n,
               HashBucketOp op, int64_t* out, int64_t out_stride, void* stream);

namespace cpu_impl {
void HashStrings(const char* bytes, const int64_t* offsets, const uint8_t* valid, int64_t n,
                 HashBucketOp op, int64_t* out, int64_t out_stride);
void HashInt64(const int64_t* values, const uint8_t* valid, int64_t n, HashBucketOp op,
               int64_t* out, int64_t out_stride);
}  // namespace cpu_impl

namespace cuda_impl {
void HashStrings(const char* bytes, const int64_t* offsets, const uint8_t* valid, int64_t n,
                 HashBucketOp op, int64_t* out, int64_t out_stride, void* stream);
void HashInt64(const int64_t* values, const uint8_t* valid, int64_t n, HashBucketOp op,
               int64_t* out, int64_t out_stride, void* stream);
}  // namespace cuda_impl

}  // namespace freshet::kernels
