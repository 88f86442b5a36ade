// The paired bootstrap of a metric difference: counter-based resampling, an O(N) pass per
// resample for the ranking metrics, percentile intervals.
#include "eval/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "eval/bootstrap_draws.h"
#include "eval/bootstrap_sorted.h"
#include "eval/bootstrap_sums.h"
#include "eval/metrics_internal.h"
#include "freshet/error.hpp"
#include "freshet/metrics.hpp"
#include "kernels/parallel.h"

namespace freshet {
namespace bootstrap_internal {

#if !defined(FRESHET_LANES512)
// Without AVX-512 (never called: WidestLanes() is 2), one stream at a time.
void DrawPairs8(uint64_t* states, uint32_t n, int64_t pairs, uint32_t* out) {
  const uint32_t floor = DrawStream::Floor(n);
  for (int l = 0; l < kMaxLanes; ++l) {
    DrawStream d = DrawStream::FromState(states[l]);
    for (int64_t p = 0; p < pairs; ++p) {
      int h = 0;
      d.DrawPair(d.Next(), n, floor, [&](uint32_t i) { out[(2 * p + h++) * kMaxLanes + l] = i; });
    }
    states[l] = d.state();
  }
}
#endif

namespace {

void FillCounts(std::vector<uint32_t>& counts, uint64_t seed, int64_t resample) {
  std::fill(counts.begin(), counts.end(), 0u);
  const uint32_t n = static_cast<uint32_t>(counts.size());
  DrawStream(seed, resample).Draw(n, n, [&](uint32_t i) { ++counts[i]; });
}

// The same counts in bytes: a quarter of the memory the passes gather from (1 MB for 1M rows).
class ByteCounts {
 public:
  explicit ByteCounts(size_t rows) : counts_(rows) {}

  // False when a count passed 255 (a Binomial(N, 1/N) count beyond 255: it never happens, but is
  // handled): the caller then counts in 32 bits instead.
  bool Fill(uint64_t seed, int64_t resample) {
    std::fill(counts_.begin(), counts_.end(), uint8_t{0});
    const uint32_t n = static_cast<uint32_t>(counts_.size());
    bool wrapped = false;
    DrawStream(seed, resample).Draw(n, n, [&](uint32_t i) { wrapped |= ++counts_[i] == 0; });
    return !wrapped;
  }

  const uint8_t* data() const { return counts_.data(); }

