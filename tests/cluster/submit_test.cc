#include "freshet/submit.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "freshet/error.hpp"

namespace freshet {
namespace {

namespace fs = std::filesystem;

class SubmitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("freshet_submit_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  fs::path dir_;
};

constexpr char kConfig[] = R"(model: churn
data: {landing: landing, label: churned}
features:
  - {column: age, type: numeric}
model_spec: {kind: mlp, hidden: [8]}
train: {lr: 0.01}
)";

TEST_F(SubmitTest, SweepListKeepsTypes) {
  const auto e = ReadSweepFile(Write("s.yaml",
                                     "- {train.lr: 0.05, model_spec.hidden: [4, 2]}\n"
                                     "- {model_spec.kind: linear, train.fallback: true}\n"));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_DOUBLE_EQ(e[0]["train.lr"].get<double>(), 0.05);
  EXPECT_EQ(e[0]["model_spec.hidden"], nlohmann::json::array({4, 2}));
  EXPECT_EQ(e[1]["model_spec.kind"], "linear");
  EXPECT_EQ(e[1]["train.fallback"], true);
}

TEST_F(SubmitTest, GridIsTheCartesianProductLastKeyFastest) {
  const auto e = ReadSweepFile(Write("g.yaml",
                                     "grid:\n  train.lr: [0.1, 0.01]\n"
                                     "  model_spec.kind: [linear, mlp, wide_deep]\n"));
  ASSERT_EQ(e.size(), 6u);
  EXPECT_EQ(e[0]["model_spec.kind"], "linear");
  EXPECT_EQ(e[1]["model_spec.kind"], "mlp");
  EXPECT_DOUBLE_EQ(e[2]["train.lr"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(e[3]["train.lr"].get<double>(), 0.01);
  EXPECT_EQ(e[5]["model_spec.kind"], "wide_deep");
}

TEST_F(SubmitTest, BadSweepsNameTheFileAndEntry) {
  const auto message = [&](const std::string& text) {
    const std::string p = Write("bad.yaml", text);
    try {
      ReadSweepFile(p);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("[]\n").find("bad.yaml: the sweep has no entries"), std::string::npos);
  EXPECT_NE(message("- 3\n").find("bad.yaml: entry 1: expected a mapping"), std::string::npos);
  EXPECT_NE(message("grid: {train.lr: 0.1}\n").find("bad.yaml: grid.train.lr"), std::string::npos);
  EXPECT_NE(message("lr: 0.1\n").find("a list of entries or one `grid:`"), std::string::npos);
  EXPECT_THROW(ReadSweepFile((dir_ / "none.yaml").string()), IoError);
}

TEST_F(SubmitTest, OverridesAreSetBeforeParsing) {
  const std::string p = Write("c.yaml", kConfig);
  const Config c = LoadConfigWithOverrides(
      p, {{"train.lr", 0.5}, {"model_spec.hidden", {16, 4}}, {"train.optimizer", "sgd"}});
  EXPECT_DOUBLE_EQ(c.train.lr, 0.5);
  EXPECT_EQ(c.train.optimizer, "sgd");
  EXPECT_EQ(LoadConfigWithOverrides(p, nlohmann::json::object()).train.lr, 0.01);
  try {
    LoadConfigWithOverrides(p, {{"train.lr", "fast"}});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("train.lr"), std::string::npos) << e.what();
  }
  try {
    LoadConfigWithOverrides(p, {{"train.lr.x", 1}});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("train.lr.x: lr is not a mapping"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(LoadConfigWithOverrides(p, {{"train.nope", 1}}), ConfigError);
}

TEST_F(SubmitTest, PlanTasks) {
  const auto folds = PlanTasks(SubmitMode::kFolds, 3, 42, {});
  ASSERT_EQ(folds.size(), 3u);
  EXPECT_EQ(folds[2].fold, 2);
  EXPECT_TRUE(folds[2].overrides.empty());
  const auto seeds = PlanTasks(SubmitMode::kSeeds, 2, 42, {});
  EXPECT_EQ(seeds[1].overrides["train.seed"], 43);
  EXPECT_EQ(seeds[1].fold, -1);
  EXPECT_THROW(PlanTasks(SubmitMode::kFolds, 1, 42, {}), ConfigError);
  EXPECT_THROW(PlanTasks(SubmitMode::kSweep, 0, 42, {}), ConfigError);
}

TEST_F(SubmitTest, PlanRoundTripsAndPinsInputs) {
  const std::string part = Write("day-1.h5", "bytes of a partition");
  InputFile in;
  in.path = part;
  in.role = "train";
  in.sha256 = Sha256File(part);
  SubmitPlan plan;
  plan.id = "20261207-000000-1";
  plan.dir = dir_.string();
  plan.config_path = "/x/c.yaml";
  plan.config_hash = "abc";
  plan.model = "churn";
  plan.mode = SubmitMode::kFolds;
  plan.folds = 2;
  plan.tasks = PlanTasks(SubmitMode::kFolds, 2, 1, {});
  plan.inputs = {in};
  WritePlan(plan);
  const SubmitPlan back = ReadPlan(dir_.string());
  EXPECT_EQ(PlanToJson(back), PlanToJson(plan));
  // Stat fields differ (never recorded here), the bytes are the same: accepted.
  EXPECT_NO_THROW(CheckPinnedInputs(back.inputs));
  std::ofstream(part) << "other bytes";
  EXPECT_THROW(CheckPinnedInputs(back.inputs), DataError);
  fs::remove(part);
  EXPECT_THROW(CheckPinnedInputs(back.inputs), IoError);
  Write("plan.json", R"({"format": "freshet.other/1"})");
  EXPECT_THROW(ReadPlan(dir_.string()), ConfigError);
}

TEST_F(SubmitTest, OutcomeRoundTripsExactly) {
  TrainOutcome out;
  out.main.kind = "mlp";
  out.main.eval_predictions = {0.1f, 1.0f / 3.0f, std::numeric_limits<float>::quiet_NaN()};
  out.main.best_validation = std::numeric_limits<double>::quiet_NaN();
  out.main.history = nlohmann::json::array({{{"epoch", 1}}});
  ModelResult fb;
  fb.kind = "linear";
  fb.eval_predictions = {0.25f};
  out.fallback = fb;
  out.eval_labels = {0, 1, 1};
  out.num_classes = 0;
  out.precision = "fp32";
  const TrainOutcome back = OutcomeFromJson(nlohmann::json::parse(OutcomeToJson(out).dump()));
  EXPECT_EQ(back.main.eval_predictions[1], out.main.eval_predictions[1]);
  EXPECT_TRUE(std::isnan(back.main.eval_predictions[2]));
  EXPECT_TRUE(std::isnan(back.main.best_validation));
  ASSERT_TRUE(back.fallback.has_value());
  EXPECT_EQ(back.fallback->eval_predictions, fb.eval_predictions);
  EXPECT_EQ(back.eval_labels, out.eval_labels);
  EXPECT_EQ(back.main.history, out.main.history);
}

TEST_F(SubmitTest, WinnerByDirectionLowestIndexOnTies) {
  std::vector<TrialResult> r(4);
  r[0].metrics = {{"auc", 0.7}, {"log_loss", 0.5}};
  r[1].metrics = {{"auc", 0.8}, {"log_loss", 0.4}};
  r[2].metrics = {{"auc", 0.8}, {"log_loss", 0.6}};
  r[3].metrics = {{"auc", nullptr}};
  for (size_t i = 0; i < r.size(); ++i) r[i].index = static_cast<int64_t>(i);
  EXPECT_EQ(PickWinner(r, "auc", true), 1u);
  EXPECT_EQ(PickWinner(r, "log_loss", false), 1u);
  EXPECT_FALSE(PickWinner(r, "rmse", false).has_value());
}

TEST_F(SubmitTest, ScriptsRunTheTasksAndTheAggregation) {
  SubmitPlan plan;
  plan.id = "id1";
  plan.dir = "/srv/reg/churn/submissions/id1";
  plan.model = "churn";
  plan.mode = SubmitMode::kSeeds;
  plan.tasks = PlanTasks(SubmitMode::kSeeds, 3, 1, {});
  SlurmOptions slurm;
  slurm.freshet = "/opt/freshet's/freshet";
  slurm.gpus_per_task = 1;
  slurm.partition = "gpu";
  const std::string array = ArrayScript(plan, slurm);
  EXPECT_NE(array.find("#SBATCH --array=0-2\n"), std::string::npos);
  EXPECT_NE(array.find("#SBATCH --gpus-per-task=1\n"), std::string::npos);
  EXPECT_NE(array.find("#SBATCH --partition=gpu\n"), std::string::npos);
  EXPECT_NE(array.find("#SBATCH --output=/srv/reg/churn/submissions/id1/logs/task-%a.out\n"),
            std::string::npos);
  EXPECT_NE(array.find("exec '/opt/freshet'\\''s/freshet' trial --plan "
                       "'/srv/reg/churn/submissions/id1' --task \"$SLURM_ARRAY_TASK_ID\"\n"),
            std::string::npos)
      << array;
  const std::string agg = AggregateScript(plan, slurm);
  EXPECT_EQ(agg.find("--array"), std::string::npos);
  EXPECT_EQ(agg.find("--gpus-per-task"), std::string::npos);
  EXPECT_NE(agg.find(" aggregate --plan '/srv/reg/churn/submissions/id1'\n"), std::string::npos);
  EXPECT_NE(array.find("#SBATCH --nodes=1\n#SBATCH --ntasks-per-node=1\n"), std::string::npos);
  slurm.nodes = 2;
  slurm.ranks_per_node = 4;
  const std::string ranks = ArrayScript(plan, slurm);
  EXPECT_NE(ranks.find("#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=4\n"), std::string::npos);
  EXPECT_NE(ranks.find("exec srun --mpi=pmix '/opt/freshet'\\''s/freshet' trial"),
            std::string::npos)
      << ranks;
  EXPECT_NE(AggregateScript(plan, slurm).find("#SBATCH --nodes=1\n#SBATCH --ntasks-per-node=1\n"),
            std::string::npos);
  plan.dir = "/a b";
  EXPECT_THROW(ArrayScript(plan, slurm), ConfigError);
}

}  // namespace
}  // namespace freshet
