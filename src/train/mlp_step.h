// The mini-batch training step of a tabular MLP on the CPU, written out: the forward pass, the
// loss and the backward pass of `mlp` models in a handful of matrix products and plain loops over
// buffers allocated once, instead of LibTorch's ~40 dispatched operations and autograd graph a
// step (about half of a 1 024-row step's time for the default model on one core).
//
// It computes what Forward, RowLoss, the mean and loss.backward() compute (TrainSession::Train):
// the same gradients, to float rounding (the matrix products are LibTorch's own, at::addmm and
// at::mm; sums of bias and embedding gradients run in another order). The optimiser step stays
// LibTorch's. Autograd is the reference: tests/train/mlp_step_test.cc compares the two on every
// case the step takes.
//
// An embedding table of few rows (at most half the step's rows) goes through the first layer
// projected: its rows times the layer's columns for them, a [rows, width] product a step, added to
// each batch row's first-layer output by code; backward, the output gradients summed by code, then
// two small products for the table's and the layer's gradients. The same sums in real arithmetic
// as copying each row's embedding into the input and multiplying it there, at a fraction of the
// multiply-adds (for the benchmark's three small tables: 3 x 1 024 x 24 x 64 a batch fewer, 38 % of
// the step's).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "models/tabular_net.h"
#include "train/data.h"

namespace freshet {

// Whether MlpCpuStep takes the steps of `model` trained with `loss` on `device`: an mlp (no wide
// part), ReLU or tanh, no normalisation, no dropout, one output, loss bce or mse, float32 on the
// CPU (no bf16 autocast).
bool MlpCpuStepApplies(const TabularNet& model, const std::string& loss,
                       const torch::Device& device, bool bf16);

class MlpCpuStep {
 public:
  // Holds `model` (not owned; it must outlive the step) and gives each of its parameters a
  // gradient tensor, which Step overwrites. `max_rows` bounds a step's rows. With `own_gradients`
  // the step writes its gradients to tensors of its own instead (gradient(i) for parameter i of
  // model->parameters()), so that another step can take part of a batch on another thread while
  // this one takes the rest (AddGradientsOf).
  // REQUIRES: MlpCpuStepApplies(model, loss, ...).
  MlpCpuStep(TabularNet& model, std::string loss, int64_t max_rows, bool own_gradients = false);

  // The mean loss (weighted by the store's weights when it has them) over rows rows[0..n) of
  // `store`, whose tensors are on the CPU, and its gradient, written to each parameter's grad():
  // what optimizer.zero_grad(); loss.backward() leaves there. Returns the loss. With
  // `denominator` > 0, the loss is the rows' (weighted) sum over it instead: a rank's share of a
  // batch's mean (n = 0 then gives 0 and zero gradients).
  // REQUIRES: 0 <= n <= max_rows, n > 0 unless `denominator` is given. Throws DataError for a
  // category code outside its table.
  double Step(const FeatureStore& store, const int64_t* rows, int64_t n, double denominator = 0);

  // The gradient tensor Step writes for parameter i of model->parameters().
  torch::Tensor gradient(size_t i);

  // Adds `other`'s gradients (a step with its own over the same model) to this step's, parameter
  // by parameter, in float.
  void AddGradientsOf(MlpCpuStep& other);

 private:
  struct Layer {
    torch::Tensor weight, bias, weight_t;     // weight_t: weight.t(), a view
    size_t weight_index = 0, bias_index = 0;  // in model->parameters()
    torch::Tensor out, grad_out;              // [max_rows, width] buffers
  };
  // The batch's input rows (dense features, then each code's embedding row), codes, labels and
  // weights into the buffers below.
  void Gather(const FeatureStore& store, const int64_t* rows, int64_t n);
  // The loss over the output column and its gradient into the last layer's grad_out.
  double Loss(int64_t n, bool weighted, double denominator);
  // Each directly gathered embedding table's gradient from grad_input_: the rows of its codes,
  // summed.
  void ScatterEmbeddingGradients(int64_t n);
  // The first layer with projected tables: forward into `out` (its [n, width] output), and
  // backward from `grad_out`, its gradients and the projected tables' (the rest as Step's).
  void ProjectedForward(int64_t n, torch::Tensor out);
  void ProjectedBackward(int64_t n, const torch::Tensor& grad_out);

  // A table that goes through the first layer projected.
  struct Projected {
    size_t table = 0;    // in tables_
    int64_t column = 0;  // its first column in the first layer's weight
    // [table rows, first layer width]: the projection, and the output gradients summed by code;
    // [table width, first layer width]: the first layer's weight for the table's columns,
    // transposed (forward), then their gradient, transposed (backward).
    torch::Tensor proj, sums, weight_t;
  };

  TabularNet& model_;
  std::string loss_;
  bool tanh_ = false;
  int64_t max_rows_;
  int64_t dense_dim_ = 0;
  std::vector<torch::Tensor> params_;     // model->parameters()
  std::vector<torch::Tensor> own_grads_;  // with own_gradients, one per parameter
  std::vector<torch::Tensor> tables_;     // embedding weights, one per categorical column
  std::vector<size_t> table_indices_;     // in model->parameters()
  std::vector<int64_t> offsets_;          // each table's first column in the input row, or -1
  std::vector<Layer> layers_;             // hidden layers, then the output layer
  torch::Tensor input_, grad_input_;      // [max_rows, dense + gathered embedding widths]
  std::vector<Projected> projected_;      // the projected tables, in table order
  // With projected tables: the first layer's weight column of each input column, and the weight's
  // and its gradient's input columns, transposed ([input width, first layer width]).
  std::vector<int64_t> input_columns_;
  torch::Tensor input_weight_t_, input_weight_grad_t_;
  std::vector<int64_t> codes_;  // [max_rows, tables]
  std::vector<float> labels_, weights_;
};

}  // namespace freshet
