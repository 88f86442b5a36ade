#include "train/mlp_loops.h"

#include <algorithm>
#include <cmath>

#include "kernels/simd_clones.h"

namespace freshet::mlp_loops {

void Relu(float* h, int64_t n) {
  for (int64_t i = 0; i < n; ++i) h[i] = h[i] > 0.0f ? h[i] : 0.0f;
}

void Tanh(float* h, int64_t n) {
  for (int64_t i = 0; i < n; ++i) h[i] = std::tanh(h[i]);
}

void ReluBackward(const float* h, float* g, int64_t n) {
  for (int64_t i = 0; i < n; ++i) g[i] = h[i] > 0.0f ? g[i] : 0.0f;
}

void TanhBackward(const float* h, float* g, int64_t n) {
  for (int64_t i = 0; i < n; ++i) g[i] *= 1.0f - h[i] * h[i];
}

void ColumnSums(const float* g, int64_t rows, int64_t cols, float* sums) {
  std::fill(sums, sums + cols, 0.0f);
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = g + i * cols;
    for (int64_t j = 0; j < cols; ++j) sums[j] += row[j];
  }
}

FRESHET_SIMD_CLONES void SmallProduct(int64_t m, int64_t n, int64_t k, const float* a,
                                      int64_t a_row, int64_t a_col, const float* b, int64_t b_row,
                                      const float* init, float* c, int64_t c_row) {
  // Columns in blocks of kBlock, each block's sums held in registers over the k products (a
  // block of a row in memory would make every product wait for the last one's store).
  constexpr int64_t kBlock = 64;
  for (int64_t i = 0; i < m; ++i) {
    float* ci = c + i * c_row;
    const float* ai = a + i * a_row;
    int64_t j0 = 0;
    for (; j0 + kBlock <= n; j0 += kBlock) {
      float acc[kBlock];
      for (int64_t j = 0; j < kBlock; ++j) acc[j] = init != nullptr ? init[j0 + j] : 0.0f;
      for (int64_t p = 0; p < k; ++p) {
        const float x = ai[p * a_col];
        const float* bp = b + p * b_row + j0;
        for (int64_t j = 0; j < kBlock; ++j) acc[j] += x * bp[j];
      }
      for (int64_t j = 0; j < kBlock; ++j) ci[j0 + j] = acc[j];
    }
    for (int64_t j = j0; j < n; ++j) {
      float sum = init != nullptr ? init[j] : 0.0f;
      for (int64_t p = 0; p < k; ++p) sum += ai[p * a_col] * b[p * b_row + j];
      ci[j] = sum;
    }
  }
}

FRESHET_SIMD_CLONES void AddRowsOf(const float* table, const int64_t* codes, int64_t stride,
                                   int64_t rows, int64_t cols, float* out) {
  for (int64_t i = 0; i < rows; ++i) {
    const float* from = table + codes[i * stride] * cols;
    float* to = out + i * cols;
    for (int64_t j = 0; j < cols; ++j) to[j] += from[j];
  }
}

FRESHET_SIMD_CLONES void SumRowsByCode(const float* g, const int64_t* codes, int64_t stride,
                                       int64_t rows, int64_t cols, float* sums) {
  for (int64_t i = 0; i < rows; ++i) {
    float* to = sums + codes[i * stride] * cols;
    const float* from = g + i * cols;
    for (int64_t j = 0; j < cols; ++j) to[j] += from[j];
  }
}

}  // namespace freshet::mlp_loops
