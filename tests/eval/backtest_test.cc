// The backtest: the --cadence list, each cadence's schedule (which partitions a retrain trains on
// and which it scores), and the replay itself with stand-in trainer hooks, so that which model
// scored which partition, the warm starts and the compute counts can be checked exactly.
#include "freshet/backtest.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "freshet/config.hpp"
#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

using testing::MessageOf;
using testing::TempDir;

TEST(ParseCadences, KeepsTheGivenOrder) {
  EXPECT_EQ(ParseCadences("1,3,7"), (std::vector<int>{1, 3, 7}));
  EXPECT_EQ(ParseCadences("7, 1"), (std::vector<int>{7, 1}));
  EXPECT_EQ(ParseCadences("30"), (std::vector<int>{30}));
}

TEST(ParseCadences, RefusesWhatIsNotAListOfDistinctPositiveIntegers) {
  for (const char* bad :
       {"", " ", "0", "1,0", "x", "1,x", "-1", "1.5", "1,,3", "1,", "+2", "9999999999"}) {
    const std::string m = MessageOf<ConfigError>([&] { ParseCadences(bad); });
    EXPECT_EQ(m.rfind("--cadence: ", 0), 0u) << bad << ": " << m;
  }
  const std::string m = MessageOf<ConfigError>([] { ParseCadences("1,3,1"); });
  EXPECT_NE(m.find("1 is listed twice"), std::string::npos) << m;
}

// Every retrain trains on the W partitions before it and is scored until the next one.
TEST(PlanCadence, TrainsOnTheWindowBeforeAndScoresUntilReplaced) {
  const auto plan = PlanCadence(10, 3, 3);  // t0 = 3: retrains at 3, 6, 9
  ASSERT_EQ(plan.size(), 3u);
  const int64_t want[3][5] = {{3, 0, 3, 3, 6}, {6, 3, 6, 6, 9}, {9, 6, 9, 9, 10}};
  for (size_t i = 0; i < plan.size(); ++i) {
    EXPECT_EQ(plan[i].at, want[i][0]);
    EXPECT_EQ(plan[i].train_begin, want[i][1]);
    EXPECT_EQ(plan[i].train_end, want[i][2]);
    EXPECT_EQ(plan[i].score_begin, want[i][3]);
    EXPECT_EQ(plan[i].score_end, want[i][4]);
  }
}

// Whatever the cadence, the scored partitions are exactly [W, N), each once, in order.
TEST(PlanCadence, EveryCadenceScoresTheSamePartitions) {
  for (int64_t n = 2; n <= 12; ++n) {
    for (int w = 1; w < n; ++w) {
      for (int k = 1; k <= n + 1; ++k) {
        const auto plan = PlanCadence(n, w, k);
        int64_t next = w;
        for (const Retrain& r : plan) {
          EXPECT_EQ(r.score_begin, next);
          EXPECT_EQ(r.at, r.score_begin);
          EXPECT_EQ(r.train_end - r.train_begin, w);
          EXPECT_EQ(r.train_end, r.at);
          EXPECT_GT(r.score_end, r.score_begin);
          EXPECT_LE(r.score_end - r.score_begin, k);
          next = r.score_end;
        }
        EXPECT_EQ(next, n) << "n " << n << " w " << w << " k " << k;
        EXPECT_EQ(static_cast<int64_t>(plan.size()), (n - w + k - 1) / k);
      }
    }
  }
}

TEST(PlanCadence, NeedsAWindowAndOnePartitionToScore) {
  EXPECT_THROW(PlanCadence(3, 3, 1), Error);
  EXPECT_THROW(PlanCadence(5, 0, 1), Error);
  EXPECT_THROW(PlanCadence(5, 2, 0), Error);
  EXPECT_EQ(PlanCadence(4, 3, 5).size(), 1u);
}

// Partition p holds `rows` rows with x = p and the label y = p (regression), so a model that
// predicts m (the last partition it trained on) has RMSE |p - m| on partition p: its staleness.
class BacktestReplay : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "landing");
    std::filesystem::create_directories(dir_ / "tmp");
    for (int p = 0; p < kPartitions; ++p) {
      Table t;
      t.columns.push_back(NumericColumn("x", DType::kF64, std::vector<double>(kRows, p)));
      t.columns.push_back(NumericColumn("y", DType::kF64, std::vector<double>(kRows, p)));
      char name[32];
      std::snprintf(name, sizeof name, "/landing/part-%02d.h5", p);
      WriteHdf5(dir_.path() + name, t);
    }
    config_ = ParseConfig(R"(
model: m
task: regression
data: {landing: landing, pattern: "part-*.h5", label: y, window: {train: 3, eval: 1}}
features:
  - {column: x, type: numeric, ops: [standardize]}
train: {epochs: 2, warm_start: true}
online: {learner: sgd, lr: 0.01, batch_rows: 7}
)",
                          dir_ / "m.yaml");
    // The stand-in trainer: its model is the last partition it trained on, written as model.pt.
    hooks_.train = [this](const FeatureState&, const Table& train, const Table& eval,
                          const TrainOptions& o) {
      const Column* x = train.Find("x");
      const double m = x->as_double(train.rows() - 1);
      trained_.push_back(static_cast<int>(m));
      warm_from_.push_back(o.warm_start ? std::stoi(o.warm_start->Read("model.pt")) : -1);
      o.out->Write("model.pt", std::to_string(static_cast<int>(m)));
      TrainOutcome out;
      out.main.epochs = 2;
      out.main.eval_predictions.assign(static_cast<size_t>(eval.rows()), static_cast<float>(m));
      return out;
    };
    hooks_.score = [this](const ArtifactSource& v, const FeatureState&, const Table& rows) {
      VersionScores s;
      s.task = Task::kRegression;
      s.rows = rows.rows();
      s.main.assign(static_cast<size_t>(rows.rows()), std::stof(v.Read("model.pt")));
      ++scored_;
      return s;
    };
  }

  static constexpr int kPartitions = 10;
  static constexpr int kRows = 20;
  TempDir dir_;
  Config config_;
  BacktestHooks hooks_;
  std::vector<int> trained_, warm_from_;
  int scored_ = 0;
};

