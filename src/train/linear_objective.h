// The fallback's full-batch objective written out on the CPU: the data part of the logistic or
// ridge objective of a linear model (FallbackConfig's comment, include/freshet/model_spec.hpp) and
// its gradient in one pass over the rows, in float64 loops over the store's float32 columns,
// instead of LibTorch's forward, loss and backward over float64 copies of them, chunk by chunk.
//
// It computes what TrainSession::FitFullBatch's chunked autograd pass computes, to float64
// rounding: the sums run in another order. The exponentials and logarithms are LibTorch's own
// vectorised at::exp and at::log1p. Autograd is the reference: tests/train/linear_objective_test.cc
// compares the two on every case the objective takes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "models/tabular_net.h"
#include "train/data.h"

namespace freshet {

// Whether LinearObjective evaluates `model` trained with `loss` on `store`: a linear model (no
// deep part) with one output, loss bce or mse, float64 parameters on the CPU, and the store's
// tensors resident on the CPU and contiguous.
bool LinearObjectiveApplies(const TabularNet& model, const std::string& loss,
                            const FeatureStore& store);

class LinearObjective {
 public:
  // Holds `model` (not owned; it must outlive the objective).
  // REQUIRES: LinearObjectiveApplies(model, loss, the store passed to Evaluate).
  LinearObjective(TabularNet& model, std::string loss);

  // Σ_i w_i · loss_i / sum_w over the store's rows rows[0..n) (rows 0..n-1 when `rows` is null),
  // w_i the store's weights (1 without them), and its gradient, written to each parameter's
  // grad() (allocated when undefined): what the chunked forward, RowLoss and backward leave there
  // after zero_grad(). Throws DataError for a category code outside its table.
  double Evaluate(const FeatureStore& store, const int64_t* rows, int64_t n, double sum_w);

 private:
  // Rows [begin, end) of the pass: their logits into z_, then their losses and gradients.
  double Block(const FeatureStore& store, const int64_t* rows, int64_t begin, int64_t end);

  TabularNet& model_;
  bool bce_ = true;
  std::vector<torch::Tensor> tables_;  // one-wide embedding weights, one per categorical column
  torch::Tensor weight_, bias_;        // linear.weight [1, D] (undefined when D = 0) and the bias
  std::vector<double*> table_grads_;   // this pass's gradients
  double* weight_grad_ = nullptr;
  double* bias_grad_ = nullptr;
  std::vector<double> x_;                // a block's dense rows in float64 [rows, D]
  std::vector<double> z_, e_, log1p_e_;  // its logits, exp(-|z|), log1p(exp(-|z|))
  std::vector<double> g_;                // its logits' gradients
  std::vector<double> wg_;               // its dense weights' gradient
  std::vector<int64_t> codes_;           // its codes, a table after another
  std::vector<double> lanes_;            // ScatterAdd's scratch
};

}  // namespace freshet
