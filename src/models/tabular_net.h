// The tabular models freshet trains: linear (logistic regression) and MLP, over dense features
// and hashed categorical indices.
#pragma once

#include <torch/torch.h>

#include "freshet/config.hpp"

namespace freshet {

// forward(dense [N, D] float32, cats [N, C] int64) → logits [N].
// Linear: logit = linear(dense) + Σ_k embeddings[k](cats[:, k]) with one-wide embeddings, i.e.
// logistic regression over the dense features and the one-hot categories.
// MLP: concat(dense, embeddings[k](cats[:, k]) ...) → mlp (Linear, ReLU, Dropout ...) → out.
// Parameter names are those a PyTorch user would give the same module (`embeddings.0.weight`,
// `mlp.0.weight`, `out.weight`, `linear.weight`) and are the checkpoint keys.
struct TabularNetImpl : torch::nn::Module {
  TabularNetImpl(int64_t dense_dim, const std::vector<int64_t>& cardinalities,
                 const ModelSpec& spec);
  torch::Tensor forward(const torch::Tensor& dense, const torch::Tensor& cats);

  bool linear_only = false;
  torch::nn::ModuleList embeddings;
  torch::nn::Linear linear{nullptr};
  torch::nn::Sequential mlp{nullptr};
  torch::nn::Linear out{nullptr};
};
TORCH_MODULE(TabularNet);

}  // namespace freshet
