// Launch sizes for the grid-stride kernels: the one place that decides how many blocks to start.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/cuda_check.cuh"

namespace freshet::kernels {

// Threads per block for the memory-bound element kernels.
constexpr int kDefaultBlock = 256;

// Blocks to launch for a grid-stride loop over n >= 1 elements with kBlock threads per block on the
// current device: enough to cover n once, capped at a few waves of full occupancy (the loop strides
// over the rest), so small inputs start few blocks and large ones do not start millions.
template <int kBlock>
inline unsigned GridSize(int64_t n) {
  static_assert(kBlock > 0 && kBlock <= 1024, "block size out of range");
  int device = 0;
  FRESHET_CUDA_CHECK(cudaGetDevice(&device));
  int sms = 0;
  FRESHET_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  int threads_per_sm = 0;
  FRESHET_CUDA_CHECK(
      cudaDeviceGetAttribute(&threads_per_sm, cudaDevAttrMaxThreadsPerMultiProcessor, device));
  constexpr int64_t kWaves = 4;
  const int64_t cap = std::max<int64_t>(1, int64_t{sms} * (threads_per_sm / kBlock) * kWaves);
  const int64_t needed = (n + kBlock - 1) / kBlock;
  return static_cast<unsigned>(std::clamp<int64_t>(needed, 1, cap));
}

// Grid-stride loop bounds for the calling thread of a kernel launched with kBlock threads a block.
template <int kBlock>
__device__ __forceinline__ int64_t GridStart() {
  return static_cast<int64_t>(blockIdx.x) * kBlock + threadIdx.x;
}
template <int kBlock>
__device__ __forceinline__ int64_t GridStep() {
  return static_cast<int64_t>(gridDim.x) * kBlock;
}

}  // namespace freshet::kernels
