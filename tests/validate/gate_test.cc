// The data gate (src/validate/gate*.cc, drift.cc): each anomaly raised by a crafted partition and
// not by a clean one; severities from the config; drift values reported whether or not they alarm.
#include "freshet/data_gate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

using testing::TempDir;

constexpr char kConfig[] = R"(model: m
data: {landing: landing, label: y}
features:
  - {column: age, type: numeric}
  - {column: income, type: numeric}
  - {column: country, type: categorical, ops: [{vocab: {}}]}
)";

struct Rows {
  std::vector<double> age, income;
  std::vector<std::string> country;
  std::vector<int32_t> y;
};

// Clean rows: age ~ N(40, 10) within [18, 90], income ~ N(5e4, 1e4), 5 countries, y ~ 30 % ones.
Rows Clean(int n, uint32_t seed, double age_shift = 0, double p1 = 0.3) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  const char* countries[] = {"de", "fr", "it", "es", "nl"};
  Rows r;
  for (int i = 0; i < n; ++i) {
    r.age.push_back(std::min(90.0, std::max(18.0, 40 + age_shift + 10 * g(rng))));
    r.income.push_back(5e4 + 1e4 * g(rng));
    r.country.push_back(countries[static_cast<int>(u(rng) * 5) % 5]);
    r.y.push_back(u(rng) < p1 ? 1 : 0);
  }
  return r;
}

Table ToTable(const Rows& r) {
  Table t;
  t.columns.push_back(NumericColumn("age", DType::kF64, r.age));
  t.columns.push_back(NumericColumn("income", DType::kF64, r.income));
  t.columns.push_back(StringColumn("country", r.country));
  t.columns.push_back(NumericColumn("y", DType::kI32, r.y));
  return t;
}

class GateTest : public ::testing::Test {
 protected:
  GateTest() : config_(ParseConfig(kConfig, dir_ / "m.yaml")) {}

  InputFile Write(const std::string& name, const std::string& role, const Table& t) {
    InputFile in;
    in.path = dir_ / name;
    in.role = role;
    WriteHdf5(in.path, t);
    in.sha256 = Sha256File(in.path);
    return in;
  }

  // A first run on clean rows: the reference profile and the schema inferred from it.
  void SetUp() override {
    std::vector<InputFile> inputs = {Write("train.h5", "train", ToTable(Clean(2000, 1))),
                                     Write("eval.h5", "eval", ToTable(Clean(1500, 2)))};
    DataGate gate(config_, std::nullopt, GateReference{});
    const RunTables t = gate.Read(&inputs, {true, true}, true);
    gate.Check(t, Device{});
    ASSERT_EQ(gate.status(), Severity::kOff) << gate.Summary();
    schema_ = gate.schema();
    reference_.profile = gate.train_profile();
    reference_.name = "v000001";
    reference_.recent_rows = {2000, 1500};
  }

  // Runs the gate on one fresh evaluation partition against the reference.
  DataGate Fresh(const Table& t, const Config* config = nullptr) {
    std::vector<InputFile> inputs = {Write("fresh.h5", "eval", t)};
    DataGate gate(config ? *config : config_, schema_, reference_);
    const RunTables tables = gate.Read(&inputs, {true}, true);
    if (gate.status() != Severity::kFail) gate.Check(tables, Device{});
    return gate;
  }

  static const Anomaly* Find(const DataGate& g, const std::string& name,
                             const std::string& column = "") {
    for (const auto& a : g.anomalies()) {
      if (a.name == name && (column.empty() || a.column == column)) return &a;
    }
    return nullptr;
  }

  TempDir dir_;
  Config config_;
  Schema schema_;
  GateReference reference_;
};

TEST_F(GateTest, CleanPartitionPasses) {
  const DataGate g = Fresh(ToTable(Clean(1000, 3)));
  EXPECT_EQ(g.status(), Severity::kOff) << g.Summary();
  // Every drift value is reported, alarm or not.
  const auto report = g.Report();
  ASSERT_TRUE(report["drift"].is_object());
  const auto& age = report["drift"]["columns"]["age"];
  EXPECT_EQ(age["status"], "ok");
  EXPECT_EQ(age["method"], "wasserstein");  // reference > 1000 rows, many values
  for (const char* s : {"psi", "ks", "wasserstein", "jensenshannon"}) {
    EXPECT_TRUE(age["stats"].contains(s)) << s;
  }
  const auto& country = report["drift"]["columns"]["country"];
  EXPECT_EQ(country["method"], "jensenshannon");
  for (const char* s : {"chi2_contingency", "jensenshannon", "linf", "psi"}) {
    EXPECT_TRUE(country["stats"].contains(s)) << s;
  }
  EXPECT_EQ(report["status"], "pass");
}

