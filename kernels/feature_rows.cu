#include <cuda_runtime.h>

#include <cstring>
#include <vector>

#include "kernels/cuda_check.cuh"
#include "kernels/feature_rows.h"
#include "kernels/launch.cuh"

namespace freshet::kernels {
namespace {

constexpr int kTileRows = 128;
constexpr size_t kMaxSharedBytes = 48 * 1024;

// Shared memory of a block: [numeric views][outputs][inputs][dense tile][index tile].
struct Layout {
  size_t numeric = 0, outputs = 0, inputs = 0, dense = 0, cats = 0, total = 0;
};

Layout MakeLayout(int32_t nnumeric, int32_t ninputs, int32_t noutputs, int64_t d, int64_t c) {
  Layout l;
  l.numeric = 0;
  l.outputs = l.numeric + sizeof(NumericColumnView) * nnumeric;
  l.inputs = l.outputs + sizeof(CategoricalOutputView) * noutputs;
  l.cats = l.inputs + sizeof(CategoricalInputView) * ninputs;
  l.cats = (l.cats + 15) / 16 * 16;
  l.dense = l.cats + sizeof(int64_t) * kTileRows * c;
  l.total = l.dense + sizeof(float) * kTileRows * d;
  return l;
}

template <int kBlock>
__global__ void __launch_bounds__(kBlock)
    FeatureRowsKernel(const char* __restrict__ params, Layout l, int32_t nnumeric, int32_t ninputs,
                      int32_t noutputs, const double* __restrict__ bounds, int64_t rows,
                      float* __restrict__ dense, int64_t d, int64_t* __restrict__ cats, int64_t c) {
  extern __shared__ __align__(16) char smem[];
  // The views go to shared memory once per block.
  const size_t view_bytes = l.cats;
  for (size_t k = threadIdx.x; k < view_bytes / 4; k += kBlock) {
    reinterpret_cast<uint32_t*>(smem)[k] = reinterpret_cast<const uint32_t*>(params)[k];
  }
  __syncthreads();
  const auto* cols = reinterpret_cast<const NumericColumnView*>(smem + l.numeric);
  const auto* outs = reinterpret_cast<const CategoricalOutputView*>(smem + l.outputs);
  const auto* ins = reinterpret_cast<const CategoricalInputView*>(smem + l.inputs);
  int64_t* ctile = reinterpret_cast<int64_t*>(smem + l.cats);
  float* dtile = reinterpret_cast<float*>(smem + l.dense);
  (void)ninputs;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * kTileRows; base < rows;
       base += static_cast<int64_t>(gridDim.x) * kTileRows) {
    const int64_t n = rows - base < kTileRows ? rows - base : kTileRows;
    // Rows of the tile, a thread each (kBlock == kTileRows).
    const int r = threadIdx.x;
    if (r < n) {
      const int64_t i = base + r;
      NumericRowTo(cols, nnumeric, bounds, i, dtile + r * d, ctile + r * c);
      for (int32_t k = 0; k < noutputs; ++k) {
        ctile[r * c + outs[k].cat_out] = CategoricalIndex(ins, outs[k], i);
      }
    }
    __syncthreads();
    // The tile's rows are contiguous in the outputs: plain coalesced copies.
    for (int64_t k = threadIdx.x; k < n * d; k += kBlock) dense[base * d + k] = dtile[k];
    for (int64_t k = threadIdx.x; k < n * c; k += kBlock) cats[base * c + k] = ctile[k];
    __syncthreads();
  }
}

}  // namespace

namespace cuda_impl {

void TransformFeatureRows(const NumericColumnView* numeric, int32_t nnumeric, const double* bounds,
                          int32_t nbounds, const CategoricalInputView* inputs, int32_t ninputs,
                          const CategoricalOutputView* outputs, int32_t noutputs, int64_t rows,
                          float* dense, int64_t dense_dim, int64_t* cats, int64_t cat_dim,
                          void* stream) {
  if (rows == 0 || (nnumeric == 0 && noutputs == 0)) return;
  const Layout l = MakeLayout(nnumeric, ninputs, noutputs, dense_dim, cat_dim);
  if (l.total > kMaxSharedBytes) {
    TransformNumericColumns(numeric, nnumeric, bounds, nbounds, rows, dense, dense_dim, cats,
                            cat_dim, stream);
    TransformCategoricalColumns(inputs, ninputs, outputs, noutputs, rows, cats, cat_dim, stream);
    return;
  }
  // One parameter block: the views (laid out as in shared memory), then the boundaries.
  const size_t bounds_at = (l.cats + 7) / 8 * 8;
  std::vector<char> host(bounds_at + sizeof(double) * nbounds);
  std::memcpy(host.data() + l.numeric, numeric, sizeof(NumericColumnView) * nnumeric);
  std::memcpy(host.data() + l.outputs, outputs, sizeof(CategoricalOutputView) * noutputs);
  std::memcpy(host.data() + l.inputs, inputs, sizeof(CategoricalInputView) * ninputs);
  if (nbounds) std::memcpy(host.data() + bounds_at, bounds, sizeof(double) * nbounds);
  DeviceBuffer params(host.size(), stream);
  CopyToDevice(params.data(), host.data(), host.size(), stream);
  constexpr int kBlock = kTileRows;
  const unsigned grid = GridSize<kBlock>(rows);
  FeatureRowsKernel<kBlock><<<grid, kBlock, l.total, static_cast<cudaStream_t>(stream)>>>(
      params.as<char>(), l, nnumeric, ninputs, noutputs,
      reinterpret_cast<const double*>(params.as<char>() + bounds_at), rows, dense, dense_dim, cats,
      cat_dim);
  FRESHET_CUDA_CHECK(cudaGetLastError());
}

}  // namespace cuda_impl
}  // namespace freshet::kernels
