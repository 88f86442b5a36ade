#include "train/linear_loops.h"

#include <algorithm>
#include <cmath>

namespace freshet::linear_loops {
namespace {

inline int64_t RowOf(const int64_t* rows, int64_t first, int64_t i) {
  return rows != nullptr ? rows[i] : first + i;
}

}  // namespace

void GatherDense(const float* dense, int64_t dim, const int64_t* rows, int64_t first, int64_t m,
                 double* x) {
  if (rows == nullptr) {
    // Consecutive rows are one run of floats.
    const float* from = dense + first * dim;
    const int64_t count = m * dim;
    for (int64_t k = 0; k < count; ++k) x[k] = static_cast<double>(from[k]);
    return;
  }
  for (int64_t i = 0; i < m; ++i) {
    const float* from = dense + rows[i] * dim;
    double* to = x + i * dim;
    for (int64_t j = 0; j < dim; ++j) to[j] = static_cast<double>(from[j]);
  }
}

int64_t AddTable(const int64_t* cats, int64_t stride, const int64_t* rows, int64_t first, int64_t m,
                 const double* table, int64_t table_rows, double* z, int64_t* codes) {
  for (int64_t i = 0; i < m; ++i) {
    const int64_t code = cats[RowOf(rows, first, i) * stride];
    if (code < 0 || code >= table_rows) return i;
    codes[i] = code;
    z[i] += table[code];
  }
  return -1;
}

double LossAndGradient(const LossInputs& in, const int64_t* rows, int64_t first, int64_t m,
                       double* g, double* g_sum) {
  // Four interleaved partial sums, added in a fixed order: one chain of additions would hold each
  // row up by the previous one's.
  double sum[4] = {}, gs[4] = {};
  for (int64_t i = 0; i < m; ++i) {
    const int64_t r = RowOf(rows, first, i);
    const auto label = static_cast<double>(in.labels[r]);
    const double y = in.scaled ? (label - in.mean) / in.sd : label;
    const double z = in.z[i];
    double l = 0, d = 0;
    if (in.bce) {
      // log(1 + exp(z)) - y z = max(z, 0) - y z + log1p(e); sigmoid(z) = 1 / (1 + e) for z >= 0,
      // e / (1 + e) below.
      const double e = in.e[i];
      l = std::max(z, 0.0) - z * y + in.log1p_e[i];
      d = (z >= 0.0 ? 1.0 : e) / (1.0 + e) - y;
    } else {
      const double diff = z - y;
      l = diff * diff;
      d = 2.0 * diff;
    }
    if (in.weights != nullptr) {
      const auto w = static_cast<double>(in.weights[r]);
      l *= w;
      d *= w;
    }
    sum[i & 3] += l;
    gs[i & 3] += d;
    g[i] = d;
  }
  *g_sum = (gs[0] + gs[1]) + (gs[2] + gs[3]);
  return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

void ScatterAdd(const int64_t* codes, const double* g, int64_t m, int64_t table_rows, double* grad,
                std::vector<double>* lanes) {
  // A small table gets four copies, one per row mod 4, so that rows with the same code close
  // together do not wait on each other's sums; a table with more rows than the block's seldom
  // repeats a code close by and takes the sums directly.
  if (table_rows * 4 > m) {
    for (int64_t i = 0; i < m; ++i) grad[codes[i]] += g[i];
    return;
  }
  lanes->assign(static_cast<size_t>(table_rows * 4), 0.0);
  double* h = lanes->data();
  for (int64_t i = 0; i < m; ++i) h[(i & 3) * table_rows + codes[i]] += g[i];
  for (int64_t c = 0; c < table_rows; ++c) {
    grad[c] += (h[c] + h[table_rows + c]) + (h[2 * table_rows + c] + h[3 * table_rows + c]);
  }
}

}  // namespace freshet::linear_loops
