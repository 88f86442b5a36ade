#include "train/linear_loops.h"

#include <algorithm>
#include <cmath>

#include "kernels/simd_clones.h"

namespace freshet::linear_loops {
namespace {

inline int64_t RowOf(const int64_t* rows, int64_t first, int64_t i) {
  return rows != nullptr ? rows[i] : first + i;
}

}  // namespace

FRESHET_SIMD_CLONES void GatherDense(const float* dense, int64_t dim, const int64_t* rows,
                                     int64_t first, int64_t m, double* x) {
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

namespace {

// One row's weighted loss into *l and its gradient into *d: the body of LossAndGradient, with the
// invariant choices fixed at compile time so that the loop over rows vectorises.
template <bool Bce, bool Weighted, bool Indexed>
__attribute__((always_inline)) inline void RowLoss(const LossInputs& in, const int64_t* rows,
                                                   int64_t first, int64_t i, double* l, double* d) {
  const int64_t r = Indexed ? rows[i] : first + i;
  const auto label = static_cast<double>(in.labels[r]);
  const double y = in.scaled ? (label - in.mean) / in.sd : label;
  const double z = in.z[i];
  if constexpr (Bce) {
    // log(1 + exp(z)) - y z = max(z, 0) - y z + log1p(e); sigmoid(z) = 1 / (1 + e) for z >= 0,
    // e / (1 + e) below.
    const double e = in.e[i];
    *l = std::max(z, 0.0) - z * y + in.log1p_e[i];
    *d = (z >= 0.0 ? 1.0 : e) / (1.0 + e) - y;
  } else {
    const double diff = z - y;
    *l = diff * diff;
    *d = 2.0 * diff;
  }
  if constexpr (Weighted) {
    const auto w = static_cast<double>(in.weights[r]);
    *l *= w;
    *d *= w;
  }
}

// Eight interleaved partial sums (row i into sum i mod 8), added in a fixed order: the rows of a
// group of eight share vector instructions, and one chain of additions would hold each row up by
// the previous one's.
constexpr int kSumLanes = 8;

template <bool Bce, bool Weighted, bool Indexed>
__attribute__((always_inline)) inline double LossRows(const LossInputs& in, const int64_t* rows,
                                                      int64_t first, int64_t m, double* g,
                                                      double* g_sum) {
  double sum[kSumLanes] = {}, gs[kSumLanes] = {};
  int64_t i0 = 0;
  for (; i0 + kSumLanes <= m; i0 += kSumLanes) {
    for (int k = 0; k < kSumLanes; ++k) {
      double l, d;
      RowLoss<Bce, Weighted, Indexed>(in, rows, first, i0 + k, &l, &d);
      sum[k] += l;
      gs[k] += d;
      g[i0 + k] = d;
    }
  }
  for (int k = 0; i0 + k < m; ++k) {
    double l, d;
    RowLoss<Bce, Weighted, Indexed>(in, rows, first, i0 + k, &l, &d);
    sum[k] += l;
    gs[k] += d;
    g[i0 + k] = d;
  }
  const auto total = [](const double* v) {
    return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
  };
  *g_sum = total(gs);
  return total(sum);
}

template <bool Bce, bool Weighted>
__attribute__((always_inline)) inline double LossOf(const LossInputs& in, const int64_t* rows,
                                                    int64_t first, int64_t m, double* g,
                                                    double* g_sum) {
  return rows != nullptr ? LossRows<Bce, Weighted, true>(in, rows, first, m, g, g_sum)
                         : LossRows<Bce, Weighted, false>(in, rows, first, m, g, g_sum);
}

}  // namespace

FRESHET_SIMD_CLONES double LossAndGradient(const LossInputs& in, const int64_t* rows, int64_t first,
                                           int64_t m, double* g, double* g_sum) {
  const bool weighted = in.weights != nullptr;
  if (in.bce) {
    return weighted ? LossOf<true, true>(in, rows, first, m, g, g_sum)
                    : LossOf<true, false>(in, rows, first, m, g, g_sum);
  }
  return weighted ? LossOf<false, true>(in, rows, first, m, g, g_sum)
                  : LossOf<false, false>(in, rows, first, m, g, g_sum);
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
