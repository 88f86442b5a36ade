// FeatureState: output layout and (de)serialisation as features.json.
#include <cmath>

#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "kernels/numeric_ops.h"

namespace freshet {
namespace {

using nlohmann::json;

constexpr int kNewestFormat = kernels::kPointwiseNewestFormat > kFeaturesBaseFormat
                                  ? kernels::kPointwiseNewestFormat
                                  : kFeaturesBaseFormat;

// JSON strings must be UTF-8; a category that is not is kept as {"hex": "..."} of its bytes.
bool IsUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += len;
  }
  return true;
}

json TokenToJson(const std::string& t) {
  if (IsUtf8(t)) return t;
  static const char* hex = "0123456789abcdef";
  std::string h;
  for (unsigned char c : t) {
    h += hex[c >> 4];
    h += hex[c & 15];
  }
  return {{"hex", h}};
}

std::string TokenFromJson(const json& j, const std::string& source) {
  if (j.is_string()) return j.get<std::string>();
  const std::string h = j.at("hex").get<std::string>();
  const auto nibble = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw ArtifactError(source + ": bad hex in a vocabulary entry");
  };
  if (h.size() % 2) throw ArtifactError(source + ": bad hex in a vocabulary entry");
  std::string out;
  for (size_t i = 0; i < h.size(); i += 2) {
    out += static_cast<char>(nibble(h[i]) * 16 + nibble(h[i + 1]));
  }
  return out;
}

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
  uint32_t ops = 0;
  for (const auto& n : numeric) ops |= n.pointwise;
  const int format = kernels::PointwiseFormat(ops, kFeaturesBaseFormat);
  json num = json::array(), cat = json::array();
  for (const auto& n : numeric) {
    json j = {{"column", n.column},
              {"fill_value", n.fill_value},
              {"indicator", n.indicator},
              {"clip", {Bound(n.clip_lo), Bound(n.clip_hi)}}};
    // One key per element-wise op the format knows: true where the column applies it.
    for (int32_t k = 0; k < kernels::kPointwiseCount; ++k) {
      if (kernels::kPointwiseOps[k].since_format <= format) {
        j[kernels::kPointwiseOps[k].name] = n.applies(k);
      }
    }
    j.update(json{{"scaling", n.scaling},
                  {"shift", n.shift},
                  {"scale", n.scale},
                  {"bucketize", n.bucketize},
                  {"boundaries", n.boundaries},
                  {"stats",
                   {{"mean", n.mean},
                    {"stddev", n.stddev},
                    {"min", n.min},
                    {"max", n.max},
                    {"count", n.count},
                    {"missing", n.missing}}},
                  {"frozen", n.frozen}});
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
      json vocab = json::array();
      for (const auto& t : c.vocab) vocab.push_back(TokenToJson(t));
      j["vocab"] = vocab;
    }
    cat.push_back(j);
  }
  return {{"format", "freshet.features/" + std::to_string(format)},
          {"index_contract", {{"missing", 0}, {"out_of_vocabulary", 1}, {"first", 2}}},
          {"dense_outputs", dense_names()},
          {"categorical_outputs", categorical_names()},
          {"numeric", num},
          {"categorical", cat}};
}

