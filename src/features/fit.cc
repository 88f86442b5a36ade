// FitFeatures: numeric statistics and categorical encodings from the training rows.
#include <algorithm>
#include <cmath>
#include <vector>

#include "features/vocab.h"
#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "kernels/parallel.h"

namespace freshet {
namespace {

using Kind = FeatureOp::Kind;

// Mean and sum of squared deviations, merged over chunks with Chan et al.'s update so that long
// columns keep their precision; plus min and max.
struct Moments {
  int64_t n = 0;
  double mean = 0.0, m2 = 0.0;
  double min = INFINITY, max = -INFINITY;

  void Add(double x) {
    ++n;
    const double d = x - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
    min = std::min(min, x);
    max = std::max(max, x);
  }
  // Adds `count` copies of x.
  void AddRepeated(double x, int64_t count) {
    if (count <= 0) return;
    Moments o;
    o.n = count;
    o.mean = x;
    o.min = o.max = x;
    Merge(o);
  }
  void Merge(const Moments& o) {
    if (o.n == 0) return;
    const int64_t total = n + o.n;
    const double d = o.mean - mean;
    mean += d * static_cast<double>(o.n) / static_cast<double>(total);
    m2 += o.m2 + d * d * static_cast<double>(n) * static_cast<double>(o.n) /
                     static_cast<double>(total);
    n = total;
    min = std::min(min, o.min);
    max = std::max(max, o.max);
  }
};

// Moments of f(i) over the rows where f returns a number (NaN = skip), in parallel chunks.
template <typename F>
Moments ParallelMoments(int64_t rows, F f) {
  const int parts = std::max(1, std::min<int>(kernels::ParallelThreads(),
                                              static_cast<int>(rows / (1 << 16)) + 1));
  std::vector<Moments> partial(parts);
  kernels::ParallelForThreads(parts, 1, parts, [&](int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe; ++p) {
      const int64_t begin = rows * p / parts, end = rows * (p + 1) / parts;
      for (int64_t i = begin; i < end; ++i) {
        const double x = f(i);
        if (!std::isnan(x)) partial[p].Add(x);
      }
    }
  });
  Moments total;
  for (const auto& m : partial) total.Merge(m);
  return total;
}

// numpy.quantile(values, q) with linear interpolation. REQUIRES: sorted, non-empty.
double Quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return Quantile(v, 0.5);
}

const FeatureOp* FindOp(const FeatureSpec& spec, Kind kind) {
  for (const auto& op : spec.ops) {
    if (op.kind == kind) return &op;
  }
  return nullptr;
}

NumericState FitNumeric(const Column& col, const FeatureSpec& spec) {
  NumericState s;
  s.column = spec.column;
  const int64_t n = col.size();
  const FeatureOp mean_fill;  // what a spec without a fill op gets (the parser adds it too)
  const FeatureOp* fill = FindOp(spec, Kind::kFill);
  if (!fill) fill = &mean_fill;
  const Moments present = ParallelMoments(n, [&](int64_t i) { return col.as_double(i); });
  s.count = present.n;
  s.missing = n - present.n;
  if (fill->fill == FeatureOp::Fill::kConstant) {
    s.fill_value = fill->constant;
  } else if (fill->fill == FeatureOp::Fill::kMean) {
    s.fill_value = present.n ? present.mean : 0.0;
  } else {
    std::vector<double> values;
    values.reserve(present.n);
    for (int64_t i = 0; i < n; ++i) {
      const double x = col.as_double(i);
      if (!std::isnan(x)) values.push_back(x);
    }
    s.fill_value = Median(std::move(values));
  }
  s.indicator = FindOp(spec, Kind::kIndicator) != nullptr;
  if (const FeatureOp* clip = FindOp(spec, Kind::kClip)) {
    s.clip_lo = clip->lo;
    s.clip_hi = clip->hi;
  }
  s.log1p = FindOp(spec, Kind::kLog1p) != nullptr;

  // Statistics of the filled, clipped, log-scaled values: what scaling and bucketising see.
  const auto transformed = [&](double x) {
    x = std::clamp(x, s.clip_lo, s.clip_hi);
    if (s.log1p) x = x < 0 ? -std::log1p(-x) : std::log1p(x);
    return x;
  };
  const double filled = transformed(s.fill_value);
  Moments t = ParallelMoments(n, [&](int64_t i) {
    const double x = col.as_double(i);
    return std::isnan(x) ? std::nan("") : transformed(x);
  });
  t.AddRepeated(filled, s.missing);
  s.mean = t.mean;
  s.stddev = t.n ? std::sqrt(t.m2 / static_cast<double>(t.n)) : 0.0;
  s.min = t.n ? t.min : 0.0;
  s.max = t.n ? t.max : 0.0;
  if (FindOp(spec, Kind::kStandardize)) {
    s.scaling = "standardize";
    s.shift = s.mean;
    s.scale = s.stddev > 0 && std::isfinite(1.0 / s.stddev) ? 1.0 / s.stddev : 1.0;
  } else if (FindOp(spec, Kind::kMinMax)) {
    s.scaling = "minmax";
    s.shift = s.min;
    const double range = s.max - s.min;
    s.scale = range > 0 && std::isfinite(1.0 / range) ? 1.0 / range : 1.0;
  }
  if (const FeatureOp* b = FindOp(spec, Kind::kBucketize)) {
    s.bucketize = true;
    if (b->quantiles == 0) {
      s.boundaries = b->boundaries;
    } else if (t.n > 0) {
      std::vector<double> v;
      v.reserve(n);
      for (int64_t i = 0; i < n; ++i) {
        const double x = col.as_double(i);
        v.push_back((transformed(std::isnan(x) ? s.fill_value : x) - s.shift) * s.scale);
      }
      std::sort(v.begin(), v.end());
      for (int64_t k = 1; k < b->quantiles; ++k) {
        const double q = Quantile(v, static_cast<double>(k) / static_cast<double>(b->quantiles));
        if (s.boundaries.empty() || q > s.boundaries.back()) s.boundaries.push_back(q);
      }
    }
  }
  return s;
}

