#include "models/tabular_net.h"

namespace freshet {

TabularNetImpl::TabularNetImpl(int64_t dense_dim, const std::vector<int64_t>& cardinalities,
                               const ModelSpec& spec)
    : linear_only(spec.kind == "linear") {
  embeddings = register_module("embeddings", torch::nn::ModuleList());
  const int64_t emb_dim = linear_only ? 1 : spec.embedding_dim;
  for (int64_t card : cardinalities) {
    torch::nn::Embedding emb(torch::nn::EmbeddingOptions(card, emb_dim));
    if (linear_only) torch::nn::init::zeros_(emb->weight);
    embeddings->push_back(emb);
  }
  if (linear_only) {
    linear = register_module("linear", torch::nn::Linear(dense_dim, 1));
    return;
  }
  int64_t width = dense_dim + emb_dim * static_cast<int64_t>(cardinalities.size());
  mlp = register_module("mlp", torch::nn::Sequential());
  for (int64_t h : spec.hidden) {
    mlp->push_back(torch::nn::Linear(width, h));
    mlp->push_back(torch::nn::ReLU());
    if (spec.dropout > 0) mlp->push_back(torch::nn::Dropout(spec.dropout));
    width = h;
  }
  out = register_module("out", torch::nn::Linear(width, 1));
}

torch::Tensor TabularNetImpl::forward(const torch::Tensor& dense, const torch::Tensor& cats) {
  if (linear_only) {
    torch::Tensor logit = linear->forward(dense).squeeze(1);
    for (size_t k = 0; k < embeddings->size(); ++k) {
      logit =
          logit + embeddings[k]->as<torch::nn::Embedding>()->forward(cats.select(1, k)).squeeze(1);
    }
    return logit;
  }
  std::vector<torch::Tensor> parts{dense};
  for (size_t k = 0; k < embeddings->size(); ++k) {
    parts.push_back(embeddings[k]->as<torch::nn::Embedding>()->forward(cats.select(1, k)));
  }
  return out->forward(mlp->forward(torch::cat(parts, 1))).squeeze(1);
}

}  // namespace freshet