TEST_F(GateTest, SchemaInferredFromTrainingRows) {
  const ColumnSchema* age = schema_.Find("age");
  ASSERT_NE(age, nullptr);
  EXPECT_TRUE(age->has_range);
  EXPECT_GE(age->min, 18);
  EXPECT_LE(age->max, 90);
  EXPECT_EQ(age->max_missing_fraction, 0);
  const ColumnSchema* country = schema_.Find("country");
  ASSERT_NE(country, nullptr);
  EXPECT_TRUE(country->has_domain);
  EXPECT_EQ(country->domain.size(), 5u);
  // The YAML round trip keeps every rule.
  const Schema back = ParseSchema(SchemaToYaml(schema_), "schema.yaml");
  ASSERT_EQ(back.columns.size(), schema_.columns.size());
  EXPECT_EQ(back.Find("age")->min, age->min);
  EXPECT_EQ(back.Find("age")->max, age->max);
  EXPECT_EQ(back.Find("country")->domain, country->domain);
}

TEST_F(GateTest, SchemaParseErrorsNameTheKey) {
  try {
    ParseSchema("format: freshet.schema/1\nmodel: m\nlabel: y\ncolumns:\n  age: {type: numbr}\n",
                "/r/m/schema.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/r/m/schema.yaml: columns.age.type"), std::string::npos)
        << e.what();
  }
}

TEST_F(GateTest, MissingColumn) {
  Table t = ToTable(Clean(500, 4));
  t.columns.erase(t.columns.begin() + 1);  // income
  const DataGate g = Fresh(t);
  const Anomaly* a = Find(g, "SCHEMA_MISSING_COLUMN", "income");
  ASSERT_NE(a, nullptr) << g.Summary();
  EXPECT_EQ(a->severity, Severity::kFail);
  EXPECT_NE(a->message.find("fresh.h5"), std::string::npos);
}

TEST_F(GateTest, NewColumn) {
  Table t = ToTable(Clean(500, 5));
  t.columns.push_back(NumericColumn("extra", DType::kF64, std::vector<double>(500, 1.0)));
  const DataGate g = Fresh(t);
  const Anomaly* a = Find(g, "SCHEMA_NEW_COLUMN", "extra");
  ASSERT_NE(a, nullptr) << g.Summary();
  EXPECT_EQ(a->severity, Severity::kWarn);
  EXPECT_NE(g.status(), Severity::kFail);
  // A column the schema lists as unused is not new.
  schema_.other_columns = {"extra"};
  EXPECT_EQ(Find(Fresh(t), "SCHEMA_NEW_COLUMN"), nullptr);
}

TEST_F(GateTest, TypeMismatch) {
  Rows r = Clean(500, 6);
  Table t = ToTable(r);
  std::vector<std::string> ages;
  for (double a : r.age) ages.push_back(std::to_string(a));
  t.columns[0] = StringColumn("age", ages);
  const DataGate g = Fresh(t);
  const Anomaly* a = Find(g, "UNEXPECTED_DATA_TYPE", "age");
  ASSERT_NE(a, nullptr) << g.Summary();
  EXPECT_EQ(a->severity, Severity::kFail);
  // Stored as integers where the schema says floats: a warning.
  Table ti = ToTable(r);
  std::vector<int64_t> whole;
  for (double a : r.age) whole.push_back(static_cast<int64_t>(a));
  ti.columns[0] = NumericColumn("age", DType::kI64, whole);
  const DataGate gi = Fresh(ti);
  const Anomaly* ai = Find(gi, "UNEXPECTED_DATA_TYPE", "age");
  ASSERT_NE(ai, nullptr) << gi.Summary();
  EXPECT_EQ(ai->severity, Severity::kWarn);
}

