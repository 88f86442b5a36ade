#include <cuda_runtime.h>

#include "freshet/error.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/launch.cuh"
#include "kernels/standardize.h"

namespace freshet::kernels {
namespace {

template <int kBlock>
__global__ void __launch_bounds__(kBlock)
    StandardizeKernel(const float* __restrict__ in, int64_t n, StandardizeOp op,
                      float* __restrict__ out, int64_t out_stride) {
  for (int64_t i = GridStart<kBlock>(); i < n; i += GridStep<kBlock>()) {
    out[i * out_stride] = op(in[i]);
  }
}

}  // namespace

namespace cuda_impl {

void Standardize(const float* in, int64_t n, StandardizeOp op, float* out, int64_t out_stride,
                 void* stream) {
  FRESHET_CHECK(n >= 0, "n = " + std::to_string(n));
  FRESHET_CHECK(out_stride >= 1, "out_stride = " + std::to_string(out_stride));
  if (n == 0) return;
  constexpr int kBlock = kDefaultBlock;
  StandardizeKernel<kBlock><<<GridSize<kBlock>(n), kBlock, 0, static_cast<cudaStream_t>(stream)>>>(
      in, n, op, out, out_stride);
  FRESHET_CUDA_CHECK(cudaGetLastError());
}

}  // namespace cuda_impl
}  // namespace freshet::kernels
