#include "freshet/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "freshet/error.hpp"

namespace freshet {

double RocAuc(const std::vector<float>& scores, const std::vector<float>& labels) {
  FRESHET_CHECK(scores.size() == labels.size(), "scores and labels differ in length");
  const size_t n = scores.size();
  for (float s : scores) {
    if (std::isnan(s)) return std::numeric_limits<double>::quiet_NaN();
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Sum of the positives' ranks, with ties sharing their average rank.
  double rank_sum = 0.0;
  double positives = 0.0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double avg_rank = (static_cast<double>(i) + static_cast<double>(j) + 1.0) / 2.0;
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]] > 0.5f) {
        rank_sum += avg_rank;
        positives += 1.0;
      }
    }
    i = j;
  }
  const double negatives = static_cast<double>(n) - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  return (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives);
}

double LogLoss(const std::vector<float>& probs, const std::vector<float>& labels) {
  FRESHET_CHECK(probs.size() == labels.size(), "probabilities and labels differ in length");
  if (probs.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0.0;
  for (size_t i = 0; i < probs.size(); ++i) {
    // The probability given to the true class, clipped at 1e-15 (computed as 1 - p for label 0,
    // so that a certain wrong prediction costs exactly -log(1e-15) either way).
    const double p = probs[i];
    sum -= std::log(std::clamp(labels[i] > 0.5f ? p : 1.0 - p, 1e-15, 1.0));
  }
  return sum / static_cast<double>(probs.size());
}

double Accuracy(const std::vector<float>& probs, const std::vector<float>& labels) {
  FRESHET_CHECK(probs.size() == labels.size(), "probabilities and labels differ in length");
  if (probs.empty()) return std::numeric_limits<double>::quiet_NaN();
  size_t hits = 0;
  for (size_t i = 0; i < probs.size(); ++i) hits += (probs[i] >= 0.5f) == (labels[i] > 0.5f);
  return static_cast<double>(hits) / static_cast<double>(probs.size());
}

namespace {

double Nan() { return std::numeric_limits<double>::quiet_NaN(); }

int64_t ArgMax(const float* row, int64_t k) {
  int64_t best = 0;
  for (int64_t c = 1; c < k; ++c) {
    if (row[c] > row[best]) best = c;
  }
  return best;
}

void CheckMulticlass(const std::vector<float>& probs, int64_t k, const std::vector<float>& labels) {
  FRESHET_CHECK(k >= 1, "multiclass metrics need at least one class");
  FRESHET_CHECK(probs.size() == labels.size() * static_cast<size_t>(k),
                "probabilities and labels differ in length");
}

nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

}  // namespace

double MulticlassLogLoss(const std::vector<float>& probs, int64_t k,
                         const std::vector<float>& labels) {
  CheckMulticlass(probs, k, labels);
  if (labels.empty()) return Nan();
  double sum = 0.0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const int64_t y = static_cast<int64_t>(labels[i]);
    FRESHET_CHECK(y >= 0 && y < k, "class id out of range");
    sum -= std::log(std::clamp(static_cast<double>(probs[i * k + y]), 1e-15, 1.0));
  }
  return sum / static_cast<double>(labels.size());
}

double MulticlassAccuracy(const std::vector<float>& probs, int64_t k,
                          const std::vector<float>& labels) {
  CheckMulticlass(probs, k, labels);
  if (labels.empty()) return Nan();
  size_t hits = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    hits += ArgMax(&probs[i * k], k) == static_cast<int64_t>(labels[i]);
  }
  return static_cast<double>(hits) / static_cast<double>(labels.size());
}

double MacroF1(const std::vector<float>& probs, int64_t k, const std::vector<float>& labels) {
  CheckMulticlass(probs, k, labels);
  if (labels.empty()) return Nan();
  std::vector<double> tp(k, 0), fp(k, 0), fn(k, 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    const int64_t y = static_cast<int64_t>(labels[i]);
    const int64_t p = ArgMax(&probs[i * k], k);
    if (p == y) {
      tp[y] += 1;
    } else {
      fp[p] += 1;
      if (y >= 0 && y < k) fn[y] += 1;
    }
  }
  double sum = 0.0;
  int64_t classes = 0;
  for (int64_t c = 0; c < k; ++c) {
    const double denom = 2 * tp[c] + fp[c] + fn[c];
    if (denom == 0) continue;  // neither in the labels nor predicted
    sum += 2 * tp[c] / denom;
    ++classes;
  }
  return classes ? sum / static_cast<double>(classes) : Nan();
}

double Rmse(const std::vector<float>& preds, const std::vector<float>& labels) {
  FRESHET_CHECK(preds.size() == labels.size(), "predictions and labels differ in length");
  if (preds.empty()) return Nan();
  double sum = 0.0;
  for (size_t i = 0; i < preds.size(); ++i) {
    const double d = static_cast<double>(preds[i]) - labels[i];
    sum += d * d;
  }
  return std::sqrt(sum / static_cast<double>(preds.size()));
}

double Mae(const std::vector<float>& preds, const std::vector<float>& labels) {
  FRESHET_CHECK(preds.size() == labels.size(), "predictions and labels differ in length");
  if (preds.empty()) return Nan();
  double sum = 0.0;
  for (size_t i = 0; i < preds.size(); ++i)
    sum += std::abs(static_cast<double>(preds[i]) - labels[i]);
  return sum / static_cast<double>(preds.size());
}

double R2(const std::vector<float>& preds, const std::vector<float>& labels) {
  FRESHET_CHECK(preds.size() == labels.size(), "predictions and labels differ in length");
  if (preds.empty()) return Nan();
  double mean = 0.0;
  for (float y : labels) mean += y;
  mean /= static_cast<double>(labels.size());
  double ss_res = 0.0, ss_tot = 0.0;
  for (size_t i = 0; i < preds.size(); ++i) {
    const double r = static_cast<double>(labels[i]) - preds[i];
    const double t = static_cast<double>(labels[i]) - mean;
    ss_res += r * r;
    ss_tot += t * t;
  }
  return ss_tot > 0 ? 1.0 - ss_res / ss_tot : Nan();
}

nlohmann::json TaskMetrics(Task task, int64_t num_classes, const std::vector<float>& preds,
                           const std::vector<float>& labels) {
  switch (task) {
    case Task::kBinary:
      return {{"auc", Num(RocAuc(preds, labels))},
              {"log_loss", Num(LogLoss(preds, labels))},
              {"accuracy", Num(Accuracy(preds, labels))}};
    case Task::kMulticlass:
      return {{"log_loss", Num(MulticlassLogLoss(preds, num_classes, labels))},
              {"accuracy", Num(MulticlassAccuracy(preds, num_classes, labels))},
              {"macro_f1", Num(MacroF1(preds, num_classes, labels))}};
    case Task::kRegression:
      return {{"rmse", Num(Rmse(preds, labels))},
              {"mae", Num(Mae(preds, labels))},
              {"r2", Num(R2(preds, labels))}};
  }
  return nlohmann::json::object();
}

bool HigherIsBetter(const std::string& name) {
  return name == "auc" || name == "accuracy" || name == "macro_f1" || name == "r2";
}

}  // namespace freshet
