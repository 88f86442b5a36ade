// EvaluateSet (the three-way comparison of one evaluation set), its slices, product metrics and
// curves, EvalLabels / EvalWeights and VarianceSummary.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "freshet/comparison.hpp"
#include "freshet/error.hpp"
#include "freshet/metrics.hpp"

namespace freshet {
namespace {

using Json = nlohmann::json;

Config BinaryConfig(const std::string& extra = "") {
  return ParseConfig(R"(
model: churn
data: {landing: landing, label: y}
features:
  - {column: x, type: numeric}
  - {column: country, type: categorical, ops: [vocab]}
evaluation:
  bootstrap: {resamples: 50, seed: 5}
  min_slice_rows: 20
  slices:
    - {column: country, top: 2}
    - {column: x, boundaries: [0.0]}
  product_metrics:
    - {name: value, payoff: {tp: 10, fp: -1, fn: gain, tn: 0}}
    - {name: top10, top_fraction: 0.1, measure: lift}
    - {name: auc_by_gain, metric: auc, weight_column: gain}
)" + extra,
                     "/tmp/compare/churn.yaml");
}

struct Data {
  Table table;
  std::vector<float> labels, a, b, c;
};

// 300 rows: x ~ N(0, 1), country in {DE, FR, IT, ""} (empty = missing), y ~ Bernoulli(sigmoid(x)),
// three noisy scores of different quality.
Data Make(uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  Data d;
  std::vector<double> x, y, gain;
  std::vector<std::string> country;
  std::vector<uint8_t> valid;
  const char* names[] = {"DE", "FR", "IT", ""};
  for (int i = 0; i < 300; ++i) {
    const double xi = normal(rng);
    const double p = 1 / (1 + std::exp(-2 * xi));
    const double yi = unif(rng) < p ? 1 : 0;
    x.push_back(xi);
    y.push_back(yi);
    gain.push_back(1 + (i % 5));
    const int k = static_cast<int>(unif(rng) * 4);
    country.push_back(names[k]);
    valid.push_back(k == 3 ? 0 : 1);
    d.labels.push_back(static_cast<float>(yi));
    const auto score = [&](double noise) {
      return static_cast<float>(1 / (1 + std::exp(-(2 * xi + noise * normal(rng)))));
    };
    d.a.push_back(score(0.5));
    d.b.push_back(score(1.5));
    d.c.push_back(score(3.0));
  }
  d.table.columns.push_back(NumericColumn("x", DType::kF64, x));
  d.table.columns.push_back(StringColumn("country", country, valid));
  d.table.columns.push_back(NumericColumn("gain", DType::kF64, gain));
  d.table.columns.push_back(NumericColumn("y", DType::kF64, y));
  return d;
}

std::vector<ModelScores> Models(const Data& d) {
  return {{"challenger", "v000003", d.a, 1, ""},
          {"champion", "v000002", d.b, 1, ""},
          {"fallback", "v000003", d.c, 1, ""}};
}

TEST(EvaluateSet, MetricsComparisonsAndIntervalsOfTheThreeModels) {
  const Config config = BinaryConfig();
  const Data d = Make();
  const Json set = EvaluateSet(config, 0, {"latest", {}, d.table}, Models(d));
  EXPECT_EQ(set["name"], "latest");
  EXPECT_EQ(set["rows"], 300);
  const Json want_a = TaskMetrics(Task::kBinary, 0, d.a, d.labels);
  EXPECT_EQ(set["models"]["challenger"]["metrics"], want_a);
  EXPECT_EQ(set["models"]["champion"]["version"], "v000002");
  for (const char* other : {"champion", "fallback"}) {
    const std::vector<float>& o = std::string(other) == "champion" ? d.b : d.c;
    for (const std::string& m : TaskMetricNames(Task::kBinary)) {
      const Json& c = set["comparisons"][other][m];
      const double a = MetricValue(m, Task::kBinary, 0, d.a, d.labels);
      const double b = MetricValue(m, Task::kBinary, 0, o, d.labels);
      EXPECT_DOUBLE_EQ(c["delta"].get<double>(), a - b) << other << " " << m;
      EXPECT_DOUBLE_EQ(c["improvement"].get<double>(), HigherIsBetter(m) ? a - b : b - a);
      const BootstrapInterval bi =
          PairedBootstrap(m, Task::kBinary, 0, d.a, o, d.labels, {}, 50, 5, 0.95);
      EXPECT_DOUBLE_EQ(c["lower"].get<double>(), bi.lower) << m;
      EXPECT_DOUBLE_EQ(c["upper"].get<double>(), bi.upper) << m;
      EXPECT_DOUBLE_EQ(c["improvement_lower"].get<double>(),
                       HigherIsBetter(m) ? bi.lower : -bi.upper);
      EXPECT_EQ(c["resamples"].get<int>() + c["dropped"].get<int>(), 50);
    }
  }
  // The better model wins on AUC, with an interval above 0 at this sample size.
  EXPECT_GT(set["comparisons"]["fallback"]["auc"]["improvement_lower"].get<double>(), 0);
}

TEST(EvaluateSet, ProductMetrics) {
  const Config config = BinaryConfig();
  const Data d = Make();
  const Json set = EvaluateSet(config, 0, {"latest", {}, d.table}, Models(d));
  std::vector<float> gain;
  for (int i = 0; i < 300; ++i) gain.push_back(static_cast<float>(1 + i % 5));
  Payoff pay{{10.0f}, {-1.0f}, gain, {0.0f}};
  const Json& pm = set["models"]["champion"]["product_metrics"];
  EXPECT_DOUBLE_EQ(pm["value"].get<double>(), ExpectedValue(d.b, d.labels, {}, 0.5, pay));
  EXPECT_DOUBLE_EQ(pm["top10"].get<double>(), TopFractionMetrics(d.b, d.labels, {}, 0.1).lift);
  EXPECT_DOUBLE_EQ(pm["auc_by_gain"].get<double>(), RocAuc(d.b, d.labels, gain));
  const Json& c = set["comparisons"]["champion"]["value"];
  EXPECT_DOUBLE_EQ(c["delta"].get<double>(),
                   set["models"]["challenger"]["product_metrics"]["value"].get<double>() -
                       pm["value"].get<double>());
  EXPECT_LE(c["lower"].get<double>(), c["upper"].get<double>());
}

TEST(EvaluateSet, SlicesByCategoryAndBucket) {
  const Config config = BinaryConfig();
  const Data d = Make();
  const Json set = EvaluateSet(config, 0, {"latest", {}, d.table}, Models(d));
  const Json& slices = set["slices"];
  // country: the two largest categories and the missing rows; x: two buckets.
  int categories = 0, missing = 0, buckets = 0;
  int64_t bucket_rows = 0;
  for (const Json& s : slices) {
    EXPECT_GE(s["rows"].get<int64_t>(), 20);
    const std::string kind = s["kind"];
    categories += kind == "category";
    missing += kind == "missing";
    if (kind == "bucket") {
      ++buckets;
      bucket_rows += s["rows"].get<int64_t>();
      EXPECT_TRUE(s["value"] == "< 0" || s["value"] == ">= 0") << s["value"];
    }
    ASSERT_TRUE(s["metrics"].contains("champion"));
    const double imp = s["improvement"]["champion"].get<double>();
    EXPECT_DOUBLE_EQ(imp, s["metrics"]["challenger"]["auc"].get<double>() -
                              s["metrics"]["champion"]["auc"].get<double>());
  }
  EXPECT_EQ(categories, 2);
  EXPECT_EQ(missing, 1);
  EXPECT_EQ(buckets, 2);
  EXPECT_EQ(bucket_rows, 300);
  // A slice's metrics are those of its rows.
  std::vector<float> y, p;
  const Column* x = d.table.Find("x");
  for (int64_t i = 0; i < 300; ++i) {
    if (x->as_double(i) < 0) y.push_back(d.labels[i]), p.push_back(d.a[i]);
  }
  for (const Json& s : slices) {
    if (s["value"] == "< 0") {
      EXPECT_DOUBLE_EQ(s["metrics"]["challenger"]["auc"].get<double>(), RocAuc(p, y));
    }
  }
}

TEST(EvaluateSet, CurvesForABinaryTask) {
  const Data d = Make();
  const Json set = EvaluateSet(BinaryConfig(), 0, {"latest", {}, d.table}, Models(d));
  for (const char* role : {"challenger", "champion", "fallback"}) {
    const Json& c = set["curves"][role];
    ASSERT_TRUE(c["roc"].is_array());
    EXPECT_EQ(c["roc"].front(), Json::array({0.0, 0.0}));
    EXPECT_EQ(c["roc"].back(), Json::array({1.0, 1.0}));
    EXPECT_FALSE(c["pr"].empty());
    EXPECT_FALSE(c["calibration"].empty());
  }
}

TEST(EvaluateSet, AModelThatCouldNotBeScoredHasNoComparison) {
  const Data d = Make();
  auto models = Models(d);
  models[1].preds.clear();
  models[1].error = "needs column \"tenure\"";
  const Json set = EvaluateSet(BinaryConfig(), 0, {"latest", {}, d.table}, models);
  EXPECT_EQ(set["models"]["champion"]["error"], "needs column \"tenure\"");
  EXPECT_FALSE(set["comparisons"].contains("champion"));
  EXPECT_TRUE(set["comparisons"].contains("fallback"));
  EXPECT_FALSE(set["curves"].contains("champion"));
}

TEST(EvaluateSet, WrongSizedScoresBecomeAnError) {
  const Data d = Make();
  auto models = Models(d);
  models[2].preds.resize(10);
  const Json set = EvaluateSet(BinaryConfig(), 0, {"latest", {}, d.table}, models);
  EXPECT_NE(set["models"]["fallback"]["error"].get<std::string>().find("10 values for 300 rows"),
            std::string::npos);
}

TEST(EvaluateSet, MulticlassPadsAModelWithFewerClasses) {
  const Config config = ParseConfig(R"(
model: m
task: multiclass
data: {landing: landing, label: y}
features: [{column: x, type: numeric}]
evaluation: {bootstrap: {resamples: 10}}
)",
                                    "/tmp/compare/m.yaml");
  Table t;
  t.columns.push_back(NumericColumn("x", DType::kF64, std::vector<double>{0, 1, 2, 3}));
  t.columns.push_back(NumericColumn("y", DType::kF64, std::vector<double>{0, 1, 2, 1}));
  const std::vector<float> three = {0.8f, 0.1f, 0.1f, 0.1f, 0.8f, 0.1f,
                                    0.1f, 0.1f, 0.8f, 0.2f, 0.7f, 0.1f};
  const std::vector<float> two = {0.9f, 0.1f, 0.2f, 0.8f, 0.5f, 0.5f, 0.3f, 0.7f};
  const Json set =
      EvaluateSet(config, 3, {"latest", {}, t},
                  {{"challenger", "v2", three, 3, ""}, {"champion", "v1", two, 2, ""}});
  std::vector<float> padded = {0.9f, 0.1f, 0, 0.2f, 0.8f, 0, 0.5f, 0.5f, 0, 0.3f, 0.7f, 0};
  EXPECT_DOUBLE_EQ(set["models"]["champion"]["metrics"]["accuracy"].get<double>(),
                   MulticlassAccuracy(padded, 3, {0, 1, 2, 1}));
  EXPECT_DOUBLE_EQ(set["models"]["challenger"]["metrics"]["accuracy"].get<double>(), 1.0);
  EXPECT_FALSE(set.contains("curves"));
}

