#include "train/mlp_step.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "freshet/error.hpp"
#include "train/mlp_loops.h"

namespace freshet {
namespace {

// The hidden Linear layers of an MLP part, in order, or empty with *ok = false when the part holds
// anything but Linear and ReLU / Tanh modules.
std::vector<torch::nn::Linear> HiddenLinears(const MlpPart& deep, bool* ok) {
  std::vector<torch::nn::Linear> out;
  *ok = true;
  for (const auto& m : deep->mlp->children()) {
    if (auto linear = std::dynamic_pointer_cast<torch::nn::LinearImpl>(m)) {
      out.emplace_back(linear);
    } else if (!std::dynamic_pointer_cast<torch::nn::ReLUImpl>(m) &&
               !std::dynamic_pointer_cast<torch::nn::TanhImpl>(m)) {
      *ok = false;
    }
  }
  return out;
}

}  // namespace

bool MlpCpuStepApplies(const TabularNet& model, const std::string& loss,
                       const torch::Device& device, bool bf16) {
  const ModelArch& a = model->arch;
  if (!device.is_cpu() || bf16 || a.kind != "mlp" || !model->deep || model->wide) return false;
  if (a.norm != "none" || a.dropout > 0 || a.outputs != 1) return false;
  if (a.activation != "relu" && a.activation != "tanh") return false;
  if (loss != "bce" && loss != "mse") return false;
  bool ok = false;
  HiddenLinears(model->deep, &ok);
  for (const auto& p : model->parameters()) {
    if (p.scalar_type() != torch::kFloat32 || !p.is_contiguous()) return false;
  }
  return ok;
}

MlpCpuStep::MlpCpuStep(TabularNet& model, std::string loss, int64_t max_rows, bool own_gradients)
    : model_(model), loss_(std::move(loss)), max_rows_(max_rows) {
  params_ = model_->parameters();
  const auto index_of = [this](const torch::Tensor& p) {
    for (size_t i = 0; i < params_.size(); ++i) {
      if (params_[i].is_same(p)) return i;
    }
    throw Error(ErrorKind::kInternal,
                "MlpCpuStep: a layer's tensor is not among the model's parameters");
  };
  const MlpPart& deep = model_->deep;
  tanh_ = model_->arch.activation == "tanh";
  dense_dim_ = model_->arch.dense_dim;
  int64_t width = dense_dim_, column = dense_dim_;
  for (int64_t j = 0; j < dense_dim_; ++j) input_columns_.push_back(j);
  for (const auto& m : deep->embeddings->children()) {
    tables_.push_back(m->as<torch::nn::Embedding>()->weight);
    table_indices_.push_back(index_of(tables_.back()));
    const int64_t dim = tables_.back().size(1);
    if (2 * tables_.back().size(0) <= max_rows_) {
      Projected p;
      p.table = tables_.size() - 1;
      p.column = column;
      projected_.push_back(std::move(p));
      offsets_.push_back(-1);
    } else {
      offsets_.push_back(width);
      for (int64_t j = 0; j < dim; ++j) input_columns_.push_back(column + j);
      width += dim;
    }
    column += dim;
  }
  const auto f32 = torch::dtype(torch::kFloat32);
  input_ = torch::empty({max_rows_, width}, f32);
  grad_input_ = torch::empty({max_rows_, width}, f32);
  codes_.resize(static_cast<size_t>(max_rows_) * tables_.size());
  labels_.resize(static_cast<size_t>(max_rows_));
  weights_.resize(static_cast<size_t>(max_rows_));
  bool ok = false;
  std::vector<torch::nn::Linear> linears = HiddenLinears(deep, &ok);
  linears.push_back(deep->out);
  for (const auto& l : linears) {
    Layer layer;
    layer.weight = l->weight;
    layer.bias = l->bias;
    layer.weight_t = l->weight.t();
    layer.weight_index = index_of(layer.weight);
    layer.bias_index = index_of(layer.bias);
    layer.out = torch::empty({max_rows_, l->weight.size(0)}, f32);
    layer.grad_out = torch::empty({max_rows_, l->weight.size(0)}, f32);
    layers_.push_back(std::move(layer));
  }
  const int64_t first_width = layers_.front().weight.size(0);
  for (Projected& p : projected_) {
    const torch::Tensor& table = tables_[p.table];
    p.proj = torch::empty({table.size(0), first_width}, f32);
    p.sums = torch::empty({table.size(0), first_width}, f32);
    p.weight_t = torch::empty({table.size(1), first_width}, f32);
  }
  if (projected_.empty()) {
    input_columns_.clear();
  } else {
    input_weight_t_ = torch::empty({width, first_width}, f32);
    input_weight_grad_t_ = torch::empty({width, first_width}, f32);
  }
  if (own_gradients) {
    for (const auto& p : params_) own_grads_.push_back(torch::zeros_like(p));
  } else {
    for (auto& p : params_) {
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    }
  }
}

torch::Tensor MlpCpuStep::gradient(size_t i) {
  // A model's gradient is looked up each time: the optimiser or clipping may replace it.
  return own_grads_.empty() ? params_[i].mutable_grad() : own_grads_[i];
}

void MlpCpuStep::AddGradientsOf(MlpCpuStep& other) {
  FRESHET_CHECK(other.params_.size() == params_.size() && !other.own_grads_.empty(),
                "MlpCpuStep::AddGradientsOf: not a step with its own gradients of this model");
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor to = gradient(i);
    const torch::Tensor from = other.gradient(i);
    float* a = to.data_ptr<float>();
    const float* b = from.data_ptr<float>();
    const int64_t n = to.numel();
    for (int64_t j = 0; j < n; ++j) a[j] += b[j];
  }
}

