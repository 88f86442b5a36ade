// DecideGate: the promotion gate's rules applied to a retrain's evaluation.
#include "freshet/gate_policy.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "freshet/log.hpp"
#include "freshet/metrics.hpp"

namespace freshet {
namespace {

using Json = nlohmann::json;

const Json& At(const Json& j, const std::string& key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

double Number(const Json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }

const Json& FindSet(const Json& evaluation, const std::string& name) {
  static const Json kNull;
  const Json& sets = At(evaluation, "sets");
  if (!sets.is_array()) return kNull;
  for (const Json& s : sets) {
    if (At(s, "name") == name) return s;
  }
  return kNull;
}

std::string F(double v) { return std::isnan(v) ? "n/a" : Format("%.4f", v); }

struct RuleResult {
  bool skipped = false, passed = false;
  double value = std::nan("");
  std::string reason;
};

// The challenger's value of `metric` on `set`: a task metric or a product metric.
double ChallengerValue(const Json& set, const std::string& metric) {
  const Json& m = At(At(set, "models"), "challenger");
  const Json& v = At(At(m, "metrics"), metric);
  return v.is_null() ? Number(At(At(m, "product_metrics"), metric)) : Number(v);
}

// Why a model of `set` cannot be used by a rule ("" when it can).
std::string Unusable(const Json& set, const std::string& role, const std::string& set_name) {
  const Json& m = At(At(set, "models"), role);
  if (!At(m, "error").is_null()) {
    return "the " + role + " " +
           (At(m, "version").is_string() ? At(m, "version").get<std::string>() + " " : "") +
           "could not be scored on set " + set_name + ": " +
           (At(m, "error").is_string() ? At(m, "error").get<std::string>() : "?");
  }
  return "";
}

RuleResult Apply(const GateRule& r, const Json& evaluation, double confidence) {
  RuleResult out;
  const Json& set = FindSet(evaluation, r.set);
  if (!set.is_object()) {
    out.reason = "no evaluation set \"" + r.set + "\" was scored";
    return out;
  }
  if (const std::string why = Unusable(set, "challenger", r.set); !why.empty()) {
    out.reason = why;
    return out;
  }
  const bool relative = r.kind == "min_change" || r.kind == "max_slice_drop";
  if (relative) {
    if (!At(At(set, "models"), r.against).is_object()) {
      out.skipped = true;
      out.reason = r.against == "champion" ? "no champion to compare with"
                                           : "no fallback model (train.fallback is off)";
      return out;
    }
    if (const std::string why = Unusable(set, r.against, r.set); !why.empty()) {
      out.reason = why;
      return out;
    }
  }
  const std::string other =
      r.against + (At(At(At(set, "models"), r.against), "version").is_string()
                       ? " " + At(At(At(set, "models"), r.against), "version").get<std::string>()
                       : "");
  if (r.kind == "min_change") {
    const Json& c = At(At(At(set, "comparisons"), r.against), r.metric);
    const bool point = r.bound != "lower" && r.bound != "upper";
    out.value = Number(At(c, point ? "improvement" : "improvement_" + r.bound));
    // The comparison knows the direction of a product metric; the task's metrics have theirs.
    const bool higher = At(c, "higher_is_better").is_boolean()
                            ? At(c, "higher_is_better").get<bool>()
                            : HigherIsBetter(r.metric);
    std::string diff = higher ? "challenger − " + r.against : r.against + " − challenger";
    if (r.relative) {
      const double base = std::fabs(Number(At(c, "other")));
      out.value = base > 0 ? out.value / base : std::nan("");
      diff = "(" + diff + ") / |" + r.against + "|";
    }
    const std::string what =
        (point ? "the "
               : "the " + r.bound + " " + Format("%g", confidence * 100) + "% bound of the ") +
        (r.relative ? "relative improvement" : "improvement") + " of " + r.metric + " over the " +
        other + " (" + diff + ")";
    if (std::isnan(out.value)) {
      out.reason = what + " could not be computed";
      return out;
    }
    out.passed = out.value >= r.threshold;
    const auto show = [&](double v) { return r.relative ? Format("%.2f%%", v * 100) : F(v); };
    out.reason =
        what + " is " + show(out.value) + (out.passed ? ", >= " : ", < ") + show(r.threshold);
    return out;
  }
  if (r.kind == "min_value" || r.kind == "max_value") {
    out.value = ChallengerValue(set, r.metric);
    if (std::isnan(out.value)) {
      out.reason = r.metric + " of the challenger could not be computed";
      return out;
    }
    const bool min = r.kind == "min_value";
    out.passed = min ? out.value >= r.threshold : out.value <= r.threshold;
    out.reason = r.metric + " of the challenger is " + F(out.value) +
                 (out.passed ? (min ? ", >= " : ", <= ") : (min ? ", < " : ", > ")) +
                 F(r.threshold);
    return out;
  }
  // max_slice_drop: the worst slice's improvement against -threshold.
  const Json& slices = At(set, "slices");
  std::string worst;
  int checked = 0;
  std::string broken;  // a slice where the challenger has no value but the other model has
  const auto describe = [](const Json& s) {
    const Json& v = At(s, "value");
    return (At(s, "column").is_string() ? At(s, "column").get<std::string>() : "?") + " = " +
           (v.is_string() ? v.get<std::string>()
            : v.is_null() ? "(missing)"
                          : v.dump()) +
           " (" + std::to_string(At(s, "rows").is_number() ? At(s, "rows").get<int64_t>() : 0) +
           " rows)";
  };
  if (slices.is_array()) {
    for (const Json& s : slices) {
      const Json& m = At(s, "metrics");
      const double a = Number(At(At(m, "challenger"), r.metric));
      const double b = Number(At(At(m, r.against), r.metric));
      if (std::isnan(a) && !std::isnan(b) && broken.empty()) broken = describe(s);
      if (std::isnan(a) || std::isnan(b)) continue;
      ++checked;
      const double imp = HigherIsBetter(r.metric) ? a - b : b - a;
      if (std::isnan(out.value) || imp < out.value) {
        out.value = imp;
        worst = describe(s);
      }
    }
  }
  if (!broken.empty()) {
    out.value = std::nan("");
    out.reason = r.metric + " of the challenger is not a number on the slice " + broken +
                 ", where the " + other + " has one";
    return out;
  }
  if (checked == 0) {
    out.skipped = true;
    out.reason = "no slice with enough rows has " + r.metric + " for both models";
    return out;
  }
  out.passed = out.value >= -r.threshold;
  out.reason = "the worst of " + std::to_string(checked) + " slices, " + worst + ", changes " +
               r.metric + " by " + F(out.value) + " against the " + other +
               (out.passed ? ", within the allowed drop of " : ", beyond the allowed drop of ") +
               F(r.threshold);
  return out;
}

bool SameRule(const GateRule& a, const GateRule& b) {
  return a.kind == b.kind && a.metric == b.metric && a.against == b.against && a.set == b.set &&
         a.bound == b.bound && a.threshold == b.threshold && a.relative == b.relative;
}

}  // namespace

GateDecision DecideGate(const GateConfig& gate, const nlohmann::json& evaluation,
                        const std::optional<std::string>& champion) {
  GateDecision d;
  d.first_run = !champion.has_value();
  d.json = {{"enabled", gate.enabled},
            {"first_run", d.first_run},
            {"champion", champion ? Json(*champion) : Json()},
            {"stages", gate.stages}};
  if (!gate.enabled) {
    d.passed = true;
    d.reason = "the gate is off (gate.enabled: false): every new version is promoted";
    d.json["decision"] = "pass";
    d.json["rules"] = Json::array();
    d.json["reason"] = d.reason;
    return d;
  }
  std::vector<GateRule> rules = gate.rules;
  if (d.first_run) {
    for (const GateRule& r : gate.first_run) {
      bool dup = false;
      for (const GateRule& q : rules) dup |= SameRule(q, r);
      if (!dup) rules.push_back(r);
    }
  }
  const double confidence = Number(At(At(evaluation, "bootstrap"), "confidence"));
  Json results = Json::array();
  std::string failures;
  int passed = 0, failed = 0, skipped = 0;
  for (const GateRule& r : rules) {
    const RuleResult res = Apply(r, evaluation, std::isnan(confidence) ? 0.95 : confidence);
    Json j = {{"name", r.name},
              {"rule", r.kind},
              {"metric", r.metric},
              {"against", r.against.empty() ? Json() : Json(r.against)},
              {"set", r.set},
              {"bound", r.kind == "min_change" ? Json(r.bound) : Json()},
              {"relative", r.relative},
              {"value", std::isnan(res.value) ? Json() : Json(res.value)},
              {"threshold", r.kind == "max_slice_drop" ? -r.threshold : r.threshold},
              {"passed", res.skipped ? Json() : Json(res.passed)},
              {"skipped", res.skipped},
              {"reason", res.reason}};
    results.push_back(j);
    if (res.skipped) {
      ++skipped;
    } else if (res.passed) {
      ++passed;
    } else {
      ++failed;
      failures +=
          std::string(failures.empty() ? "" : "; ") + "rule '" + r.name + "' failed: " + res.reason;
    }
  }
  d.passed = failed == 0;
  if (!d.passed) {
    d.reason = failures;
  } else if (passed == 0) {
    d.reason = std::string(d.first_run ? "first run: " : "") + "no rule could be applied (" +
               std::to_string(skipped) + " skipped); the challenger is promoted";
  } else {
    d.reason = std::string(d.first_run ? "first run: " : "") + std::to_string(passed) + " of " +
               std::to_string(passed + skipped) + " rule(s) passed" +
               (skipped ? " (" + std::to_string(skipped) + " skipped)" : "");
  }
  d.json["decision"] = d.passed ? "pass" : "fail";
  d.json["rules"] = results;
  d.json["reason"] = d.reason;
  return d;
}

std::vector<std::string> GateLines(const GateDecision& decision) {
  std::vector<std::string> lines;
  const Json& rules = At(decision.json, "rules");
  if (rules.is_array()) {
    for (const Json& r : rules) {
      const Json& p = At(r, "passed");
      const std::string verdict = p.is_boolean() ? (p.get<bool>() ? "pass" : "FAIL") : "skip";
      lines.push_back("gate rule '" + At(r, "name").get<std::string>() + "': " + verdict + ": " +
                      At(r, "reason").get<std::string>());
    }
  }
  lines.push_back(std::string("gate: ") + (decision.passed ? "pass" : "FAIL") + ": " +
                  decision.reason);
  return lines;
}

}  // namespace freshet