TEST(EvaluateSet, MulticlassChecksSizesBeforePaddingAndLabelsAgainstTheClasses) {
  const Config config = ParseConfig(R"(
model: m
task: multiclass
data: {landing: landing, label: y}
features: [{column: x, type: numeric}]
evaluation: {bootstrap: {resamples: 0}}
)",
                                    "/tmp/compare/m.yaml");
  Table t;
  t.columns.push_back(NumericColumn("x", DType::kF64, std::vector<double>{0, 1}));
  t.columns.push_back(NumericColumn("y", DType::kF64, std::vector<double>{0, 2}));
  const std::vector<float> three = {0.8f, 0.1f, 0.1f, 0.1f, 0.1f, 0.8f};
  const Json set = EvaluateSet(config, 3, {"golden", {}, t},
                               {{"challenger", "v2", three, 3, ""},
                                {"champion", "v1", {0.5f, 0.5f, 0.5f}, 2, ""}});  // 3 of 4 values
  EXPECT_NE(set["models"]["champion"]["error"].get<std::string>().find("3 values for 2 rows"),
            std::string::npos);
  t.columns[1].mutable_values<double>()[1] = 5;
  try {
    EvaluateSet(config, 3, {"golden", {}, t}, {{"challenger", "v2", three, 3, ""}});
    FAIL() << "a label beyond the classes was accepted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("evaluation set golden: label column \"y\", row 1"),
              std::string::npos)
        << e.what();
  }
}

