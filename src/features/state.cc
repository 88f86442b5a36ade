// FeatureState: output layout and (de)serialisation as features.json.
#include <cmath>

#include "freshet/error.hpp"
#include "freshet/features.hpp"

namespace freshet {
namespace {

using nlohmann::json;

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
  json num = json::array(), cat = json::array();
  for (const auto& n : numeric) {
    json j = {{"column", n.column},
              {"fill_value", n.fill_value},
              {"indicator", n.indicator},
              {"clip", {Bound(n.clip_lo), Bound(n.clip_hi)}},
              {"log1p", n.log1p},
              {"scaling", n.scaling},
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
      json vocab = json::array();
      for (const auto& t : c.vocab) vocab.push_back(TokenToJson(t));
      j["vocab"] = vocab;
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
      throw ArtifactError(source + ": unknown features format " + j.at("format").dump());
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
      if (x.scaling != "none" && x.scaling != "standardize" && x.scaling != "minmax") {
        throw ArtifactError(source + ": column \"" + x.column + "\": unknown scaling " + x.scaling);
      }
      for (size_t k = 0; k < x.boundaries.size(); ++k) {
        if (!std::isfinite(x.boundaries[k]) ||
            (k > 0 && !(x.boundaries[k - 1] < x.boundaries[k]))) {
          throw ArtifactError(source + ": column \"" + x.column +
                              "\": boundaries must be finite and strictly increasing");
        }
      }
      if (!std::isfinite(x.fill_value) || !std::isfinite(x.shift) || !std::isfinite(x.scale)) {
        throw ArtifactError(source + ": column \"" + x.column + "\": non-finite statistics");
      }
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
        x.seed = c.at("seed");
        if (x.buckets < 1)
          throw ArtifactError(source + ": column \"" + x.column + "\": buckets < 1");
      } else if (x.encoding == "vocab") {
        x.min_count = c.at("min_count");
        x.max_size = c.at("max_size");
        x.integer_codes = c.at("integer_codes");
        for (const auto& t : c.at("vocab")) x.vocab.push_back(TokenFromJson(t, source));
      } else {
        throw ArtifactError(source + ": column \"" + x.column + "\": unknown encoding " +
                            x.encoding);
      }
      s.categorical.push_back(x);
    }
    return s;
  } catch (const json::exception& e) {
    throw ArtifactError(source + ": not a valid feature state: " + e.what());
  }
}

}  // namespace freshet
