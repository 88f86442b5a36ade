// Training and scoring with LibTorch, behind a header that does not include LibTorch, so the CLI
// and the other stages compile without it. Features are built here on the target device: the
// tensors are allocated by LibTorch and written in place by the feature kernels.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/artifacts.hpp"
#include "freshet/config.hpp"
#include "freshet/dist.hpp"
#include "freshet/features.hpp"
#include "freshet/online_learner.hpp"
#include "freshet/table.hpp"
#include "kernels/device.h"

namespace freshet {

// What training one model gave.
struct ModelResult {
  std::string kind;  // linear | mlp | wide_deep
  // Predictions for the rows of the eval table: binary P(1) and regression values, one per row;
  // multiclass probabilities, num_classes per row (row-major).
  std::vector<float> eval_predictions;
  double final_train_loss = 0.0;  // mean training loss over the last epoch
  int64_t steps = 0;              // optimiser steps of this run
  int64_t epochs = 0;             // epochs run
  int64_t parameters = 0;
  bool warm_started = false;
  // How it started: "warm_start" (the previous version's weights), "fallback" (the linear part
  // from the fitted fallback) or "prior" (output bias at the label's prior).
  std::string init;
  // The fallback's full-batch solver: iterations, evaluations, gradient_max_abs, converged, stop
  // ("gradient", "max_iter", "no_progress"), tol, max_iter, C or alpha, rows; null otherwise.
  nlohmann::json solver;
  bool early_stopped = false;
  int64_t best_epoch = 0;         // early stopping: the epoch whose weights were kept
  std::string validation_metric;  // empty without a validation set
  double best_validation = std::numeric_limits<double>::quiet_NaN();
  // Early stopping: the best epoch against the starting weights by the one-standard-error rule
  // (best_epoch, loss_difference, standard_error, kept_start); null when it did not apply.
  nlohmann::json start_check;
  nlohmann::json history = nlohmann::json::array();  // per epoch: train loss, validation, seconds
};

struct TrainOutcome {
  ModelResult main;
  std::optional<ModelResult> fallback;  // absent when train.fallback is false
  std::vector<float> eval_labels;       // the eval table's labels (class ids for multiclass)
  int64_t num_classes = 0;              // multiclass: K (configured or inferred); else 0
  int64_t validation_rows = 0;
  int64_t batch_size = 0;  // the main model's batch size (train.batch_size, or the auto rule's)
  int64_t max_epochs = 0;  // the main model's epoch budget (train.epochs, or the auto rule's)
  bool resident = true;    // the features stayed on the device (else streamed in chunks)
  std::string precision;   // what the forward pass ran in: fp32 or bf16
  nlohmann::json timings = nlohmann::json::object();  // seconds: features, train, fallback, ...
};

struct TrainOptions {
  // The artifacts of the version to warm-start from (its model.pt, and model.fallback.pt for the
  // fallback when present; the registry's source verifies them). Null: a cold start. Not owned.
  const ArtifactSource* warm_start = nullptr;
  // Where the artifacts go: kModelFiles and, when train.fallback, kFallbackFiles. Required; not
  // owned.
  ArtifactSink* out = nullptr;
  // The ranks of a data-parallel job, or null for a single process. With more than one rank,
  // every rank calls TrainModel with the same config, state and tables (the global ones), and the
  // ranks split each mini-batch and each full-batch pass between them (SessionOptions::comm in
  // src/train/session.h); every rank writes the artifacts to its own `out`. Not owned.
  Communicator* comm = nullptr;
};

// Fits the linear fallback to convergence on every row of `train` (full-batch L-BFGS), then
// builds the model of `config.model_spec` for the task and the feature outputs of `state`,
// warm-starts it when asked (weights and optimiser state; embedding tables grown for categories
// appended to the vocabulary) or starts it cold from the label's prior (and the fallback's fit
// for its linear part), trains it on `train` (minus a seeded validation fraction) for the
// configured or auto length, scores `eval`, and writes the artifacts of both. A regression label
// is standardised for training (fitted on a cold start, inherited on a warm one). Runs on `device`;
// the features stay there when they fit the memory budget and are streamed in chunks otherwise.
// Throws ConfigError (key path first) for a config the data cannot satisfy or a warm-start source
// of another architecture, DataError for labels or weights unfit for the task (naming the
// column and row), IoError for an unreadable or unwritable checkpoint.
TrainOutcome TrainModel(const Config& config, const FeatureState& state, const Table& train,
                        const Table& eval, const Device& device, const TrainOptions& options);

// Scores of a published version for the rows of a table.
struct Prediction {
  Task task = Task::kBinary;
  int64_t outputs = 1;  // values per row: 1, or K for multiclass
  int64_t rows = 0;
  std::vector<float> values;     // rows * outputs: P(1), class probabilities, or the prediction
  std::vector<int64_t> classes;  // multiclass: the most probable class per row
  int64_t fallback_rows = 0;     // rows whose main prediction was non-finite: the fallback's used
  int64_t clamped_rows = 0;      // rows clamped to predict.clamp
  int64_t nonfinite_rows = 0;    // rows left non-finite (no usable fallback prediction)
  bool main_failed = false;      // the main model could not be loaded or run: all rows fallback
  std::string main_error;
  // The transformed features, when asked for: rows * dense_dim and rows * categorical_dim.
  std::vector<float> dense;
  std::vector<int64_t> cats;
};

// Transforms `input` with `state` (the version's features.json) and scores it with the version's
// main model (model.json + model.safetensors read from `version`), applying `guards`: a non-finite
// main prediction, or a main model that cannot be loaded or run, is replaced by the fallback
// model's (when guards.use_fallback and the version has one); then binary scores and regression
// predictions are clamped. Throws DataError when `input` lacks a feature column, IoError when
// neither model can be used, ConfigError for a clamp on a multiclass task.
Prediction PredictVersion(const ArtifactSource& version, const FeatureState& state,
                          const Table& input, const Device& device, const PredictConfig& guards,
                          bool keep_features);

// The raw outputs of a version's models for the rows of a table, for evaluation: no guard, no
// clamp. `main` and `fallback` hold rows * outputs values each (binary P(1), multiclass
// probabilities, regression predictions); a model that cannot be loaded or run leaves its vector
// empty and says why in its error.
struct VersionScores {
  Task task = Task::kBinary;
  int64_t outputs = 1;
  int64_t rows = 0;
  std::vector<float> main, fallback;
  std::string main_error, fallback_error;
  bool has_fallback = false;  // the version holds a fallback model
};

// Transforms `input` with `state` and scores it with the version's main model and, when
// `with_fallback` and the version has one, its fallback. Throws DataError when `input` lacks a
// feature column; model failures are reported in the result, not thrown.
VersionScores ScoreVersion(const ArtifactSource& version, const FeatureState& state,
                           const Table& input, const Device& device, bool with_fallback);

// The learner of `online.learner: model` (src/train/online_torch.h): a TabularNet of
// config.model_spec's family (linear | mlp | wide_deep) for config.task over the outputs of
// `state`, on `device`, trained by one step of train.optimizer (lr, weight_decay, momentum;
// train.lr_schedule does not apply) on the mean loss of each micro-batch. When `start` (a
// version's artifacts, typically the champion's; may be null; not owned, read only during the
// call) holds a model of the same architecture (embedding tables may have grown), the learner
// starts from its weights, label scaler and, for the same optimiser, model.pt's optimiser state;
// otherwise from fresh weights after torch::manual_seed(train.seed). A multiclass task takes K from
// model_spec.num_classes, else from the start's model. Save()/Restore() are bit-exact on the CPU
// at the same intra-op thread count. Throws ConfigError ("online.learner: model: ...") for a
// multiclass task without K, IoError (ArtifactError) naming a start file that cannot be read.
std::unique_ptr<OnlineLearner> MakeOnlineModel(const Config& config, const FeatureState& state,
                                               const Device& device, const ArtifactSource* start);

// Writes `learner`'s model as kModelFiles to `sink`, in the batch trainer's formats, so that
// PredictVersion, ScoreVersion, a batch warm start and scripts/load_checkpoint.py read it as a
// batch-trained model. A learner of MakeOnlineModel: its network, and in model.pt its optimiser
// (name and state) and step count, as a finished run of epoch 0. A linear learner
// (learner.Linear() not null): a model of kind linear for config.task over `state`'s outputs with
// its weights (categorical rows beyond the learner's tables zero, no label scaler), and in
// model.pt the learner's Name() as the optimiser with no state (a batch warm start then starts its
// optimiser afresh). Throws IoError from the sink. REQUIRES: a LibTorch learner has been grown to
// `state`'s cardinalities; linear weights fit `state` (tables may be shorter); else Error
// (internal), as for a learner of neither kind.
void ExportOnlineModel(OnlineLearner& learner, const Config& config, const FeatureState& state,
                       ArtifactSink& sink);

// The weights of `version`'s main model, which must be of kind linear, for a linear learner
// (OnlineLearner::SetLinear): laid out for `state`'s outputs, tables padded with zero rows to the
// state's cardinalities (vocabularies grown since), a regression label scaler folded in (weights
// times std, bias times std plus mean). Throws ArtifactError naming model.json when the model is
// not linear or its feature outputs differ from the state's (names, or a table larger than the
// state's), and IoError naming a file that cannot be read.
LinearWeights ReadLinearWeights(const ArtifactSource& version, const FeatureState& state);

// Versions of the libraries linked in, for the manifest: {"torch": "2.11.0", "cuda": "13.0" or
// null}.
nlohmann::json RuntimeVersions();

}  // namespace freshet