TEST(EvalWeights, NamesTheColumnAndTheRow) {
  const Config config = BinaryConfig("train: {weight_column: gain}\n");
  Data d = Make();
  EXPECT_EQ(EvalWeights(config, d.table).size(), 300u);
  d.table.columns[2].mutable_values<double>()[7] = -1;
  try {
    EvalWeights(config, d.table);
    FAIL() << "a negative weight was accepted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("weight column \"gain\", row 7"), std::string::npos)
        << e.what();
  }
  // The payoff column is checked too (finite), by EvaluateSet.
  d = Make();
  d.table.columns[2].mutable_values<double>()[3] = NAN;
  EXPECT_THROW(EvaluateSet(BinaryConfig(), 0, {"latest", {}, d.table}, Models(d)), DataError);
}

TEST(EvaluateSet, WeightsCountAsRepeatedRows) {
  const Config config = BinaryConfig("train: {weight_column: gain}\n");
  const Data d = Make();
  const Json set = EvaluateSet(config, 0, {"latest", {}, d.table}, Models(d));
  std::vector<float> w;
  for (int i = 0; i < 300; ++i) w.push_back(static_cast<float>(1 + i % 5));
  EXPECT_DOUBLE_EQ(set["models"]["challenger"]["metrics"]["log_loss"].get<double>(),
                   LogLoss(d.a, d.labels, w));
  EXPECT_DOUBLE_EQ(set["weight"].get<double>(), 900.0);
}

