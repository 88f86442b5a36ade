// The config's evaluation: and gate: sections: defaults, every key, and errors that name the key.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "freshet/config.hpp"
#include "freshet/error.hpp"

namespace freshet {
namespace {

constexpr char kBase[] = R"(
model: churn
data: {landing: landing, label: y}
features:
  - {column: x, type: numeric}
  - {column: country, type: categorical, ops: [vocab]}
)";

Config Parse(const std::string& extra, const std::string& task = "binary") {
  return ParseConfig(std::string(kBase) + "task: " + task + "\n" + extra, "/cfg/churn.yaml");
}

// The ConfigError message of parsing `extra`, "" when it parses.
std::string Error(const std::string& extra, const std::string& task = "binary") {
  try {
    Parse(extra, task);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigEval, Defaults) {
  const Config c = Parse("");
  const EvaluationConfig& e = c.evaluation;
  EXPECT_EQ(e.primary_metric, "auc");
  EXPECT_EQ(e.threshold, 0.5);
  EXPECT_EQ(e.bootstrap.resamples, 1000);
  EXPECT_EQ(e.bootstrap.confidence, 0.95);
  ASSERT_EQ(e.sets.size(), 1u);
  EXPECT_EQ(e.sets[0].name, "latest");
  EXPECT_EQ(e.primary_set, "latest");
  EXPECT_EQ(e.cv_folds, 0);
  EXPECT_EQ(e.seeds, 0);
  const GateConfig& g = c.gate;
  EXPECT_TRUE(g.enabled);
  ASSERT_EQ(g.rules.size(), 2u);
  EXPECT_EQ(g.rules[0].name, "auc vs champion");
  EXPECT_EQ(g.rules[0].kind, "min_change");
  EXPECT_EQ(g.rules[0].bound, "upper");
  EXPECT_EQ(g.rules[0].threshold, -0.005);
  EXPECT_TRUE(g.rules[0].relative);
  EXPECT_EQ(g.rules[1].against, "fallback");
  ASSERT_EQ(g.first_run.size(), 1u);
  EXPECT_EQ(g.first_run[0].against, "fallback");
  EXPECT_EQ(g.fallback_channel, "previous_champion");
  EXPECT_TRUE(g.stages.empty());
  EXPECT_EQ(Parse("", "multiclass").evaluation.primary_metric, "log_loss");
  EXPECT_EQ(Parse("", "regression").evaluation.primary_metric, "rmse");
  // Without the bootstrap the default rules are on the point estimate.
  EXPECT_EQ(Parse("evaluation: {bootstrap: {resamples: 0}}\n").gate.rules[0].bound, "point");
}

TEST(ConfigEval, EveryKey) {
  const Config c = Parse(R"(
evaluation:
  primary_metric: pr_auc
  threshold: 0.3
  calibration_bins: 15
  bootstrap: {resamples: 200, seed: 9, confidence: 0.9}
  sets:
    - {name: latest}
    - {name: golden, files: [golden/a.h5, {path: /abs/b.csv, sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}]}
  primary_set: golden
  slices:
    - {column: country, top: 3}
    - {column: x, boundaries: [0, 10]}
    - {column: tenure, quantiles: 5}
  min_slice_rows: 50
  product_metrics:
    - {name: value, payoff: {tp: 10, fp: -1, fn: loss, tn: 0}}
    - {name: top5, top_fraction: 0.05, measure: recall}
    - {name: auc_rev, metric: auc, weight_column: revenue}
  cross_validation: {folds: 4}
  seeds: 2
  curve_points: 50
gate:
  rules:
    - {name: must beat, metric: pr_auc, against: champion, min_change: 0.001, bound: lower, set: latest, relative: true}
    - {metric: ece, max: 0.05}
    - {min: 0.6}
    - {metric: auc, max_slice_drop: 0.02, against: fallback}
    - {metric: value, min_change: 0}
  first_run:
    - {metric: auc, against: fallback, min_change: 0.01}
  fallback_channel: none
  stages: [shadow, canary]
  shadow: {min_rows: 500, max_flip_rate: 0.1, max_score_psi: 0.2, max_metric_drop: 0.01}
)");
  const EvaluationConfig& e = c.evaluation;
  EXPECT_EQ(e.primary_metric, "pr_auc");
  EXPECT_EQ(e.threshold, 0.3);
  EXPECT_EQ(e.calibration_bins, 15);
  EXPECT_EQ(e.bootstrap.resamples, 200);
  EXPECT_EQ(e.bootstrap.seed, 9u);
  EXPECT_EQ(e.bootstrap.confidence, 0.9);
  ASSERT_EQ(e.sets.size(), 2u);
  EXPECT_EQ(e.sets[1].files[0], "/cfg/golden/a.h5");
  EXPECT_EQ(e.sets[1].sha256[0], "");
  EXPECT_EQ(e.sets[1].files[1], "/abs/b.csv");
  EXPECT_EQ(e.sets[1].sha256[1].size(), 64u);
  EXPECT_EQ(e.primary_set, "golden");
  ASSERT_EQ(e.slices.size(), 3u);
  EXPECT_FALSE(e.slices[0].numeric);
  EXPECT_EQ(e.slices[0].top, 3);
  EXPECT_EQ(e.slices[1].boundaries, (std::vector<double>{0, 10}));
  EXPECT_EQ(e.slices[2].quantiles, 5);
  EXPECT_EQ(e.min_slice_rows, 50);
  ASSERT_EQ(e.product_metrics.size(), 3u);
  EXPECT_EQ(e.product_metrics[0].kind, "payoff");
  EXPECT_EQ(e.product_metrics[0].tp.constant, 10);
  EXPECT_EQ(e.product_metrics[0].fn.column, "loss");
  EXPECT_EQ(e.product_metrics[1].kind, "top_fraction");
  EXPECT_EQ(e.product_metrics[1].measure, "recall");
  EXPECT_EQ(e.product_metrics[2].kind, "weighted");
  EXPECT_EQ(e.cv_folds, 4);
  EXPECT_EQ(e.seeds, 2);
  EXPECT_EQ(e.curve_points, 50);
  const GateConfig& g = c.gate;
  ASSERT_EQ(g.rules.size(), 5u);
  EXPECT_EQ(g.rules[0].name, "must beat");
  EXPECT_EQ(g.rules[0].bound, "lower");
  EXPECT_TRUE(g.rules[0].relative);
  EXPECT_EQ(g.rules[0].set, "latest");
  EXPECT_EQ(g.rules[1].kind, "max_value");
  EXPECT_EQ(g.rules[1].set, "golden");  // the primary set
  EXPECT_EQ(g.rules[2].kind, "min_value");
  EXPECT_EQ(g.rules[2].metric, "pr_auc");  // "primary"
  EXPECT_EQ(g.rules[3].kind, "max_slice_drop");
  EXPECT_EQ(g.rules[3].against, "fallback");
  EXPECT_EQ(g.rules[4].against, "champion");
  EXPECT_EQ(g.first_run[0].threshold, 0.01);
  EXPECT_EQ(g.fallback_channel, "none");
  EXPECT_EQ(g.stages, (std::vector<std::string>{"shadow", "canary"}));
  EXPECT_EQ(g.shadow.min_rows, 500);
  EXPECT_EQ(g.shadow.max_flip_rate, 0.1);
  // The evaluation's own columns are read from every partition.
  std::vector<std::string> cols;
  for (const auto& r : c.Columns()) cols.push_back(r.name);
  for (const char* name : {"tenure", "loss", "revenue"}) {
    EXPECT_NE(std::find(cols.begin(), cols.end(), name), cols.end()) << name;
  }
  EXPECT_EQ(cols.back(), "y");
  // The resolved config parses back to itself.
  const nlohmann::json j = ConfigToJson(c);
  EXPECT_EQ(ConfigToJson(ParseConfig(j.dump(), "/cfg/churn.yaml")), j);
}

TEST(ConfigEval, GateFalseTurnsItOff) {
  EXPECT_FALSE(Parse("gate: false\n").gate.enabled);
  EXPECT_FALSE(Parse("gate: {enabled: false}\n").gate.enabled);
}

TEST(ConfigEval, ErrorsNameTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"evaluation: {primary_metric: rmse}\n",
       "evaluation.primary_metric: \"rmse\" is not a metric"},
      {"evaluation: {threshold: 2}\n", "evaluation.threshold: expected a number in [0, 1]"},
      {"evaluation: {bootstrap: {confidence: 1}}\n", "evaluation.bootstrap.confidence"},
      {"evaluation: {sets: [{name: a, files: []}]}\n", "evaluation.sets[0].files"},
      {"evaluation: {sets: [{name: latest}, {name: latest}]}\n", "is used twice"},
      {"evaluation: {sets: [{name: g, files: [{path: a.h5, sha256: xyz}]}]}\n",
       "evaluation.sets[0].files[0].sha256: expected 64 lowercase hex digits"},
      {"evaluation: {primary_set: golden}\n", "evaluation.primary_set: no evaluation set"},
      {"evaluation: {slices: [{column: x, boundaries: [2, 1]}]}\n",
       "evaluation.slices[0].boundaries: expected strictly increasing"},
      {"evaluation: {slices: [{column: x, boundaries: [1], quantiles: 4}]}\n", "not both"},
      {"evaluation: {slices: [{column: y}]}\n",
       "evaluation.slices[0].column: the label column y cannot be a slice"},
      {"evaluation: {product_metrics: [{name: v}]}\n",
       "evaluation.product_metrics[0]: expected exactly one"},
      {"evaluation: {product_metrics: [{name: auc, top_fraction: 0.1}]}\n",
       "evaluation.product_metrics[0].name: \"auc\" is the name of a task metric"},
      {"evaluation: {product_metrics: [{name: v, top_fraction: 0}]}\n",
       "evaluation.product_metrics[0].top_fraction"},
      {"evaluation: {product_metrics: [{name: v, metric: rmse, weight_column: w}]}\n",
       "evaluation.product_metrics[0].metric: \"rmse\""},
      {"evaluation: {cross_validation: {folds: 1}}\n", "evaluation.cross_validation.folds"},
      {"evaluation: {bogus: 1}\n", "evaluation.bogus: unknown key"},
      {"gate: {rules: [{metric: auc}]}\n", "gate.rules[0]: expected exactly one of min_change"},
      {"gate: {rules: [{metric: auc, min: 1, max: 2}]}\n", "gate.rules[0]: expected exactly one"},
      {"gate: {rules: [{metric: nope, min: 1}]}\n", "gate.rules[0].metric: \"nope\" is neither"},
      {"gate: {rules: [{metric: auc, min: 1, against: champion}]}\n",
       "gate.rules[0].against: only for min_change"},
      {"gate: {rules: [{metric: auc, min_change: 0, against: boss}]}\n",
       "gate.rules[0].against: expected one of champion, fallback"},
      {"gate: {rules: [{metric: auc, min_change: 0, bound: mid}]}\n", "gate.rules[0].bound"},
      {"gate: {rules: [{metric: auc, min: 0.5, relative: true}]}\n",
       "gate.rules[0].relative: only for min_change"},
      {"gate: {rules: [{metric: auc, min_change: 0, set: golden}]}\n",
       "gate.rules[0].set: no evaluation set"},
      {"gate: {rules: [{metric: auc, max_slice_drop: -1}]}\n", "gate.rules[0].max_slice_drop"},
      {"evaluation: {bootstrap: {resamples: 0}}\ngate: {rules: [{min_change: 0, bound: lower}]}\n",
       "gate.rules[0].bound: lower needs the bootstrap"},
      {"gate: {first_run: [{min_change: 0}]}\n",
       "gate.first_run[0].against: a first run has no champion"},
      {"gate: {stages: [champion]}\n", "gate.stages[0]: \"champion\" is not a stage"},
      {"gate: {stages: [shadow, shadow]}\n",
       "gate.stages[1]: the stage \"shadow\" is listed twice"},
      {"gate: {fallback_channel: newest}\n", "gate.fallback_channel: expected one of"},
      {"gate: {shadow: {max_flip_rate: 2}}\n", "gate.shadow.max_flip_rate"},
  };
  for (const auto& [extra, want] : cases) {
    const std::string got = Error(extra);
    EXPECT_NE(got.find(want), std::string::npos) << extra << " gave: " << got;
    EXPECT_EQ(got.rfind("/cfg/churn.yaml: ", 0), 0u) << got;
  }
  EXPECT_NE(Error("evaluation: {product_metrics: [{name: v, top_fraction: 0.1}]}\n", "regression")
                .find("top_fraction is for a binary task"),
            std::string::npos);
}

}  // namespace
}  // namespace freshet
