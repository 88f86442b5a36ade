// The written-out CPU step of an MLP against LibTorch's autograd: the same loss and gradients for
// every case it takes (ReLU and tanh, bce and mse with a label scaler, weighted rows, one or
// several hidden layers or none, with and without categorical columns, tables projected through
// the first layer and tables gathered into its input, a short last batch), the
// cases it declines, and a session trained with it against one trained with autograd.
#include "train/mlp_step.h"

#include <atomic>
#include <memory>

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "train/train_util.h"

namespace freshet {
using testing::Arch;
using testing::MakeStore;
using testing::Options;
namespace {

// Loss and gradients by autograd, as TrainSession::Train computes them.
double AutogradStep(TabularNet& model, const FeatureStore& s, const torch::Tensor& rows,
                    const std::string& loss_name) {
  for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
  const torch::Tensor z =
      model->forward(s.dense.index_select(0, rows), s.cats.index_select(0, rows)).select(1, 0);
  torch::Tensor y = s.labels.index_select(0, rows);
  const ModelArch& a = model->arch;
  if (a.has_label_scaler()) y = (y - a.label_mean) / a.label_std;
  const torch::Tensor per_row = loss_name == "bce" ? torch::binary_cross_entropy_with_logits(
                                                         z, y, {}, {}, at::Reduction::None)
                                                   : (z - y).pow(2);
  torch::Tensor loss;
  if (s.weights.defined()) {
    const torch::Tensor w = s.weights.index_select(0, rows);
    loss = (per_row * w).sum() / w.sum().clamp_min(1e-12);
  } else {
    loss = per_row.mean();
  }
  loss.backward();
  return loss.item<double>();
}

struct Case {
  std::string activation = "relu";
  Task task = Task::kBinary;
  std::vector<int64_t> hidden = {16, 8};
  std::vector<int64_t> cards = {6, 6};
  bool weighted = false;
};

void ExpectSameAsAutograd(const Case& c) {
  SCOPED_TRACE(c.activation + " hidden " + std::to_string(c.hidden.size()) + " cats " +
               std::to_string(c.cards.size()) + (c.weighted ? " weighted" : ""));
  ModelArch arch = Arch("mlp", c.task, 1, 3, c.cards);
  arch.hidden = c.hidden;
  arch.activation = c.activation;
  if (c.task == Task::kRegression) {
    arch.label_mean = 0.7;
    arch.label_std = 1.9;
  }
  const std::string loss = c.task == Task::kRegression ? "mse" : "bce";
  FeatureStore s = MakeStore(c.task, 300, 11);
  if (c.cards.empty()) s.cats = torch::empty({300, 0}, torch::kInt64);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  if (c.weighted) s.weights = torch::rand({300}, gen, torch::kFloat32) * 3.0f;
  torch::manual_seed(3);
  TabularNet reference(arch);
  torch::manual_seed(3);
  TabularNet model(arch);
  ASSERT_TRUE(MlpCpuStepApplies(model, loss, torch::kCPU, false));
  MlpCpuStep step(model, loss, 64);
  // A full batch of 64 rows, then a short one of 37, in a shuffled order with repeats.
  const torch::Tensor order = torch::randint(0, 300, {101}, gen, torch::kInt64);
  for (const auto& [begin, size] : {std::pair<int64_t, int64_t>{0, 64}, {64, 37}}) {
    const torch::Tensor rows = order.slice(0, begin, begin + size);
    const double expected = AutogradStep(reference, s, rows, loss);
    const double got = step.Step(s, rows.data_ptr<int64_t>(), size);
    EXPECT_NEAR(got, expected, 1e-5 * std::max(1.0, std::fabs(expected)));
    const auto want = reference->named_parameters();
    const auto have = model->named_parameters();
    ASSERT_EQ(want.size(), have.size());
    for (size_t i = 0; i < want.size(); ++i) {
      SCOPED_TRACE(want[i].key());
      const torch::Tensor g = want[i].value().grad();
      const torch::Tensor h = have[i].value().grad();
      ASSERT_TRUE(g.defined());
      ASSERT_TRUE(h.defined());
      EXPECT_TRUE(torch::allclose(h, g, 1e-4, 1e-6))
          << "max difference " << (h - g).abs().max().item<float>();
    }
  }
}

TEST(MlpCpuStep, GivesAutogradsLossAndGradients) {
  ExpectSameAsAutograd({});
  ExpectSameAsAutograd({"tanh"});
  ExpectSameAsAutograd({"relu", Task::kRegression});
  ExpectSameAsAutograd({"tanh", Task::kRegression, {5}, {6}, true});
  ExpectSameAsAutograd({"relu", Task::kBinary, {}, {6, 6}});
  ExpectSameAsAutograd({"relu", Task::kBinary, {32, 16, 4}, {}, true});
  // Tables of more rows than half the step's 64 are gathered into the input, not projected:
  // both kinds in one model, and gathered ones alone.
  ExpectSameAsAutograd({"relu", Task::kBinary, {16, 8}, {6, 40}, true});
  ExpectSameAsAutograd({"tanh", Task::kRegression, {}, {50, 33}});
}

TEST(MlpCpuStep, DeclinesWhatItDoesNotWriteOut) {
  const ModelArch base = Arch("mlp", Task::kBinary, 1, 3, {6});
  EXPECT_TRUE(MlpCpuStepApplies(TabularNet(base), "bce", torch::kCPU, false));
  EXPECT_FALSE(MlpCpuStepApplies(TabularNet(base), "bce", torch::kCPU, true));
  EXPECT_FALSE(MlpCpuStepApplies(TabularNet(base), "huber", torch::kCPU, false));
  EXPECT_FALSE(MlpCpuStepApplies(TabularNet(Arch("wide_deep", Task::kBinary, 1, 3, {6})), "bce",
                                 torch::kCPU, false));
  EXPECT_FALSE(MlpCpuStepApplies(TabularNet(Arch("mlp", Task::kMulticlass, 3, 3, {6})),
                                 "cross_entropy", torch::kCPU, false));
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"activation", "gelu"},
                                   {"norm", "layer"},
                                   {"norm", "batch"},
                                   {"dropout", ""}}) {
    ModelArch a = base;
    if (key == "activation") a.activation = value;
    if (key == "norm") a.norm = value;
    if (key == "dropout") a.dropout = 0.1;
    EXPECT_FALSE(MlpCpuStepApplies(TabularNet(a), "bce", torch::kCPU, false)) << key << value;
  }
}

