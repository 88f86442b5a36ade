// The vocabulary pass: the distinct values of a categorical column, told apart by XXH64 (seed 0),
// with how often each occurs and the first row holding it. On a GPU: keys computed in a kernel,
// then sort + reduce by key.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/categorical_transform.h"
#include "kernels/device.h"

namespace freshet::kernels {

struct ValueCount {
  uint64_t key = 0;  // XXH64 of the value (codes: of their 8 little-endian bytes), seed 0
  int64_t count = 0;
  int64_t first_row = 0;  // the smallest row index holding the value
};

// The distinct present values of `input` over rows [0, rows), ascending by key. The view's pointers
// are host pointers on a CPU device and device pointers on a CUDA one (work on `stream`, a
// cudaStream_t; the call returns when the result is on the host).
std::vector<ValueCount> CountValues(const Device& dev, const CategoricalInputView& input,
                                    int64_t rows, void* stream);

// Merges two key-sorted count lists (first rows of `b` offset by `b_row_offset`).
std::vector<ValueCount> MergeCounts(const std::vector<ValueCount>& a,
                                    const std::vector<ValueCount>& b, int64_t b_row_offset);

namespace cpu_impl {
std::vector<ValueCount> CountValues(const CategoricalInputView& input, int64_t rows);
}  // namespace cpu_impl

namespace cuda_impl {
std::vector<ValueCount> CountValues(const CategoricalInputView& input, int64_t rows, void* stream);
}  // namespace cuda_impl

}  // namespace freshet::kernels
