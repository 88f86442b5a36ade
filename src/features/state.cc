// FeatureState: output layout and (de)serialisation as features.json.
#include <cmath>

#include "freshet/error.hpp"
#include "freshet/features.hpp"

namespace freshet {
namespace {

using nlohmann::json;

json Bound(double v) { return std::isfinite(v) ? json(v) : json(); }
double Bound(const json& j, double absent) { return j.is_null() ? absent : j.get<double>(); }

}  // namespace

int64_t FeatureState::dense_dim() const { return static_cast<int64_t>(dense_names().size()); }

int64_t FeatureState::categorical_dim() const {
  return static_cast<int64_t>(categorical_names().size());
}

std::vector<int64_t> FeatureState::cardinalities() const {
  std::vector<int64_t> out;
  for (const auto& n : numeric) {
    if (n.bucketize) out.push_back(n.cardinality());
  }
  for (const auto& c : categorical) out.push_back(c.cardinality());
  return out;
}

std::vector<std::string> FeatureState::dense_names() const {
  std::vector<std::string> out;
  for (const auto& n : numeric) {
    if (!n.bucketize) out.push_back(n.column);
    if (n.indicator) out.push_back(n.column + "_missing");
  }
  return out;
}

std::vector<std::string> FeatureState::categorical_names() const {
  std::vector<std::string> out;
  for (const auto& n : numeric) {
    if (n.bucketize) out.push_back(n.column + "_bucket");
  }
  for (const auto& c : categorical) out.push_back(c.column);
  return out;
}

json FeatureState::ToJson() const {
  json num = json::array(), cat = json::array();
  for (const auto& n : numeric) {
    json j = {{"column", n.column},   {"fill_value", n.fill_value}, {"indicator", n.indicator},
              {"clip", {Bound(n.clip_lo), Bound(n.clip_hi)}},      {"log1p", n.log1p},
              {"scaling", n.scaling}, {"shift", n.shift},           {"scale", n.scale},
              {"bucketize", n.bucketize}, {"boundaries", n.boundaries},
              {"stats", {{"mean", n.mean}, {"stddev", n.stddev}, {"min", n.min}, {"max", n.max},
                         {"count", n.count}, {"missing", n.missing}}},
              {"frozen", n.frozen}};
    num.push_back(j);
  }
  for (const auto& c : categorical) {
    json j = {{"column", c.column}, {"encoding", c.encoding}, {"cardinality", c.cardinality()}};
    if (!c.inputs.empty()) j["cross"] = c.inputs;
    if (c.encoding == "hash") {
      j["buckets"] = c.buckets;
      j["seed"] = c.seed;
    } else {
      j["min_count"] = c.min_count;
      j["max_size"] = c.max_size;
      j["integer_codes"] = c.integer_codes;
      j["vocab"] = c.vocab;
    }
    cat.push_back(j);
  }
  return {{"format", "freshet.features/2"},
          {"index_contract", {{"missing", 0}, {"out_of_vocabulary", 1}, {"first", 2}}},
          {"dense_outputs", dense_names()},
          {"categorical_outputs", categorical_names()},
          {"numeric", num},
          {"categorical", cat}};
}

FeatureState FeatureState::FromJson(const json& j, const std::string& source) {
  try {
    if (j.at("format") != "freshet.features/2") {
      throw DataError(source + ": unknown features format " + j.at("format").dump());
    }
    FeatureState s;
    for (const auto& n : j.at("numeric")) {
      NumericState x;
      x.column = n.at("column");
      x.fill_value = n.at("fill_value");
      x.indicator = n.at("indicator");
      x.clip_lo = Bound(n.at("clip").at(0), -INFINITY);
      x.clip_hi = Bound(n.at("clip").at(1), INFINITY);
      x.log1p = n.at("log1p");
      x.scaling = n.at("scaling");
      x.shift = n.at("shift");
      x.scale = n.at("scale");
      x.bucketize = n.at("bucketize");
      x.boundaries = n.at("boundaries").get<std::vector<double>>();
      const auto& st = n.at("stats");
      x.mean = st.at("mean");
      x.stddev = st.at("stddev");
      x.min = st.at("min");
      x.max = st.at("max");
      x.count = st.at("count");
      x.missing = st.at("missing");
      x.frozen = n.at("frozen");
      s.numeric.push_back(x);
    }
    for (const auto& c : j.at("categorical")) {
      CategoricalState x;
      x.column = c.at("column");
      x.encoding = c.at("encoding");
      if (c.contains("cross")) x.inputs = c.at("cross").get<std::vector<std::string>>();
      if (x.encoding == "hash") {
        x.buckets = c.at("buckets");
        x.seed = c.at("seed");
        if (x.buckets < 1) throw DataError(source + ": column \"" + x.column + "\": buckets < 1");
      } else if (x.encoding == "vocab") {
        x.min_count = c.at("min_count");
        x.max_size = c.at("max_size");
        x.integer_codes = c.at("integer_codes");
        x.vocab = c.at("vocab").get<std::vector<std::string>>();
      } else {
        throw DataError(source + ": column \"" + x.column + "\": unknown encoding " + x.encoding);
      }
      s.categorical.push_back(x);
    }
    return s;
  } catch (const json::exception& e) {
    throw DataError(source + ": not a valid feature state: " + e.what());
  }
}

}  // namespace freshet
