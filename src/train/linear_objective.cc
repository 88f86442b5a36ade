#include "train/linear_objective.h"

#include <algorithm>
#include <cmath>

#include "freshet/error.hpp"
#include "train/linear_loops.h"

namespace freshet {
namespace {

// Rows a block: its float64 rows, logits, exponentials and gradients stay in L2, and LibTorch's
// dispatch of the block's five vectorised calls costs about a nanosecond a row.
constexpr int64_t kBlockRows = 8192;

bool CpuContiguous(const torch::Tensor& t) {
  return !t.defined() || (t.device().is_cpu() && t.is_contiguous());
}

}  // namespace

bool LinearObjectiveApplies(const TabularNet& model, const std::string& loss,
                            const FeatureStore& store) {
  const ModelArch& a = model->arch;
  if (a.kind != "linear" || !model->wide || model->deep || a.outputs != 1) return false;
  if (loss != "bce" && loss != "mse") return false;
  for (const auto& p : model->parameters()) {
    if (p.scalar_type() != torch::kFloat64 || !p.device().is_cpu() || !p.is_contiguous()) {
      return false;
    }
  }
  if (!store.resident || !store.labels.defined()) return false;
  if (store.dense.scalar_type() != torch::kFloat32 || store.cats.scalar_type() != torch::kInt64) {
    return false;
  }
  if (store.dense.size(1) != a.dense_dim ||
      store.cats.size(1) < static_cast<int64_t>(model->wide->embeddings->size())) {
    return false;
  }
  return CpuContiguous(store.dense) && CpuContiguous(store.cats) && CpuContiguous(store.labels) &&
         CpuContiguous(store.weights);
}

LinearObjective::LinearObjective(TabularNet& model, std::string loss)
    : model_(model), bce_(loss == "bce") {
  const LinearPart& wide = model_->wide;
  for (const auto& m : wide->embeddings->children()) {
    tables_.push_back(m->as<torch::nn::Embedding>()->weight);
  }
  if (wide->linear) {
    weight_ = wide->linear->weight;
    bias_ = wide->linear->bias;
  } else {
    bias_ = wide->bias;
  }
  z_.resize(kBlockRows);
  e_.resize(kBlockRows);
  log1p_e_.resize(kBlockRows);
  g_.resize(kBlockRows);
  codes_.resize(static_cast<size_t>(kBlockRows) * tables_.size());
  if (weight_.defined()) {
    x_.resize(static_cast<size_t>(kBlockRows * weight_.size(1)));
    wg_.resize(static_cast<size_t>(weight_.size(1)));
  }
}

double LinearObjective::Evaluate(const FeatureStore& store, const int64_t* rows, int64_t n,
                                 double sum_w) {
  torch::NoGradGuard no_grad;
  // The gradients are fetched anew each pass: L-BFGS's zero_grad() drops them, and autograd may
  // replace a gradient tensor when the penalty's gradient is added.
  const auto grad_of = [](torch::Tensor& p) -> double* {
    torch::Tensor& g = p.mutable_grad();
    if (!g.defined()) {
      g = torch::zeros_like(p);
    } else {
      g.zero_();
    }
    return g.data_ptr<double>();
  };
  table_grads_.clear();
  for (auto& t : tables_) table_grads_.push_back(grad_of(t));
  weight_grad_ = weight_.defined() ? grad_of(weight_) : nullptr;
  bias_grad_ = grad_of(bias_);
  double sum = 0;
  for (int64_t b = 0; b < n; b += kBlockRows)
    sum += Block(store, rows, b, std::min(n, b + kBlockRows));
  // The rows' gradients were summed unscaled; the objective is their mean by weight.
  const double scale = 1.0 / sum_w;
  for (size_t k = 0; k < tables_.size(); ++k) {
    double* g = table_grads_[k];
    for (int64_t c = 0; c < tables_[k].size(0); ++c) g[c] *= scale;
  }
  for (int64_t j = 0; weight_grad_ != nullptr && j < weight_.size(1); ++j) weight_grad_[j] *= scale;
  bias_grad_[0] *= scale;
  return sum * scale;
}

double LinearObjective::Block(const FeatureStore& store, const int64_t* rows, int64_t begin,
                              int64_t end) {
  const int64_t m = end - begin;
  const int64_t dim = weight_.defined() ? weight_.size(1) : 0;
  const auto n_cats = static_cast<int64_t>(tables_.size());
  const int64_t* r = rows != nullptr ? rows + begin : nullptr;  // null: rows begin.. in order
  const auto f64 = torch::dtype(torch::kFloat64);
  torch::Tensor z = torch::from_blob(z_.data(), {m}, f64);
  // The logits: the block's dense rows in float64 times the weights (LibTorch's matrix-vector
  // product), plus the bias and each column's table entry.
  torch::Tensor x;
  if (dim > 0) {
    linear_loops::GatherDense(store.dense.data_ptr<float>(), dim, r, begin, m, x_.data());
    x = torch::from_blob(x_.data(), {m, dim}, f64);
    at::mv_out(z, x, weight_.view({dim}));
    z.add_(bias_);
  } else {
    z.fill_(bias_.item<double>());
  }
  const int64_t stride = store.cats.size(1);
  for (int64_t k = 0; k < n_cats; ++k) {
    const torch::Tensor& table = tables_[static_cast<size_t>(k)];
    const int64_t bad = linear_loops::AddTable(store.cats.data_ptr<int64_t>() + k, stride, r, begin,
                                               m, table.data_ptr<double>(), table.size(0),
                                               z_.data(), codes_.data() + k * kBlockRows);
    if (bad >= 0) {
      const int64_t row = r != nullptr ? r[bad] : begin + bad;
      throw DataError("row " + std::to_string(row) + ": category code " +
                      std::to_string(store.cats[row][k].item<int64_t>()) +
                      " outside embedding table " + std::to_string(k) + " of " +
                      std::to_string(table.size(0)) + " rows");
    }
  }
  linear_loops::LossInputs in;
  in.bce = bce_;
  in.z = z_.data();
  if (bce_) {
    // e = exp(-|z|) and log1p(e), LibTorch's vectorised functions.
    torch::Tensor e = torch::from_blob(e_.data(), {m}, f64);
    at::abs_out(e, z).neg_().exp_();
    torch::Tensor log1p_e = torch::from_blob(log1p_e_.data(), {m}, f64);
    at::log1p_out(log1p_e, e);
    in.e = e_.data();
    in.log1p_e = log1p_e_.data();
  }
  // RowLoss's standardised regression label, in float64 as the fallback's pass computes it.
  const ModelArch& arch = model_->arch;
  in.scaled = arch.task == Task::kRegression && arch.has_label_scaler();
  in.mean = arch.label_mean;
  in.sd = arch.label_std;
  in.labels = store.labels.data_ptr<float>();
  in.weights = store.weights.defined() ? store.weights.data_ptr<float>() : nullptr;
  double g_sum = 0;
  const double sum = linear_loops::LossAndGradient(in, r, begin, m, g_.data(), &g_sum);
  bias_grad_[0] += g_sum;
  if (dim > 0) {
    torch::Tensor wg = torch::from_blob(wg_.data(), {dim}, f64);
    at::mv_out(wg, x.t(), torch::from_blob(g_.data(), {m}, f64));
    for (int64_t j = 0; j < dim; ++j) weight_grad_[j] += wg_[static_cast<size_t>(j)];
  }
  for (int64_t k = 0; k < n_cats; ++k) {
    linear_loops::ScatterAdd(codes_.data() + k * kBlockRows, g_.data(), m,
                             tables_[static_cast<size_t>(k)].size(0),
                             table_grads_[static_cast<size_t>(k)], &lanes_);
  }
  return sum;
}

}  // namespace freshet
