#include "kernels/hash.h"

#include "freshet/error.hpp"
#include "kernels/parallel.h"

namespace freshet::kernels {
namespace {

// Rows per thread below which spawning threads costs more than it saves.
constexpr int64_t kMinChunk = 1 << 15;

void CheckArgs(int64_t n, const HashBucketOp& op, int64_t out_stride) {
  FRESHET_CHECK(n >= 0, "n = " + std::to_string(n));
  FRESHET_CHECK(op.buckets >= 1, "buckets = " + std::to_string(op.buckets));
  FRESHET_CHECK(out_stride >= 1, "out_stride = " + std::to_string(out_stride));
}

}  // namespace

void HashStrings(const Device& dev, const char* bytes, const int64_t* offsets, const uint8_t* valid,
                 int64_t n, HashBucketOp op, int64_t* out, int64_t out_stride, void* stream) {
  CheckArgs(n, op, out_stride);
  dev.Dispatch(
      [&] { cpu_impl::HashStrings(bytes, offsets, valid, n, op, out, out_stride); },
      [&] { cuda_impl::HashStrings(bytes, offsets, valid, n, op, out, out_stride, stream); });
}

void HashInt64(const Device& dev, const int64_t* values, const uint8_t* valid, int64_t n,
               HashBucketOp op, int64_t* out, int64_t out_stride, void* stream) {
  CheckArgs(n, op, out_stride);
  dev.Dispatch([&] { cpu_impl::HashInt64(values, valid, n, op, out, out_stride); },
               [&] { cuda_impl::HashInt64(values, valid, n, op, out, out_stride, stream); });
}

namespace cpu_impl {

void HashStrings(const char* bytes, const int64_t* offsets, const uint8_t* valid, int64_t n,
                 HashBucketOp op, int64_t* out, int64_t out_stride) {
  CheckArgs(n, op, out_stride);
  ParallelFor(n, kMinChunk, [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t lo = offsets[i];
      const size_t len = static_cast<size_t>(offsets[i + 1] - lo);
      const bool present = (valid == nullptr || valid[i] != 0) && len > 0;
      out[i * out_stride] = op(bytes + lo, len, present);
    }
  });
}

void HashInt64(const int64_t* values, const uint8_t* valid, int64_t n, HashBucketOp op,
               int64_t* out, int64_t out_stride) {
  CheckArgs(n, op, out_stride);
  ParallelFor(n, kMinChunk, [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const bool present = valid == nullptr || valid[i] != 0;
      out[i * out_stride] = op(static_cast<uint64_t>(values[i]), present);
    }
  });
}

}  // namespace cpu_impl
}  // namespace freshet::kernels
