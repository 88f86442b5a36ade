// Training and scoring with LibTorch, behind a header that does not include LibTorch, so the CLI
// and the other stages compile without it. Features are built here on the target device: the
// tensors are allocated by LibTorch and written in place by the feature kernels.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/artifacts.hpp"
#include "freshet/config.hpp"
#include "freshet/features.hpp"
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

// Versions of the libraries linked in, for the manifest: {"torch": "2.11.0", "cuda": "13.0" or
// null}.
nlohmann::json RuntimeVersions();

}  // namespace freshet