TEST_F(GateTest, MissingFractionAndNan) {
  Rows r = Clean(1000, 7);
  for (int i = 0; i < 300; ++i) r.income[i] = NAN;
  const DataGate g = Fresh(ToTable(r));
  // income had no missing values: any missing is FLOAT_TYPE_HAS_NAN.
  ASSERT_NE(Find(g, "FLOAT_TYPE_HAS_NAN", "income"), nullptr) << g.Summary();
  // A column the schema allows 10 % missing in.
  schema_.columns[1].max_missing_fraction = 0.1;
  const DataGate g2 = Fresh(ToTable(r));
  ASSERT_NE(Find(g2, "FEATURE_TYPE_LOW_FRACTION_PRESENT", "income"), nullptr) << g2.Summary();
  schema_.columns[1].max_missing_fraction = 0.5;
  EXPECT_EQ(Find(Fresh(ToTable(r)), "FEATURE_TYPE_LOW_FRACTION_PRESENT", "income"), nullptr);
}

TEST_F(GateTest, OutOfRange) {
  Rows r = Clean(1000, 8);
  for (int i = 0; i < 50; ++i) r.age[i] = 1000 + i;
  for (int i = 50; i < 70; ++i) r.age[i] = -5;
  const DataGate g = Fresh(ToTable(r));
  ASSERT_NE(Find(g, "FLOAT_TYPE_BIG_FLOAT", "age"), nullptr) << g.Summary();
  ASSERT_NE(Find(g, "FLOAT_TYPE_SMALL_FLOAT", "age"), nullptr) << g.Summary();
  // One stray value is under the default tolerance of 0.1 %.
  Rows one = Clean(2000, 9);
  one.age[0] = 95;
  EXPECT_EQ(Find(Fresh(ToTable(one)), "FLOAT_TYPE_BIG_FLOAT", "age"), nullptr);
}

TEST_F(GateTest, InfinityFails) {
  Rows r = Clean(500, 10);
  r.income[17] = INFINITY;
  const DataGate g = Fresh(ToTable(r));
  const Anomaly* a = Find(g, "FLOAT_TYPE_HAS_INF", "income");
  ASSERT_NE(a, nullptr) << g.Summary();
  EXPECT_EQ(a->severity, Severity::kFail);
  EXPECT_NE(a->message.find("row 17"), std::string::npos) << a->message;
}

TEST_F(GateTest, UnexpectedCategories) {
  Rows r = Clean(1000, 11);
  for (int i = 0; i < 100; ++i) r.country[i] = "xx";
  const DataGate g = Fresh(ToTable(r));
  ASSERT_NE(Find(g, "ENUM_TYPE_UNEXPECTED_STRING_VALUES", "country"), nullptr) << g.Summary();
  Rows few = Clean(1000, 12);
  few.country[0] = "xx";  // 0.1 %, under the 1 % threshold
  EXPECT_EQ(Find(Fresh(ToTable(few)), "ENUM_TYPE_UNEXPECTED_STRING_VALUES"), nullptr);
}

TEST_F(GateTest, RowCounts) {
  ASSERT_NE(Find(Fresh(ToTable(Clean(200, 13))), "DATASET_LOW_NUM_EXAMPLES"), nullptr);
  ASSERT_NE(Find(Fresh(ToTable(Clean(5000, 14))), "DATASET_HIGH_NUM_EXAMPLES"), nullptr);
  EXPECT_EQ(Find(Fresh(ToTable(Clean(1200, 15))), "DATASET_LOW_NUM_EXAMPLES"), nullptr);
}

TEST_F(GateTest, LabelDrift) {
  const DataGate g = Fresh(ToTable(Clean(1000, 16, 0, 0.6)));
  ASSERT_NE(Find(g, "LABEL_DRIFT", "y"), nullptr) << g.Summary();
  EXPECT_EQ(Find(g, "FEATURE_DRIFT"), nullptr) << g.Summary();
}

TEST_F(GateTest, DuplicateRows) {
  Rows r = Clean(500, 17);
  Rows d = r;
  for (int i = 0; i < 200; ++i) {
    d.age.push_back(r.age[i]);
    d.income.push_back(r.income[i]);
    d.country.push_back(r.country[i]);
    d.y.push_back(r.y[i]);
  }
  const DataGate g = Fresh(ToTable(d));
  const Anomaly* a = Find(g, "DUPLICATE_ROWS");
  ASSERT_NE(a, nullptr) << g.Summary();
  EXPECT_NEAR(a->value.get<double>(), 200.0 / 700.0, 1e-12);
  EXPECT_EQ(Find(Fresh(ToTable(r)), "DUPLICATE_ROWS"), nullptr);
}

