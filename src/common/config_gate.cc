// The `gate:` section of the config (include/freshet/eval_spec.hpp): the promotion gate's rules,
// stages and shadow policy, checked against the `evaluation:` section they read.
#include <algorithm>
#include <string>
#include <vector>

#include "common/config_sections.h"
#include "freshet/error.hpp"
#include "freshet/metrics.hpp"

namespace freshet::config_detail {
namespace {

GateRule ParseRule(Node r) {
  r.RequireMap();
  GateRule rule;
  int kinds = 0;
  const auto kind = [&](const char* key, const char* name) {
    if (!r.Has(key)) return;
    ++kinds;
    rule.kind = name;
    rule.threshold = r.Get(key).Number();
  };
  kind("min_change", "min_change");
  kind("min", "min_value");
  kind("max", "max_value");
  kind("max_slice_drop", "max_slice_drop");
  if (kinds != 1) r.Fail("expected exactly one of min_change, min, max, max_slice_drop");
  rule.metric = r.Has("metric") ? r.Get("metric").String() : "primary";
  if (r.Has("name")) rule.name = r.Get("name").String();
  if (r.Has("set")) rule.set = r.Get("set").String();
  const bool relative = rule.kind == "min_change" || rule.kind == "max_slice_drop";
  if (r.Has("against")) {
    if (!relative) r.Child("against").Fail("only for min_change and max_slice_drop");
    rule.against = r.Get("against").OneOf({"champion", "fallback"});
  } else if (relative) {
    rule.against = "champion";
  }
  if (r.Has("bound")) {
    if (rule.kind != "min_change") r.Child("bound").Fail("only for min_change");
    rule.bound = r.Get("bound").OneOf({"point", "lower", "upper"});
  }
  if (r.Has("relative")) {
    if (rule.kind != "min_change") r.Child("relative").Fail("only for min_change");
    rule.relative = r.Get("relative").Bool();
  }
  if (rule.kind == "max_slice_drop" && rule.threshold < 0) {
    r.Child("max_slice_drop").Fail("expected a number >= 0");
  }
  r.Finish();
  return rule;
}

std::vector<GateRule> ParseRules(Node list) {
  std::vector<GateRule> rules;
  for (Node r : list.Items()) rules.push_back(ParseRule(r));
  return rules;
}

void ParseShadow(Node s, ShadowPolicy* out) {
  s.RequireMap();
  if (s.Has("min_rows")) out->min_rows = s.Get("min_rows").Integer(1, INT64_MAX);
  if (s.Has("max_flip_rate")) {
    out->max_flip_rate = s.Get("max_flip_rate").NumberIn(0, 1, "a fraction in [0, 1]");
  }
  if (s.Has("max_score_psi")) {
    out->max_score_psi = s.Get("max_score_psi").NumberIn(0, 1e9, "a number >= 0");
  }
  if (s.Has("max_metric_drop")) {
    out->max_metric_drop = s.Get("max_metric_drop").NumberIn(0, 1, "a fraction in [0, 1]");
  }
  s.Finish();
}

std::string DefaultRuleName(const GateRule& r) {
  if (r.kind == "min_change") return r.metric + " vs " + r.against;
  if (r.kind == "min_value") return r.metric + " min";
  if (r.kind == "max_value") return r.metric + " max";
  return r.metric + " slices vs " + r.against;
}

nlohmann::json RulesJson(const std::vector<GateRule>& rules) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rules) {
    // The config's own syntax, so that the resolved config parses back.
    const char* key = r.kind == "min_value" ? "min" : r.kind == "max_value" ? "max" : nullptr;
    nlohmann::json j = {{"name", r.name}, {"metric", r.metric}, {"set", r.set}};
    j[key ? key : r.kind] = r.threshold;
    if (!r.against.empty()) j["against"] = r.against;
    if (r.kind == "min_change") j["bound"] = r.bound;
    if (r.kind == "min_change") j["relative"] = r.relative;
    out.push_back(j);
  }
  return out;
}

}  // namespace

void ParseGate(Node g, GateConfig* out) {
  if (g.IsScalar()) {
    out->enabled = g.Bool();
    return;
  }
  g.RequireMap();
  if (g.Has("enabled")) out->enabled = g.Get("enabled").Bool();
  if (g.Has("rules")) out->rules = ParseRules(g.Get("rules"));
  if (g.Has("first_run")) out->first_run = ParseRules(g.Get("first_run"));
  if (g.Has("fallback_channel")) {
    out->fallback_channel = g.Get("fallback_channel").OneOf({"previous_champion", "none"});
  }
  if (g.Has("stages")) {
    Node stages = g.Get("stages");
    for (Node s : stages.Items()) {
      const std::string name = s.String();
      if (name == "champion" || name == "challenger" || name == "fallback") {
        s.Fail("\"" + name + "\" is not a stage before champion");
      }
      if (name.empty() ||
          name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-.") != std::string::npos) {
        s.Fail("expected a channel name of lowercase letters, digits, '_', '-' and '.'");
      }
      if (std::find(out->stages.begin(), out->stages.end(), name) != out->stages.end()) {
        s.Fail("the stage \"" + name + "\" is listed twice");
      }
      out->stages.push_back(name);
    }
  }
  if (g.Has("shadow")) ParseShadow(g.Get("shadow"), &out->shadow);
  g.Finish();
}