TEST_F(BacktestReplay, EachPartitionIsScoredByTheModelItsCadenceHeld) {
  BacktestOptions options;
  options.cadences = {1, 3, 7};
  options.temp_parent = dir_ / "tmp";
  const auto partitions = BacktestPartitions(config_);
  ASSERT_EQ(partitions.size(), 10u);
  const BacktestResult r = RunBacktest(config_, partitions, options, hooks_);
  EXPECT_EQ(r.metric, "rmse");
  EXPECT_FALSE(r.higher_is_better);
  EXPECT_EQ(r.first_scored, 3);
  ASSERT_EQ(r.cadences.size(), 3u);
  // Retrains: k=1 at 3..9, k=3 at 3, 6, 9, k=7 at 3; each on the 3 partitions before.
  EXPECT_EQ(trained_, (std::vector<int>{2, 3, 4, 5, 6, 7, 8, 2, 5, 8, 2}));
  // Each cadence's first retrain starts cold; later ones warm-start from its previous model.
  EXPECT_EQ(warm_from_, (std::vector<int>{-1, 2, 3, 4, 5, 6, 7, -1, 2, 5, -1}));
  // The first scored partition of a retrain comes from the trainer; the rest are scored.
  EXPECT_EQ(scored_, 0 + 4 + 6);
  const std::map<int, std::vector<double>> staleness = {
      {1, {1, 1, 1, 1, 1, 1, 1}}, {3, {1, 2, 3, 1, 2, 3, 1}}, {7, {1, 2, 3, 4, 5, 6, 7}}};
  for (const CadenceResult& c : r.cadences) {
    const auto& want = staleness.at(c.cadence);
    ASSERT_EQ(c.scores.size(), want.size()) << c.name;
    double sum = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(c.scores[i].index, static_cast<int64_t>(3 + i));
      EXPECT_EQ(c.scores[i].rows, kRows);
      EXPECT_NEAR(c.scores[i].metric, want[i], 1e-6) << c.name << " partition " << 3 + i;
      EXPECT_EQ(c.scores[i].retrained, i % static_cast<size_t>(c.cadence) == 0);
      sum += want[i];
    }
    EXPECT_NEAR(c.mean_metric, sum / static_cast<double>(want.size()), 1e-6);
    EXPECT_EQ(c.retrains, (7 + c.cadence - 1) / c.cadence);
    EXPECT_EQ(c.train_rows, c.retrains * 3 * kRows * 2);  // window rows x epochs
  }
  // The models' temporary folder is gone.
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "tmp"));
  const nlohmann::json j = BacktestToJson(r);
  EXPECT_EQ(j["format"], "freshet.backtest/1");
  EXPECT_EQ(j["cadences"][2]["scores"][6]["trained_at"], 3);
  EXPECT_EQ(j["partitions"].size(), 10u);
}

TEST_F(BacktestReplay, TheOnlineLearnerIsScoredOnTheSamePartitions) {
  BacktestOptions options;
  options.cadences = {2};
  options.online = true;
  options.temp_parent = dir_ / "tmp";
  const BacktestResult r = RunBacktest(config_, BacktestPartitions(config_), options, hooks_);
  ASSERT_EQ(r.cadences.size(), 2u);
  const CadenceResult& online = r.cadences[1];
  EXPECT_EQ(online.name, "online");
  EXPECT_EQ(online.learner, "sgd");
  EXPECT_EQ(online.retrains, 0);
  EXPECT_EQ(online.train_rows, kPartitions * kRows);  // every row learnt once
  EXPECT_EQ(online.updates, kPartitions * 3);         // 20 rows in micro-batches of 7
  ASSERT_EQ(online.scores.size(), r.cadences[0].scores.size());
  for (size_t i = 0; i < online.scores.size(); ++i) {
    EXPECT_EQ(online.scores[i].index, r.cadences[0].scores[i].index);
    EXPECT_TRUE(std::isfinite(online.scores[i].metric));
    EXPECT_FALSE(online.scores[i].retrained);
  }
  const std::string table = BacktestTable(r);
  EXPECT_NE(table.find("online"), std::string::npos);
  EXPECT_NE(table.find("part-09.h5"), std::string::npos);
  const std::string html = RenderBacktestHtml(r);
  EXPECT_NE(html.find("data-chart=\"backtest\""), std::string::npos);
  EXPECT_NE(html.find("data-chart=\"backtest-online\""), std::string::npos);
}

TEST_F(BacktestReplay, TheTemporaryFolderGoesWhenTheTrainerFails) {
  hooks_.train = [](const FeatureState&, const Table&, const Table&,
                    const TrainOptions& o) -> TrainOutcome {
    o.out->Write("model.pt", "x");
    throw ConfigError("train.epochs: refused");
  };
  BacktestOptions options;
  options.cadences = {1};
  options.temp_parent = dir_ / "tmp";
  EXPECT_THROW(RunBacktest(config_, BacktestPartitions(config_), options, hooks_), ConfigError);
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "tmp"));
}

}  // namespace
}  // namespace freshet
