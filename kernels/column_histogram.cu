#include <cuda_runtime.h>

#include <algorithm>
#include <vector>

#include "kernels/column_histogram.h"
#include "kernels/cuda_check.cuh"
#include "kernels/launch.cuh"

namespace freshet::kernels {
namespace {

// A block's bin counts stay in shared memory when the column has at most this many bins (32 KiB of
// unsigned long long), so a block's threads contend only with each other; wider columns count
// straight into the global array.
constexpr int32_t kMaxSharedBins = static_cast<int32_t>(32 * 1024 / sizeof(unsigned long long));

// The grid's y dimension is at most 65535: wider inputs are launched in slices of columns.
constexpr int32_t kMaxGridColumns = 65535;

// Grid: (blocks, columns of this slice). Each thread bins a grid-stride share of one column's rows
// into its block's counts (shared memory when the column has at most `shared_bins` bins, else the
// global counts); the block then adds its counts and its missing rows to the global arrays.
// `shared_bins` is block-uniform, so the __syncthreads() below are reached by the whole block.
template <int kBlock>
__global__ void __launch_bounds__(kBlock)
    HistogramKernel(const HistogramColumn* __restrict__ cols, int32_t col_offset,
                    const double* __restrict__ edges, int64_t rows, int32_t shared_bins,
                    unsigned long long* __restrict__ counts,
                    unsigned long long* __restrict__ missing) {
  extern __shared__ unsigned long long block_counts[];
  __shared__ unsigned long long block_missing;
  const int32_t j = col_offset + static_cast<int32_t>(blockIdx.y);
  const HistogramColumn c = cols[j];
  const double* e = edges + c.edges_begin;
  const int32_t nbins = c.edges_count - 1;
  unsigned long long* out = counts + c.counts_begin;
  const bool in_shared = nbins <= shared_bins;
  if (in_shared) {
    for (int32_t k = threadIdx.x; k < nbins; k += kBlock) block_counts[k] = 0;
  }
  if (threadIdx.x == 0) block_missing = 0;
  __syncthreads();
  unsigned long long miss = 0;
  for (int64_t i = GridStart<kBlock>(); i < rows; i += GridStep<kBlock>()) {
    bool is_missing;
    const double x = LoadNumeric(c.input, i, &is_missing);
    if (is_missing) {
      ++miss;
      continue;
    }
    const int32_t b = HistogramBin(e, c.edges_count, x);
    if (in_shared) {
      atomicAdd(&block_counts[b], 1ull);
    } else {
      atomicAdd(&out[b], 1ull);
    }
  }
  if (miss != 0) atomicAdd(&block_missing, miss);
  __syncthreads();
  if (in_shared) {
    for (int32_t k = threadIdx.x; k < nbins; k += kBlock) {
      const unsigned long long v = block_counts[k];
      if (v != 0) atomicAdd(&out[k], v);
    }
  }
  if (threadIdx.x == 0 && block_missing != 0) atomicAdd(&missing[j], block_missing);
}

}  // namespace

namespace cuda_impl {

void NumericColumnHistograms(const HistogramColumn* cols, int32_t ncols, const double* edges,
                             int32_t total_edges, int64_t rows, int64_t* counts, int64_t total_bins,
                             int64_t* missing, void* stream) {
  static_assert(sizeof(unsigned long long) == sizeof(int64_t), "counts are copied bitwise");
  if (rows == 0 || ncols == 0) return;
  constexpr int kBlock = kDefaultBlock;
  auto s = static_cast<cudaStream_t>(stream);
  int32_t shared_bins = 0;
  for (int32_t j = 0; j < ncols; ++j) {
    const int32_t nbins = cols[j].edges_count - 1;
    if (nbins <= kMaxSharedBins) shared_bins = std::max(shared_bins, nbins);
  }
  const size_t shared_bytes = sizeof(unsigned long long) * static_cast<size_t>(shared_bins);
  const size_t col_bytes = sizeof(HistogramColumn) * static_cast<size_t>(ncols);
  const size_t edge_bytes = sizeof(double) * static_cast<size_t>(total_edges);
  const size_t count_bytes = sizeof(unsigned long long) * static_cast<size_t>(total_bins);
  const size_t missing_bytes = sizeof(unsigned long long) * static_cast<size_t>(ncols);
  static_assert(alignof(HistogramColumn) % alignof(double) == 0, "edges follow the columns");
  DeviceBuffer params(col_bytes + edge_bytes, stream);
  DeviceBuffer results(count_bytes + missing_bytes, stream);
  CopyToDevice(params.data(), cols, col_bytes, stream);
  CopyToDevice(params.as<char>() + col_bytes, edges, edge_bytes, stream);
  FRESHET_CUDA_CHECK(cudaMemsetAsync(results.data(), 0, count_bytes + missing_bytes, s));
  const auto* dev_cols = params.as<HistogramColumn>();
  const auto* dev_edges = reinterpret_cast<const double*>(params.as<char>() + col_bytes);
  auto* dev_counts = results.as<unsigned long long>();
  auto* dev_missing = reinterpret_cast<unsigned long long*>(results.as<char>() + count_bytes);
  const unsigned blocks = std::max(1u, GridSize<kBlock>(rows) / static_cast<unsigned>(ncols));
  for (int32_t j0 = 0; j0 < ncols; j0 += kMaxGridColumns) {
    const int32_t slice = std::min(kMaxGridColumns, ncols - j0);
    HistogramKernel<kBlock>
        <<<dim3(blocks, static_cast<unsigned>(slice)), kBlock, shared_bytes, s>>>(
            dev_cols, j0, dev_edges, rows, shared_bins, dev_counts, dev_missing);
    FRESHET_CUDA_CHECK(cudaGetLastError());
  }
  CopyToHost(counts, dev_counts, count_bytes, stream);
  CopyToHost(missing, dev_missing, missing_bytes, stream);
  SynchronizeStream(stream);
}

}  // namespace cuda_impl
}  // namespace freshet::kernels
