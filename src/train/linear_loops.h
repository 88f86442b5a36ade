// The row loops of LinearObjective (train/linear_objective.h), kept out of LibTorch's headers so
// that they build with -O3 -fno-trapping-math (CMakeLists.txt), as the MLP step's loops do. Rows
// are row_i = rows[i] for i < m, or first + i when `rows` is null.
#pragma once

#include <cstdint>
#include <vector>

namespace freshet::linear_loops {

// x[i * dim + j] = dense[row_i * dim + j] in float64, for i < m and j < dim.
void GatherDense(const float* dense, int64_t dim, const int64_t* rows, int64_t first, int64_t m,
                 double* x);

// codes[i] = cats[row_i * stride] and z[i] += table[codes[i]], for i < m. Returns the first i
// whose code is outside [0, table_rows), or -1.
int64_t AddTable(const int64_t* cats, int64_t stride, const int64_t* rows, int64_t first, int64_t m,
                 const double* table, int64_t table_rows, double* z, int64_t* codes);

struct LossInputs {
  bool bce = true;                  // else the squared error
  const double* z = nullptr;        // logits
  const double* e = nullptr;        // bce: exp(-|z|)
  const double* log1p_e = nullptr;  // bce: log1p(exp(-|z|))
  const float* labels = nullptr;    // at row_i
  const float* weights = nullptr;   // at row_i; null: 1
  bool scaled = false;              // the label standardised: (label - mean) / sd
  double mean = 0, sd = 1;
};

// Σ_i w_i loss_i over i < m, returned, and g[i] = w_i · d loss_i / d z_i; *g_sum = Σ_i g[i].
double LossAndGradient(const LossInputs& in, const int64_t* rows, int64_t first, int64_t m,
                       double* g, double* g_sum);

// grad[codes[i]] += g[i] for i < m, in float64 sums of a fixed order. `lanes` is scratch.
void ScatterAdd(const int64_t* codes, const double* g, int64_t m, int64_t table_rows, double* grad,
                std::vector<double>* lanes);

}  // namespace freshet::linear_loops