TEST(MlpCpuStep, ThrowsOnACategoryCodeOutsideItsTable) {
  const ModelArch arch = Arch("mlp", Task::kBinary, 1, 3, {6, 6});
  TabularNet model(arch);
  FeatureStore s = MakeStore(Task::kBinary, 10, 1);
  s.cats[4][1] = 6;
  MlpCpuStep step(model, "bce", 16);
  const torch::Tensor rows = torch::arange(10, torch::kInt64);
  EXPECT_THROW(step.Step(s, rows.data_ptr<int64_t>(), 10), DataError);
}

// A rank's stripe against the whole batch's weight: the stripes' losses and gradients add up to
// the batch's; an empty stripe gives zero gradients.
TEST(MlpCpuStep, StripesAddUpToTheBatch) {
  const ModelArch arch = Arch("mlp", Task::kBinary, 1, 3, {6, 6});
  FeatureStore s = MakeStore(Task::kBinary, 50, 4);
  s.weights = torch::rand({50}, at::make_generator<at::CPUGeneratorImpl>(8), torch::kFloat32);
  TabularNet model(arch);
  MlpCpuStep step(model, "bce", 64);
  std::vector<int64_t> rows(50), even, odd;
  for (int64_t i = 0; i < 50; ++i) {
    rows[static_cast<size_t>(i)] = (i * 7) % 50;
    (i % 2 ? odd : even).push_back(rows[static_cast<size_t>(i)]);
  }
  const double whole = step.Step(s, rows.data(), 50);
  std::vector<torch::Tensor> want;
  for (const auto& p : model->parameters()) want.push_back(p.grad().clone());
  const double total = s.weights.sum().item<double>();
  double sum = step.Step(s, even.data(), 25, total);
  std::vector<torch::Tensor> got;
  for (const auto& p : model->parameters()) got.push_back(p.grad().clone());
  sum += step.Step(s, odd.data(), 25, total);
  EXPECT_NEAR(sum, whole, 1e-6);
  const auto params = model->parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_TRUE(torch::allclose(got[i] + params[i].grad(), want[i], 1e-4, 1e-6));
  }
  EXPECT_EQ(step.Step(s, nullptr, 0, total), 0.0);
  for (const auto& p : model->parameters()) EXPECT_EQ(p.grad().abs().max().item<float>(), 0.0f);
}

