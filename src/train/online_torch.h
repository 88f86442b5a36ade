// The LibTorch learner of `freshet online` (online.learner: model): a TabularNet of the config's
// model_spec family, one step of train.optimizer per micro-batch. MakeOnlineModel,
// ExportOnlineModel and ReadLinearWeights (freshet/trainer.hpp) are its entry points; the class
// is declared here for ExportOnlineModel and the tests.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <torch/torch.h>

#include "freshet/artifacts.hpp"
#include "freshet/config.hpp"
#include "freshet/features.hpp"
#include "freshet/online_learner.hpp"
#include "kernels/device.h"
#include "models/arch.h"
#include "models/tabular_net.h"

namespace freshet {

// What the learner depends on, besides the weights:
//   - the learning rate is train.lr times the factor of SetLearningRateFactor; train.lr_schedule
//     does not apply online;
//   - dropout draws from the learner's own random streams (seeded by train.seed, saved by Save),
//     swapped in for the default generators during a training step, so other users of PyTorch's
//     default generators neither disturb nor are disturbed by it;
//   - on the CPU, bit-identical updates need the same intra-op thread count (at::get_num_threads)
//     on both sides: a reduction's order depends on it. The learner never changes it.
// Not thread-safe.
class TorchOnlineLearner final : public OnlineLearner {
 public:
  // A TabularNet of the architecture ResolveArch gives for config.model_spec, config.task and the
  // outputs of `state`, on `device`, with config.train's optimiser and the task's loss
  // (ResolvedLoss). When `start` holds a model (model.json + model.safetensors) of the same
  // architecture (WarmStartMismatch: embedding tables may have grown), the learner starts from its
  // weights and label scaler, and from its model.pt's optimiser state when that used the same
  // optimiser; otherwise it starts fresh after torch::manual_seed(train.seed). A multiclass task
  // takes K from model_spec.num_classes, else from the start's model. Throws ConfigError
  // ("online.learner: model: ...") for a multiclass task with neither, IoError (ArtifactError for a
  // corrupt one) naming a start file that cannot be used.
  TorchOnlineLearner(const Config& config, const FeatureState& state, const Device& device,
                     const ArtifactSource* start);

  int64_t outputs() const override { return model_->arch.outputs; }
  // Eval mode (no dropout, batch norm's running statistics): sigmoid (binary), softmax
  // (multiclass), or the prediction in the label's units (regression).
  void Predict(const FeatureRows& rows, double* out) override;
  // One optimiser step on the mean loss of all the rows, in train mode. Throws DataError for a
  // non-finite label or a class id outside [0, K). With batch norm a single row is skipped.
  void Train(const FeatureRows& rows, const double* labels) override;
  void SetLearningRateFactor(double factor) override;
  // Appends rows to the embedding tables in place (the parameters keep their identity): zeros in
  // the linear part's tables, N(0, 1) in the deep part's (as a fresh table starts) from a
  // generator seeded by train.seed, the table's index and its new size. The optimiser's
  // per-parameter state gets zero rows for them (GrowOptimizerState): the state of a row never
  // updated. Old rows keep their weights and state.
  void Grow(const std::vector<int64_t>& cardinalities) override;
  // A LibTorch archive ("freshet.online_model/1"): the architecture, weights and buffers, the
  // optimiser's name and state, the learning-rate factor, the step count and the random streams.
  std::string Save() const override;
  // Throws ArtifactError naming `source` when the bytes are not a Save() of a learner of this
  // architecture (the label scaler aside, which is taken from them) and optimiser.
  void Restore(std::string_view bytes, const std::string& source) override;
  int64_t parameters() const override;
  std::string Name() const override { return model_->arch.kind; }
  // Throws ConfigError: a LibTorch learner starts again from a champion by being built anew with
  // it as `start`.
  void SetLinear(const LinearWeights& weights) override;

  TabularNet& model() { return model_; }
  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  const std::string& optimizer_name() const { return train_.optimizer; }
  int64_t steps() const { return steps_; }
  // Whether the weights came from `start`.
  bool started_from_champion() const { return from_champion_; }

 private:
  // Dense [N, D] float32 and cats [N, C] int64 on the device. REQUIRES: the learner's widths.
  std::pair<torch::Tensor, torch::Tensor> Inputs(const FeatureRows& rows) const;
  // A fresh optimiser over the model's parameters at train.lr * lr_factor_.
  void ResetOptimizer();

  TrainConfig train_;
  std::string loss_;  // ResolvedLoss
  torch::Device device_;
  TabularNet model_{nullptr};
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<torch::Tensor> fused_steps_;  // FusedAdamStep's device step counts
  double lr_factor_ = 1.0;
  int64_t steps_ = 0;
  bool from_champion_ = false;
  bool dropout_ = false;              // training draws random numbers
  torch::Tensor rng_cpu_, rng_cuda_;  // the learner's streams (rng_cuda_ undefined on the CPU)
};

}  // namespace freshet
