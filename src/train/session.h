// One model being trained: the module, its optimiser, the run's progress and random streams.
// TrainModel (trainer.cc) runs one session for the main model and one for the fallback.
#pragma once

#include <memory>
#include <string>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "freshet/model_spec.hpp"
#include "models/arch.h"
#include "models/tabular_net.h"
#include "train/checkpoint.h"
#include "train/data.h"

namespace freshet {

struct SessionOptions {
  TrainConfig train;
  std::string loss;  // bce | cross_entropy | mse | huber (ResolvedLoss)
  torch::Device device = torch::kCPU;
  bool bf16 = false;                      // bf16 autocast of the forward pass (CUDA only)
  int64_t chunk_rows = int64_t{1} << 20;  // rows moved at a time from a streamed store
  std::string log_prefix;                 // prepended to the per-epoch log lines
};

class TrainSession {
 public:
  // A fresh model of `arch`, initialised after torch::manual_seed(train.seed), on the device, and
  // its optimiser. The shuffling generator is seeded with train.seed too.
  TrainSession(const ModelArch& arch, SessionOptions options);

  // Starts from a previous version's model: its weights (embedding tables that grew keep their old
  // rows and initialise the new ones as a fresh model does) and, when it used the same optimiser,
  // its optimiser state (grown to match). Progress starts at epoch 0.
  // REQUIRES: WarmStartMismatch(previous.arch, arch) is empty.
  void WarmStart(ModelPt& previous);

  // Continues an interrupted run of the same config from its model.pt: weights, optimiser state,
  // progress and random streams, so that the rest of the run equals an uninterrupted one.
  // Throws ConfigError when the checkpoint holds another architecture or optimiser.
  void Resume(ModelPt& checkpoint);

  // Trains on rows `train_rows` of `store` (int64 on the store's side: the device for a resident
  // store, the host otherwise; undefined = all rows) for the epochs left of train.epochs, stopping
  // early when train.early_stopping says so (validated on `val_rows`, which must then be defined),
  // or after epoch `stop_after_epoch` when > 0 (to be resumed). At the end of a finished run with
  // early stopping the best epoch's weights are restored.
  void Train(const FeatureStore& store, const torch::Tensor& train_rows,
             const torch::Tensor& val_rows, int64_t stop_after_epoch = 0);

  // Predictions for rows `rows` of `store` (undefined = all), in order, on the host: float32 [N]
  // (binary P(1), regression value) or [N, K] (multiclass probabilities).
  torch::Tensor Predict(const FeatureStore& store, const torch::Tensor& rows = {});

  // The bytes of model.pt (weights, optimiser state, progress and random streams); `name` names
  // it in errors.
  std::string Checkpoint(const std::string& name);
  // Writes Checkpoint() to the file `model_pt`.
  void Save(const std::string& model_pt);

  TabularNet& model() { return model_; }
  const TrainProgress& progress() const { return progress_; }
  int64_t parameters() const;
  double last_train_loss() const { return last_train_loss_; }
  const nlohmann::json& history() const { return history_; }
  const std::string& validation_metric() const { return metric_; }

 private:
  // Mean loss over `rows` (weighted when the store has weights) and, unless the metric is the
  // loss, the metric of the predictions.
  double Validate(const FeatureStore& store, const torch::Tensor& rows);
  torch::Tensor Forward(const torch::Tensor& dense, const torch::Tensor& cats);
  // Per-row losses of logits `out` against labels `y`.
  torch::Tensor RowLoss(const torch::Tensor& out, const torch::Tensor& y) const;

  SessionOptions opt_;
  TabularNet model_{nullptr};
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<torch::Tensor> fused_steps_;  // FusedAdamStep's device step counts
  at::Generator shuffle_;
  TrainProgress progress_;
  std::string metric_;  // the validation metric's name ("loss" for the task's loss)
  double last_train_loss_ = 0.0;
  nlohmann::json history_ = nlohmann::json::array();
};

// Probabilities or values from logits: sigmoid (binary), softmax (multiclass), identity.
torch::Tensor OutputTransform(Task task, const torch::Tensor& logits);

}  // namespace freshet