namespace {

// A key of a feature state that exists since format version `since`: required in files of that
// version or later (a file that lacks it is damaged), and `dflt` in older files, which predate it.
// Every key a later format adds is read this way, so files of every earlier version stay readable.
template <typename T>
T Field(const json& j, const char* key, int version, int since, T dflt) {
  if (version < since) {
    const auto it = j.find(key);
    return it == j.end() ? dflt : it->get<T>();
  }
  return j.at(key).get<T>();
}

void CheckNumeric(const NumericState& x, const std::string& source) {
  if (x.scaling != "none" && x.scaling != "standardize" && x.scaling != "minmax") {
    throw ArtifactError(source + ": column \"" + x.column + "\": unknown scaling " + x.scaling);
  }
  for (size_t k = 0; k < x.boundaries.size(); ++k) {
    if (!std::isfinite(x.boundaries[k]) || (k > 0 && !(x.boundaries[k - 1] < x.boundaries[k]))) {
      throw ArtifactError(source + ": column \"" + x.column +
                          "\": boundaries must be finite and strictly increasing");
    }
  }
  if (!std::isfinite(x.fill_value) || !std::isfinite(x.shift) || !std::isfinite(x.scale)) {
    throw ArtifactError(source + ": column \"" + x.column + "\": non-finite statistics");
  }
}

// freshet.features/2 and later: each key read with the version it appeared in (Field).
FeatureState FromJsonV2(const json& j, int v, const std::string& source) {
  FeatureState s;
  for (const auto& n : j.at("numeric")) {
    NumericState x;
    x.column = n.at("column");
    x.fill_value = Field(n, "fill_value", v, 2, x.fill_value);
    x.indicator = Field(n, "indicator", v, 2, x.indicator);
    const json clip = Field(n, "clip", v, 2, json::array({nullptr, nullptr}));
    x.clip_lo = Bound(clip.at(0), -INFINITY);
    x.clip_hi = Bound(clip.at(1), INFINITY);
    for (int32_t k = 0; k < kernels::kPointwiseCount; ++k) {
      const kernels::PointwiseInfo& op = kernels::kPointwiseOps[k];
      if (Field(n, op.name, v, op.since_format, false)) x.pointwise |= kernels::PointwiseBit(k);
    }
    x.scaling = Field(n, "scaling", v, 2, x.scaling);
    x.shift = Field(n, "shift", v, 2, x.shift);
    x.scale = Field(n, "scale", v, 2, x.scale);
    x.bucketize = Field(n, "bucketize", v, 2, x.bucketize);
    x.boundaries = Field(n, "boundaries", v, 2, x.boundaries);
    const json st = Field(n, "stats", v, 2, json::object());
    x.mean = Field(st, "mean", v, 2, x.mean);
    x.stddev = Field(st, "stddev", v, 2, x.stddev);
    x.min = Field(st, "min", v, 2, x.min);
    x.max = Field(st, "max", v, 2, x.max);
    x.count = Field(st, "count", v, 2, x.count);
    x.missing = Field(st, "missing", v, 2, x.missing);
    x.frozen = Field(n, "frozen", v, 2, x.frozen);
    CheckNumeric(x, source);
    s.numeric.push_back(x);
  }
  for (const auto& c : j.at("categorical")) {
    CategoricalState x;
    x.column = c.at("column");
    x.encoding = c.at("encoding");
    if (c.contains("cross")) {
      x.inputs = c.at("cross").get<std::vector<std::string>>();
      if (x.inputs.size() < 2 || x.inputs.size() > 4) {
        throw ArtifactError(source + ": column \"" + x.column + "\": a cross has 2 to 4 inputs");
      }
    }
    if (x.encoding == "hash") {
      x.buckets = c.at("buckets");
      x.seed = Field(c, "seed", v, 2, x.seed);
      if (x.buckets < 1) throw ArtifactError(source + ": column \"" + x.column + "\": buckets < 1");
    } else if (x.encoding == "vocab") {
      x.min_count = Field(c, "min_count", v, 2, x.min_count);
      x.max_size = Field(c, "max_size", v, 2, x.max_size);
      x.integer_codes = Field(c, "integer_codes", v, 2, x.integer_codes);
      for (const auto& t : c.at("vocab")) x.vocab.push_back(TokenFromJson(t, source));
    } else {
      throw ArtifactError(source + ": column \"" + x.column + "\": unknown encoding " + x.encoding);
    }
    s.categorical.push_back(x);
  }
  return s;
}

// freshet.features/1 (the first engine: fill, then standardize; hashed categories).
FeatureState FromJsonV1(const json& j, const std::string& source) {
  FeatureState s;
  for (const auto& n : j.at("numeric")) {
    NumericState x;
    x.column = n.at("column");
    x.fill_value = n.at("fill_value");
    x.mean = n.at("mean");
    x.stddev = n.at("stddev");
    x.scaling = "standardize";
    x.shift = x.mean;
    x.scale = n.at("scale");
    x.count = n.at("count");
    x.missing = n.at("missing");
    CheckNumeric(x, source);
    s.numeric.push_back(x);
  }
  for (const auto& c : j.at("categorical")) {
    CategoricalState x;
    x.column = c.at("column");
    x.encoding = "hash";
    x.buckets = c.at("buckets");
    x.seed = c.at("seed");
    if (x.buckets < 1) throw ArtifactError(source + ": column \"" + x.column + "\": buckets < 1");
    s.categorical.push_back(x);
  }
  return s;
}

}  // namespace

FeatureState FeatureState::FromJson(const json& j, const std::string& source) {
  try {
    const std::string format = j.at("format").get<std::string>();
    const std::string prefix = "freshet.features/";
    int version = 0;
    if (format.rfind(prefix, 0) == 0 && format.size() > prefix.size() &&
        format.find_first_not_of("0123456789", prefix.size()) == std::string::npos) {
      version = std::stoi(format.substr(prefix.size()));
    }
    if (version == 1) return FromJsonV1(j, source);
    if (version >= 2 && version <= kNewestFormat) return FromJsonV2(j, version, source);
    if (version > kNewestFormat) {
      throw ArtifactError(source + ": features format " + format +
                          " is newer than this freshet reads (freshet.features/" +
                          std::to_string(kNewestFormat) + "); use a newer freshet");
    }
    throw ArtifactError(source + ": unknown features format \"" + format + "\"");
  } catch (const json::exception& e) {
    throw ArtifactError(source + ": not a valid feature state: " + e.what());
  }
}

}  // namespace freshet