TEST_F(GateTest, FeatureAndDatasetDrift) {
  Rows r = Clean(1000, 18, 15);  // age shifted by 1.5 standard deviations
  const DataGate g = Fresh(ToTable(r));
  const Anomaly* a = Find(g, "FEATURE_DRIFT", "age");
  ASSERT_NE(a, nullptr) << g.Summary();
  EXPECT_EQ(a->severity, Severity::kWarn);
  EXPECT_EQ(Find(g, "FEATURE_DRIFT", "income"), nullptr) << g.Summary();
  EXPECT_EQ(Find(g, "DATASET_DRIFT"), nullptr);  // 1 of 3 columns
  // Shift two of three columns: dataset drift, a warning by default...
  for (auto& x : r.income) x += 2e4;
  const DataGate g2 = Fresh(ToTable(r));
  const Anomaly* d = Find(g2, "DATASET_DRIFT");
  ASSERT_NE(d, nullptr) << g2.Summary();
  EXPECT_EQ(d->severity, Severity::kWarn);
  EXPECT_EQ(g2.Report()["drift"]["share"], 2.0 / 3.0);
  // ...and a failure where the config says so.
  Config c =
      ParseConfig(std::string(kConfig) + "validate: {drift_share: {fail: 0.5}}\n", dir_ / "m.yaml");
  const DataGate g3 = Fresh(ToTable(r), &c);
  const Anomaly* f = Find(g3, "DATASET_DRIFT");
  ASSERT_NE(f, nullptr) << g3.Summary();
  EXPECT_EQ(f->severity, Severity::kFail);
  EXPECT_NE(g3.FailureLine().find("DATASET_DRIFT"), std::string::npos);
}

TEST_F(GateTest, SeverityFromConfig) {
  Config c = ParseConfig(std::string(kConfig) +
                             "validate:\n  severity: {FEATURE_DRIFT: fail}\n"
                             "  columns: {income: {severity: {FEATURE_DRIFT: off}}}\n",
                         dir_ / "m.yaml");
  Rows r = Clean(1000, 19, 15);
  for (auto& x : r.income) x += 2e4;
  const DataGate g = Fresh(ToTable(r), &c);
  const Anomaly* a = Find(g, "FEATURE_DRIFT", "age");
  ASSERT_NE(a, nullptr) << g.Summary();
  EXPECT_EQ(a->severity, Severity::kFail);
  EXPECT_EQ(Find(g, "FEATURE_DRIFT", "income"), nullptr);
}

TEST_F(GateTest, DriftFailLevel) {
  Config c = ParseConfig(std::string(kConfig) +
                             "validate:\n  columns: {age: {drift: {method: psi, warn: 0.1, "
                             "fail: 0.5}}}\n",
                         dir_ / "m.yaml");
  const DataGate g = Fresh(ToTable(Clean(1000, 20, 25)), &c);
  const Anomaly* a = Find(g, "FEATURE_DRIFT", "age");
  ASSERT_NE(a, nullptr) << g.Summary();
  EXPECT_EQ(a->severity, Severity::kFail);
  EXPECT_EQ(g.Report()["drift"]["columns"]["age"]["method"], "psi");
}

TEST_F(GateTest, TooFewRowsDoNotDecide) {
  const DataGate g = Fresh(ToTable(Clean(10, 21, 30)));
  EXPECT_EQ(Find(g, "FEATURE_DRIFT"), nullptr) << g.Summary();
  EXPECT_EQ(g.Report()["drift"]["columns"]["age"]["status"], "insufficient_rows");
}