TEST(KFoldRows, PartitionTheRowsSeeded) {
  const auto folds = KFoldRows(103, 5, 42);
  ASSERT_EQ(folds.size(), 5u);
  std::vector<int> seen(103, 0);
  for (const auto& f : folds) {
    EXPECT_TRUE(f.size() == 20 || f.size() == 21) << f.size();
    EXPECT_TRUE(std::is_sorted(f.begin(), f.end()));
    for (int64_t r : f) ++seen[static_cast<size_t>(r)];
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), 103);
  EXPECT_EQ(KFoldRows(103, 5, 42), folds);
  EXPECT_NE(KFoldRows(103, 5, 43), folds);
  EXPECT_THROW(KFoldRows(10, 1, 0), Error);
}

TEST(VarianceSummary, MeanAndSampleStd) {
  const Json s = VarianceSummary(
      {{{"auc", 0.7}, {"f1", nullptr}}, {{"auc", 0.8}, {"f1", 0.5}}, {{"auc", 0.9}, {"f1", 0.7}}});
  EXPECT_EQ(s["runs"], 3);
  EXPECT_NEAR(s["metrics"]["auc"]["mean"].get<double>(), 0.8, 1e-12);
  EXPECT_NEAR(s["metrics"]["auc"]["std"].get<double>(), 0.1, 1e-12);
  EXPECT_NEAR(s["metrics"]["f1"]["mean"].get<double>(), 0.6, 1e-12);
  EXPECT_EQ(s["metrics"]["f1"]["values"].size(), 3u);
  EXPECT_TRUE(VarianceSummary({{{"auc", 0.7}}})["metrics"]["auc"]["std"].is_null());
}

}  // namespace
}  // namespace freshet
