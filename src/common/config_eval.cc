// The `evaluation:` section of the config (include/freshet/eval_spec.hpp); `gate:` is in
// config_gate.cc.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

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
    m.fraction = p.Get("top_fraction").NumberIn(1e-12, 1, "a fraction in (0, 1]");
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

nlohmann::json PayoffJson(const PayoffValue& v) {
  return v.column.empty() ? nlohmann::json(v.constant) : nlohmann::json(v.column);
}

}  // namespace

void ParseEvaluation(Node e, const std::string& base, EvaluationConfig* out) {
  e.RequireMap();
  if (e.Has("primary_metric")) out->primary_metric = e.Get("primary_metric").String();
  if (e.Has("threshold")) out->threshold = e.Get("threshold").NumberIn(0, 1, "a number in [0, 1]");
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
    out->sets.clear();
    std::set<std::string> names;
    for (Node s : sets.Items()) {
      out->sets.push_back(ParseSet(s, base));
      if (!names.insert(out->sets.back().name).second) {
        s.Child("name").Fail("the set name \"" + out->sets.back().name + "\" is used twice");
      }
    }
    if (out->sets.empty()) sets.Fail("expected at least one set");
  }
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

}  // namespace config_detail
}  // namespace freshet
