// The config's `evaluation:` and `gate:` sections: what every retrain scores the challenger, the
// champion and the fallback on, and the policy that decides whether the challenger replaces the
// champion. Every key has a default (README, "The evaluation gate").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "freshet/model_spec.hpp"

namespace freshet {

// A named evaluation set. `latest` is the run's held-out partitions (the newest
// `data.window.eval`, so evaluation follows the data); any other set is a list of files read in
// full, each optionally pinned to a SHA-256 (a file that no longer matches stops the run).
struct EvalSetSpec {
  std::string name;
  std::vector<std::string> files;   // absolute paths; empty for `latest`
  std::vector<std::string> sha256;  // one per file: the pinned checksum, "" when not pinned
};

// A slice of an evaluation set's rows by one column: the `top` most frequent values of a
// categorical column, or the buckets of a numeric column between `boundaries` (explicit) or at
// `quantiles` equal-count edges of the set's values. Missing values form a slice of their own.
struct SliceSpec {
  std::string column;
  bool numeric = false;
  int top = 10;
  std::vector<double> boundaries;
  int quantiles = 4;
};

// One operand of a payoff: a constant, or a numeric column of the evaluation rows (per row).
struct PayoffValue {
  double constant = 0;
  std::string column;  // "" = the constant
};

// A metric in the business's terms, computed for each model beside the task's metrics.
//   payoff:       expected value per row of acting on p >= evaluation.threshold (binary), from
//                 the value of each outcome (tp, fp, fn, tn).
//   top_fraction: precision, recall or lift of the top `fraction` of rows by score (binary).
//   weighted:     a task metric with the rows weighted by `weight_column` (e.g. revenue).
struct ProductMetricSpec {
  std::string name;
  std::string kind;  // payoff | top_fraction | weighted
  PayoffValue tp, fp, fn, tn;
  double fraction = 0.1;
  std::string measure = "precision";  // top_fraction: precision | recall | lift
  std::string metric;                 // weighted: one of the task's metric names
  std::string weight_column;          // weighted
};

struct BootstrapSpec {
  int resamples = 1000;  // 0 = no intervals
  uint64_t seed = 0;
  double confidence = 0.95;
};

struct EvaluationConfig {
  // The metric the gate's default rules, the history and the headline use; "auto" resolves to
  // auc (binary), log_loss (multiclass) or rmse (regression).
  std::string primary_metric = "auto";
  double threshold = 0.5;     // binary decisions: accuracy, precision, recall, f1, payoff
  int calibration_bins = 10;  // ece and the calibration chart
  BootstrapSpec bootstrap;
  std::vector<EvalSetSpec> sets = {{"latest", {}, {}}};
  std::string primary_set;  // default: the first set
  std::vector<SliceSpec> slices;
  int64_t min_slice_rows = 100;  // a slice with fewer rows is not reported or gated
  std::vector<ProductMetricSpec> product_metrics;
  // Evidence of variance, off by default: k-fold cross-validation of the main model over the
  // training rows (seeded row folds), and the main model retrained with `seeds` other seeds.
  int cv_folds = 0;
  int seeds = 0;
  int curve_points = 200;  // ROC and PR points kept for the report
};

// One rule of the promotion gate, evaluated on the challenger's metrics of one evaluation set.
//   min_change:     improvement of `metric` over `against` (champion | fallback) >= threshold;
//                   the improvement is challenger − other for a higher-is-better metric and
//                   other − challenger otherwise; `bound`: point (the estimate), lower (the
//                   lower end of its paired bootstrap interval: better beyond noise) or upper
//                   (the upper end: not worse beyond noise). `relative`: the improvement is
//                   divided by |other|, so -0.005 means "at most 0.5 % worse".
//   min_value / max_value: the challenger's `metric` >= / <= threshold.
//   max_slice_drop: no slice with min_slice_rows rows loses more than `threshold` of `metric`
//                   against `against` (an improvement below -threshold fails).
struct GateRule {
  std::string name;  // default: "<metric> vs <against>", "<metric> min", ...
  std::string kind;  // min_change | min_value | max_value | max_slice_drop
  std::string metric;
  std::string against;  // champion | fallback, for min_change and max_slice_drop
  std::string set;      // "" = evaluation.primary_set
  std::string bound = "point";
  double threshold = 0;
  bool relative = false;  // min_change: the threshold is a fraction of the other model's value
};

// What a shadow run (`freshet shadow`) must show to pass: at least `min_rows` scored rows, every
// prediction finite, and, where set, an upper bound on the share of decisions that flip at the
// threshold and on the PSI of the challenger's scores against the champion's; with labels in the
// logged rows, the primary metric no worse than the champion's by more than `max_metric_drop` of
// its value beyond noise (the upper end of the bootstrap interval of the relative improvement, as
// in the gate's default rule; the point estimate without the bootstrap).
struct ShadowPolicy {
  int64_t min_rows = 100;
  double max_flip_rate = -1;       // < 0 = not checked
  double max_score_psi = -1;       // < 0 = not checked
  double max_metric_drop = 0.005;  // with labels: a fraction of the champion's value
};

struct GateConfig {
  bool enabled = true;  // false: every new version is promoted, and the event says so
  // Default: the primary metric's relative improvement over the champion and over the fallback,
  // upper bound >= -0.5 % (kept out when worse by more than 0.5 % beyond noise; the point
  // estimate when the bootstrap is off).
  std::vector<GateRule> rules;
  std::vector<GateRule> first_run;  // no champion yet: default the fallback rule above
  // Where the `fallback` channel goes when a challenger becomes champion: "previous_champion"
  // (the version it replaces: one command back to it) or "none" (never moved by a retrain).
  std::string fallback_channel = "previous_champion";
  // Channels a passing challenger goes through before `champion`, in order (e.g. [shadow,
  // canary]); empty: straight to champion. `freshet shadow` moves it on from `shadow`.
  std::vector<std::string> stages;
  ShadowPolicy shadow;
};

// The primary metric `evaluation.primary_metric` resolves to for `task`.
std::string ResolvedPrimaryMetric(const EvaluationConfig& evaluation, Task task);

}  // namespace freshet
