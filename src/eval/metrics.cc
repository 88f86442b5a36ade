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
    const double p = std::clamp(static_cast<double>(probs[i]), 1e-15, 1.0 - 1e-15);
    sum -= labels[i] > 0.5f ? std::log(p) : std::log1p(-p);
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

}  // namespace freshet
