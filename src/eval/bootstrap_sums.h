// The binary metrics that are weighted sums (log_loss, brier, accuracy, precision, recall, f1,
// ece), all taken in one pass over the rows of a bootstrap resample, for both models at once.
// Private to src/eval/bootstrap.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "freshet/metrics.hpp"

namespace freshet::bootstrap_internal {

// Whether `metric` of a binary task is one of the sums this file takes.
bool IsBinarySum(const std::string& metric);

// One model's per-row terms, computed once: each metric's summand as metrics_binary.cc computes
// it (the log loss term clipped as LogLoss clips it, the squared error, the decision at the
// threshold, the calibration bin). `nan`: a NaN score makes every metric NaN.
struct BinaryTerms {
  std::vector<double> log_loss, squared, p;
  std::vector<uint8_t> predicted;
  std::vector<uint16_t> bin;
  bool nan = false;
};
BinaryTerms ComputeBinaryTerms(const std::vector<float>& probs, const std::vector<float>& labels,
                               const MetricOptions& options);

// The sums of one resample for two models: the rows weighted by counts[i] * weights[i].
struct BinarySums {
  double weight = 0, log_loss = 0, squared = 0, correct = 0, tp = 0, fp = 0, fn = 0, tn = 0;
  std::vector<double> bin_weight, bin_p, bin_positive;
};
void AccumulateBinary(const BinaryTerms& a, const BinaryTerms& b, const std::vector<float>& labels,
                      const std::vector<float>& weights, const std::vector<uint32_t>& counts,
                      int bins, BinarySums* sa, BinarySums* sb);

// The metric of one model's sums (as MetricValue on the drawn rows, up to rounding); NaN for a
// model with a NaN score (`nan`).
double BinarySumMetric(const std::string& metric, bool nan, const BinarySums& s);

}  // namespace freshet::bootstrap_internal