const NumericState* FindPrevious(const FeatureState* prev, const std::string& column) {
  if (!prev) return nullptr;
  for (const auto& n : prev->numeric) {
    if (n.column == column) return &n;
  }
  return nullptr;
}

const CategoricalState* FindPreviousCategorical(const FeatureState* prev,
                                                const CategoricalState& now) {
  if (!prev) return nullptr;
  for (const auto& c : prev->categorical) {
    if (c.column == now.column && c.encoding == now.encoding && c.inputs == now.inputs) return &c;
  }
  return nullptr;
}

const Column& RequireColumn(const Table& table, const std::string& name) {
  const Column* col = table.Find(name);
  if (!col) throw DataError("column \"" + name + "\" is not in the input");
  return *col;
}

}  // namespace

FeatureState FitFeatures(const Table& table, const std::vector<FeatureSpec>& specs,
                         const FeatureState* previous) {
  FeatureState state;
  for (const auto& spec : specs) {
    if (spec.type == ColumnKind::kNumeric) {
      const Column& col = RequireColumn(table, spec.column);
      if (col.is_string()) {
        throw DataError("column \"" + spec.column + "\": expected numeric values, got strings");
      }
      const NumericState* prev = spec.freeze ? FindPrevious(previous, spec.column) : nullptr;
      if (prev) {
        state.numeric.push_back(*prev);
        state.numeric.back().frozen = true;
      } else {
        state.numeric.push_back(FitNumeric(col, spec));
      }
      continue;
    }
    const FeatureOp& op = spec.ops.front();
    CategoricalState c;
    c.column = spec.column;
    c.inputs = spec.cross;
    for (const auto& input : spec.is_cross() ? spec.cross : std::vector<std::string>{spec.column}) {
      const Column& col = RequireColumn(table, input);
      if (!col.is_string() && col.dtype != DType::kI32 && col.dtype != DType::kI64) {
        throw DataError("column \"" + input + "\": expected strings or integer codes, got " +
                        DTypeName(col.dtype));
      }
    }
    if (op.kind == Kind::kHash) {
      c.encoding = "hash";
      c.buckets = op.buckets;
      c.seed = op.seed;
    } else {
      c.encoding = "vocab";
      c.min_count = op.min_count;
      c.max_size = op.max_size;
      const Column& col = RequireColumn(table, spec.column);
      c.integer_codes = !col.is_string();
      const CategoricalState* prev = FindPreviousCategorical(previous, c);
      if (prev && prev->integer_codes != c.integer_codes) prev = nullptr;
      c.vocab = FitVocabulary(col, op.min_count, op.max_size, prev ? &prev->vocab : nullptr);
    }
    state.categorical.push_back(std::move(c));
  }
  return state;
}

}  // namespace freshet
