// profile.json: the Profile as JSON and back.
#include <cmath>

#include "freshet/error.hpp"
#include "freshet/profile.hpp"

namespace freshet {
namespace {

using nlohmann::json;

json Quantiles(const std::vector<double>& q) {
  json out = json::object();
  for (size_t k = 0; k < q.size(); ++k) {
    char key[16];
    std::snprintf(key, sizeof key, "%g", kProfileQuantiles[k]);
    out[key] = q[k];
  }
  return out;
}

json Numeric(const NumericProfile& n) {
  json distinct = nullptr;
  if (!n.many) {
    distinct = json::array();
    for (const auto& [v, c] : n.distinct) distinct.push_back({v, c});
  }
  return {{"count", n.count},
          {"missing", n.nan},
          {"inf", n.inf},
          {"mean", n.mean},
          {"std", n.std},
          {"min", n.min},
          {"max", n.max},
          {"quantiles", Quantiles(n.quantiles)},
          {"histogram", {{"edges", n.edges}, {"counts", n.hist}}},
          {"distinct", distinct},
          {"sample", n.sample}};
}

json Categorical(const CategoricalProfile& c) {
  json top = json::array();
  for (const auto& [v, k] : c.top) top.push_back({v, k});
  return {{"count", c.count},
          {"missing", c.missing},
          {"distinct", c.distinct},
          {"top", top},
          {"other", c.other}};
}

}  // namespace

json ProfileToJson(const Profile& p) {
  json cols = json::array();
  for (const auto& c : p.columns) {
    json j = {{"name", c.name},
              {"kind", c.kind == ColumnKind::kNumeric ? "numeric" : "categorical"},
              {"dtype", c.dtype},
              {"rows", c.rows}};
    j[c.kind == ColumnKind::kNumeric ? "numeric" : "categorical"] =
        c.kind == ColumnKind::kNumeric ? Numeric(c.numeric) : Categorical(c.categorical);
    cols.push_back(std::move(j));
  }
  const ProfileOptions& o = p.options;
  return {
      {"format", kProfileFormat},
      {"rows", p.rows},
      {"duplicate_rows", p.duplicate_rows},
      {"options",
       {{"bins", o.bins}, {"top_k", o.top_k}, {"sample_size", o.sample_size}, {"seed", o.seed}}},
      {"columns", cols}};
}

Profile ProfileFromJson(const json& j, const std::string& source) {
  try {
    if (!j.is_object() || j.value("format", "") != kProfileFormat) {
      throw ArtifactError(source + ": not a profile of format " + kProfileFormat);
    }
    Profile p;
    p.rows = j.at("rows").get<int64_t>();
    p.duplicate_rows = j.at("duplicate_rows").get<int64_t>();
    const json& o = j.at("options");
    p.options.bins = o.at("bins").get<int>();
    p.options.top_k = o.at("top_k").get<int>();
    p.options.sample_size = o.at("sample_size").get<int64_t>();
    p.options.seed = o.at("seed").get<uint64_t>();
    for (const json& cj : j.at("columns")) {
      ColumnProfile c;
      c.name = cj.at("name").get<std::string>();
      c.kind = cj.at("kind").get<std::string>() == "numeric" ? ColumnKind::kNumeric
                                                             : ColumnKind::kCategorical;
      c.dtype = cj.at("dtype").get<std::string>();
      c.rows = cj.at("rows").get<int64_t>();
      if (c.kind == ColumnKind::kNumeric) {
        const json& n = cj.at("numeric");
        NumericProfile& np = c.numeric;
        np.count = n.at("count").get<int64_t>();
        np.nan = n.at("missing").get<int64_t>();
        np.inf = n.at("inf").get<int64_t>();
        np.mean = n.at("mean").get<double>();
        np.std = n.at("std").get<double>();
        np.min = n.at("min").get<double>();
        np.max = n.at("max").get<double>();
        for (const auto& [k, v] : n.at("quantiles").items()) {
          (void)k;
          np.quantiles.push_back(v.get<double>());
        }
        np.edges = n.at("histogram").at("edges").get<std::vector<double>>();
        np.hist = n.at("histogram").at("counts").get<std::vector<int64_t>>();
        np.many = n.at("distinct").is_null();
        if (!np.many) {
          for (const json& d : n.at("distinct")) {
            np.distinct.emplace_back(d.at(0).get<double>(), d.at(1).get<int64_t>());
          }
        }
        np.sample = n.at("sample").get<std::vector<double>>();
      } else {
        const json& k = cj.at("categorical");
        CategoricalProfile& cp = c.categorical;
        cp.count = k.at("count").get<int64_t>();
        cp.missing = k.at("missing").get<int64_t>();
        cp.distinct = k.at("distinct").get<int64_t>();
        for (const json& t : k.at("top")) {
          cp.top.emplace_back(t.at(0).get<std::string>(), t.at(1).get<int64_t>());
        }
        cp.other = k.at("other").get<int64_t>();
      }
      p.columns.push_back(std::move(c));
    }
    return p;
  } catch (const json::exception& e) {
    throw ArtifactError(source + ": malformed profile: " + e.what());
  }
}

}  // namespace freshet