void MlpCpuStep::Gather(const FeatureStore& store, const int64_t* rows, int64_t n) {
  const int64_t width = input_.size(1);
  const int64_t n_cats = static_cast<int64_t>(tables_.size());
  const int64_t stride = store.cats.size(1);  // the store's codes a row (a model may use fewer)
  FRESHET_CHECK(stride >= n_cats && store.dense.size(1) == dense_dim_,
                "MlpCpuStep: the store's columns do not match the model");
  const float* dense = store.dense.data_ptr<float>();
  const int64_t* cats = n_cats > 0 ? store.cats.data_ptr<int64_t>() : nullptr;
  const float* labels = store.labels.data_ptr<float>();
  const float* weights = store.weights.defined() ? store.weights.data_ptr<float>() : nullptr;
  float* x = input_.data_ptr<float>();
  // The tables' pointers and sizes, read once: a tensor's data_ptr checks its type on every call.
  struct TableView {
    const float* data;
    int64_t rows, dim, offset;
  };
  std::vector<TableView> views(static_cast<size_t>(n_cats));
  for (int64_t k = 0; k < n_cats; ++k) {
    const torch::Tensor& table = tables_[static_cast<size_t>(k)];
    views[static_cast<size_t>(k)] = {table.data_ptr<float>(), table.size(0), table.size(1),
                                     offsets_[static_cast<size_t>(k)]};
  }
  // The rows are scattered over the store: each is a cache miss, so the misses of the rows a few
  // ahead are started (prefetched) while this one is copied.
  constexpr int64_t kAhead = 16;
  for (int64_t i = 0; i < n; ++i) {
    if (i + kAhead < n) {
      const int64_t ahead = rows[i + kAhead];
      __builtin_prefetch(dense + ahead * dense_dim_);
      if (cats != nullptr) __builtin_prefetch(cats + ahead * stride);
      __builtin_prefetch(labels + ahead);
      if (weights != nullptr) __builtin_prefetch(weights + ahead);
    }
    const int64_t r = rows[i];
    float* xi = x + i * width;
    const float* d = dense + r * dense_dim_;
    for (int64_t j = 0; j < dense_dim_; ++j) xi[j] = d[j];
    for (int64_t k = 0; k < n_cats; ++k) {
      const TableView& t = views[static_cast<size_t>(k)];
      const int64_t code = cats[r * stride + k];
      if (code < 0 || code >= t.rows) {
        throw DataError("row " + std::to_string(r) + ": category code " + std::to_string(code) +
                        " outside embedding table " + std::to_string(k) + " of " +
                        std::to_string(t.rows) + " rows");
      }
      codes_[static_cast<size_t>(i * n_cats + k)] = code;
      if (t.offset < 0) continue;  // projected
      const float* e = t.data + code * t.dim;
      float* xe = xi + t.offset;
      for (int64_t j = 0; j < t.dim; ++j) xe[j] = e[j];
    }
    labels_[static_cast<size_t>(i)] = labels[r];
    if (weights != nullptr) weights_[static_cast<size_t>(i)] = weights[r];
  }
}

