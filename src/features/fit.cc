#include <algorithm>
#include <cmath>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/features.hpp"

namespace freshet {
namespace {

// Mean and sum of squared deviations of the present values, merged over chunks with Chan et al.'s
// update so long columns keep their precision.
struct Moments {
  int64_t n = 0;
  double mean = 0.0;
  double m2 = 0.0;

  void Add(double x) {
    ++n;
    const double d = x - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
  }
  void Merge(const Moments& o) {
    if (o.n == 0) return;
    const int64_t total = n + o.n;
    const double d = o.mean - mean;
    mean += d * static_cast<double>(o.n) / static_cast<double>(total);
    m2 += o.m2 +
          d * d * static_cast<double>(n) * static_cast<double>(o.n) / static_cast<double>(total);
    n = total;
  }
};

NumericState FitNumeric(const Column& col, const FeatureSpec& spec) {
  NumericState s;
  s.column = spec.column;
  Moments present;
  std::vector<double> values;
  bool need_median = false;
  for (const auto& op : spec.ops) {
    need_median |= op.kind == FeatureOp::Kind::kFill && op.fill == FeatureOp::Fill::kMedian;
  }
  if (need_median) values.reserve(col.size());
  for (int64_t i = 0; i < col.size(); ++i) {
    const double x = col.as_double(i);
    if (std::isnan(x)) continue;
    present.Add(x);
    if (need_median) values.push_back(x);
  }
  s.count = present.n;
  s.missing = col.size() - present.n;

  Moments filled = present;
  for (const auto& op : spec.ops) {
    if (op.kind == FeatureOp::Kind::kFill) {
      switch (op.fill) {
        case FeatureOp::Fill::kMean:
          s.fill_value = present.n ? present.mean : 0.0;
          break;
        case FeatureOp::Fill::kConstant:
          s.fill_value = op.constant;
          break;
        case FeatureOp::Fill::kMedian:
          if (values.empty()) {
            s.fill_value = 0.0;
          } else {
            const size_t mid = values.size() / 2;
            std::nth_element(values.begin(), values.begin() + mid, values.end());
            double m = values[mid];
            if (values.size() % 2 == 0) {
              m = (m + *std::max_element(values.begin(), values.begin() + mid)) / 2.0;
            }
            s.fill_value = m;
          }
          break;
      }
      Moments fills;
      fills.n = s.missing;
      fills.mean = s.fill_value;
      filled.Merge(fills);
    } else if (op.kind == FeatureOp::Kind::kStandardize) {
      s.mean = filled.mean;
      s.stddev = filled.n ? std::sqrt(filled.m2 / static_cast<double>(filled.n)) : 0.0;
      s.scale = s.stddev > 0 && std::isfinite(1.0 / s.stddev) ? 1.0 / s.stddev : 1.0;
    }
  }
  return s;
}

}  // namespace

FeatureState FitFeatures(const Table& table, const std::vector<FeatureSpec>& specs,
                         const FeatureState* previous) {
  (void)previous;
  FeatureState state;
  for (const auto& spec : specs) {
    const Column* col = table.Find(spec.column);
    if (!col) throw DataError("column \"" + spec.column + "\" is not in the input");
    if (spec.type == ColumnKind::kNumeric) {
      if (col->is_string()) {
        throw DataError("column \"" + spec.column + "\": expected numeric values, got strings");
      }
      state.numeric.push_back(FitNumeric(*col, spec));
    } else {
      for (const auto& op : spec.ops) {
        if (op.kind == FeatureOp::Kind::kHash) {
          state.categorical.push_back({spec.column, op.buckets, op.seed});
        }
      }
    }
  }
  return state;
}

std::vector<int64_t> FeatureState::cardinalities() const {
  std::vector<int64_t> out;
  for (const auto& c : categorical) out.push_back(c.cardinality());
  return out;
}

nlohmann::json FeatureState::ToJson() const {
  nlohmann::json num = nlohmann::json::array(), cat = nlohmann::json::array();
  for (const auto& n : numeric) {
    num.push_back({{"column", n.column},
                   {"fill_value", n.fill_value},
                   {"mean", n.mean},
                   {"stddev", n.stddev},
                   {"scale", n.scale},
                   {"count", n.count},
                   {"missing", n.missing}});
  }
  for (const auto& c : categorical) {
    cat.push_back({{"column", c.column},
                   {"op", "hash"},
                   {"buckets", c.buckets},
                   {"seed", c.seed},
                   {"cardinality", c.cardinality()}});
  }
  return {{"format", "freshet.features/1"},
          {"index_contract", {{"missing", 0}, {"out_of_vocabulary", 1}, {"first", 2}}},
          {"numeric", num},
          {"categorical", cat}};
}

FeatureState FeatureState::FromJson(const nlohmann::json& j, const std::string& source) {
  try {
    if (j.at("format") != "freshet.features/1") {
      throw DataError(source + ": unknown features format " + j.at("format").dump());
    }
    FeatureState s;
    for (const auto& n : j.at("numeric")) {
      NumericState x;
      x.column = n.at("column");
      x.fill_value = n.at("fill_value");
      x.mean = n.at("mean");
      x.stddev = n.at("stddev");
      x.scale = n.at("scale");
      x.count = n.at("count");
      x.missing = n.at("missing");
      s.numeric.push_back(x);
    }
    for (const auto& c : j.at("categorical")) {
      s.categorical.push_back({c.at("column"), c.at("buckets"), c.at("seed")});
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw DataError(source + ": not a valid feature state: " + e.what());
  }
}

}  // namespace freshet
