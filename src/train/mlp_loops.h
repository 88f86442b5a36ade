// The element-wise loops of MlpCpuStep (train/mlp_step.h), kept out of LibTorch's headers so that
// they build with -O3 -fno-trapping-math (CMakeLists.txt): GCC then vectorises them without
// branches. A branch per element on the sign of a ReLU input mispredicts half the time on real
// activations: 4 ns an element, 30 times these loops' cost.
#pragma once

#include <cstdint>

namespace freshet::mlp_loops {

// h[i] = max(h[i], 0) for i < n.
void Relu(float* h, int64_t n);
// h[i] = tanh(h[i]) for i < n.
void Tanh(float* h, int64_t n);
// The gradient through an activation from its output `h`: g[i] = h[i] > 0 ? g[i] : 0 (ReLU) or
// g[i] *= 1 - h[i]^2 (tanh).
void ReluBackward(const float* h, float* g, int64_t n);
void TanhBackward(const float* h, float* g, int64_t n);
// sums[j] = sum over i < rows of g[i * cols + j], for j < cols (float sums, row by row).
void ColumnSums(const float* g, int64_t rows, int64_t cols, float* sums);
// c[i * c_row + j] = init[j] + sum over p < k of a[i * a_row + p * a_col] * b[p * b_row + j], for
// i < m, j < n (init null: 0): the products of the first layer with projected tables (MlpCpuStep),
// whose few rows or columns (a table's rows, the dense columns) leave a BLAS call mostly fixed
// cost. B's and C's rows are contiguous, so the inner loop vectorises.
void SmallProduct(int64_t m, int64_t n, int64_t k, const float* a, int64_t a_row, int64_t a_col,
                  const float* b, int64_t b_row, const float* init, float* c, int64_t c_row);
// out[i * cols + j] += table[codes[i * stride] * cols + j], for i < rows, j < cols.
void AddRowsOf(const float* table, const int64_t* codes, int64_t stride, int64_t rows, int64_t cols,
               float* out);
// sums[codes[i * stride] * cols + j] += g[i * cols + j], for i < rows (in order), j < cols.
void SumRowsByCode(const float* g, const int64_t* codes, int64_t stride, int64_t rows, int64_t cols,
                   float* sums);

}  // namespace freshet::mlp_loops
