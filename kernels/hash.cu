#include <cuda_runtime.h>

#include "freshet/error.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/hash.h"
#include "kernels/launch.cuh"

namespace freshet::kernels {
namespace {

// One thread per row: rows are short, and the functor reads its bytes one at a time.
template <int kBlock>
__global__ void __launch_bounds__(kBlock)
    HashStringsKernel(const char* __restrict__ bytes, const int64_t* __restrict__ offsets,
                      const uint8_t* __restrict__ valid, int64_t n, HashBucketOp op,
                      int64_t* __restrict__ out, int64_t out_stride) {
  for (int64_t i = GridStart<kBlock>(); i < n; i += GridStep<kBlock>()) {
    const int64_t lo = offsets[i];
    const size_t len = static_cast<size_t>(offsets[i + 1] - lo);
    const bool present = (valid == nullptr || valid[i] != 0) && len > 0;
    out[i * out_stride] = op(bytes + lo, len, present);
  }
}

template <int kBlock>
__global__ void __launch_bounds__(kBlock)
    HashInt64Kernel(const int64_t* __restrict__ values, const uint8_t* __restrict__ valid,
                    int64_t n, HashBucketOp op, int64_t* __restrict__ out, int64_t out_stride) {
  for (int64_t i = GridStart<kBlock>(); i < n; i += GridStep<kBlock>()) {
    const bool present = valid == nullptr || valid[i] != 0;
    out[i * out_stride] = op(static_cast<uint64_t>(values[i]), present);
  }
}

void CheckArgs(int64_t n, const HashBucketOp& op, int64_t out_stride) {
  FRESHET_CHECK(n >= 0, "n = " + std::to_string(n));
  FRESHET_CHECK(op.buckets >= 1, "buckets = " + std::to_string(op.buckets));
  FRESHET_CHECK(out_stride >= 1, "out_stride = " + std::to_string(out_stride));
}

}  // namespace

namespace cuda_impl {

void HashStrings(const char* bytes, const int64_t* offsets, const uint8_t* valid, int64_t n,
                 HashBucketOp op, int64_t* out, int64_t out_stride, void* stream) {
  CheckArgs(n, op, out_stride);
  if (n == 0) return;
  constexpr int kBlock = kDefaultBlock;
  HashStringsKernel<kBlock><<<GridSize<kBlock>(n), kBlock, 0, static_cast<cudaStream_t>(stream)>>>(
      bytes, offsets, valid, n, op, out, out_stride);
  FRESHET_CUDA_CHECK(cudaGetLastError());
}

void HashInt64(const int64_t* values, const uint8_t* valid, int64_t n, HashBucketOp op,
               int64_t* out, int64_t out_stride, void* stream) {
  CheckArgs(n, op, out_stride);
  if (n == 0) return;
  constexpr int kBlock = kDefaultBlock;
  HashInt64Kernel<kBlock><<<GridSize<kBlock>(n), kBlock, 0, static_cast<cudaStream_t>(stream)>>>(
      values, valid, n, op, out, out_stride);
  FRESHET_CUDA_CHECK(cudaGetLastError());
}

}  // namespace cuda_impl
}  // namespace freshet::kernels
