// The resolved architecture of a tabular model: everything needed to rebuild it, here or in
// PyTorch (scripts/load_checkpoint.py). Saved as model.json beside every checkpoint. No LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/features.hpp"
#include "freshet/model_spec.hpp"

namespace freshet {

struct CategoricalArch {
  std::string name;           // the feature output's name (FeatureState::categorical_names())
  int64_t cardinality = 0;    // rows of its embedding table
  int64_t embedding_dim = 0;  // deep embedding width (mlp, wide_deep); unused by linear
};

// forward(dense [N, dense_dim] float32, cats [N, categorical.size()] int64) → [N, outputs].
struct ModelArch {
  std::string kind = "mlp";  // linear | mlp | wide_deep
  Task task = Task::kBinary;
  int64_t outputs = 1;  // 1, or the number of classes of a multiclass task
  int64_t dense_dim = 0;
  std::vector<std::string> dense_names;
  std::vector<CategoricalArch> categorical;
  std::vector<int64_t> hidden;
  std::string activation = "relu";
  std::string norm = "none";
  double dropout = 0.0;
  // Regression: the model is trained on (label - label_mean) / label_std and its raw output z
  // means the prediction z * label_std + label_mean (OutputTransform). Fitted on the training
  // rows of a cold start, inherited on warm start. 0 and 1 (identity) otherwise.
  double label_mean = 0.0;
  double label_std = 1.0;

  bool has_label_scaler() const { return label_mean != 0.0 || label_std != 1.0; }

  // {"format": "freshet.model/1", "kind", "task", "outputs", "dense_dim", "dense_names",
  //  "categorical": [{"name", "cardinality", "embedding_dim"}], "hidden", "activation", "norm",
  //  "dropout"}; "freshet.model/2" adds "label_scaler": {"mean", "std"}, written only when the
  // scaler is not the identity (so a model without one reads in an older freshet, and one with
  // it is refused there instead of predicting in standardised units).
  nlohmann::json ToJson() const;
  // Throws IoError naming `source` when `j` is not a model.json this build understands.
  static ModelArch FromJson(const nlohmann::json& j, const std::string& source);
};

// The embedding width of a categorical output with `cardinality` rows under the "auto" rule:
// min(64, round(1.6 * cardinality^0.56)), at least 1.
int64_t AutoEmbeddingDim(int64_t cardinality);

// Builds the architecture of `spec` for `task` over the outputs of `state`. `num_classes` is the
// resolved K of a multiclass task (ignored otherwise). An "auto" embedding width is taken from
// `previous` (the warm-start source, may be null) when it has a column of that name, so a grown
// vocabulary keeps its width. Throws ConfigError (model_spec.embedding_dims.<name>) for an
// override that names no categorical output.
ModelArch ResolveArch(const ModelSpec& spec, Task task, int64_t num_classes,
                      const FeatureState& state, const ModelArch* previous);

// The fallback of `main`: a linear model over the same features and outputs.
ModelArch LinearArch(const ModelArch& main);

// Empty when a model of `next` can start from the weights of a model of `prev`: the same
// architecture, except that embedding tables may have grown (vocabularies are append-only).
// Otherwise one line saying what changed ("hidden: [64, 32] → [32]").
std::string WarmStartMismatch(const ModelArch& prev, const ModelArch& next);

}  // namespace freshet
