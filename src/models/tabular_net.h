// The tabular models freshet trains, built from a ModelArch: linear, MLP and wide & deep, over
// dense features and categorical indices.
//
// Parameter names are the checkpoint keys and equal what a PyTorch user writes for the same
// nn.Module (scripts/load_checkpoint.py holds the Python twin):
//   linear     embeddings.<k>.weight [card_k, outputs]   one-wide (outputs-wide) embeddings
//              linear.weight [outputs, D], linear.bias   (bias [outputs] alone when D = 0)
//   mlp        embeddings.<k>.weight [card_k, e_k]
//              mlp.<i>.*  Sequential of, per hidden size: Linear, LayerNorm | BatchNorm1d (if
//                         norm), activation, Dropout (if dropout > 0)
//              out.weight [outputs, last], out.bias
//   wide_deep  wide.* (the linear model) + deep.* (the mlp); logits are their sum.
#pragma once

#include <torch/torch.h>

#include "models/arch.h"

namespace freshet {

// logit(dense, cats) = linear(dense) + Σ_k embeddings[k](cats[:, k]).
struct LinearPartImpl : torch::nn::Module {
  explicit LinearPartImpl(const ModelArch& arch);
  torch::Tensor forward(const torch::Tensor& dense, const torch::Tensor& cats);

  torch::nn::ModuleList embeddings;
  torch::nn::Linear linear{nullptr};  // null when there are no dense features
  torch::Tensor bias;                 // defined when there are no dense features
};
TORCH_MODULE(LinearPart);

// logit = out(mlp(concat(dense, embeddings[k](cats[:, k]) ...))).
struct MlpPartImpl : torch::nn::Module {
  explicit MlpPartImpl(const ModelArch& arch);
  torch::Tensor forward(const torch::Tensor& dense, const torch::Tensor& cats);

  torch::nn::ModuleList embeddings;
  torch::nn::Sequential mlp;
  torch::nn::Linear out{nullptr};
};
TORCH_MODULE(MlpPart);

// forward(dense [N, D] float32, cats [N, C] int64, on the module's device) → logits [N, outputs].
// For linear and mlp the part's children are registered on this module directly, so their names
// carry no prefix.
struct TabularNetImpl : torch::nn::Module {
  explicit TabularNetImpl(const ModelArch& arch);
  torch::Tensor forward(const torch::Tensor& dense, const torch::Tensor& cats);

  ModelArch arch;
  LinearPart wide{nullptr};
  MlpPart deep{nullptr};
};
TORCH_MODULE(TabularNet);

// Every parameter and buffer by its dotted name (a PyTorch state_dict's keys and order).
std::vector<std::pair<std::string, torch::Tensor>> StateDict(const torch::nn::Module& module);

}  // namespace freshet
