// The config's `online:` section: how `freshet online` reads, learns, watches for drift,
// checkpoints and publishes (README "Online learning").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace freshet {

// One drift detector on the prequential error stream, with River's defaults. `input`: "error"
// (1 when the prediction was wrong: binary at threshold 0.5, multiclass argmax; regression: the
// absolute error) or "loss" (the row's log loss / squared error). DDM needs a 0/1 input.
struct DetectorSpec {
  std::string kind;  // adwin | page_hinkley | ddm
  std::string input = "error";
  // adwin
  double delta = 0.002;
  int64_t clock = 32;
  int64_t max_buckets = 5;
  int64_t min_window_length = 5;
  int64_t grace_period = 10;
  // page_hinkley (delta above is its magnitude delta, 0.005 by default for it)
  int64_t min_instances = 30;
  double threshold = 50.0;
  double alpha = 1 - 0.0001;
  std::string mode = "both";  // up | down | both
  // ddm
  int64_t warm_start = 30;
  double warning_threshold = 2.0;
  double drift_threshold = 3.0;
  // What to do when it signals drift, in order (see DriftResponse).
  std::vector<std::string> responses = {"log"};
};

// The responses to a drift signal:
//   log               a warning line and the freshet_online_drift_events_total counter (always)
//   alert             run `alert_command` (sh -c) with FRESHET_* variables describing the event
//   boost_lr          multiply the learning rate by `boost_factor` for `boost_records` records
//   use_fallback      serve (score) with the fallback for `fallback_records` records while the
//                     learner keeps training
//   reset_to_champion restart the learner from the champion version's weights
//   command           run `command` (sh -c), e.g. a batch `freshet retrain`
//   publish           publish the current model now
struct DriftResponse {
  double boost_factor = 10.0;
  int64_t boost_records = 10000;
  int64_t fallback_records = 10000;
  std::string alert_command;
  std::string command;
};

// Delayed labels: a record whose label is empty is predicted and held, keyed by `key`, until a
// record with the same key and a label arrives (its feature columns may be empty); then the held
// prediction is scored and the held features trained on with that label. A held record expires
// (counted, never trained on) after `window_records` later records or when more than
// `max_pending` are held (the oldest first).
struct LabelJoin {
  std::string key;  // "" = labels arrive with their records
  int64_t window_records = 100000;
  int64_t max_pending = 1000000;
};

struct OnlineConfig {
  // ftrl | adagrad | sgd: the native online linear model (logistic regression for binary tasks,
  // linear regression for regression) over the FeatureState's outputs, updated row by row.
  // model: the config's model_spec family (linear, mlp, wide_deep) through LibTorch, one step of
  // train.optimizer per micro-batch.
  std::string learner = "ftrl";
  // FTRL-Proximal (McMahan et al. 2013): per-coordinate rate alpha / (beta + sqrt(n_i)).
  double alpha = 0.1, beta = 1.0;
  // AdaGrad and SGD: lr; SGD decays it as lr * (1 + t)^-power_t (VW's default power_t 0.5).
  double lr = 0.1, power_t = 0.5;
  double l1 = 0.0, l2 = 0.0;    // regularisation of every learner except "model"
  std::string format = "auto";  // csv | jsonl | auto (by extension; stdin: csv)
  int64_t batch_rows = 1024;    // a micro-batch ends at this many records,
  double batch_seconds = 1.0;   // or this long after its first record
  int64_t warmup_rows = 1000;   // rows the FeatureState is fitted on when no champion has one
  int64_t checkpoint_records = 100000;
  double checkpoint_seconds = 60.0;
  double publish_minutes = 60.0;  // 0 = only on SIGTERM / a `publish` response
  int64_t metric_window = 10000;  // rows in the sliding prequential window
  double fading_factor = 0.999;   // the exponentially faded prequential metrics
  int64_t max_record_bytes = 1 << 20;
  std::string dead_letters;  // default <registry>/<model>/online/dead_letters.jsonl
  LabelJoin labels;
  std::vector<DetectorSpec> detectors;  // default: one ADWIN on the error, responses [log]
  DriftResponse response;
};

}  // namespace freshet
