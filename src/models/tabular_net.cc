#include "models/tabular_net.h"

namespace freshet {
namespace {

// Rows `idx` of embedding table `k` of `list`. A plain index_select of the weight: the same values
// as Embedding::forward, but its backward (index_add_) does not synchronise with the host the way
// CUDA's embedding backward does, which matters for small, launch-bound models.
torch::Tensor Lookup(torch::nn::ModuleList& list, size_t k, const torch::Tensor& idx) {
  return list[k]->as<torch::nn::Embedding>()->weight.index_select(0, idx);
}

torch::nn::ModuleList MakeEmbeddings(const ModelArch& arch, bool one_wide) {
  torch::nn::ModuleList list;
  for (const auto& c : arch.categorical) {
    torch::nn::Embedding emb(
        torch::nn::EmbeddingOptions(c.cardinality, one_wide ? arch.outputs : c.embedding_dim));
    // The linear model starts from zero weights, as logistic regression does; deep embeddings keep
    // PyTorch's N(0, 1).
    if (one_wide) torch::nn::init::zeros_(emb->weight);
    list->push_back(emb);
  }
  return list;
}

}  // namespace

LinearPartImpl::LinearPartImpl(const ModelArch& arch) {
  embeddings = register_module("embeddings", MakeEmbeddings(arch, /*one_wide=*/true));
  if (arch.dense_dim > 0) {
    linear = register_module("linear", torch::nn::Linear(arch.dense_dim, arch.outputs));
  } else {
    bias = register_parameter("bias", torch::zeros({arch.outputs}));
  }
}

torch::Tensor LinearPartImpl::forward(const torch::Tensor& dense, const torch::Tensor& cats) {
  torch::Tensor logit =
      linear ? linear->forward(dense) : bias.unsqueeze(0).expand({dense.size(0), bias.size(0)});
  for (size_t k = 0; k < embeddings->size(); ++k) {
    logit = logit + Lookup(embeddings, k, cats.select(1, static_cast<int64_t>(k)));
  }
  return logit;
}

MlpPartImpl::MlpPartImpl(const ModelArch& arch) {
  embeddings = register_module("embeddings", MakeEmbeddings(arch, /*one_wide=*/false));
  int64_t width = arch.dense_dim;
  for (const auto& c : arch.categorical) width += c.embedding_dim;
  mlp = register_module("mlp", torch::nn::Sequential());
  for (int64_t h : arch.hidden) {
    mlp->push_back(torch::nn::Linear(width, h));
    if (arch.norm == "layer")
      mlp->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({h})));
    if (arch.norm == "batch") mlp->push_back(torch::nn::BatchNorm1d(h));
    if (arch.activation == "gelu") {
      mlp->push_back(torch::nn::GELU());
    } else if (arch.activation == "tanh") {
      mlp->push_back(torch::nn::Tanh());
    } else {
      mlp->push_back(torch::nn::ReLU());
    }
    if (arch.dropout > 0) mlp->push_back(torch::nn::Dropout(arch.dropout));
    width = h;
  }
  out = register_module("out", torch::nn::Linear(width, arch.outputs));
}

torch::Tensor MlpPartImpl::forward(const torch::Tensor& dense, const torch::Tensor& cats) {
  std::vector<torch::Tensor> parts{dense};
  for (size_t k = 0; k < embeddings->size(); ++k) {
    parts.push_back(Lookup(embeddings, k, cats.select(1, static_cast<int64_t>(k))));
  }
  torch::Tensor x = parts.size() == 1 ? dense : torch::cat(parts, 1);
  if (!mlp->is_empty()) x = mlp->forward(x);
  return out->forward(x);
}

TabularNetImpl::TabularNetImpl(const ModelArch& a) : arch(a) {
  if (arch.kind == "linear" || arch.kind == "wide_deep") wide = LinearPart(arch);
  if (arch.kind == "mlp" || arch.kind == "wide_deep") deep = MlpPart(arch);
  if (arch.kind == "wide_deep") {
    register_module("wide", wide);
    register_module("deep", deep);
  } else if (wide) {
    for (const auto& child : wide->named_children()) register_module(child.key(), child.value());
    for (const auto& p : wide->named_parameters(/*recurse=*/false)) {
      register_parameter(p.key(), p.value());
    }
  } else {
    for (const auto& child : deep->named_children()) register_module(child.key(), child.value());
  }
}

torch::Tensor TabularNetImpl::forward(const torch::Tensor& dense, const torch::Tensor& cats) {
  if (wide && deep) return wide->forward(dense, cats) + deep->forward(dense, cats);
  return wide ? wide->forward(dense, cats) : deep->forward(dense, cats);
}

std::vector<std::pair<std::string, torch::Tensor>> StateDict(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : module.named_parameters()) out.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers()) out.emplace_back(b.key(), b.value());
  return out;
}

}  // namespace freshet
