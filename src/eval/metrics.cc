// Multiclass and regression metrics, and the per-task metric sets of eval.json.
#include "freshet/metrics.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "eval/metrics_internal.h"
#include "freshet/error.hpp"

namespace freshet {

using metrics_internal::AnyNan;
using metrics_internal::ArgMax;
using metrics_internal::CheckRows;
using metrics_internal::Nan;
using metrics_internal::WeightAt;
using metrics_internal::WeightedMean;

namespace {

// Checks the shapes and the class ids; returns the class id of each row.
std::vector<int64_t> CheckMulticlass(const std::vector<float>& probs, int64_t k,
                                     const std::vector<float>& labels,
                                     const std::vector<float>& weights) {
  FRESHET_CHECK(k >= 1, "multiclass metrics need at least one class");
  FRESHET_CHECK(probs.size() == labels.size() * static_cast<size_t>(k),
                "probabilities and labels differ in length");
  CheckRows(labels.size(), labels, weights, "labels");
  std::vector<int64_t> ids(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    const float y = labels[i];
    FRESHET_CHECK(y >= 0 && y < static_cast<float>(k) && y == std::floor(y),
                  "class id out of range: " + std::to_string(y));
    ids[i] = static_cast<int64_t>(y);
  }
  return ids;
}

}  // namespace

double MulticlassLogLoss(const std::vector<float>& probs, int64_t k,
                         const std::vector<float>& labels, const std::vector<float>& weights) {
  const std::vector<int64_t> y = CheckMulticlass(probs, k, labels, weights);
  if (AnyNan(probs)) return Nan();
  return WeightedMean(labels.size(), weights, [&](size_t i) {
    const float q = probs[i * k + y[i]];
    return -std::log(static_cast<double>(std::clamp(q, FLT_EPSILON, 1.0f - FLT_EPSILON)));
  });
}

double MulticlassAccuracy(const std::vector<float>& probs, int64_t k,
                          const std::vector<float>& labels, const std::vector<float>& weights) {
  const std::vector<int64_t> y = CheckMulticlass(probs, k, labels, weights);
  if (AnyNan(probs)) return Nan();
  return WeightedMean(labels.size(), weights,
                      [&](size_t i) { return ArgMax(&probs[i * k], k) == y[i] ? 1.0 : 0.0; });
}

double MacroF1(const std::vector<float>& probs, int64_t k, const std::vector<float>& labels,
               const std::vector<float>& weights) {
  const std::vector<int64_t> y = CheckMulticlass(probs, k, labels, weights);
  if (AnyNan(probs)) return Nan();
  if (labels.empty()) return Nan();
  std::vector<double> tp(k, 0), fp(k, 0), fn(k, 0);
  std::vector<char> present(k, 0);
  double total = 0.0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const int64_t p = ArgMax(&probs[i * k], k);
    const double w = WeightAt(weights, i);
    present[y[i]] = present[p] = 1;
    total += w;
    if (p == y[i]) {
      tp[p] += w;
    } else {
      fp[p] += w;
      fn[y[i]] += w;
    }
  }
  if (!(total > 0)) return Nan();
  double sum = 0.0;
  int64_t classes = 0;
  for (int64_t c = 0; c < k; ++c) {
    if (!present[c]) continue;
    const double denom = 2 * tp[c] + fp[c] + fn[c];
    sum += denom > 0 ? 2 * tp[c] / denom : 0.0;
    ++classes;
  }
  return sum / static_cast<double>(classes);
}

double Rmse(const std::vector<float>& preds, const std::vector<float>& labels,
            const std::vector<float>& weights) {
  CheckRows(preds.size(), labels, weights, "predictions");
  return std::sqrt(WeightedMean(preds.size(), weights, [&](size_t i) {
    const double d = static_cast<double>(preds[i]) - labels[i];
    return d * d;
  }));
}

double Mae(const std::vector<float>& preds, const std::vector<float>& labels,
           const std::vector<float>& weights) {
  CheckRows(preds.size(), labels, weights, "predictions");
  return WeightedMean(preds.size(), weights, [&](size_t i) {
    return std::abs(static_cast<double>(preds[i]) - labels[i]);
  });
}

double R2(const std::vector<float>& preds, const std::vector<float>& labels,
          const std::vector<float>& weights) {
  CheckRows(preds.size(), labels, weights, "predictions");
  const double mean =
      WeightedMean(labels.size(), weights, [&](size_t i) { return double{labels[i]}; });
  if (std::isnan(mean)) return Nan();
  double ss_res = 0.0, ss_tot = 0.0;
  for (size_t i = 0; i < preds.size(); ++i) {
    const double w = WeightAt(weights, i);
    const double r = static_cast<double>(labels[i]) - preds[i];
    const double t = static_cast<double>(labels[i]) - mean;
    ss_res += w * r * r;
    ss_tot += w * t * t;
  }
  return ss_tot > 0 ? 1.0 - ss_res / ss_tot : Nan();
}

