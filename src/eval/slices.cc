// The slices of an evaluation set: the rows of one category, or of one numeric bucket, scored
// like the whole set (point estimates).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "eval/compare_internal.h"
#include "eval/metrics_internal.h"
#include "freshet/error.hpp"

namespace freshet::compare_internal {
namespace {

using Json = nlohmann::json;

struct Slice {
  std::string kind;  // category | bucket | missing
  Json value;        // the category, or the bucket's label
  std::vector<size_t> rows;
};

std::string Short(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

// The rows of each category, most rows first (ties by value), plus the missing rows.
std::vector<Slice> CategorySlices(const Column& col, int top) {
  std::map<std::string, std::vector<size_t>> groups;
  std::vector<size_t> missing;
  for (int64_t i = 0; i < col.size(); ++i) {
    const size_t r = static_cast<size_t>(i);
    if (!col.is_valid(i)) {
      missing.push_back(r);
      continue;
    }
    std::string key;
    if (col.is_string()) {
      key.assign(col.bytes.data() + col.offsets[r], col.bytes.data() + col.offsets[r + 1]);
      if (key.empty()) {
        missing.push_back(r);
        continue;
      }
    } else {
      const double v = col.as_double(i);
      if (std::isnan(v)) {
        missing.push_back(r);
        continue;
      }
      key = v == std::floor(v) && std::fabs(v) < 1e15 ? std::to_string(static_cast<int64_t>(v))
                                                      : Short(v);
    }
    groups[key].push_back(r);
  }
  std::vector<Slice> out;
  for (auto& [k, rows] : groups) out.push_back({"category", k, std::move(rows)});
  std::stable_sort(out.begin(), out.end(),
                   [](const Slice& a, const Slice& b) { return a.rows.size() > b.rows.size(); });
  if (out.size() > static_cast<size_t>(top)) out.resize(static_cast<size_t>(top));
  if (!missing.empty()) out.push_back({"missing", nullptr, std::move(missing)});
  return out;
}

// Numeric edges: the configured boundaries, or the distinct interior quantiles of the values
// (numpy's linear interpolation).
std::vector<double> Edges(const SliceSpec& spec, const Column& col) {
  if (!spec.boundaries.empty()) return spec.boundaries;
  std::vector<double> v;
  for (int64_t i = 0; i < col.size(); ++i) {
    const double x = col.as_double(i);
    if (!std::isnan(x)) v.push_back(x);
  }
  std::sort(v.begin(), v.end());
  std::vector<double> edges;
  if (v.empty()) return edges;
  for (int q = 1; q < spec.quantiles; ++q) {
    const double pos = static_cast<double>(v.size() - 1) * q / spec.quantiles;
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, v.size() - 1);
    const double e = v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
    if (edges.empty() || e > edges.back()) edges.push_back(e);
  }
  return edges;
}

std::vector<Slice> BucketSlices(const SliceSpec& spec, const Column& col) {
  if (col.is_string()) {
    throw DataError("evaluation.slices: column \"" + spec.column +
                    "\" holds strings; numeric buckets need numbers (drop boundaries/quantiles "
                    "for a categorical slice)");
  }
  const std::vector<double> edges = Edges(spec, col);
  std::vector<Slice> out(edges.size() + 1);
  for (size_t b = 0; b <= edges.size(); ++b) {
    out[b].kind = "bucket";
    if (edges.empty()) {
      out[b].value = "all";
    } else if (b == 0) {
      out[b].value = "< " + Short(edges[0]);
    } else if (b == edges.size()) {
      out[b].value = ">= " + Short(edges.back());
    } else {
      out[b].value = "[" + Short(edges[b - 1]) + ", " + Short(edges[b]) + ")";
    }
  }
  Slice missing{"missing", nullptr, {}};
  for (int64_t i = 0; i < col.size(); ++i) {
    const double x = col.as_double(i);
    if (std::isnan(x)) {
      missing.rows.push_back(static_cast<size_t>(i));
      continue;
    }
    const size_t b =
        static_cast<size_t>(std::upper_bound(edges.begin(), edges.end(), x) - edges.begin());
    out[b].rows.push_back(static_cast<size_t>(i));
  }
  if (!missing.rows.empty()) out.push_back(std::move(missing));
  return out;
}

std::vector<float> Gather(const std::vector<float>& v, const std::vector<size_t>& rows,
                          size_t width) {
  if (v.empty()) return v;
  std::vector<float> out;
  out.reserve(rows.size() * width);
  for (size_t r : rows) {
    out.insert(out.end(), v.begin() + static_cast<std::ptrdiff_t>(r * width),
               v.begin() + static_cast<std::ptrdiff_t>((r + 1) * width));
  }
  return out;
}

double Improvement(const Json& metrics, const std::string& other, const std::string& metric) {
  const Json& a = metrics["challenger"][metric];
  if (!metrics.contains(other)) return std::nan("");
  const Json& b = metrics[other][metric];
  if (!a.is_number() || !b.is_number()) return std::nan("");
  const double d = a.get<double>() - b.get<double>();
  return HigherIsBetter(metric) ? d : -d;
}

}  // namespace

nlohmann::json SlicesJson(const Config& config, const EvalContext& ctx, const Table& table,
                          const std::vector<float>& labels, const std::vector<float>& weights,
                          const std::vector<ModelScores>& models) {
  Json out = Json::array();
  for (const SliceSpec& spec : config.evaluation.slices) {
    const Column* col = table.Find(spec.column);
    if (col == nullptr) {
      throw DataError("evaluation.slices: the column \"" + spec.column + "\" was not read");
    }
    const std::vector<Slice> slices =
        spec.numeric ? BucketSlices(spec, *col) : CategorySlices(*col, spec.top);
    for (const Slice& s : slices) {
      if (static_cast<int64_t>(s.rows.size()) < ctx.min_slice_rows) continue;
      const std::vector<float> y = Gather(labels, s.rows, 1);
      const std::vector<float> w = Gather(weights, s.rows, 1);
      Json metrics = Json::object();
      for (const ModelScores& m : models) {
        if (!m.error.empty()) continue;
        metrics[m.role] =
            TaskMetrics(ctx.task, ctx.num_classes,
                        Gather(m.preds, s.rows, static_cast<size_t>(m.outputs)), y, w, ctx.options);
      }
      Json improvement = Json::object();
      if (metrics.contains("challenger")) {
        for (const char* other : {"champion", "fallback"}) {
          if (metrics.contains(other)) {
            improvement[other] = metrics_internal::Num(Improvement(metrics, other, ctx.primary));
          }
        }
      }
      out.push_back({{"column", spec.column},
                     {"kind", s.kind},
                     {"value", s.value},
                     {"rows", static_cast<int64_t>(s.rows.size())},
                     {"metrics", metrics},
                     {"improvement", improvement}});
    }
  }
  return out;
}

}  // namespace freshet::compare_internal