double MlpCpuStep::Loss(int64_t n, bool weighted, double denominator) {
  const float* z = layers_.back().out.data_ptr<float>();
  float* dz = layers_.back().grad_out.data_ptr<float>();
  const ModelArch& arch = model_->arch;
  // RowLoss's standardised regression label, in float as LibTorch computes it.
  const bool scaled = arch.task == Task::kRegression && arch.has_label_scaler();
  const auto mean = static_cast<float>(arch.label_mean);
  const auto sd = static_cast<float>(arch.label_std);
  const bool bce = loss_ == "bce";
  double total_weight = static_cast<double>(n);
  if (denominator > 0) {
    total_weight = denominator;
  } else if (weighted) {
    total_weight = 0;
    for (int64_t i = 0; i < n; ++i) total_weight += weights_[static_cast<size_t>(i)];
    total_weight = std::max(total_weight, 1e-12);
  }
  const auto scale = static_cast<float>(1.0 / total_weight);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float label = labels_[static_cast<size_t>(i)];
    const float y = scaled ? (label - mean) / sd : label;
    const float zi = z[i];
    const float w = weighted ? weights_[static_cast<size_t>(i)] : 1.0f;
    double l = 0;
    float g = 0;
    if (bce) {
      // One exp for both: e = exp(-|z|), sigmoid(z) = 1 / (1 + e) for z >= 0, e / (1 + e) below.
      const float e = std::exp(-std::fabs(zi));
      l = std::max(zi, 0.0f) - zi * y + std::log1p(e);
      g = (zi >= 0.0f ? 1.0f : e) / (1.0f + e) - y;
    } else {
      const float d = zi - y;
      l = static_cast<double>(d) * d;
      g = 2.0f * d;
    }
    sum += static_cast<double>(w) * l;
    dz[i] = g * (w * scale);
  }
  return sum / total_weight;
}

void MlpCpuStep::ScatterEmbeddingGradients(int64_t n) {
  const int64_t width = input_.size(1);
  const int64_t n_cats = static_cast<int64_t>(tables_.size());
  const float* gx = grad_input_.data_ptr<float>();
  for (int64_t k = 0; k < n_cats; ++k) {
    const int64_t off = offsets_[static_cast<size_t>(k)];
    if (off < 0) continue;  // projected: ProjectedBackward's
    torch::Tensor grad = gradient(table_indices_[static_cast<size_t>(k)]);
    grad.zero_();
    float* g = grad.data_ptr<float>();
    const int64_t dim = grad.size(1);
    for (int64_t i = 0; i < n; ++i) {
      float* gr = g + codes_[static_cast<size_t>(i * n_cats + k)] * dim;
      const float* src = gx + i * width + off;
      for (int64_t j = 0; j < dim; ++j) gr[j] += src[j];
    }
  }
}

void MlpCpuStep::ProjectedForward(int64_t n, torch::Tensor out) {
  const Layer& layer = layers_.front();
  const int64_t width = out.size(1), full = layer.weight.size(1);
  const int64_t in_width = input_weight_t_.size(0);
  const auto n_cats = static_cast<int64_t>(tables_.size());
  // The weight's input columns, transposed ([in_width, width]), then the input's product with
  // them plus the bias.
  const float* w = layer.weight.data_ptr<float>();
  float* wi = input_weight_t_.data_ptr<float>();
  for (int64_t j = 0; j < in_width; ++j) {
    const int64_t column = input_columns_[static_cast<size_t>(j)];
    for (int64_t o = 0; o < width; ++o) wi[j * width + o] = w[o * full + column];
  }
  float* h = out.data_ptr<float>();
  mlp_loops::SmallProduct(n, width, in_width, input_.data_ptr<float>(), in_width, 1, wi, width,
                          layer.bias.data_ptr<float>(), h, width);
  for (Projected& p : projected_) {
    const torch::Tensor& table = tables_[p.table];
    const int64_t rows = table.size(0), dim = table.size(1);
    // proj = table x (the weight's columns for the table)^T, through a transposed copy of them.
    float* wt = p.weight_t.data_ptr<float>();
    for (int64_t j = 0; j < dim; ++j) {
      for (int64_t o = 0; o < width; ++o) wt[j * width + o] = w[o * full + p.column + j];
    }
    float* proj = p.proj.data_ptr<float>();
    mlp_loops::SmallProduct(rows, width, dim, table.data_ptr<float>(), dim, 1, wt, width, nullptr,
                            proj, width);
    mlp_loops::AddRowsOf(proj, codes_.data() + p.table, n_cats, n, width, h);
  }
}

