// WriteSynthetic (src/common/synth.cc): files, columns, determinism, drift and failures.
#include "freshet/synth.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

using testing::TempDir;

constexpr int64_t kStartTs = 1767225600;  // 2026-01-01T00:00:00Z
constexpr int64_t kDay = 86400;

const std::vector<ColumnRequest> kColumns = {{"ts", ColumnKind::kNumeric},
                                             {"age", ColumnKind::kNumeric},
                                             {"income", ColumnKind::kNumeric},
                                             {"sessions_7d", ColumnKind::kNumeric},
                                             {"spend_30d", ColumnKind::kNumeric},
                                             {"tenure_days", ColumnKind::kNumeric},
                                             {"support_tickets", ColumnKind::kNumeric},
                                             {"country", ColumnKind::kCategorical},
                                             {"plan", ColumnKind::kCategorical},
                                             {"device", ColumnKind::kCategorical},
                                             {"user_id", ColumnKind::kCategorical},
                                             {"churned", ColumnKind::kNumeric}};

SynthOptions Options(const std::string& dir, int days, int64_t rows, uint64_t seed, int drift) {
  SynthOptions o;
  o.out_dir = dir;
  o.days = days;
  o.rows = rows;
  o.seed = seed;
  o.drift_day = drift;
  return o;
}

Table Day(const std::string& dir, int day) {
  char name[32];
  std::snprintf(name, sizeof(name), "/day-%04d.h5", day);
  return ReadHdf5(dir + name, kColumns);
}

std::string Str(const Column& c, int64_t i) {
  return std::string(c.bytes.data() + c.offsets[i], c.bytes.data() + c.offsets[i + 1]);
}

double MissingRate(const Column& c) {
  int64_t n = 0;
  for (int64_t i = 0; i < c.rows; ++i) {
    n += c.is_string() ? !c.is_valid(i) || Str(c, i).empty() : std::isnan(c.as_double(i));
  }
  return static_cast<double>(n) / static_cast<double>(c.rows);
}

double Mean(const Column& c) {
  double s = 0;
  int64_t n = 0;
  for (int64_t i = 0; i < c.rows; ++i) {
    if (!std::isnan(c.as_double(i))) s += c.as_double(i), ++n;
  }
  return s / static_cast<double>(n);
}

TEST(WriteSyntheticTest, WritesOnePartitionPerDayAndTheTruth) {
  TempDir dir;
  const nlohmann::json truth = WriteSynthetic(Options(dir / "out", 3, 500, 11, 0));
  EXPECT_EQ(DiscoverPartitions(dir / "out", "*"),
            (std::vector<std::string>{dir / "out/day-0001.h5", dir / "out/day-0002.h5",
                                      dir / "out/day-0003.h5", dir / "out/truth.json"}));
  std::ifstream in(dir / "out/truth.json");
  EXPECT_EQ(nlohmann::json::parse(in), truth);
  EXPECT_EQ(truth.at("seed"), 11);
  EXPECT_EQ(truth.at("days"), 3);
  EXPECT_EQ(truth.at("rows_per_day"), 500);
  EXPECT_EQ(truth.at("label"), "churned");
  EXPECT_TRUE(truth.at("drift_day").is_null());
  EXPECT_EQ(truth.at("drifting_columns"), nlohmann::json::array());
  ASSERT_EQ(truth.at("weights_by_day").size(), 3u);
  const auto& w = truth.at("weights_by_day")[0];
  EXPECT_EQ(w.at("numeric").size(), 6u);
  EXPECT_EQ(w.at("country").size(), 30u);
  EXPECT_EQ(w.at("plan").size(), 4u);
  EXPECT_TRUE(w.at("bias").is_number());
}

TEST(WriteSyntheticTest, ColumnsHaveTheDocumentedTypesAndValues) {
  TempDir dir;
  WriteSynthetic(Options(dir.path(), 2, 2000, 5, 0));
  for (int day = 1; day <= 2; ++day) {
    const Table t = Day(dir.path(), day);
    ASSERT_EQ(t.rows(), 2000) << day;
    const std::vector<DType> dtypes = {DType::kI64,    DType::kF64,    DType::kF64, DType::kF32,
                                       DType::kF64,    DType::kI64,    DType::kI32, DType::kString,
                                       DType::kString, DType::kString, DType::kI64, DType::kI32};
    for (size_t j = 0; j < dtypes.size(); ++j) {
      EXPECT_EQ(t.columns[j].dtype, dtypes[j]) << t.columns[j].name;
    }
    const Column& ts = *t.Find("ts");
    for (int64_t i = 0; i < t.rows(); ++i) {
      const int64_t v = ts.values<int64_t>()[i];
      ASSERT_GE(v, kStartTs + (day - 1) * kDay);
      ASSERT_LT(v, kStartTs + day * kDay);
      if (i > 0) {
        ASSERT_GE(v, ts.values<int64_t>()[i - 1]);
      }
    }
    // Floats have missing values (NaN); integers and plan never do.
    for (const char* name : {"age", "income", "sessions_7d", "spend_30d", "country", "device"}) {
      EXPECT_GT(MissingRate(*t.Find(name)), 0.0) << name;
      EXPECT_LT(MissingRate(*t.Find(name)), 0.15) << name;
    }
    for (const char* name :
         {"ts", "tenure_days", "support_tickets", "plan", "user_id", "churned"}) {
      EXPECT_EQ(MissingRate(*t.Find(name)), 0.0) << name;
    }
    const std::set<std::string> plans = {"free", "basic", "pro", "enterprise"};
    const std::set<std::string> devices = {"ios", "android", "web", ""};
    std::set<std::string> countries;
    for (int64_t i = 0; i < t.rows(); ++i) {
      EXPECT_EQ(plans.count(Str(*t.Find("plan"), i)), 1u);
      EXPECT_EQ(devices.count(Str(*t.Find("device"), i)), 1u);
      const std::string c = Str(*t.Find("country"), i);
      if (!c.empty()) countries.insert(c);
      const int32_t y = t.Find("churned")->values<int32_t>()[i];
      ASSERT_TRUE(y == 0 || y == 1) << y;
      const double age = t.Find("age")->as_double(i);
      if (!std::isnan(age)) {
        ASSERT_TRUE(age >= 18 && age <= 90) << age;
      }
      ASSERT_GE(t.Find("support_tickets")->as_double(i), 0);
      const double user = t.Find("user_id")->as_double(i);
      ASSERT_TRUE(user >= 1 && user <= 5000000) << user;
    }
    EXPECT_GT(countries.size(), 10u);
    for (const auto& c : countries) EXPECT_EQ(c.size(), 2u) << c;
    const double churn = Mean(*t.Find("churned"));
    EXPECT_GT(churn, 0.05);
    EXPECT_LT(churn, 0.95);
  }
}