// A whole session with the written-out step ends where one with autograd ends, to float rounding.
TEST(MlpCpuStep, TrainsTheSameModelAsAutograd) {
  const ModelArch arch = Arch("mlp", Task::kBinary, 1, 3, {6, 6});
  const FeatureStore s = MakeStore(Task::kBinary, 2000, 9);
  SessionOptions with = Options(Task::kBinary, 3);
  SessionOptions without = with;
  without.written_out_step = false;
  TrainSession a(arch, with), b(arch, without);
  a.Train(s, torch::Tensor(), torch::Tensor());
  b.Train(s, torch::Tensor(), torch::Tensor());
  EXPECT_NEAR(a.last_train_loss(), b.last_train_loss(), 1e-4);
  const auto pa = a.model()->named_parameters();
  const auto pb = b.model()->named_parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_TRUE(torch::allclose(pa[i].value(), pb[i].value(), 1e-3, 1e-4)) << pa[i].key();
  }
  const torch::Tensor pred_a = a.Predict(s), pred_b = b.Predict(s);
  EXPECT_LT((pred_a - pred_b).abs().max().item<float>(), 1e-3);
}

// Each batch's second half runs on a LaneThread where a second core is free: from the start with
// two intra-op threads, or once SessionOptions::spare_core is set. The model is the same to the
// bit on one core or two, weighted or not, resident or streamed.
TEST(MlpCpuStep, SameModelOnOneCoreOrTwo) {
  const ModelArch arch = Arch("mlp", Task::kBinary, 1, 3, {6, 6});
  FeatureStore s = MakeStore(Task::kBinary, 2000, 9);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  s.weights = torch::rand({2000}, gen, torch::kFloat32) + 0.5f;
  const int threads = at::get_num_threads();
  std::atomic<bool> spare{true};
  std::vector<std::unique_ptr<TrainSession>> sessions;
  for (int variant = 0; variant < 4; ++variant) {
    SessionOptions o = Options(Task::kBinary, 2);
    o.train.batch_size = 75;  // odd: the first half takes the odd row
    if (variant == 2) o.spare_core = &spare;
    at::set_num_threads(variant == 1 ? 2 : 1);
    sessions.push_back(std::make_unique<TrainSession>(arch, o));
    FeatureStore from = s;
    if (variant == 3) from.resident = false;  // batches come gathered
    sessions.back()->Train(from, torch::Tensor(), torch::Tensor());
  }
  at::set_num_threads(threads);
  for (size_t v = 1; v < sessions.size(); ++v) {
    EXPECT_TRUE(testing::SameWeights(sessions[0]->model(), sessions[v]->model())) << v;
    EXPECT_EQ(sessions[0]->last_train_loss(), sessions[v]->last_train_loss()) << v;
  }
}

// A bad code in either half, the lane's or this thread's, is the step's DataError (the seeds
// shuffle the one bad row into both halves).
TEST(MlpCpuStep, EitherHalfsErrorIsTheSessions) {
  const ModelArch arch = Arch("mlp", Task::kBinary, 1, 3, {6, 6});
  FeatureStore s = MakeStore(Task::kBinary, 200, 9);
  s.cats[150][0] = 40;
  const int threads = at::get_num_threads();
  at::set_num_threads(2);
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SessionOptions o = Options(Task::kBinary, 1);
    o.train.batch_size = 200;
    o.train.seed = seed;
    TrainSession session(arch, o);
    EXPECT_THROW(session.Train(s, torch::Tensor(), torch::Tensor()), DataError) << seed;
  }
  at::set_num_threads(threads);
}

}  // namespace
}  // namespace freshet