TEST_F(GateTest, FirstRunChecks) {
  // A training column missing in every row; a zero-row training partition; one-class evaluation.
  Rows train = Clean(500, 22);
  for (auto& x : train.income) x = NAN;
  Rows eval = Clean(100, 23);
  for (auto& y : eval.y) y = 0;
  std::vector<InputFile> inputs = {Write("t1.h5", "train", ToTable(train)),
                                   Write("t0.h5", "train", ToTable(Clean(0, 24))),
                                   Write("e.h5", "eval", ToTable(eval))};
  DataGate g(config_, std::nullopt, GateReference{});
  const RunTables t = g.Read(&inputs, {true, true, true}, true);
  g.Check(t, Device{});
  const Anomaly* empty = Find(g, "PARTITION_EMPTY");
  ASSERT_NE(empty, nullptr) << g.Summary();
  EXPECT_NE(empty->message.find("t0.h5"), std::string::npos) << empty->message;
  ASSERT_NE(Find(g, "FEATURE_TYPE_NOT_PRESENT", "income"), nullptr) << g.Summary();
  const Anomaly* single = Find(g, "LABEL_SINGLE_CLASS");
  ASSERT_NE(single, nullptr) << g.Summary();
  EXPECT_NE(single->message.find("e.h5"), std::string::npos) << single->message;
  EXPECT_EQ(g.status(), Severity::kFail);
}

TEST_F(GateTest, OptionalColumnIsReadAsMissing) {
  schema_.columns[1].required = false;  // income
  schema_.columns[1].max_missing_fraction = 1;
  Table t = ToTable(Clean(1000, 26));
  t.columns.erase(t.columns.begin() + 1);
  std::vector<InputFile> inputs = {Write("a.h5", "eval", ToTable(Clean(1000, 27))),
                                   Write("b.h5", "eval", t)};
  DataGate g(config_, schema_, reference_);
  const RunTables tables = g.Read(&inputs, {true, true}, true);
  const Anomaly* a = Find(g, "SCHEMA_MISSING_COLUMN", "income");
  ASSERT_NE(a, nullptr) << g.Summary();
  EXPECT_EQ(a->severity, Severity::kWarn);
  ASSERT_EQ(tables.eval.rows(), 2000);
  const Column* income = tables.eval.Find("income");
  ASSERT_NE(income, nullptr);
  EXPECT_TRUE(std::isnan(income->as_double(1500)));
  EXPECT_FALSE(std::isnan(income->as_double(10)));
}

TEST_F(GateTest, PartitionsOfTwoNumericWidthsAreJoined) {
  Rows r = Clean(800, 28);
  Table ints = ToTable(r);
  std::vector<int64_t> whole;
  for (double a : r.age) whole.push_back(static_cast<int64_t>(a));
  ints.columns[0] = NumericColumn("age", DType::kI64, whole);
  std::vector<InputFile> inputs = {Write("a.h5", "eval", ToTable(Clean(800, 29))),
                                   Write("b.h5", "eval", ints)};
  DataGate g(config_, schema_, reference_);
  const RunTables tables = g.Read(&inputs, {true, true}, true);
  EXPECT_NE(g.status(), Severity::kFail) << g.Summary();
  ASSERT_EQ(tables.eval.rows(), 1600);
  EXPECT_EQ(tables.eval.Find("age")->dtype, DType::kF64);
  EXPECT_EQ(tables.eval.Find("age")->as_double(800), static_cast<double>(whole[0]));
  // Strings where the other partition has numbers: refused, naming both.
  Rows s = Clean(800, 30);
  Table codes = ToTable(s);
  std::vector<int64_t> country_codes(800, 7);
  codes.columns[2] = NumericColumn("country", DType::kI64, country_codes);
  std::vector<InputFile> mixed = {Write("c.h5", "eval", ToTable(Clean(800, 31))),
                                  Write("d.h5", "eval", codes)};
  DataGate g2(config_, schema_, reference_);
  g2.Read(&mixed, {true, true}, true);
  EXPECT_EQ(g2.status(), Severity::kFail);
  bool named = false;
  for (const auto& a : g2.anomalies()) {
    named |= a.name == "UNEXPECTED_DATA_TYPE" && a.severity == Severity::kFail &&
             a.message.find(
                 "d.h5: column \"country\" is stored as i64, the run's earlier "
                 "partitions as string") != std::string::npos;
  }
  EXPECT_TRUE(named) << g2.Summary();
}

TEST_F(GateTest, LabelChecks) {
  Rows r = Clean(100, 25);
  r.y[3] = 2;
  const DataGate g = Fresh(ToTable(r));
  const Anomaly* a = Find(g, "LABEL_INVALID", "y");
  ASSERT_NE(a, nullptr) << g.Summary();
  EXPECT_NE(a->message.find("row 3"), std::string::npos);
}

}  // namespace
}  // namespace freshet