TEST(WriteSyntheticTest, SameOptionsGiveTheSameValues) {
  TempDir a, b, c;
  const auto truth_a = WriteSynthetic(Options(a.path(), 2, 300, 7, 2));
  const auto truth_b = WriteSynthetic(Options(b.path(), 2, 300, 7, 2));
  const auto truth_c = WriteSynthetic(Options(c.path(), 2, 300, 8, 2));
  EXPECT_EQ(truth_a, truth_b);
  EXPECT_NE(truth_a.at("weights_by_day"), truth_c.at("weights_by_day"));
  for (int day = 1; day <= 2; ++day) {
    const Table ta = Day(a.path(), day), tb = Day(b.path(), day), tc = Day(c.path(), day);
    for (size_t j = 0; j < ta.columns.size(); ++j) {
      const Column &x = ta.columns[j], &y = tb.columns[j];
      EXPECT_EQ(x.data, y.data) << x.name << " day " << day;
      EXPECT_EQ(x.bytes, y.bytes) << x.name << " day " << day;
      EXPECT_EQ(x.offsets, y.offsets) << x.name << " day " << day;
      EXPECT_EQ(x.valid, y.valid) << x.name << " day " << day;
    }
    EXPECT_NE(ta.Find("age")->data, tc.Find("age")->data) << "another seed, day " << day;
    // The day's timestamps do not depend on the seed.
    EXPECT_EQ(ta.Find("ts")->data, tc.Find("ts")->data);
  }
}

TEST(WriteSyntheticTest, DriftDayChangesWeightsAndDistributions) {
  TempDir dir;
  const nlohmann::json truth = WriteSynthetic(Options(dir.path(), 3, 4000, 3, 2));
  EXPECT_EQ(truth.at("drift_day"), 2);
  EXPECT_EQ(truth.at("drifting_columns"), (nlohmann::json{"income", "sessions_7d", "country"}));
  const auto& w = truth.at("weights_by_day");
  // The income weight flips sign on the drift day.
  EXPECT_LT(w[0].at("numeric").at("income").get<double>(), 0.0);
  EXPECT_GT(w[1].at("numeric").at("income").get<double>(), 0.0);
  EXPECT_GT(w[2].at("numeric").at("income").get<double>(), 0.0);
  EXPECT_NE(w[0].at("country"), w[1].at("country"));

  const Table before = Day(dir.path(), 1), after = Day(dir.path(), 3);
  EXPECT_LT(Mean(*before.Find("sessions_7d")), 7.0);
  EXPECT_GT(Mean(*after.Find("sessions_7d")), 8.0);
  EXPECT_GT(Mean(*after.Find("income")), 1.3 * Mean(*before.Find("income")));
  // Stable columns keep their distribution.
  EXPECT_NEAR(Mean(*after.Find("age")), Mean(*before.Find("age")), 1.5);
}

TEST(WriteSyntheticTest, NoDriftKeepsTheIncomeWeightNegative) {
  TempDir dir;
  const nlohmann::json truth = WriteSynthetic(Options(dir.path(), 4, 10, 3, 0));
  for (const auto& w : truth.at("weights_by_day")) {
    EXPECT_LT(w.at("numeric").at("income").get<double>(), 0.0);
  }
}

TEST(WriteSyntheticTest, ZeroDaysWritesOnlyTheTruth) {
  TempDir dir;
  const nlohmann::json truth = WriteSynthetic(Options(dir / "new/nested", 0, 100, 1, 0));
  EXPECT_TRUE(truth.at("weights_by_day").empty());
  EXPECT_EQ(DiscoverPartitions(dir / "new/nested", "*"),
            std::vector<std::string>{dir / "new/nested/truth.json"});
}

TEST(WriteSyntheticTest, ZeroRowsGiveEmptyPartitions) {
  TempDir dir;
  WriteSynthetic(Options(dir.path(), 1, 0, 1, 0));
  const Table t = Day(dir.path(), 1);
  EXPECT_EQ(t.columns.size(), kColumns.size());
  EXPECT_EQ(t.rows(), 0);
}

TEST(WriteSyntheticTest, UnwritableFolderIsAnIoError) {
  TempDir dir;
  testing::WriteFile(dir / "file", "not a folder");
  const std::string out = dir / "file/sub";
  const std::string msg =
      testing::MessageOf<IoError>([&] { WriteSynthetic(Options(out, 1, 10, 1, 0)); });
  EXPECT_EQ(msg.rfind(out + ": create folder: ", 0), 0u) << msg;
}

}  // namespace
}  // namespace freshet
