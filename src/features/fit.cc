// FitFeatures: numeric statistics and categorical encodings from the training rows.
#include <algorithm>
#include <cmath>
#include <vector>

#include "features/vocab.h"
#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "kernels/column_moments.h"
#include "kernels/parallel.h"

namespace freshet {
namespace {

using Kind = FeatureOp::Kind;
using kernels::ColumnMoments;
using kernels::Moments;

// numpy.quantile(values, q) with linear interpolation. REQUIRES: sorted, non-empty.
double Quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

// Quantile(sorted v, 0.5) without sorting: the two order statistics it reads, by selection
// (linear time; a million values took ~80 ms to sort).
double Median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const double pos = 0.5 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double below = v[lo];
  const double above =
      lo + 1 < v.size()
          ? *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end())
          : below;
  return below + (pos - static_cast<double>(lo)) * (above - below);
}

const FeatureOp* FindOp(const FeatureSpec& spec, Kind kind) {
  for (const auto& op : spec.ops) {
    if (op.kind == kind) return &op;
  }
  return nullptr;
}

// The spec's element-wise ops as a set of kernels::PointwiseBit.
uint32_t PointwiseOps(const FeatureSpec& spec) {
  uint32_t ops = 0;
  for (const auto& op : spec.ops) {
    if (op.kind == Kind::kPointwise) ops |= kernels::PointwiseBit(op.pointwise);
  }
  return ops;
}

// Finishes a numeric column's state from its moments (one pass over the data, on the fit device).
NumericState FitNumeric(const Column& col, const FeatureSpec& spec, const ColumnMoments& m) {
  NumericState s;
  s.column = spec.column;
  const int64_t n = col.size();
  const FeatureOp mean_fill;  // what a spec without a fill op gets (the parser adds it too)
  const FeatureOp* fill = FindOp(spec, Kind::kFill);
  if (!fill) fill = &mean_fill;
  const Moments& present = m.raw;
  if (present.n > 0 && (std::isinf(present.min) || std::isinf(present.max))) {
    throw DataError("column \"" + spec.column + "\": holds " +
                    (std::isinf(present.max) ? "+Inf" : "-Inf") +
                    " values; the fit refuses non-finite values (NaN is missing)");
  }
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
  s.pointwise = PointwiseOps(spec);

  // Statistics of the filled, clipped, element-wise transformed values: what scaling and
  // bucketising see.
  kernels::NumericColumnView chain;
  chain.clip_lo = s.clip_lo;
  chain.clip_hi = s.clip_hi;
  chain.pointwise = s.pointwise;
  const auto transformed = [&](double x) { return kernels::ClipAndPointwise(chain, x); };
  Moments t = m.transformed;
  t.AddRepeated(transformed(s.fill_value), s.missing);
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

// A frozen column: the previous version's statistics under this config's ops. Ops that the
// statistics depend on (clip, element-wise ops, scaling, quantile bins) must not have changed; the
// indicator and explicit boundaries may.
NumericState Frozen(const NumericState& prev, const FeatureSpec& spec) {
  NumericState s = prev;
  s.frozen = true;
  s.indicator = FindOp(spec, Kind::kIndicator) != nullptr;
  const FeatureOp* clip = FindOp(spec, Kind::kClip);
  const double lo = clip ? clip->lo : -INFINITY, hi = clip ? clip->hi : INFINITY;
  const std::string scaling = FindOp(spec, Kind::kStandardize) ? "standardize"
                              : FindOp(spec, Kind::kMinMax)    ? "minmax"
                                                               : "none";
  const FeatureOp* bucket = FindOp(spec, Kind::kBucketize);
  const bool quantiles = bucket && bucket->quantiles > 0;
  const bool same = lo == prev.clip_lo && hi == prev.clip_hi &&
                    PointwiseOps(spec) == prev.pointwise && scaling == prev.scaling &&
                    (!quantiles || prev.bucketize);
  if (!same) {
    throw DataError(
        "column \"" + spec.column +
        "\": freeze: its clip, element-wise ops, scaling or quantile bins changed since "
        "the previous version; drop freeze once to refit");
  }
  s.bucketize = bucket != nullptr;
  if (bucket && !quantiles) s.boundaries = bucket->boundaries;
  if (!bucket) s.boundaries.clear();
  return s;
}

kernels::NumericColumnView MomentsView(const Column& col, const FeatureSpec& spec) {
  kernels::NumericColumnView v = NumericView(col);
  if (const FeatureOp* clip = FindOp(spec, Kind::kClip)) {
    v.clip_lo = clip->lo;
    v.clip_hi = clip->hi;
  }
  v.pointwise = PointwiseOps(spec);
  return v;
}

size_t ElementSize(const Column& c) {
  return c.dtype == DType::kF32 || c.dtype == DType::kI32 ? 4 : 8;
}

// The moments of every column in `cols`, in one pass: straight from host memory on a CPU, or in
// chunks copied to the GPU.
std::vector<ColumnMoments> ComputeMoments(const std::vector<const Column*>& cols,
                                          std::vector<kernels::NumericColumnView> views,
                                          int64_t rows, const Device& device) {
  std::vector<ColumnMoments> out(views.size());
  const int32_t ncols = static_cast<int32_t>(views.size());
  if (!device.is_cuda()) {
    kernels::NumericColumnMoments(device, views.data(), ncols, rows, out.data(), nullptr);
    return out;
  }
  constexpr int64_t kChunk = int64_t{1} << 22;
  std::vector<ColumnMoments> part(views.size());
  for (int64_t r0 = 0; r0 < rows; r0 += kChunk) {
    const int64_t r1 = std::min(rows, r0 + kChunk);
    std::vector<DeviceBuffer> buffers;
    auto chunk_views = views;
    for (size_t j = 0; j < cols.size(); ++j) {
      const Column& c = *cols[j];
      const size_t es = ElementSize(c), n = static_cast<size_t>(r1 - r0);
      buffers.emplace_back(n * es, nullptr);
      CopyToDevice(buffers.back().data(), c.data.data() + r0 * es, n * es, nullptr);
      chunk_views[j].values = buffers.back().data();
      if (!c.valid.empty()) {
        buffers.emplace_back(n, nullptr);
        CopyToDevice(buffers.back().data(), c.valid.data() + r0, n, nullptr);
        chunk_views[j].valid = buffers.back().as<uint8_t>();
      }
    }
    kernels::NumericColumnMoments(device, chunk_views.data(), ncols, r1 - r0, part.data(), nullptr);
    for (size_t j = 0; j < out.size(); ++j) {
      out[j].raw.Merge(part[j].raw);
      out[j].transformed.Merge(part[j].transformed);
    }
  }
  return out;
}

}  // namespace