double Mape(const std::vector<float>& preds, const std::vector<float>& labels,
            const std::vector<float>& weights) {
  CheckRows(preds.size(), labels, weights, "predictions");
  return WeightedMean(preds.size(), weights, [&](size_t i) {
    const double y = labels[i];
    return std::abs(static_cast<double>(preds[i]) - y) / std::max(std::abs(y), DBL_EPSILON);
  });
}

std::vector<std::string> TaskMetricNames(Task task) {
  switch (task) {
    case Task::kBinary:
      return {"auc", "pr_auc", "log_loss", "brier", "accuracy", "precision", "recall", "f1", "ece"};
    case Task::kMulticlass:
      return {"log_loss", "accuracy", "macro_f1"};
    case Task::kRegression:
      return {"rmse", "mae", "r2", "mape"};
  }
  return {};
}

namespace {

const char* TaskName(Task task) {
  switch (task) {
    case Task::kBinary:
      return "binary";
    case Task::kMulticlass:
      return "multiclass";
    case Task::kRegression:
      return "regression";
  }
  return "?";
}

[[noreturn]] void UnknownMetric(const std::string& name, Task task) {
  throw std::invalid_argument("unknown " + std::string(TaskName(task)) + " metric \"" + name +
                              "\"");
}

}  // namespace

double MetricValue(const std::string& name, Task task, int64_t num_classes,
                   const std::vector<float>& preds, const std::vector<float>& labels,
                   const std::vector<float>& weights, const MetricOptions& options) {
  const auto& w = weights;
  const auto& p = preds;
  const auto& y = labels;
  switch (task) {
    case Task::kBinary:
      if (name == "auc") return RocAuc(p, y, w);
      if (name == "pr_auc") return AveragePrecision(p, y, w);
      if (name == "log_loss") return LogLoss(p, y, w);
      if (name == "brier") return Brier(p, y, w);
      if (name == "accuracy") return Accuracy(p, y, w, options.threshold);
      if (name == "precision") return Precision(Confusion(p, y, w, options.threshold));
      if (name == "recall") return Recall(Confusion(p, y, w, options.threshold));
      if (name == "f1") return F1(Confusion(p, y, w, options.threshold));
      if (name == "ece") return ExpectedCalibrationError(p, y, w, options.calibration_bins);
      break;
    case Task::kMulticlass:
      if (name == "log_loss") return MulticlassLogLoss(p, num_classes, y, w);
      if (name == "accuracy") return MulticlassAccuracy(p, num_classes, y, w);
      if (name == "macro_f1") return MacroF1(p, num_classes, y, w);
      break;
    case Task::kRegression:
      if (name == "rmse") return Rmse(p, y, w);
      if (name == "mae") return Mae(p, y, w);
      if (name == "r2") return R2(p, y, w);
      if (name == "mape") return Mape(p, y, w);
      break;
  }
  UnknownMetric(name, task);
}

nlohmann::json TaskMetrics(Task task, int64_t num_classes, const std::vector<float>& preds,
                           const std::vector<float>& labels, const std::vector<float>& weights,
                           const MetricOptions& options) {
  nlohmann::json out = nlohmann::json::object();
  if (task == Task::kBinary) {
    // One sort for both areas, one pass for the thresholded counts.
    CheckRows(preds.size(), labels, weights, "probabilities");
    const bool nan = AnyNan(preds);
    const metrics_internal::BinaryCurve curve =
        nan ? metrics_internal::BinaryCurve{}
            : metrics_internal::ComputeBinaryCurve(preds, labels, weights);
    const BinaryCounts c = Confusion(preds, labels, weights, options.threshold);
    out["auc"] = metrics_internal::Num(nan ? Nan() : metrics_internal::AucFromCurve(curve));
    out["pr_auc"] = metrics_internal::Num(nan ? Nan() : metrics_internal::ApFromCurve(curve));
    out["log_loss"] = metrics_internal::Num(LogLoss(preds, labels, weights));
    out["brier"] = metrics_internal::Num(Brier(preds, labels, weights));
    out["accuracy"] = metrics_internal::Num(Accuracy(preds, labels, weights, options.threshold));
    out["precision"] = metrics_internal::Num(Precision(c));
    out["recall"] = metrics_internal::Num(Recall(c));
    out["f1"] = metrics_internal::Num(F1(c));
    out["ece"] = metrics_internal::Num(
        ExpectedCalibrationError(preds, labels, weights, options.calibration_bins));
    return out;
  }
  for (const std::string& name : TaskMetricNames(task)) {
    out[name] = metrics_internal::Num(
        MetricValue(name, task, num_classes, preds, labels, weights, options));
  }
  return out;
}

bool HigherIsBetter(const std::string& name) {
  static const char* const kHigher[] = {"auc",    "pr_auc", "accuracy", "precision",
                                        "recall", "f1",     "macro_f1", "r2"};
  return std::any_of(std::begin(kHigher), std::end(kHigher),
                     [&](const char* h) { return name == h; });
}

}  // namespace freshet
