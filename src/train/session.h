// One model being trained: the module, its optimiser, the run's progress and random streams.
// TrainModel (trainer.cc) runs one session for the fallback (full_batch: L-BFGS to convergence)
// and one for the main model (mini-batches).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "freshet/dist.hpp"
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
  // The fallback's solver: Train fits the model to convergence with full-batch L-BFGS
  // (train.fallback's settings) instead of mini-batch epochs.
  bool full_batch = false;
  // Mini-batch steps of an MLP on the CPU by MlpCpuStep (train/mlp_step.h), and the full-batch
  // passes of a linear model by LinearObjective (train/linear_objective.h), where they apply;
  // false: LibTorch's autograd for every step and pass (tests compare the two).
  bool written_out_step = true;
  // Set by another fit on this process's other core when it is done (the fallback's, fitted side
  // by side): from then on the written-out step runs each batch's second half on that core. Null:
  // only the intra-op thread count at the start of Train says whether there is one. Not owned.
  const std::atomic<bool>* spare_core = nullptr;
  // The ranks of a data-parallel job (null or one rank: a single process). Every rank holds the
  // same store and draws the same batches; each computes the loss of its stripe of every batch
  // (rows j % size == rank) over the whole batch's rows or weight, the gradients are summed over
  // the ranks before clipping and the step, so the ranks keep identical weights and the model is
  // one process's up to the order of float sums. Not owned.
  Communicator* comm = nullptr;
};

// A new L-BFGS optimiser over `params` with the fallback's iteration cap and tolerance.
std::unique_ptr<torch::optim::Optimizer> MakeLbfgs(const FallbackConfig& fallback,
                                                   const std::vector<torch::Tensor>& params);

class TrainSession {
 public:
  // A fresh model of `arch`, initialised after torch::manual_seed(train.seed), on the device, and
  // its optimiser. The shuffling generator is seeded with train.seed too.
  TrainSession(const ModelArch& arch, SessionOptions options);

  // Starts from a previous version's model: its weights (embedding tables that grew keep their old
  // rows and initialise the new ones as a fresh model does) and, when it used the same optimiser,
  // its optimiser state (grown to match). Progress starts at epoch 0.
  // A full-batch session takes the weights only: its solver starts afresh on the new data.
  // REQUIRES: WarmStartMismatch(previous.arch, arch) is empty.
  void WarmStart(ModelPt& previous);

  // Cold-start initialisation: the output bias (the linear part's for linear and wide_deep, the
  // output layer's for mlp) set to `bias` (outputs values: the label's log-odds, class
  // log-frequencies or mean), and, for a full-batch fit, every weight to zero.
  void SetOutputPrior(const std::vector<float>& bias);

  // Cold-start initialisation of a linear or wide_deep model from a fitted linear model of the
  // same features (the fallback): its dense weights and bias copied into the linear part, its
  // per-category weights too when `with_categorical` (else those start at zero), and the deep
  // part's output layer set to zero, so the model starts with the linear model's predictions
  // (over the dense features alone without the categorical weights).
  void StartFromLinear(TabularNet& linear, bool with_categorical = true);

  // Continues an interrupted run of the same config from its model.pt: weights, optimiser state,
  // progress and random streams, so that the rest of the run equals an uninterrupted one.
  // Throws ConfigError when the checkpoint holds another architecture or optimiser.
  void Resume(ModelPt& checkpoint);

  // Trains on rows `train_rows` of `store` (int64 on the store's side: the device for a resident
  // store, the host otherwise; undefined = all rows) for the epochs left of train.epochs, stopping
  // early when train.early_stopping says so (validated on `val_rows`, which must then be defined),
  // or after epoch `stop_after_epoch` when > 0 (to be resumed). With early stopping the starting
  // weights are validated first and count as epoch 0; at the end of a finished run the best
  // epoch's weights are restored. A full-batch session fits by FitFullBatch instead.
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
  // A full-batch fit's report: iterations, evaluations, final gradient, converged; else null.
  const nlohmann::json& solver() const { return solver_; }
  // The one-standard-error check of the best epoch against the starting weights, or null.
  const nlohmann::json& start_check() const { return start_check_; }

 private:
  // L-BFGS on the whole of `rows` (undefined = all) in float64, to train.fallback.tol or
  // max_iter; progress: step = iterations, epoch = passes over the rows.
  void FitFullBatch(const FeatureStore& store, const torch::Tensor& rows);
  // Mean loss over `rows` (weighted when the store has weights) and, unless the metric is the
  // loss, the metric of the predictions. With `row_losses`, also each row's loss (times its
  // weight over the mean weight), on the host.
  double Validate(const FeatureStore& store, const torch::Tensor& rows,
                  torch::Tensor* row_losses = nullptr);
  // Validate's value on this rank's copy of the rows.
  double ValidateRows(const FeatureStore& store, const torch::Tensor& rows,
                      torch::Tensor* row_losses);
  // The one-standard-error rule against the starting weights (validation metric "loss"): the
  // best epoch's weights replace them only when they lower the validation loss by more than one
  // standard error of the paired per-row differences; otherwise the starting weights are put
  // back (best_epoch 0). Noise on a small validation draw then never moves a model away from a
  // sound start (a warm start or the fallback's fit).
  void KeepStartUnlessBeaten(const FeatureStore& store, const torch::Tensor& val_rows);
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
  nlohmann::json solver_;
  nlohmann::json start_check_;  // KeepStartUnlessBeaten's numbers; null when it did not run
};

// Probabilities or values from a model's raw outputs: sigmoid (binary), softmax (multiclass),
// z * label_std + label_mean (regression).
torch::Tensor OutputTransform(const ModelArch& arch, const torch::Tensor& logits);

}  // namespace freshet