void ResolveGate(Config* c) {
  const std::string file = c->path + ": ";
  const EvaluationConfig& e = c->evaluation;
  GateConfig& g = c->gate;
  const std::vector<std::string> task_metrics = TaskMetricNames(c->task);
  const auto is_task_metric = [&](const std::string& m) {
    return std::find(task_metrics.begin(), task_metrics.end(), m) != task_metrics.end();
  };
  std::string names;
  for (const auto& m : task_metrics) names += (names.empty() ? "" : ", ") + m;
  const std::string task = TaskName(c->task);
  const auto is_product = [&](const std::string& m) {
    return std::any_of(e.product_metrics.begin(), e.product_metrics.end(),
                       [&](const ProductMetricSpec& p) { return p.name == m; });
  };
  const auto check_rules = [&](std::vector<GateRule>* rules, const std::string& key) {
    for (size_t i = 0; i < rules->size(); ++i) {
      GateRule& r = (*rules)[i];
      const std::string at = file + key + "[" + std::to_string(i) + "]";
      if (r.metric == "primary") r.metric = e.primary_metric;
      if (!is_task_metric(r.metric) && !is_product(r.metric)) {
        throw ConfigError(at + ".metric: \"" + r.metric + "\" is neither a metric of a " + task +
                          " task (" + names +
                          ") nor a product metric of evaluation.product_metrics");
      }
      if (r.kind == "max_slice_drop" && !is_task_metric(r.metric)) {
        throw ConfigError(at + ".metric: slices are judged on a task metric, not \"" + r.metric +
                          "\"");
      }
      if (r.set.empty()) r.set = e.primary_set;
      const bool known = std::any_of(e.sets.begin(), e.sets.end(),
                                     [&](const EvalSetSpec& s) { return s.name == r.set; });
      if (!known) throw ConfigError(at + ".set: no evaluation set is called \"" + r.set + "\"");
      if (r.bound != "point" && e.bootstrap.resamples == 0) {
        throw ConfigError(at + ".bound: " + r.bound +
                          " needs the bootstrap (evaluation.bootstrap.resamples is 0)");
      }
      if (r.name.empty()) {
        r.name = DefaultRuleName(r) + (key == "gate.first_run" ? " (first run)" : "");
      }
    }
  };
  // The default policy keeps the champion when the challenger is worse by more than 0.5 % of the
  // other model's value beyond noise: the upper end of the interval of its relative improvement
  // below -0.5 % (with no bootstrap, the point estimate).
  const std::string bound = e.bootstrap.resamples > 0 ? "upper" : "point";
  constexpr double kTolerance = -0.005;
  if (g.rules.empty()) {
    g.rules = {
        {"", "min_change", e.primary_metric, "champion", e.primary_set, bound, kTolerance, true},
        {"", "min_change", e.primary_metric, "fallback", e.primary_set, bound, kTolerance, true}};
  }
  if (g.first_run.empty()) {
    g.first_run = {
        {"", "min_change", e.primary_metric, "fallback", e.primary_set, bound, kTolerance, true}};
  }
  check_rules(&g.rules, "gate.rules");
  check_rules(&g.first_run, "gate.first_run");
  for (size_t i = 0; i < g.first_run.size(); ++i) {
    if (g.first_run[i].against == "champion") {
      throw ConfigError(file + "gate.first_run[" + std::to_string(i) +
                        "].against: a first run has no champion to compare with");
    }
  }
}

nlohmann::json GateToJson(const GateConfig& g) {
  const auto& s = g.shadow;
  const auto opt = [](double v) { return v < 0 ? nlohmann::json() : nlohmann::json(v); };
  return {{"enabled", g.enabled},
          {"rules", RulesJson(g.rules)},
          {"first_run", RulesJson(g.first_run)},
          {"fallback_channel", g.fallback_channel},
          {"stages", g.stages},
          {"shadow",
           {{"min_rows", s.min_rows},
            {"max_flip_rate", opt(s.max_flip_rate)},
            {"max_score_psi", opt(s.max_score_psi)},
            {"max_metric_drop", s.max_metric_drop}}}};
}

}  // namespace freshet::config_detail
