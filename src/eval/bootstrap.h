// The pieces of PairedBootstrap (freshet/metrics.hpp), exposed for its tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "freshet/metrics.hpp"
#include "freshet/model_spec.hpp"

namespace freshet::bootstrap_internal {

// How many times resample `resample` of the bootstrap keyed by `seed` draws each of `rows` rows:
// `rows` draws, uniform over [0, rows), from a splitmix64 stream keyed by (seed, resample)
// (exactly unbiased: Lemire's multiply-and-reject). The counts sum to `rows`.
std::vector<uint32_t> ResampleCounts(size_t rows, uint64_t seed, int64_t resample);

// metric(A) - metric(B) of each resample (the rows weighted by ResampleCounts times their
// weight), NaN where either side is NaN. `generic` forces the reference path, which recomputes
// MetricValue on the drawn rows themselves, for every metric. Arguments as PairedBootstrap's.
std::vector<double> ResampleDeltas(const std::string& metric, Task task, int64_t num_classes,
                                   const std::vector<float>& preds_a,
                                   const std::vector<float>& preds_b,
                                   const std::vector<float>& labels,
                                   const std::vector<float>& weights, int resamples, uint64_t seed,
                                   const MetricOptions& options, bool generic);

// ResampleDeltas of several metrics over the same resamples (each resample's rows drawn once for
// all of them): deltas[k] is metrics[k]'s.
std::vector<std::vector<double>> ResampleDeltasOf(
    const std::vector<std::string>& metrics, Task task, int64_t num_classes,
    const std::vector<float>& preds_a, const std::vector<float>& preds_b,
    const std::vector<float>& labels, const std::vector<float>& weights, int resamples,
    uint64_t seed, const MetricOptions& options, bool generic);

// numpy.quantile(values, q) with the default (linear) method, of `sorted` in increasing order.
// REQUIRES: sorted non-empty; 0 <= q <= 1.
double LinearQuantile(const std::vector<double>& sorted, double q);

}  // namespace freshet::bootstrap_internal
