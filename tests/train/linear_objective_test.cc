// The fallback's written-out full-batch objective against LibTorch's autograd: the same objective
// and gradients for every case it takes (bce and mse with a label scaler, weighted rows, with and
// without dense or categorical columns, all rows and a subset of them, more rows than a block),
// the cases it declines, a bad category code, and a whole fallback fit with it against one without.
#include "train/linear_objective.h"

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "train/train_util.h"

namespace freshet {
using testing::Arch;
using testing::MakeStore;
using testing::Options;
namespace {

// Σ w_i loss_i / sum_w over `rows` (all when undefined) and its gradient by autograd, as
// FitFullBatch's chunked pass computes them.
double AutogradObjective(TabularNet& model, const FeatureStore& s, const torch::Tensor& rows,
                         const std::string& loss_name, double sum_w) {
  for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
  const auto take = [&rows](const torch::Tensor& t) {
    return rows.defined() ? t.index_select(0, rows) : t;
  };
  const torch::Tensor z =
      model->forward(take(s.dense).to(torch::kFloat64), take(s.cats)).select(1, 0);
  torch::Tensor y = take(s.labels).to(torch::kFloat64);
  const ModelArch& a = model->arch;
  if (a.task == Task::kRegression && a.has_label_scaler()) y = (y - a.label_mean) / a.label_std;
  torch::Tensor per_row = loss_name == "bce" ? torch::binary_cross_entropy_with_logits(
                                                   z, y, {}, {}, at::Reduction::None)
                                             : (z - y).pow(2);
  if (s.weights.defined()) per_row = per_row * take(s.weights).to(torch::kFloat64);
  const torch::Tensor loss = per_row.sum() / sum_w;
  loss.backward();
  return loss.item<double>();
}

struct Case {
  Task task = Task::kBinary;
  int64_t dense = 3;
  std::vector<int64_t> cards = {6, 6};
  bool weighted = false;
  bool subset = false;
  int64_t rows = 300;
};

void ExpectSameAsAutograd(const Case& c) {
  SCOPED_TRACE(std::string(c.task == Task::kRegression ? "mse" : "bce") + " dense " +
               std::to_string(c.dense) + " cats " + std::to_string(c.cards.size()) +
               (c.weighted ? " weighted" : "") + (c.subset ? " subset" : "") + " rows " +
               std::to_string(c.rows));
  ModelArch arch = Arch("linear", c.task, 1, c.dense, c.cards);
  if (c.task == Task::kRegression) {
    arch.label_mean = 0.7;
    arch.label_std = 1.9;
  }
  const std::string loss = c.task == Task::kRegression ? "mse" : "bce";
  FeatureStore s = MakeStore(c.task, c.rows, 11);
  s.dense = s.dense.slice(1, 0, c.dense).contiguous();
  if (c.cards.empty()) s.cats = torch::empty({c.rows, 0}, torch::kInt64);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  if (c.weighted) s.weights = torch::rand({c.rows}, gen, torch::kFloat32) * 3.0f;
  TabularNet reference(arch);
  TabularNet model(arch);
  reference->to(torch::kFloat64);
  model->to(torch::kFloat64);
  {
    // Weights away from the zeros the linear model starts from, the same in both.
    torch::NoGradGuard no_grad;
    torch::manual_seed(3);
    for (auto& p : reference->parameters()) p.copy_(torch::randn_like(p) * 0.7);
    const auto from = reference->parameters();
    const auto to = model->parameters();
    for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  }
  ASSERT_TRUE(LinearObjectiveApplies(model, loss, s));
  // A sorted sample with a repeat, as FitFullBatch's first stage and ranks' stripes pass them.
  torch::Tensor rows;
  if (c.subset) {
    rows = std::get<0>(torch::randint(0, c.rows, {c.rows / 3}, gen, torch::kInt64).sort());
  }
  const int64_t n = rows.defined() ? rows.size(0) : c.rows;
  const double sum_w =
      (c.weighted
           ? (rows.defined() ? s.weights.index_select(0, rows) : s.weights).sum().item<double>()
           : static_cast<double>(n));
  const double expected = AutogradObjective(reference, s, rows, loss, sum_w);
  LinearObjective objective(model, loss);
  // Twice: the second pass overwrites the first's gradients rather than adding to them.
  double got = 0;
  for (int pass = 0; pass < 2; ++pass) {
    got = objective.Evaluate(s, rows.defined() ? rows.data_ptr<int64_t>() : nullptr, n, sum_w);
  }
  EXPECT_NEAR(got, expected, 1e-12 * std::max(1.0, std::fabs(expected)));
  const auto want = reference->named_parameters();
  const auto have = model->named_parameters();
  ASSERT_EQ(want.size(), have.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(want[i].key());
    ASSERT_TRUE(have[i].value().grad().defined());
    const double scale = std::max(1.0, want[i].value().grad().abs().max().item<double>());
    EXPECT_LE((have[i].value().grad() - want[i].value().grad()).abs().max().item<double>(),
              1e-12 * scale);
  }
}

TEST(LinearObjectiveTest, SameAsAutogradOnEveryCaseItTakes) {
  ExpectSameAsAutograd({});
  ExpectSameAsAutograd({Task::kBinary, 3, {6, 6}, /*weighted=*/true});
  ExpectSameAsAutograd({Task::kBinary, 3, {6, 6}, false, /*subset=*/true});
  ExpectSameAsAutograd({Task::kBinary, 3, {6, 6}, true, true});
  ExpectSameAsAutograd({Task::kRegression});
  ExpectSameAsAutograd({Task::kRegression, 3, {6, 6}, true, true});
  ExpectSameAsAutograd({Task::kBinary, /*dense=*/0});
  ExpectSameAsAutograd({Task::kBinary, 3, /*cards=*/{}});
  // A table with more rows than the block takes its gradients without lanes.
  ExpectSameAsAutograd({Task::kBinary, 2, {6, 5000}, true});
  // More rows than a block, some blocks short.
  ExpectSameAsAutograd({Task::kBinary, 3, {6, 6}, true, false, /*rows=*/10000});
  ExpectSameAsAutograd({Task::kRegression, 3, {6, 6}, false, true, 10000});
}

TEST(LinearObjectiveTest, DeclinesWhatItDoesNotCompute) {
  const FeatureStore s = MakeStore(Task::kBinary, 50, 1);
  TabularNet linear(Arch("linear", Task::kBinary, 1, 3, {6, 6}));
  EXPECT_FALSE(LinearObjectiveApplies(linear, "bce", s));  // float32 parameters
  linear->to(torch::kFloat64);
  EXPECT_TRUE(LinearObjectiveApplies(linear, "bce", s));
  EXPECT_FALSE(LinearObjectiveApplies(linear, "huber", s));
  FeatureStore streamed = s;
  streamed.resident = false;
  EXPECT_FALSE(LinearObjectiveApplies(linear, "bce", streamed));
  FeatureStore strided = s;
  strided.dense = torch::randn({3, 50}).t();
  EXPECT_FALSE(LinearObjectiveApplies(linear, "bce", strided));
  TabularNet multiclass(Arch("linear", Task::kMulticlass, 3, 3, {6, 6}));
  multiclass->to(torch::kFloat64);
  EXPECT_FALSE(LinearObjectiveApplies(multiclass, "cross_entropy", s));
  TabularNet mlp(Arch("mlp", Task::kBinary, 1, 3, {6, 6}));
  mlp->to(torch::kFloat64);
  EXPECT_FALSE(LinearObjectiveApplies(mlp, "bce", s));
  TabularNet wide_deep(Arch("wide_deep", Task::kBinary, 1, 3, {6, 6}));
  wide_deep->to(torch::kFloat64);
  EXPECT_FALSE(LinearObjectiveApplies(wide_deep, "bce", s));
}

TEST(LinearObjectiveTest, BadCategoryCodeIsADataError) {
  FeatureStore s = MakeStore(Task::kBinary, 50, 1);
  s.cats[17][1] = 9;  // the table has 6 rows
  TabularNet model(Arch("linear", Task::kBinary, 1, 3, {6, 6}));
  model->to(torch::kFloat64);
  LinearObjective objective(model, "bce");
  try {
    objective.Evaluate(s, nullptr, 50, 50.0);
    FAIL() << "no DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("row 17: category code 9"), std::string::npos) << e.what();
  }
}

// A whole fallback fit (two L-BFGS stages: 4 × 2^17 rows and more take a sample first) with the
// written-out objective against one with autograd's: the same solver path, so the same fit to
// far below the solver's tolerance.
TEST(LinearObjectiveTest, FallbackFitMatchesAutograd) {
  const int64_t n = 600000;
  const FeatureStore s = MakeStore(Task::kBinary, n, 21);
  ModelArch arch = Arch("linear", Task::kBinary, 1, 3, {6, 6});
  std::vector<std::vector<double>> weights;
  std::vector<nlohmann::json> solvers;
  for (const bool written_out : {true, false}) {
    SessionOptions o = Options(Task::kBinary);
    o.full_batch = true;
    o.written_out_step = written_out;
    TrainSession session(arch, o);
    session.Train(s, torch::Tensor(), torch::Tensor());
    std::vector<double> w;
    for (const auto& p : session.model()->parameters()) {
      const torch::Tensor f = p.detach().to(torch::kFloat64).flatten().contiguous();
      w.insert(w.end(), f.data_ptr<double>(), f.data_ptr<double>() + f.numel());
    }
    weights.push_back(w);
    solvers.push_back(session.solver());
  }
  ASSERT_EQ(solvers[0]["stages"].size(), 2u);
  EXPECT_TRUE(solvers[0]["converged"].get<bool>());
  EXPECT_NEAR(solvers[0]["objective_value"].get<double>(),
              solvers[1]["objective_value"].get<double>(), 1e-9);
  ASSERT_EQ(weights[0].size(), weights[1].size());
  for (size_t i = 0; i < weights[0].size(); ++i) EXPECT_NEAR(weights[0][i], weights[1][i], 1e-4);
}

}  // namespace
}  // namespace freshet
