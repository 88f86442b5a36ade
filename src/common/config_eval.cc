// The `evaluation:` and `gate:` sections of the config (include/freshet/eval_spec.hpp).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "common/config_sections.h"
#include "freshet/error.hpp"
#include "freshet/metrics.hpp"

namespace freshet {

std::string ResolvedPrimaryMetric(const EvaluationConfig& evaluation, Task task) {
  if (evaluation.primary_metric != "auto") return evaluation.primary_metric;
  switch (task) {
    case Task::kMulticlass:
      return "log_loss";
    case Task::kRegression:
      return "rmse";
    case Task::kBinary:
      break;
  }
  return "auc";
}

namespace config_detail {
namespace {

namespace fs = std::filesystem;

double NumberIn(Node n, double lo, double hi, const char* what) {
  const double v = n.Number();
  if (!(v >= lo && v <= hi)) n.Fail(std::string("expected ") + what);
  return v;
}

bool IsNumber(const std::string& s) {
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0';
}

EvalSetSpec ParseSet(Node s, const std::string& base) {
  s.RequireMap();
  EvalSetSpec set;
  set.name = s.Get("name").String();
  if (set.name.empty() ||
      set.name.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
          std::string::npos) {
    s.Child("name").Fail("expected a name of letters, digits, '_', '-' and '.', got \"" + set.name +
                         "\"");
  }
  if (set.name == "latest") {
    s.Finish();
    return set;
  }
  for (Node f : s.Get("files").Items()) {
    if (f.IsMap()) {
      f.RequireMap();
      fs::path p(f.Get("path").String());
      if (p.is_relative()) p = fs::path(base) / p;
      set.files.push_back(p.lexically_normal().string());
      std::string sha;
      if (f.Has("sha256")) {
        sha = f.Get("sha256").String();
        if (sha.size() != 64 || sha.find_first_not_of("0123456789abcdef") != std::string::npos) {
          f.Child("sha256").Fail("expected 64 lowercase hex digits");
        }
      }
      set.sha256.push_back(sha);
      f.Finish();
    } else {
      fs::path p(f.String());
      if (p.is_relative()) p = fs::path(base) / p;
      set.files.push_back(p.lexically_normal().string());
      set.sha256.emplace_back();
    }
  }
  if (set.files.empty()) s.Child("files").Fail("expected at least one file");
  s.Finish();
  return set;
}

SliceSpec ParseSlice(Node s) {
  s.RequireMap();
  SliceSpec slice;
  slice.column = s.Get("column").String();
  if (s.Has("top")) slice.top = static_cast<int>(s.Get("top").Integer(1, 1000));
  if (s.Has("boundaries")) {
    slice.numeric = true;
    for (Node b : s.Get("boundaries").Items()) slice.boundaries.push_back(b.Number());
    for (size_t i = 1; i < slice.boundaries.size(); ++i) {
      if (!(slice.boundaries[i - 1] < slice.boundaries[i])) {
        s.Child("boundaries").Fail("expected strictly increasing numbers");
      }
    }
    if (slice.boundaries.empty()) s.Child("boundaries").Fail("expected at least one boundary");
  }
  if (s.Has("quantiles")) {
    if (slice.numeric) s.Child("quantiles").Fail("give boundaries or quantiles, not both");
    slice.numeric = true;
    slice.quantiles = static_cast<int>(s.Get("quantiles").Integer(2, 100));
  }
  if (slice.numeric && s.Has("top")) s.Child("top").Fail("top is for a categorical slice");
  s.Finish();
  return slice;
}

PayoffValue ParsePayoffValue(Node n) {
  PayoffValue v;
  const std::string s = n.String();
  if (IsNumber(s)) {
    v.constant = n.Number();
  } else {
    v.column = s;
  }
  return v;
}

ProductMetricSpec ParseProductMetric(Node p) {
  p.RequireMap();
  ProductMetricSpec m;
  m.name = p.Get("name").String();
  int kinds = 0;
  if (p.Has("payoff")) {
    ++kinds;
    m.kind = "payoff";
    Node pay = p.Get("payoff");
    pay.RequireMap();
    m.tp = ParsePayoffValue(pay.Get("tp"));
    m.fp = ParsePayoffValue(pay.Get("fp"));
    m.fn = ParsePayoffValue(pay.Get("fn"));
    m.tn = ParsePayoffValue(pay.Get("tn"));
    pay.Finish();
  }
  if (p.Has("top_fraction")) {
    ++kinds;
    m.kind = "top_fraction";
    m.fraction = NumberIn(p.Get("top_fraction"), 1e-12, 1, "a fraction in (0, 1]");
    if (p.Has("measure")) m.measure = p.Get("measure").OneOf({"precision", "recall", "lift"});
  }
  if (p.Has("weight_column")) {
    ++kinds;
    m.kind = "weighted";
    m.weight_column = p.Get("weight_column").String();
    m.metric = p.Get("metric").String();
  }
  if (kinds != 1) {
    p.Fail(
        "expected exactly one of payoff: {tp, fp, fn, tn}, top_fraction: F, or weight_column: "
        "C with metric: M");
  }
  if (m.kind != "top_fraction" && p.Has("measure"))
    p.Child("measure").Fail("only for top_fraction");
  if (m.kind != "weighted" && p.Has("metric")) p.Child("metric").Fail("only with weight_column");
  p.Finish();
  return m;
}

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
    out->max_flip_rate = NumberIn(s.Get("max_flip_rate"), 0, 1, "a fraction in [0, 1]");
  }
  if (s.Has("max_score_psi")) {
    out->max_score_psi = NumberIn(s.Get("max_score_psi"), 0, 1e9, "a number >= 0");
  }
  if (s.Has("max_metric_drop")) {
    out->max_metric_drop = NumberIn(s.Get("max_metric_drop"), 0, 1, "a fraction in [0, 1]");
  }
  s.Finish();
}

std::string DefaultRuleName(const GateRule& r) {
  if (r.kind == "min_change") return r.metric + " vs " + r.against;
  if (r.kind == "min_value") return r.metric + " min";
  if (r.kind == "max_value") return r.metric + " max";
  return r.metric + " slices vs " + r.against;
}

nlohmann::json PayoffJson(const PayoffValue& v) {
  return v.column.empty() ? nlohmann::json(v.constant) : nlohmann::json(v.column);
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

void ParseEvaluation(Node e, const std::string& base, EvaluationConfig* out) {
  e.RequireMap();
  if (e.Has("primary_metric")) out->primary_metric = e.Get("primary_metric").String();
  if (e.Has("threshold")) out->threshold = NumberIn(e.Get("threshold"), 0, 1, "a number in [0, 1]");
  if (e.Has("calibration_bins")) {
    out->calibration_bins = static_cast<int>(e.Get("calibration_bins").Integer(1, 1000));
  }
  if (e.Has("bootstrap")) {
    Node b = e.Get("bootstrap");
    b.RequireMap();
    if (b.Has("resamples")) {
      out->bootstrap.resamples = static_cast<int>(b.Get("resamples").Integer(0, 1000000));
    }
    if (b.Has("seed"))
      out->bootstrap.seed = static_cast<uint64_t>(b.Get("seed").Integer(0, INT64_MAX));
    if (b.Has("confidence")) {
      Node c = b.Get("confidence");
      out->bootstrap.confidence = c.Number();
      if (!(out->bootstrap.confidence > 0 && out->bootstrap.confidence < 1)) {
        c.Fail("expected a number in (0, 1)");
      }
    }
    b.Finish();
  }
  if (e.Has("sets")) {
    Node sets = e.Get("sets");
    std::set<std::string> names;
    for (Node s : sets.Items()) {
      out->sets.push_back(ParseSet(s, base));
      if (!names.insert(out->sets.back().name).second) {
        s.Child("name").Fail("the set name \"" + out->sets.back().name + "\" is used twice");
      }
    }
    if (out->sets.empty()) sets.Fail("expected at least one set");
  }
  if (out->sets.empty()) out->sets.push_back({"latest", {}, {}});
  if (e.Has("primary_set")) {
    Node p = e.Get("primary_set");
    out->primary_set = p.String();
    const bool known = std::any_of(out->sets.begin(), out->sets.end(), [&](const EvalSetSpec& s) {
      return s.name == out->primary_set;
    });
    if (!known) p.Fail("no evaluation set is called \"" + out->primary_set + "\"");
  }
  if (e.Has("slices")) {
    for (Node s : e.Get("slices").Items()) out->slices.push_back(ParseSlice(s));
  }
  if (e.Has("min_slice_rows")) out->min_slice_rows = e.Get("min_slice_rows").Integer(1, INT64_MAX);
  if (e.Has("product_metrics")) {
    std::set<std::string> names;
    for (Node p : e.Get("product_metrics").Items()) {
      out->product_metrics.push_back(ParseProductMetric(p));
      if (!names.insert(out->product_metrics.back().name).second) {
        p.Child("name").Fail("the product metric \"" + out->product_metrics.back().name +
                             "\" is defined twice");
      }
    }
  }
  if (e.Has("cross_validation")) {
    Node cv = e.Get("cross_validation");
    cv.RequireMap();
    out->cv_folds = static_cast<int>(cv.Get("folds").Integer(2, 100));
    cv.Finish();
  }
  if (e.Has("seeds")) out->seeds = static_cast<int>(e.Get("seeds").Integer(0, 100));
  if (e.Has("curve_points"))
    out->curve_points = static_cast<int>(e.Get("curve_points").Integer(2, 100000));
  e.Finish();
}

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

void ResolveEvaluation(Config* c) {
  const std::string file = c->path + ": ";
  EvaluationConfig& e = c->evaluation;
  const std::vector<std::string> task_metrics = TaskMetricNames(c->task);
  const auto is_task_metric = [&](const std::string& m) {
    return std::find(task_metrics.begin(), task_metrics.end(), m) != task_metrics.end();
  };
  std::string names;
  for (const auto& m : task_metrics) names += (names.empty() ? "" : ", ") + m;
  const std::string task = TaskName(c->task);
  e.primary_metric = ResolvedPrimaryMetric(e, c->task);
  if (!is_task_metric(e.primary_metric)) {
    throw ConfigError(file + "evaluation.primary_metric: \"" + e.primary_metric +
                      "\" is not a metric of a " + task + " task (" + names + ")");
  }
  if (e.primary_set.empty()) e.primary_set = e.sets.front().name;
  for (size_t i = 0; i < e.product_metrics.size(); ++i) {
    const auto& p = e.product_metrics[i];
    const std::string key = "evaluation.product_metrics[" + std::to_string(i) + "]";
    if (is_task_metric(p.name)) {
      throw ConfigError(file + key + ".name: \"" + p.name + "\" is the name of a task metric");
    }
    if (p.kind != "weighted" && c->task != Task::kBinary) {
      throw ConfigError(file + key + ": " + p.kind + " is for a binary task (task is " + task +
                        ")");
    }
    if (p.kind == "weighted" && !is_task_metric(p.metric)) {
      throw ConfigError(file + key + ".metric: \"" + p.metric + "\" is not a metric of a " + task +
                        " task (" + names + ")");
    }
  }
  const auto is_product = [&](const std::string& m) {
    return std::any_of(e.product_metrics.begin(), e.product_metrics.end(),
                       [&](const ProductMetricSpec& p) { return p.name == m; });
  };
  GateConfig& g = c->gate;
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
  for (size_t i = 0; i < e.slices.size(); ++i) {
    if (e.slices[i].column == c->data.label) {
      throw ConfigError(file + "evaluation.slices[" + std::to_string(i) +
                        "].column: the label column " + e.slices[i].column + " cannot be a slice");
    }
  }
}

std::vector<std::string> EvaluationColumns(const EvaluationConfig& e) {
  std::vector<std::string> cols;
  const auto add = [&cols](const std::string& c) {
    if (!c.empty() && std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
  };
  for (const auto& s : e.slices) add(s.column);
  for (const auto& p : e.product_metrics) {
    add(p.tp.column);
    add(p.fp.column);
    add(p.fn.column);
    add(p.tn.column);
    add(p.weight_column);
  }
  return cols;
}

nlohmann::json EvaluationToJson(const EvaluationConfig& e) {
  nlohmann::json sets = nlohmann::json::array();
  for (const auto& s : e.sets) {
    nlohmann::json files = nlohmann::json::array();
    for (size_t i = 0; i < s.files.size(); ++i) {
      files.push_back(
          {{"path", s.files[i]},
           {"sha256", s.sha256[i].empty() ? nlohmann::json() : nlohmann::json(s.sha256[i])}});
    }
    sets.push_back(s.name == "latest" ? nlohmann::json({{"name", s.name}})
                                      : nlohmann::json({{"name", s.name}, {"files", files}}));
  }
  nlohmann::json slices = nlohmann::json::array();
  for (const auto& s : e.slices) {
    if (s.numeric) {
      slices.push_back(s.boundaries.empty()
                           ? nlohmann::json({{"column", s.column}, {"quantiles", s.quantiles}})
                           : nlohmann::json({{"column", s.column}, {"boundaries", s.boundaries}}));
    } else {
      slices.push_back({{"column", s.column}, {"top", s.top}});
    }
  }
  nlohmann::json products = nlohmann::json::array();
  for (const auto& p : e.product_metrics) {
    nlohmann::json j = {{"name", p.name}};
    if (p.kind == "payoff") {
      j["payoff"] = {{"tp", PayoffJson(p.tp)},
                     {"fp", PayoffJson(p.fp)},
                     {"fn", PayoffJson(p.fn)},
                     {"tn", PayoffJson(p.tn)}};
    } else if (p.kind == "top_fraction") {
      j["top_fraction"] = p.fraction;
      j["measure"] = p.measure;
    } else {
      j["metric"] = p.metric;
      j["weight_column"] = p.weight_column;
    }
    products.push_back(j);
  }
  return {
      {"primary_metric", e.primary_metric},
      {"threshold", e.threshold},
      {"calibration_bins", e.calibration_bins},
      {"bootstrap",
       {{"resamples", e.bootstrap.resamples},
        {"seed", e.bootstrap.seed},
        {"confidence", e.bootstrap.confidence}}},
      {"sets", sets},
      {"primary_set", e.primary_set},
      {"slices", slices},
      {"min_slice_rows", e.min_slice_rows},
      {"product_metrics", products},
      {"cross_validation", e.cv_folds ? nlohmann::json({{"folds", e.cv_folds}}) : nlohmann::json()},
      {"seeds", e.seeds},
      {"curve_points", e.curve_points}};
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

}  // namespace config_detail
}  // namespace freshet