FeatureState FitFeatures(const Table& table, const std::vector<FeatureSpec>& specs,
                         const FeatureState* previous, const Device& device) {
  // One pass over every numeric column that is refitted.
  std::vector<const Column*> moment_cols;
  std::vector<kernels::NumericColumnView> views;
  std::vector<int> moment_of(specs.size(), -1);
  for (size_t k = 0; k < specs.size(); ++k) {
    const FeatureSpec& spec = specs[k];
    if (spec.type != ColumnKind::kNumeric) continue;
    if (spec.freeze && FindPrevious(previous, spec.column)) continue;
    const Column& col = RequireColumn(table, spec.column);
    moment_of[k] = static_cast<int>(views.size());
    moment_cols.push_back(&col);
    views.push_back(MomentsView(col, spec));
  }
  const std::vector<ColumnMoments> moments =
      ComputeMoments(moment_cols, std::move(views), table.rows(), device);

  FeatureState state;
  for (size_t k = 0; k < specs.size(); ++k) {
    const FeatureSpec& spec = specs[k];
    if (spec.type == ColumnKind::kNumeric) {
      const Column& col = RequireColumn(table, spec.column);
      if (col.is_string()) {
        throw DataError("column \"" + spec.column + "\": expected numeric values, got strings");
      }
      const NumericState* prev = spec.freeze ? FindPrevious(previous, spec.column) : nullptr;
      if (prev) {
        state.numeric.push_back(Frozen(*prev, spec));
      } else {
        state.numeric.push_back(FitNumeric(col, spec, moments[moment_of[k]]));
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
      c.vocab =
          FitVocabulary(col, op.min_count, op.max_size, prev ? &prev->vocab : nullptr, device);
    }
    state.categorical.push_back(std::move(c));
  }
  return state;
}

}  // namespace freshet