 private:
  std::vector<uint8_t> counts_;
};

double Delta(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? metrics_internal::Nan() : a - b;
}

// The counts of resamples [first, first + active) in the `lanes` lanes of one buffer: row i's
// count in lane l at counts[i * lanes + l], the other lanes 0. Count is uint8_t or uint32_t;
// returns the lanes whose byte count passed 255 (a bit each; never for uint32_t).
template <typename Count>
unsigned FillLanes(std::vector<Count>* counts, size_t rows, int lanes, uint64_t seed, int64_t first,
                   int active) {
  counts->assign(rows * lanes, Count{0});
  Count* c = counts->data();
  const auto n = static_cast<uint32_t>(rows);
  unsigned wrapped = 0;
  if (lanes == kMaxLanes && active == kMaxLanes) {
    // Eight streams at once (AVX-512), a chunk of pairs at a time, then the odd last draw.
    uint64_t states[kMaxLanes];
    for (int l = 0; l < kMaxLanes; ++l) states[l] = DrawStream(seed, first + l).state();
    constexpr int64_t kChunk = 1024;
    uint32_t drawn[2 * kChunk * kMaxLanes];
    const auto pairs = static_cast<int64_t>(rows / 2);
    for (int64_t p = 0; p < pairs; p += kChunk) {
      const int64_t m = std::min(kChunk, pairs - p);
      DrawPairs8(states, n, m, drawn);
      for (int64_t q = 0; q < 2 * m; ++q) {
        for (int l = 0; l < kMaxLanes; ++l) {
          ++c[static_cast<size_t>(drawn[q * kMaxLanes + l]) * kMaxLanes + l];
        }
      }
    }
    for (int l = 0; l < kMaxLanes && rows % 2 == 1; ++l) {
      DrawStream::FromState(states[l]).Draw(
          n, 1, [&](uint32_t i) { ++c[static_cast<size_t>(i) * kMaxLanes + l]; });
    }
    if constexpr (sizeof(Count) == 1) {
      // Each lane drew `rows` times, so its counts add up to `rows` unless one passed 255 and
      // wrapped (losing 256): a sequential pass tells, cheaper than a test at every increment.
      uint64_t sums[kMaxLanes] = {};
      for (size_t i = 0; i < rows; ++i) {
        for (int l = 0; l < kMaxLanes; ++l) sums[l] += c[i * kMaxLanes + l];
      }
      for (int l = 0; l < kMaxLanes; ++l) wrapped |= static_cast<unsigned>(sums[l] != rows) << l;
    }
    return wrapped;
  }
  for (int l = 0; l < active; ++l) {
    bool wrap = false;
    DrawStream(seed, first + l).Draw(n, rows, [&](uint32_t i) {
      wrap |= ++c[static_cast<size_t>(i) * lanes + l] == 0;
    });
    wrapped |= static_cast<unsigned>(wrap) << l;
  }
  return wrapped;
}

// ResampleDeltasOf when every metric is auc, pr_auc or a binary sum and the rows are unweighted:
// WidestLanes() resamples at a time, one sorted pass per model for all the metrics.
void PassLanes(const std::vector<std::string>& metrics, const std::vector<float>& preds_a,
               const std::vector<float>& preds_b, const std::vector<float>& labels, int resamples,
               uint64_t seed, const MetricOptions& options,
               std::vector<std::vector<double>>* deltas) {
  const size_t n = labels.size();
  bool ap = false, sums = false;
  for (const auto& metric : metrics) {
    ap |= metric == "pr_auc";
    sums |= IsBinarySum(metric);
  }
  const MetricOptions* terms = sums ? &options : nullptr;
  const SortedScores sorted_a = SortScores(preds_a, labels, {}, terms);
  const SortedScores sorted_b = SortScores(preds_b, labels, {}, terms);
  const int bins = options.calibration_bins;
  const int lanes = WidestLanes();
  const int64_t groups = (resamples + lanes - 1) / lanes;
  kernels::ParallelFor(groups, 1, [&](int64_t begin, int64_t end) {
    std::vector<uint8_t> bytes;
    std::vector<uint32_t> wide;
    SortedSums a[kMaxLanes], b[kMaxLanes], wide_a[kMaxLanes], wide_b[kMaxLanes];
    for (int64_t g = begin; g < end; ++g) {
      const int64_t first = g * lanes;
      const int active = static_cast<int>(std::min<int64_t>(lanes, resamples - first));
      const unsigned wrapped = FillLanes(&bytes, n, lanes, seed, first, active);
      SortedPassLanes(sorted_a, lanes, bytes.data(), ap, sums, bins, a);
      SortedPassLanes(sorted_b, lanes, bytes.data(), ap, sums, bins, b);
      if (wrapped != 0) {
        // A count past 255 (it never happens, but is handled): these resamples in 32 bits.
        FillLanes(&wide, n, lanes, seed, first, active);
        SortedPassLanes(sorted_a, lanes, wide.data(), ap, sums, bins, wide_a);
        SortedPassLanes(sorted_b, lanes, wide.data(), ap, sums, bins, wide_b);
      }
      for (int l = 0; l < active; ++l) {
        const bool wide_lane = (wrapped >> l) & 1;
        const SortedSums& sa = wide_lane ? wide_a[l] : a[l];
        const SortedSums& sb = wide_lane ? wide_b[l] : b[l];
        for (size_t k = 0; k < metrics.size(); ++k) {
          (*deltas)[k][first + l] = Delta(SortedSumsMetric(metrics[k], sorted_a, sa),
                                          SortedSumsMetric(metrics[k], sorted_b, sb));
        }
      }
    }
  });
}

}  // namespace

std::vector<uint32_t> ResampleCounts(size_t rows, uint64_t seed, int64_t resample) {
  std::vector<uint32_t> counts(rows);
  FillCounts(counts, seed, resample);
  return counts;
}

std::vector<std::vector<double>> ResampleDeltasOf(
    const std::vector<std::string>& metrics, Task task, int64_t num_classes,
    const std::vector<float>& preds_a, const std::vector<float>& preds_b,
    const std::vector<float>& labels, const std::vector<float>& weights, int resamples,
    uint64_t seed, const MetricOptions& options, bool generic) {
  FRESHET_CHECK(resamples >= 0, "the bootstrap needs resamples >= 0");
  FRESHET_CHECK(preds_a.size() == preds_b.size(), "the two models' predictions differ in length");
  const size_t n = labels.size();
  const size_t m = metrics.size();
  std::vector<std::vector<double>> deltas(m,
                                          std::vector<double>(resamples, metrics_internal::Nan()));
  if (n == 0 || resamples == 0 || m == 0) return deltas;
  const size_t width = preds_a.size() / n;
  // How each metric is resampled: for unweighted rows of a binary task, when every metric is
  // auc, pr_auc or a sum, one O(N) pass over each model's sorted scores for all of them, several
  // resamples at a time (bootstrap_sorted.h; PassLanes). Else an O(N) pass over the sorted scores
  // (auc, pr_auc), one pass of sums for every binary metric that is a weighted sum
  // (bootstrap_sums.h); the rows weighted by count * weight (the other weighted sums); each the
  // same value as the drawn rows themselves, to rounding; or the drawn rows materialised
  // (macro_f1, whose classes are those of the drawn rows; and every metric when `generic`).
  const bool lanes = !generic && task == Task::kBinary && weights.empty() && n < kMaxLaneRows &&
                     std::all_of(metrics.begin(), metrics.end(), [](const std::string& metric) {
                       return metric == "auc" || metric == "pr_auc" || IsBinarySum(metric);
                     });
  if (lanes) {
    PassLanes(metrics, preds_a, preds_b, labels, resamples, seed, options, &deltas);
    return deltas;
  }
  enum class Way { kSorted, kSums, kWeighted, kRows };
  std::vector<Way> way(m);
  bool row_counts = false;
  for (size_t k = 0; k < m; ++k) {
    const std::string& metric = metrics[k];
    const bool binary = task == Task::kBinary;
    if (generic || metric == "macro_f1") {
      way[k] = Way::kRows;
    } else if (binary && (metric == "auc" || metric == "pr_auc") && n < kMaxSortedRows) {
      way[k] = Way::kSorted;
    } else if (binary && IsBinarySum(metric)) {
      way[k] = Way::kSums;
    } else {
      way[k] = Way::kWeighted;
    }
    row_counts |= way[k] != Way::kSorted;
  }
  const auto uses = [&](Way w) { return std::find(way.begin(), way.end(), w) != way.end(); };
  const bool any_sums = uses(Way::kSums);
  BinaryTerms terms_a, terms_b;
  if (any_sums) {
    terms_a = ComputeBinaryTerms(preds_a, labels, options);
    terms_b = ComputeBinaryTerms(preds_b, labels, options);
  }
  SortedScores sorted_a, sorted_b;
  if (uses(Way::kSorted)) {
    sorted_a = SortScores(preds_a, labels, weights, nullptr);
    sorted_b = SortScores(preds_b, labels, weights, nullptr);
  }
  kernels::ParallelFor(resamples, 1, [&](int64_t begin, int64_t end) {
    std::vector<uint32_t> counts;
    ByteCounts small_counts(row_counts ? 0 : n);
    std::vector<float> a, b, y, w, wr;
    BinarySums sums_a, sums_b;
    for (int64_t r = begin; r < end; ++r) {
      // Only sorted passes: byte counts, a quarter of the memory to gather from.
      const uint8_t* bytes = nullptr;
      if (!row_counts && small_counts.Fill(seed, r)) {
        bytes = small_counts.data();
      } else {
        counts.resize(n);
        FillCounts(counts, seed, r);
      }
      bool have_rows = false, have_weights = false;
      if (any_sums) {
        AccumulateBinary(terms_a, terms_b, labels, weights, counts, options.calibration_bins,
                         &sums_a, &sums_b);
      }
      for (size_t k = 0; k < m; ++k) {
        const std::string& metric = metrics[k];
        if (way[k] == Way::kSums) {
          deltas[k][r] = Delta(BinarySumMetric(metric, terms_a.nan, sums_a),
                               BinarySumMetric(metric, terms_b.nan, sums_b));
        } else if (way[k] == Way::kSorted) {
          const bool pr = metric == "pr_auc";
          deltas[k][r] =
              bytes ? Delta(SortedMetric(sorted_a, bytes, pr), SortedMetric(sorted_b, bytes, pr))
                    : Delta(SortedMetric(sorted_a, counts.data(), pr),
                            SortedMetric(sorted_b, counts.data(), pr));
        } else if (way[k] == Way::kWeighted) {
          if (!have_weights) {
            wr.resize(n);
            for (size_t i = 0; i < n; ++i) {
              wr[i] = static_cast<float>(counts[i]) * (weights.empty() ? 1.0f : weights[i]);
            }
            have_weights = true;
          }
          deltas[k][r] =
              Delta(MetricValue(metric, task, num_classes, preds_a, labels, wr, options),
                    MetricValue(metric, task, num_classes, preds_b, labels, wr, options));
        } else {
          // The drawn rows themselves, row i c_i times: the metric sees exactly a resampled table.
          if (!have_rows) {
            a.clear();
            b.clear();
            y.clear();
            w.clear();
            for (size_t i = 0; i < n; ++i) {
              for (uint32_t copy = 0; copy < counts[i]; ++copy) {
                a.insert(a.end(), preds_a.begin() + i * width, preds_a.begin() + (i + 1) * width);
                b.insert(b.end(), preds_b.begin() + i * width, preds_b.begin() + (i + 1) * width);
                y.push_back(labels[i]);
                if (!weights.empty()) w.push_back(weights[i]);
              }
            }
            have_rows = true;
          }
          deltas[k][r] = Delta(MetricValue(metric, task, num_classes, a, y, w, options),
                               MetricValue(metric, task, num_classes, b, y, w, options));
        }
      }
    }
  });
  return deltas;
}

std::vector<double> ResampleDeltas(const std::string& metric, Task task, int64_t num_classes,
                                   const std::vector<float>& preds_a,
                                   const std::vector<float>& preds_b,
                                   const std::vector<float>& labels,
                                   const std::vector<float>& weights, int resamples, uint64_t seed,
                                   const MetricOptions& options, bool generic) {
  return ResampleDeltasOf({metric}, task, num_classes, preds_a, preds_b, labels, weights, resamples,
                          seed, options, generic)
      .front();
}

double LinearQuantile(const std::vector<double>& sorted, double q) {
  FRESHET_CHECK(!sorted.empty(), "a quantile of no values");
  FRESHET_CHECK(q >= 0 && q <= 1, "a quantile outside [0, 1]");
  // numpy: virtual index (n - 1) q, then _lerp(below, above, gamma), which for gamma >= 0.5
  // interpolates from the upper end.
  const double index = static_cast<double>(sorted.size() - 1) * q;
  const double below_index = std::floor(index);
  const size_t lo = static_cast<size_t>(below_index);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double gamma = index - below_index;
  const double a = sorted[lo], b = sorted[hi];
  const double diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

}  // namespace bootstrap_internal

namespace {

BootstrapInterval IntervalOf(double delta, const std::vector<double>& deltas, int resamples,
                             double confidence) {
  BootstrapInterval out;
  out.delta = delta;
  std::vector<double> kept;
  kept.reserve(deltas.size());
  for (double d : deltas) {
    if (!std::isnan(d)) kept.push_back(d);
  }
  out.resamples = static_cast<int>(kept.size());
  out.dropped = resamples - out.resamples;
  if (kept.empty()) {
    out.lower = out.upper = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  std::sort(kept.begin(), kept.end());
  out.lower = bootstrap_internal::LinearQuantile(kept, (1 - confidence) / 2);
  out.upper = bootstrap_internal::LinearQuantile(kept, (1 + confidence) / 2);
  return out;
}

}  // namespace

std::vector<BootstrapInterval> PairedBootstraps(
    const std::vector<std::string>& metrics, Task task, int64_t num_classes,
    const std::vector<float>& preds_a, const std::vector<float>& preds_b,
    const std::vector<float>& labels, const std::vector<float>& weights, int resamples,
    uint64_t seed, double confidence, const MetricOptions& options) {
  FRESHET_CHECK(confidence > 0 && confidence < 1, "the bootstrap confidence must be in (0, 1)");
  std::vector<double> full;
  // First: it checks each metric's name and the shapes. The binary metrics from one TaskMetrics
  // per model (one sort of each model's scores; the same values as MetricValue's).
  const std::vector<std::string> binary = TaskMetricNames(Task::kBinary);
  const bool all_binary =
      task == Task::kBinary && std::all_of(metrics.begin(), metrics.end(), [&](const auto& m) {
        return std::find(binary.begin(), binary.end(), m) != binary.end();
      });
  if (all_binary && metrics.size() > 1) {
    const nlohmann::json a = TaskMetrics(task, num_classes, preds_a, labels, weights, options);
    const nlohmann::json b = TaskMetrics(task, num_classes, preds_b, labels, weights, options);
    const auto value = [](const nlohmann::json& v) {
      return v.is_number() ? v.get<double>() : metrics_internal::Nan();
    };
    for (const auto& metric : metrics) {
      full.push_back(bootstrap_internal::Delta(value(a[metric]), value(b[metric])));
    }
  } else {
    for (const auto& metric : metrics) {
      full.push_back(bootstrap_internal::Delta(
          MetricValue(metric, task, num_classes, preds_a, labels, weights, options),
          MetricValue(metric, task, num_classes, preds_b, labels, weights, options)));
    }
  }
  const auto deltas = bootstrap_internal::ResampleDeltasOf(
      metrics, task, num_classes, preds_a, preds_b, labels, weights, resamples, seed, options,
      /*generic=*/false);
  std::vector<BootstrapInterval> out;
  for (size_t k = 0; k < metrics.size(); ++k) {
    out.push_back(IntervalOf(full[k], deltas[k], resamples, confidence));
  }
  return out;
}

BootstrapInterval PairedBootstrap(const std::string& metric, Task task, int64_t num_classes,
                                  const std::vector<float>& preds_a,
                                  const std::vector<float>& preds_b,
                                  const std::vector<float>& labels,
                                  const std::vector<float>& weights, int resamples, uint64_t seed,
                                  double confidence, const MetricOptions& options) {
  return PairedBootstraps({metric}, task, num_classes, preds_a, preds_b, labels, weights, resamples,
                          seed, confidence, options)
      .front();
}

}  // namespace freshet
