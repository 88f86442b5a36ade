#include "train/mlp_loops.h"

#include <algorithm>
#include <cmath>

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

void AddRowsOf(const float* table, const int64_t* codes, int64_t stride, int64_t rows, int64_t cols,
               float* out) {
  for (int64_t i = 0; i < rows; ++i) {
    const float* from = table + codes[i * stride] * cols;
    float* to = out + i * cols;
    for (int64_t j = 0; j < cols; ++j) to[j] += from[j];
  }
}

void SumRowsByCode(const float* g, const int64_t* codes, int64_t stride, int64_t rows, int64_t cols,
                   float* sums) {
  for (int64_t i = 0; i < rows; ++i) {
    float* to = sums + codes[i * stride] * cols;
    const float* from = g + i * cols;
    for (int64_t j = 0; j < cols; ++j) to[j] += from[j];
  }
}

}  // namespace freshet::mlp_loops
