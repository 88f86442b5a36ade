// The training loop: every model family learns every task, resume is exact, streamed batches equal
// resident ones, early stopping keeps the best weights, schedules, clipping and weights.
#include "train/session.h"

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "freshet/metrics.hpp"
#include "io/test_util.h"
#include "train/optim.h"
#include "train/train_util.h"

namespace freshet {
namespace {

using testing::Arch;
using testing::MakeStore;
using testing::Options;
using testing::Outputs;
using testing::SameWeights;
using testing::TempDir;

std::vector<float> Vec(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

struct LearnCase {
  Task task;
  std::string kind;
};

class Learns : public ::testing::TestWithParam<LearnCase> {};

TEST_P(Learns, LossFallsAndHeldOutMetricBeatsChance) {
  const auto [task, kind] = GetParam();
  const FeatureStore train = MakeStore(task, 2000, 1), test = MakeStore(task, 1000, 2);
  ModelArch arch = Arch(kind, task, Outputs(task), 3, {6, 6});
  arch.norm = kind == "mlp" ? "batch" : "layer";
  arch.activation = kind == "mlp" ? "gelu" : "tanh";
  SessionOptions o = Options(task, 6);
  TrainSession s(arch, o);
  s.Train(train, {}, {});
  const auto& h = s.history();
  ASSERT_EQ(h.size(), 6u);
  EXPECT_LT(h.back()["train_loss"].get<double>(), 0.8 * h.front()["train_loss"].get<double>());
  const nlohmann::json m = TaskMetrics(task, Outputs(task), Vec(s.Predict(test)), Vec(test.labels));
  switch (task) {
    case Task::kBinary:
      EXPECT_GT(m["auc"].get<double>(), 0.9) << m;
      break;
    case Task::kMulticlass:
      EXPECT_GT(m["accuracy"].get<double>(), 0.75) << m;
      break;
    case Task::kRegression:
      EXPECT_GT(m["r2"].get<double>(), 0.9) << m;
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryTaskAndModel, Learns,
    ::testing::Values(LearnCase{Task::kBinary, "linear"}, LearnCase{Task::kBinary, "mlp"},
                      LearnCase{Task::kBinary, "wide_deep"}, LearnCase{Task::kMulticlass, "linear"},
                      LearnCase{Task::kMulticlass, "mlp"},
                      LearnCase{Task::kMulticlass, "wide_deep"},
                      LearnCase{Task::kRegression, "linear"}, LearnCase{Task::kRegression, "mlp"},
                      LearnCase{Task::kRegression, "wide_deep"}));

// Options that exercise every random stream and every piece of state: dropout, Adam moments, a
// cosine schedule with warm-up, clipping, and early stopping's best weights.
SessionOptions Rich(Task task) {
  SessionOptions o = Options(task, 4);
  o.train.lr_schedule.kind = "cosine";
  o.train.lr_schedule.warmup_steps = 5;
  o.train.clip_grad_norm = 5.0;
  o.train.early_stopping.patience = 10;
  return o;
}

TEST(TrainSession, ResumeHalfWayEqualsUninterruptedTraining) {
  TempDir dir;
  const FeatureStore store = MakeStore(Task::kBinary, 600, 3);
  const torch::Tensor train_rows = torch::arange(0, 500, torch::kInt64);
  const torch::Tensor val_rows = torch::arange(500, 600, torch::kInt64);
  ModelArch arch = Arch("wide_deep", Task::kBinary, 1, 3, {6, 6});
  arch.dropout = 0.3;

  TrainSession whole(arch, Rich(Task::kBinary));
  whole.Train(store, train_rows, val_rows);

  TrainSession first(arch, Rich(Task::kBinary));
  first.Train(store, train_rows, val_rows, /*stop_after_epoch=*/2);
  EXPECT_FALSE(first.progress().finished);
  first.Save(dir / "half.pt");
  torch::manual_seed(12345);  // whatever happens in between must not matter
  torch::rand({100});

  ModelPt pt = ModelPt::Read(dir / "half.pt", torch::kCPU);
  EXPECT_EQ(pt.progress.epoch, 2);
  EXPECT_EQ(pt.progress.step, 2 * 8);
  TrainSession rest(arch, Rich(Task::kBinary));
  rest.Resume(pt);
  rest.Train(store, train_rows, val_rows);
  EXPECT_EQ(rest.progress().step, whole.progress().step);
  EXPECT_TRUE(SameWeights(rest.model(), whole.model()));
  EXPECT_TRUE(torch::equal(rest.Predict(store), whole.Predict(store)));
}

TEST(TrainSession, ResumeRefusesAnotherConfig) {
  TempDir dir;
  TrainSession s(Arch("mlp", Task::kBinary, 1, 3, {6, 6}), Options(Task::kBinary, 1));
  s.Save(dir / "m.pt");
  ModelPt pt = ModelPt::Read(dir / "m.pt", torch::kCPU);
  TrainSession other(Arch("linear", Task::kBinary, 1, 3, {6, 6}), Options(Task::kBinary, 1));
  EXPECT_THROW(other.Resume(pt), ConfigError);
  SessionOptions sgd = Options(Task::kBinary, 1);
  sgd.train.optimizer = "sgd";
  TrainSession other_optim(Arch("mlp", Task::kBinary, 1, 3, {6, 6}), sgd);
  EXPECT_THROW(other_optim.Resume(pt), ConfigError);
}

TEST(TrainSession, StreamedChunksGiveTheSameModelAsResidentData) {
  const FeatureStore resident = MakeStore(Task::kMulticlass, 700, 4);
  FeatureStore streamed = resident;
  streamed.resident = false;
  SessionOptions o = Options(Task::kMulticlass, 3);
  ModelArch arch = Arch("mlp", Task::kMulticlass, 3, 3, {6, 6});
  arch.dropout = 0.2;
  TrainSession a(arch, o);
  a.Train(resident, {}, {});
  o.chunk_rows = 150;  // two batches of 64 a chunk, the last chunk short
  TrainSession b(arch, o);
  b.Train(streamed, {}, {});
  EXPECT_TRUE(SameWeights(a.model(), b.model()));
  EXPECT_TRUE(torch::equal(a.Predict(resident), b.Predict(streamed)));
}

TEST(TrainSession, EarlyStoppingKeepsTheBestEpochsWeights) {
  const FeatureStore store = MakeStore(Task::kRegression, 500, 5);
  const torch::Tensor train_rows = torch::arange(0, 400, torch::kInt64);
  const torch::Tensor val_rows = torch::arange(400, 500, torch::kInt64);
  const ModelArch arch = Arch("mlp", Task::kRegression, 1, 3, {6, 6});
  SessionOptions o = Options(Task::kRegression, 10);
  o.train.early_stopping.patience = 2;
  o.train.early_stopping.min_delta = 1e9;  // nothing counts as better than the start (epoch 0)
  TrainSession s(arch, o);
  s.Train(store, train_rows, val_rows);
  EXPECT_EQ(s.progress().epoch, 2);
  EXPECT_EQ(s.progress().best_epoch, 0);
  EXPECT_TRUE(s.progress().finished);
  EXPECT_EQ(s.validation_metric(), "loss");
  TrainSession untrained(arch, Options(Task::kRegression, 1));
  EXPECT_TRUE(SameWeights(s.model(), untrained.model()));

  // An epoch that beats the start by min_delta is kept; later ones that do not are dropped.
  SessionOptions o1 = o;
  o1.train.early_stopping.min_delta = 0.3;
  TrainSession s1(arch, o1);
  s1.Train(store, train_rows, val_rows);
  const int64_t best = s1.progress().best_epoch;
  ASSERT_GE(best, 1);
  EXPECT_EQ(s1.progress().epoch, best + 2);
  TrainSession t(arch, Options(Task::kRegression, static_cast<int>(best)));
  t.Train(store, train_rows, {});
  EXPECT_TRUE(SameWeights(s1.model(), t.model()));
}

TEST(TrainSession, MetricDrivenEarlyStoppingRecordsTheMetric) {
  const FeatureStore store = MakeStore(Task::kBinary, 500, 6);
  SessionOptions o = Options(Task::kBinary, 3);
  o.train.early_stopping.patience = 5;
  o.train.early_stopping.metric = "auc";
  TrainSession s(Arch("linear", Task::kBinary, 1, 3, {6, 6}), o);
  s.Train(store, torch::arange(0, 400, torch::kInt64), torch::arange(400, 500, torch::kInt64));
  EXPECT_EQ(s.validation_metric(), "auc");
  EXPECT_GT(s.progress().best_metric, 0.7);
  EXPECT_TRUE(s.history().back().contains("validation_auc"));
}

TEST(TrainSession, ClippingBoundsEveryStep) {
  const FeatureStore store = MakeStore(Task::kBinary, 256, 7);
  SessionOptions o = Options(Task::kBinary, 1);
  o.train.optimizer = "sgd";
  o.train.momentum = 0.0;
  o.train.lr = 1.0;
  o.train.clip_grad_norm = 1e-4;
  const ModelArch arch = Arch("mlp", Task::kBinary, 1, 3, {6, 6});
  TrainSession s(arch, o);
  TrainSession untouched(arch, o);
  s.Train(store, {}, {});
  double moved = 0;
  const auto a = StateDict(*s.model()), b = StateDict(*untouched.model());
  for (size_t i = 0; i < a.size(); ++i)
    moved += (a[i].second - b[i].second).pow(2).sum().item<double>();
  EXPECT_LE(std::sqrt(moved), 4 * 1.0 * 1e-4 * 1.0001);  // 4 steps of at most lr * max norm
  EXPECT_GT(moved, 0);
}

TEST(TrainSession, UniformWeightsEqualNoWeights) {
  const FeatureStore plain = MakeStore(Task::kBinary, 300, 8);
  FeatureStore weighted = plain;
  weighted.weights = torch::full({300}, 2.5f);
  const ModelArch arch = Arch("linear", Task::kBinary, 1, 3, {6, 6});
  TrainSession a(arch, Options(Task::kBinary, 2)), b(arch, Options(Task::kBinary, 2));
  a.Train(plain, {}, {});
  b.Train(weighted, {}, {});
  EXPECT_TRUE(torch::allclose(a.Predict(plain), b.Predict(plain), 1e-5, 1e-6));
}

TEST(TrainSession, ZeroWeightRowsAreIgnored) {
  FeatureStore store = MakeStore(Task::kBinary, 2000, 9);
  const FeatureStore test = MakeStore(Task::kBinary, 500, 10);
  // Every other row has its label flipped and weight 0.
  torch::Tensor odd = torch::arange(2000, torch::kInt64).remainder(2).to(torch::kBool);
  store.labels = torch::where(odd, 1 - store.labels, store.labels);
  store.weights = torch::where(odd, torch::zeros({2000}), torch::ones({2000}));
  TrainSession s(Arch("linear", Task::kBinary, 1, 3, {6, 6}), Options(Task::kBinary, 5));
  s.Train(store, {}, {});
  EXPECT_GT(RocAuc(Vec(s.Predict(test)), Vec(test.labels)), 0.9);
}

TEST(LrSchedule, WarmupStepAndCosine) {
  TrainConfig t;
  t.lr = 1.0;
  t.lr_schedule.warmup_steps = 4;
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 0, 10, 100), 0.25);
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 3, 10, 100), 1.0);
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 50, 10, 100), 1.0);  // constant
  t.lr_schedule.kind = "step";
  t.lr_schedule.step_epochs = 2;
  t.lr_schedule.gamma = 0.5;
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 19, 10, 100), 1.0);
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 20, 10, 100), 0.5);
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 45, 10, 100), 0.25);
  t.lr_schedule.kind = "cosine";
  t.lr_schedule.min_lr = 0.1;
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 4, 10, 104), 1.0);
  EXPECT_NEAR(ScheduledLr(t, 54, 10, 104), 0.55, 1e-12);
  EXPECT_NEAR(ScheduledLr(t, 104, 10, 104), 0.1, 1e-12);
}

TEST(Optimizers, EveryKindTrainsAndKeepsTheConfigsOptions) {
  const FeatureStore store = MakeStore(Task::kBinary, 400, 11);
  for (const char* name : {"sgd", "adam", "adamw", "adagrad"}) {
    SessionOptions o = Options(Task::kBinary, 3);
    o.train.optimizer = name;
    o.train.lr = std::string(name) == "sgd" ? 0.1 : 0.02;
    TrainSession s(Arch("mlp", Task::kBinary, 1, 3, {6, 6}), o);
    s.Train(store, {}, {});
    EXPECT_LT(s.history().back()["train_loss"].get<double>(),
              s.history().front()["train_loss"].get<double>())
        << name;
  }
}

}  // namespace
}  // namespace freshet
