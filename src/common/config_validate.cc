// The `validate:` section of the config (include/freshet/validate_spec.hpp).
#include <cmath>

#include "common/config_sections.h"

namespace freshet {

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kOff:
      return "off";
    case Severity::kWarn:
      return "warn";
    case Severity::kFail:
      return "fail";
  }
  return "?";
}

namespace config_detail {
namespace {

const std::vector<std::string> kDriftMethods = {
    "auto", "ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi"};

// A threshold, or null for "none".
double Threshold(Node n) {
  if (n.IsScalar() && (n.Describe() == "\"none\"" || n.Describe() == "\"null\"")) {
    return std::nan("");
  }
  const double v = n.Number();
  if (v < 0) n.Fail("expected a threshold >= 0");
  return v;
}

DriftRule ParseDrift(Node d) {
  DriftRule r;
  d.RequireMap();
  if (d.Has("method")) r.method = d.Get("method").OneOf(kDriftMethods);
  if (d.Has("warn")) r.warn = Threshold(d.Get("warn"));
  if (d.Has("fail")) r.fail = Threshold(d.Get("fail"));
  d.Finish();
  return r;
}

std::map<std::string, Severity> ParseSeverities(Node s) {
  std::map<std::string, Severity> out;
  for (const auto& name : s.Keys()) {
    const std::string v = s.Child(name).OneOf({"off", "warn", "fail"});
    out[name] = v == "off" ? Severity::kOff : v == "warn" ? Severity::kWarn : Severity::kFail;
  }
  return out;
}

nlohmann::json ThresholdJson(double v) {
  return std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
}

nlohmann::json DriftJson(const DriftRule& r) {
  return {{"method", r.method}, {"warn", ThresholdJson(r.warn)}, {"fail", ThresholdJson(r.fail)}};
}

nlohmann::json SeverityJson(const std::map<std::string, Severity>& m) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : m) out[k] = SeverityName(v);
  return out;
}

}  // namespace

void ParseValidate(Node v, ValidateConfig* out) {
  v.RequireMap();
  if (v.Has("enabled")) out->enabled = v.Get("enabled").Bool();
  if (v.Has("bins")) out->bins = static_cast<int>(v.Get("bins").Integer(2, 1000));
  if (v.Has("top_k")) out->top_k = static_cast<int>(v.Get("top_k").Integer(1, 1000000));
  if (v.Has("sample_size")) out->sample_size = v.Get("sample_size").Integer(100, 10000);
  if (v.Has("seed")) out->seed = static_cast<uint64_t>(v.Get("seed").Integer(0, INT64_MAX));
  if (v.Has("domain_max_size")) {
    out->domain_max_size = static_cast<int>(v.Get("domain_max_size").Integer(0, 100000));
  }
  const auto fraction = [&](const char* key, double* dst) {
    if (!v.Has(key)) return;
    Node n = v.Get(key);
    *dst = n.Number();
    if (*dst < 0 || *dst > 1) n.Fail("expected a fraction in [0, 1]");
  };
  fraction("out_of_range_fraction", &out->out_of_range_fraction);
  fraction("unexpected_category_fraction", &out->unexpected_category_fraction);
  fraction("duplicate_fraction", &out->duplicate_fraction);
  if (v.Has("rows_ratio")) {
    Node r = v.Get("rows_ratio");
    const auto items = r.Items();
    if (items.size() != 2) r.Fail("expected [min, max]");
    out->min_rows_ratio = items[0].Number();
    out->max_rows_ratio = items[1].Number();
    if (!(out->min_rows_ratio >= 0 && out->min_rows_ratio <= out->max_rows_ratio)) {
      r.Fail("expected 0 <= min <= max");
    }
  }
  if (v.Has("min_drift_rows")) out->min_drift_rows = v.Get("min_drift_rows").Integer(1, INT64_MAX);
  if (v.Has("drift")) out->drift = ParseDrift(v.Get("drift"));
  if (v.Has("drift_share")) {
    Node s = v.Get("drift_share");
    s.RequireMap();
    if (s.Has("warn")) out->drift_share_warn = Threshold(s.Get("warn"));
    if (s.Has("fail")) out->drift_share_fail = Threshold(s.Get("fail"));
    s.Finish();
  }
  if (v.Has("severity")) out->severity = ParseSeverities(v.Get("severity"));
  if (v.Has("columns")) {
    Node cols = v.Get("columns");
    for (const auto& name : cols.Keys()) {
      Node c = cols.Child(name);
      c.RequireMap();
      ColumnValidate cv;
      if (c.Has("drift")) {
        cv.has_drift = true;
        cv.drift = ParseDrift(c.Get("drift"));
      }
      if (c.Has("severity")) cv.severity = ParseSeverities(c.Get("severity"));
      c.Finish();
      out->columns[name] = cv;
    }
  }
  v.Finish();
}

nlohmann::json ValidateToJson(const ValidateConfig& v) {
  nlohmann::json cols = nlohmann::json::object();
  for (const auto& [name, c] : v.columns) {
    cols[name] = {{"drift", c.has_drift ? DriftJson(c.drift) : nlohmann::json()},
                  {"severity", SeverityJson(c.severity)}};
  }
  return {
      {"enabled", v.enabled},
      {"bins", v.bins},
      {"top_k", v.top_k},
      {"sample_size", v.sample_size},
      {"seed", v.seed},
      {"domain_max_size", v.domain_max_size},
      {"out_of_range_fraction", v.out_of_range_fraction},
      {"unexpected_category_fraction", v.unexpected_category_fraction},
      {"duplicate_fraction", v.duplicate_fraction},
      {"rows_ratio", {v.min_rows_ratio, v.max_rows_ratio}},
      {"min_drift_rows", v.min_drift_rows},
      {"drift", DriftJson(v.drift)},
      {"drift_share",
       {{"warn", ThresholdJson(v.drift_share_warn)}, {"fail", ThresholdJson(v.drift_share_fail)}}},
      {"severity", SeverityJson(v.severity)},
      {"columns", cols}};
}

}  // namespace config_detail
}  // namespace freshet