void MlpCpuStep::ProjectedBackward(int64_t n, const torch::Tensor& grad_out) {
  const Layer& layer = layers_.front();
  const int64_t width = grad_out.size(1), full = layer.weight.size(1);
  const int64_t in_width = input_weight_t_.size(0);
  const auto n_cats = static_cast<int64_t>(tables_.size());
  float* wg = gradient(layer.weight_index).data_ptr<float>();
  const float* g = grad_out.data_ptr<float>();
  // The layer's gradient for the input's columns, transposed: input^T x grad_out.
  float* from = input_weight_grad_t_.data_ptr<float>();
  mlp_loops::SmallProduct(in_width, width, n, input_.data_ptr<float>(), 1, in_width, g, width,
                          nullptr, from, width);
  for (int64_t j = 0; j < in_width; ++j) {
    const int64_t column = input_columns_[static_cast<size_t>(j)];
    for (int64_t o = 0; o < width; ++o) wg[o * full + column] = from[j * width + o];
  }
  const float* w = layer.weight.data_ptr<float>();
  for (Projected& p : projected_) {
    const torch::Tensor& table = tables_[p.table];
    const int64_t rows = table.size(0), dim = table.size(1);
    p.sums.zero_();
    float* sums = p.sums.data_ptr<float>();
    mlp_loops::SumRowsByCode(g, codes_.data() + p.table, n_cats, n, width, sums);
    // The layer's gradient for the table's columns, transposed: table^T x sums, [dim, width].
    float* wgt = p.weight_t.data_ptr<float>();
    mlp_loops::SmallProduct(dim, width, rows, table.data_ptr<float>(), 1, dim, sums, width, nullptr,
                            wgt, width);
    for (int64_t o = 0; o < width; ++o) {
      for (int64_t j = 0; j < dim; ++j) wg[o * full + p.column + j] = wgt[j * width + o];
    }
    // The table's gradient: sums x (the weight's columns for the table), [rows, dim].
    mlp_loops::SmallProduct(rows, dim, width, sums, width, 1, w + p.column, full, nullptr,
                            gradient(table_indices_[p.table]).data_ptr<float>(), dim);
  }
  mlp_loops::ColumnSums(g, n, width, gradient(layer.bias_index).data_ptr<float>());
  if (in_width > dense_dim_) {  // tables gathered into the input
    torch::Tensor grad_in = grad_input_.narrow(0, 0, n);
    at::mm_out(grad_in, grad_out, input_weight_t_.t());
    ScatterEmbeddingGradients(n);
  }
}

double MlpCpuStep::Step(const FeatureStore& store, const int64_t* rows, int64_t n,
                        double denominator) {
  FRESHET_CHECK(n >= (denominator > 0 ? 0 : 1) && n <= max_rows_,
                "MlpCpuStep: batch of the wrong size");
  torch::NoGradGuard no_grad;
  if (n == 0) {
    for (size_t i = 0; i < params_.size(); ++i) gradient(i).zero_();
    return 0.0;
  }
  Gather(store, rows, n);
  const size_t last = layers_.size() - 1;
  // Forward: each layer's output, activated but for the last.
  torch::Tensor in = input_.narrow(0, 0, n);
  for (size_t l = 0; l < layers_.size(); ++l) {
    Layer& layer = layers_[l];
    torch::Tensor out = layer.out.narrow(0, 0, n);
    if (l == 0 && !projected_.empty()) {
      ProjectedForward(n, out);
    } else {
      at::addmm_out(out, layer.bias, in, layer.weight_t);
    }
    if (l != last) {
      float* h = out.data_ptr<float>();
      (tanh_ ? mlp_loops::Tanh : mlp_loops::Relu)(h, out.numel());
    }
    in = out;
  }
  const double loss = Loss(n, store.weights.defined(), denominator);
  // Backward: grad_out of layer l is the loss's gradient with respect to its (activated) output.
  for (size_t l = layers_.size(); l-- > 0;) {
    Layer& layer = layers_[l];
    torch::Tensor grad_out = layer.grad_out.narrow(0, 0, n);
    if (l != last) {
      // Through the activation, from its output: ReLU passes where the output is positive, tanh
      // scales by 1 - tanh².
      (tanh_ ? mlp_loops::TanhBackward : mlp_loops::ReluBackward)(
          layer.out.data_ptr<float>(), grad_out.data_ptr<float>(), grad_out.numel());
    }
    if (l == 0 && !projected_.empty()) {
      ProjectedBackward(n, grad_out);
      break;
    }
    const torch::Tensor layer_in =
        l == 0 ? input_.narrow(0, 0, n) : layers_[l - 1].out.narrow(0, 0, n);
    torch::Tensor weight_grad = gradient(layer.weight_index);
    at::mm_out(weight_grad, grad_out.t(), layer_in);
    // The bias gradient: the column sums of grad_out.
    mlp_loops::ColumnSums(grad_out.data_ptr<float>(), n, grad_out.size(1),
                          gradient(layer.bias_index).data_ptr<float>());
    if (l > 0) {
      torch::Tensor grad_in = layers_[l - 1].grad_out.narrow(0, 0, n);
      at::mm_out(grad_in, grad_out, layer.weight);
    } else if (!tables_.empty()) {
      torch::Tensor grad_in = grad_input_.narrow(0, 0, n);
      at::mm_out(grad_in, grad_out, layer.weight);
      ScatterEmbeddingGradients(n);
    }
  }
  return loss;
}

}  // namespace freshet