namespace freshet {
namespace {

// The profile's numeric pass on a GPU (moments and histograms in chunks on the device) against the
// CPU on the same rows: histogram counts, counts and min / max exactly, moments to 1e-12.
TEST(ProfileCuda, MatchesCpu_CUDA) {
  if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  const Table t = ToTable(Clean(300000, 40));
  const std::vector<ProfileColumn> cols = {{"age", ColumnKind::kNumeric},
                                           {"income", ColumnKind::kNumeric},
                                           {"country", ColumnKind::kCategorical},
                                           {"y", ColumnKind::kNumeric}};
  const Profile cpu = ComputeProfile(t, cols, ProfileOptions{}, nullptr, Device{});
  const Profile gpu = ComputeProfile(t, cols, ProfileOptions{}, &cpu, Device{DeviceKind::kCuda, 0});
  ASSERT_EQ(cpu.columns.size(), gpu.columns.size());
  for (size_t j = 0; j < cpu.columns.size(); ++j) {
    const NumericProfile& a = cpu.columns[j].numeric;
    const NumericProfile& b = gpu.columns[j].numeric;
    EXPECT_EQ(a.count, b.count);
    EXPECT_EQ(a.hist, b.hist) << cpu.columns[j].name;
    EXPECT_EQ(a.min, b.min);
    EXPECT_EQ(a.max, b.max);
    EXPECT_NEAR(a.mean, b.mean, 1e-12 * std::max(1.0, std::abs(a.mean)));
    EXPECT_NEAR(a.std, b.std, 1e-12 * std::max(1.0, a.std));
  }
}

}  // namespace
}  // namespace freshet

namespace freshet {
namespace {

// ProfileOptions::counts_only (the fresh rows' profile when there is no reference): the same
// counts, missing values, infinities, min / max, top values and duplicates as the whole profile,
// without moments, quantiles, histogram or sample.
TEST(ProfileCountsOnly, SameCountsAsTheWholeProfile) {
  Table t = ToTable(Clean(5000, 41));
  auto age = std::find_if(t.columns.begin(), t.columns.end(),
                          [](const Column& c) { return c.name == "age"; });
  ASSERT_NE(age, t.columns.end());
  std::vector<double> values(static_cast<size_t>(age->size()));
  for (int64_t i = 0; i < age->size(); ++i) values[static_cast<size_t>(i)] = age->as_double(i);
  values[7] = NAN;
  values[8] = INFINITY;
  values[9] = -INFINITY;
  *age = NumericColumn("age", DType::kF64, values);
  const std::vector<ProfileColumn> cols = {{"age", ColumnKind::kNumeric},
                                           {"income", ColumnKind::kNumeric},
                                           {"country", ColumnKind::kCategorical},
                                           {"y", ColumnKind::kNumeric}};
  const Profile whole = ComputeProfile(t, cols, ProfileOptions{}, nullptr, Device{});
  ProfileOptions counts;
  counts.counts_only = true;
  const Profile light = ComputeProfile(t, cols, counts, nullptr, Device{});
  EXPECT_EQ(light.rows, whole.rows);
  EXPECT_EQ(light.duplicate_rows, whole.duplicate_rows);
  ASSERT_EQ(light.columns.size(), whole.columns.size());
  for (size_t j = 0; j < whole.columns.size(); ++j) {
    SCOPED_TRACE(whole.columns[j].name);
    EXPECT_EQ(light.columns[j].missing(), whole.columns[j].missing());
    const NumericProfile& a = whole.columns[j].numeric;
    const NumericProfile& b = light.columns[j].numeric;
    EXPECT_EQ(b.count, a.count);
    EXPECT_EQ(b.inf, a.inf);
    EXPECT_EQ(b.min, a.min);
    EXPECT_EQ(b.max, a.max);
    EXPECT_TRUE(b.quantiles.empty() && b.hist.empty() && b.sample.empty());
    EXPECT_EQ(light.columns[j].categorical.top, whole.columns[j].categorical.top);
    EXPECT_EQ(light.columns[j].categorical.other, whole.columns[j].categorical.other);
  }
  EXPECT_EQ(light.Find("age")->numeric.inf, 2);
  EXPECT_GE(light.Find("age")->numeric.nan, 1);
}

}  // namespace
}  // namespace freshet
