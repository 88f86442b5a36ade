// Shared by compare.cc and slices.cc (EvaluateSet, include/freshet/comparison.hpp). Private to
// src/eval/.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/comparison.hpp"
#include "freshet/metrics.hpp"

namespace freshet::compare_internal {

// What every metric of one evaluation needs besides the rows.
struct EvalContext {
  Task task = Task::kBinary;
  int64_t num_classes = 0;
  MetricOptions options;
  BootstrapSpec bootstrap;
  std::string primary;
  int64_t min_slice_rows = 100;
  int curve_points = 200;
};
EvalContext ContextOf(const Config& config, int64_t num_classes);

// A product metric's per-row inputs: the payoff of each outcome (1 value or one per row) and the
// row weights it uses (the rows' weights, times the metric's weight column for "weighted").
struct ProductInputs {
  Payoff payoff;
  std::vector<float> weights;
};
ProductInputs ProductInputsOf(const ProductMetricSpec& spec, const Table& table,
                              const std::vector<float>& weights);
// The inputs of the rows drawn by a bootstrap resample (row i counts[i] times).
ProductInputs Resample(const ProductInputs& in, const std::vector<uint32_t>& counts);
double ProductValue(const ProductMetricSpec& spec, const EvalContext& ctx,
                    const std::vector<float>& preds, const std::vector<float>& labels,
                    const ProductInputs& in);
bool ProductHigherIsBetter(const ProductMetricSpec& spec);

// One comparison entry of eval.json (docs/eval-schema.md); the interval's keys only when
// `with_interval`.
nlohmann::json ComparisonJson(double challenger, double other, const BootstrapInterval& b,
                              bool higher, bool with_interval);

// The slices of evaluation.slices on one set: per slice its column, kind, value, rows, every
// scored model's task metrics and the primary metric's improvement of the challenger over the
// champion and the fallback. Slices with fewer than min_slice_rows rows are left out.
nlohmann::json SlicesJson(const Config& config, const EvalContext& ctx, const Table& table,
                          const std::vector<float>& labels, const std::vector<float>& weights,
                          const std::vector<ModelScores>& models);

}  // namespace freshet::compare_internal
