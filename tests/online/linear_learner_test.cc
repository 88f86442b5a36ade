// The native online linear learners: known answers worked out by hand, independence of the
// micro-batch cuts, exact Save/Restore, Grow, SetLinear, convergence to known weights, and their
// throughput (printed, not asserted).
#include <cmath>
#include <cstdint>
#include <ctime>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "freshet/online_learner.hpp"

namespace freshet {
namespace {

// A stream of transformed rows, row-major, with its labels.
struct Stream {
  int64_t dense_dim = 0;
  std::vector<int64_t> cards;
  std::vector<float> dense;
  std::vector<int64_t> cats;
  std::vector<double> labels;

  int64_t rows() const { return static_cast<int64_t>(labels.size()); }
  int64_t cat_dim() const { return static_cast<int64_t>(cards.size()); }
  FeatureRows View(int64_t begin, int64_t end) const {
    return {end - begin, dense_dim, cat_dim(), dense.data() + begin * dense_dim,
            cats.data() + begin * cat_dim()};
  }
  void Add(const std::vector<float>& d, const std::vector<int64_t>& c, double label) {
    dense.insert(dense.end(), d.begin(), d.end());
    cats.insert(cats.end(), c.begin(), c.end());
    labels.push_back(label);
  }
};

OnlineConfig Config(const std::string& learner, double rate, double l1 = 0, double l2 = 0) {
  OnlineConfig c;
  c.learner = learner;
  c.alpha = rate;
  c.lr = rate;
  c.beta = 1.0;
  c.power_t = 0.5;
  c.l1 = l1;
  c.l2 = l2;
  return c;
}

double Predict1(OnlineLearner& learner, const std::vector<float>& dense,
                const std::vector<int64_t>& cats = {}) {
  double out = -1;
  learner.Predict({1, static_cast<int64_t>(dense.size()), static_cast<int64_t>(cats.size()),
                   dense.data(), cats.data()},
                  &out);
  return out;
}

void Train1(OnlineLearner& learner, const std::vector<float>& dense, double label,
            const std::vector<int64_t>& cats = {}) {
  learner.Train({1, static_cast<int64_t>(dense.size()), static_cast<int64_t>(cats.size()),
                 dense.data(), cats.data()},
                &label);
}

// Random rows: dense values N(0, 1) with about a quarter exactly 0, categories uniform over each
// output's whole range (missing and OOV included); labels from a logistic or linear model.
Stream RandomStream(uint64_t seed, int64_t rows, Task task, int64_t dense_dim = 4,
                    std::vector<int64_t> cards = {7, 13}) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unit;
  Stream s;
  s.dense_dim = dense_dim;
  s.cards = cards;
  for (int64_t r = 0; r < rows; ++r) {
    double m = 0.3;
    for (int64_t j = 0; j < dense_dim; ++j) {
      const float x = unit(rng) < 0.25 ? 0.0f : static_cast<float>(normal(rng));
      s.dense.push_back(x);
      m += (j % 2 ? -1.0 : 1.0) * x;
    }
    for (int64_t c : cards) {
      const int64_t i = static_cast<int64_t>(rng() % static_cast<uint64_t>(c));
      s.cats.push_back(i);
      m += 0.2 * static_cast<double>(i % 3) - 0.2;
    }
    s.labels.push_back(task == Task::kBinary ? (unit(rng) < 1 / (1 + std::exp(-m)) ? 1.0 : 0.0)
                                             : m + 0.5 * normal(rng));
  }
  return s;
}

// FTRL on a regression stream of one dense coordinate x and the bias; alpha 0.5, beta 1, l1 1,
// l2 1. The bias is neither L1- nor L2-penalised: its weight is -z / ((beta + sqrt n) / alpha).
//   row 1: x = 2, y = 3. All weights 0, p = 0, g = p - y = -3.
//     x: g_i = -6, n = 36, sigma = (6 - 0) / 0.5 = 12, z = 0 + (-6) - 12 * 0 = -6
//        w = -(-6 + 1) / ((1 + 6) / 0.5 + 1) = 5 / 15 = 1/3
//     bias: g_i = -3, n = 9, z = -3, w = 3 / ((1 + 3) / 0.5) = 3/8
//   row 2: x = 2, p = 2/3 + 3/8 = 25/24, y = 25/24 - 4 so that g = 4.
//     x: g_i = 8, n = 100, sigma = (10 - 6) / 0.5 = 8, z = -6 + 8 - 8 / 3 = -2/3; |z| <= l1: w = 0
//     bias: g_i = 4, n = 25, sigma = (5 - 3) / 0.5 = 4, z = -3 + 4 - 4 * 3/8 = -1/2,
//        w = 0.5 / ((1 + 5) / 0.5) = 1/24
TEST(LinearLearnerFtrl, KnownAnswerRegression) {
  auto learner = MakeLinearLearner(Config("ftrl", 0.5, 1.0, 1.0), Task::kRegression, 1, {});
  EXPECT_EQ(learner->Name(), "ftrl");
  EXPECT_EQ(learner->parameters(), 2);
  EXPECT_EQ(Predict1(*learner, {2.0f}), 0.0);
  Train1(*learner, {2.0f}, 3.0);
  EXPECT_NEAR(Predict1(*learner, {2.0f}), 25.0 / 24, 1e-12);
  const LinearWeights* w = learner->Linear();
  EXPECT_NEAR(w->dense[0], 1.0 / 3, 1e-7);
  EXPECT_NEAR(w->bias[0], 3.0 / 8, 1e-7);
  Train1(*learner, {2.0f}, 25.0 / 24 - 4);
  EXPECT_NEAR(Predict1(*learner, {2.0f}), 1.0 / 24, 1e-12);
  w = learner->Linear();
  EXPECT_EQ(w->dense[0], 0.0f);
  EXPECT_NEAR(w->bias[0], 1.0 / 24, 1e-7);
}

// FTRL, binary, alpha 0.5, beta 1, no regularisation; dense x plus one categorical output of
// cardinality 4 at index 3 (a coordinate of value 1, penalised like a dense one).
//   row 1: x = 2, category 3, y = 1. p = sigmoid(0) = 0.5, g = -0.5.
//     x: g_i = -1, n = 1, z = -1, w = 1 / ((1 + 1) / 0.5) = 1/4
//     category 3 and bias: g_i = -0.5, n = 1/4, z = -1/2, w = 0.5 / ((1 + 0.5) / 0.5) = 1/6
//   then p(x = 2, category 3) = sigmoid(2/4 + 1/6 + 1/6); other categories 0.
TEST(LinearLearnerFtrl, KnownAnswerBinaryWithCategory) {
  auto learner = MakeLinearLearner(Config("ftrl", 0.5), Task::kBinary, 1, {4});
  EXPECT_EQ(learner->parameters(), 6);
  EXPECT_EQ(Predict1(*learner, {2.0f}, {3}), 0.5);
  Train1(*learner, {2.0f}, 1.0, {3});
  auto sigmoid = [](double m) { return 1 / (1 + std::exp(-m)); };
  EXPECT_NEAR(Predict1(*learner, {2.0f}, {3}), sigmoid(0.5 + 1.0 / 3), 1e-12);
  EXPECT_NEAR(Predict1(*learner, {2.0f}, {1}), sigmoid(0.5 + 1.0 / 6), 1e-12);
  const LinearWeights* w = learner->Linear();
  EXPECT_EQ(w->outputs, 1);
  EXPECT_EQ(w->dense_dim, 1);
  EXPECT_EQ(w->cardinalities, std::vector<int64_t>{4});
  ASSERT_EQ(w->tables.size(), 1u);
  EXPECT_NEAR(w->dense[0], 0.25, 1e-7);
  EXPECT_NEAR(w->bias[0], 1.0 / 6, 1e-7);
  EXPECT_EQ(w->tables[0][0], 0.0f);
  EXPECT_EQ(w->tables[0][1], 0.0f);
  EXPECT_EQ(w->tables[0][2], 0.0f);
  EXPECT_NEAR(w->tables[0][3], 1.0 / 6, 1e-7);
}

// AdaGrad, regression, lr 0.5, l1 0.1 (truncation by lr_i l1, lr_i = lr / sqrt(G_i + 1e-10)).
//   row 1: x = 2, y = 3, g = -3.
//     x: g_i = -6, G = 36, lr_i = 0.5 / 6, w = 0 + 6 / 12 = 0.5, then - lr_i * 0.1: 59/120
//     bias (no l1): g_i = -3, G = 9, w = 0.5 * 3 / 3 = 0.5
//   row 2: x = 2, p = 2 * 59/120 + 0.5 = 89/60, y = 89/60 - 4 so that g = 4.
//     x: g_i = 8, G = 100, w = 59/120 - 0.5 * 8 / 10 = 11/120, then - 0.05 * 0.1: 13/150
//     bias: g_i = 4, G = 25, w = 0.5 - 0.5 * 4 / 5 = 0.1
// (The 1e-10 in the root moves these by about 1e-12.)
TEST(LinearLearnerAdagrad, KnownAnswerL1) {
  auto learner = MakeLinearLearner(Config("adagrad", 0.5, 0.1), Task::kRegression, 1, {});
  EXPECT_EQ(learner->Name(), "adagrad");
  Train1(*learner, {2.0f}, 3.0);
  EXPECT_NEAR(Predict1(*learner, {2.0f}), 89.0 / 60, 1e-9);
  Train1(*learner, {2.0f}, 89.0 / 60 - 4);
  EXPECT_NEAR(Predict1(*learner, {1.0f}), 13.0 / 150 + 0.1, 1e-9);
  EXPECT_NEAR(Predict1(*learner, {0.0f}), 0.1, 1e-9);
}

// AdaGrad with l2 0.5 (g_i += l2 w_i, not for the bias), lr 0.5:
//   row 1 as above without l1 (w = 0, so l2 adds nothing): x 0.5, bias 0.5.
//   row 2: x = 2, p = 1.5, y = -2.5, g = 4.
//     x: g_i = 8 + 0.5 * 0.5 = 8.25, G = 36 + 8.25^2, w = 0.5 - 0.5 * 8.25 / sqrt(G)
//     bias: 0.1 as above.
// A row whose x is exactly 0 leaves x alone (sparse: no l2 decay of an absent coordinate).
TEST(LinearLearnerAdagrad, KnownAnswerL2) {
  auto learner = MakeLinearLearner(Config("adagrad", 0.5, 0.0, 0.5), Task::kRegression, 1, {});
  Train1(*learner, {2.0f}, 3.0);
  Train1(*learner, {2.0f}, -2.5);
  const double x = 0.5 - 0.5 * 8.25 / std::sqrt(36 + 8.25 * 8.25);
  EXPECT_NEAR(Predict1(*learner, {1.0f}), x + 0.1, 1e-9);
  Train1(*learner, {0.0f}, 5.0);  // bias only: g = 0.1 - 5 = -4.9, G = 25 + 4.9^2
  const double bias = 0.1 + 0.5 * 4.9 / std::sqrt(25 + 4.9 * 4.9);
  EXPECT_NEAR(Predict1(*learner, {0.0f}), bias, 1e-9);
  EXPECT_NEAR(Predict1(*learner, {1.0f}), x + bias, 1e-9);
}

// SGD, regression, lr 0.5, power_t 0.5 (eta_t = 0.5 / sqrt(1 + t)), l1 0.1, l2 0.5.
//   row 1 (t = 0, eta = 0.5): x = 2, y = 3, g = -3.
//     x: g_i = -6 + 0.5 * 0 = -6, w = 0 + 0.5 * 6 = 3, then - eta * l1 = 0.05: 2.95
//     bias: w = 0.5 * 3 = 1.5
//   row 2 (t = 1, eta = 0.5 / sqrt 2): x = 1, p = 4.45, y = 3.45, g = 1.
//     x: g_i = 1 + 0.5 * 2.95 = 2.475, w = 2.95 - 2.475 eta - 0.1 eta = 2.95 - 2.575 eta
//     bias: 1.5 - eta
TEST(LinearLearnerSgd, KnownAnswer) {
  auto learner = MakeLinearLearner(Config("sgd", 0.5, 0.1, 0.5), Task::kRegression, 1, {});
  EXPECT_EQ(learner->Name(), "sgd");
  Train1(*learner, {2.0f}, 3.0);
  EXPECT_NEAR(Predict1(*learner, {1.0f}), 4.45, 1e-12);
  Train1(*learner, {1.0f}, 3.45);
  const double eta = 0.5 / std::sqrt(2.0);
  EXPECT_NEAR(Predict1(*learner, {1.0f}), 2.95 - 2.575 * eta + 1.5 - eta, 1e-12);
  EXPECT_NEAR(Predict1(*learner, {0.0f}), 1.5 - eta, 1e-12);
}

// power_t 0.25, lr 1: row 1 (eta 1) x = 1, y = 1: w = 1, bias 1; row 2 (eta 2^-0.25) x = 1,
// y = 3, g = -1: w = bias = 1 + 2^-0.25.
TEST(LinearLearnerSgd, PowerT) {
  OnlineConfig c = Config("sgd", 1.0);
  c.power_t = 0.25;
  auto learner = MakeLinearLearner(c, Task::kRegression, 1, {});
  Train1(*learner, {1.0f}, 1.0);
  Train1(*learner, {1.0f}, 3.0);
  EXPECT_NEAR(Predict1(*learner, {1.0f}), 2 * (1 + std::pow(2.0, -0.25)), 1e-12);
}

struct Case {
  std::string learner;
  Task task;
};

class LinearLearnerEach : public ::testing::TestWithParam<Case> {
 protected:
  std::unique_ptr<OnlineLearner> Make(const std::vector<int64_t>& cards = {7, 13}) const {
    return MakeLinearLearner(Config(GetParam().learner, 0.1, 0.01, 0.01), GetParam().task, 4,
                             cards);
  }
};

TEST_P(LinearLearnerEach, BatchCutsDoNotMatter) {
  const Stream s = RandomStream(1, 3000, GetParam().task);
  auto whole = Make();
  whole->Train(s.View(0, s.rows()), s.labels.data());
  auto cut = Make();
  std::mt19937_64 rng(2);
  for (int64_t r = 0; r < s.rows();) {
    const int64_t end = std::min<int64_t>(s.rows(), r + static_cast<int64_t>(rng() % 200));
    cut->Train(s.View(r, end), s.labels.data() + r);
    r = end;
  }
  EXPECT_EQ(whole->Save(), cut->Save());
  std::vector<double> a(s.rows()), b(s.rows());
  whole->Predict(s.View(0, s.rows()), a.data());
  cut->Predict(s.View(0, s.rows()), b.data());
  EXPECT_EQ(a, b);
}

TEST_P(LinearLearnerEach, RestoreResumesBitForBit) {
  const Stream s = RandomStream(3, 2000, GetParam().task);
  auto a = Make();
  a->SetLearningRateFactor(2.0);
  a->Train(s.View(0, 1000), s.labels.data());
  auto b = Make();
  b->Restore(a->Save(), "checkpoint.bin");
  EXPECT_EQ(a->Save(), b->Save());
  a->Train(s.View(1000, 2000), s.labels.data() + 1000);
  b->Train(s.View(1000, 2000), s.labels.data() + 1000);
  EXPECT_EQ(a->Save(), b->Save());
  std::vector<double> pa(s.rows()), pb(s.rows());
  a->Predict(s.View(0, s.rows()), pa.data());
  b->Predict(s.View(0, s.rows()), pb.data());
  EXPECT_EQ(pa, pb);
}

TEST_P(LinearLearnerEach, RestoreRejectsOtherBytes) {
  auto a = Make();
  const Stream s = RandomStream(4, 100, GetParam().task);
  a->Train(s.View(0, s.rows()), s.labels.data());
  const std::string good = a->Save();
  auto expect_rejected = [&](OnlineLearner& learner, const std::string& bytes) {
    try {
      learner.Restore(bytes, "ckpt/learner.bin");
      ADD_FAILURE() << "accepted";
    } catch (const ArtifactError& e) {
      EXPECT_NE(std::string(e.what()).find("ckpt/learner.bin"), std::string::npos) << e.what();
    }
  };
  auto b = Make();
  std::string bad_magic = good;
  bad_magic[0] = 'F';
  expect_rejected(*b, bad_magic);
  expect_rejected(*b, "");
  expect_rejected(*b, good.substr(0, good.size() - 1));
  expect_rejected(*b, good.substr(0, 30));
  expect_rejected(*b, good + "x");
  auto other_shape = Make({7, 14});
  expect_rejected(*other_shape, good);
  auto other_dense =
      MakeLinearLearner(Config(GetParam().learner, 0.1), GetParam().task, 3, {7, 13});
  expect_rejected(*other_dense, good);
  const Task other_task = GetParam().task == Task::kBinary ? Task::kRegression : Task::kBinary;
  auto other_task_learner =
      MakeLinearLearner(Config(GetParam().learner, 0.1), other_task, 4, {7, 13});
  expect_rejected(*other_task_learner, good);
  const std::string other_kind = GetParam().learner == "ftrl" ? "sgd" : "ftrl";
  auto other_kind_learner = MakeLinearLearner(Config(other_kind, 0.1), GetParam().task, 4, {7, 13});
  expect_rejected(*other_kind_learner, good);
  b->Restore(good, "ckpt/learner.bin");  // still usable after the failures
  EXPECT_EQ(b->Save(), good);
}

// A learner grown from {3, 5} to {6, 5} behaves as one built with {6, 5} from the start, since the
// new coordinates are zero until rows use them.
TEST_P(LinearLearnerEach, GrowKeepsWeightsAndAddsZeros) {
  const Stream early = RandomStream(5, 500, GetParam().task, 4, {3, 5});
  Stream late = RandomStream(6, 500, GetParam().task, 4, {6, 5});
  auto grown = Make({3, 5});
  auto wide = Make({6, 5});
  grown->Train(early.View(0, early.rows()), early.labels.data());
  Stream early_wide = early;
  early_wide.cards = {6, 5};
  wide->Train(early_wide.View(0, early.rows()), early.labels.data());
  const LinearWeights before = *grown->Linear();
  grown->Grow({6, 5});
  EXPECT_EQ(grown->parameters(), 4 + 6 + 5 + 1);
  const LinearWeights* after = grown->Linear();
  EXPECT_EQ(after->dense, before.dense);
  EXPECT_EQ(after->bias, before.bias);
  EXPECT_EQ(after->tables[1], before.tables[1]);
  ASSERT_EQ(after->tables[0].size(), 6u);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(after->tables[0][c], before.tables[0][c]);
  for (int c = 3; c < 6; ++c) EXPECT_EQ(after->tables[0][c], 0.0f);
  EXPECT_EQ(grown->Save(), wide->Save());
  grown->Train(late.View(0, late.rows()), late.labels.data());
  wide->Train(late.View(0, late.rows()), late.labels.data());
  EXPECT_EQ(grown->Save(), wide->Save());
}

TEST_P(LinearLearnerEach, SetLinearStartsFromTheWeights) {
  const Stream s = RandomStream(7, 2000, GetParam().task);
  auto a = Make();
  a->Train(s.View(0, s.rows()), s.labels.data());
  const LinearWeights w = *a->Linear();
  auto b = Make();
  b->Train(s.View(0, 100), s.labels.data());
  b->SetLinear(w);
  const LinearWeights* got = b->Linear();
  EXPECT_EQ(got->dense, w.dense);
  EXPECT_EQ(got->bias, w.bias);
  EXPECT_EQ(got->tables, w.tables);
  std::vector<double> pa(s.rows()), pb(s.rows());
  a->Predict(s.View(0, s.rows()), pa.data());
  b->Predict(s.View(0, s.rows()), pb.data());
  for (int64_t r = 0; r < s.rows(); ++r) ASSERT_NEAR(pa[r], pb[r], 1e-5) << r;
  // Accumulators and step counts start again: the same as a fresh learner given the weights.
  auto fresh = Make();
  fresh->SetLinear(w);
  EXPECT_EQ(fresh->Save(), b->Save());
  LinearWeights wrong = w;
  wrong.tables[1].push_back(0.0f);
  wrong.cardinalities[1] += 1;
  EXPECT_THROW(b->SetLinear(wrong), ArtifactError);
  wrong = w;
  wrong.dense.pop_back();
  EXPECT_THROW(b->SetLinear(wrong), ArtifactError);
}

// The factor multiplies alpha (FTRL) or lr: a learner at rate 0.05 with factor 4 learns as one
// at rate 0.2 (exact: both products are 0.2 in binary).
TEST_P(LinearLearnerEach, LearningRateFactorScalesTheRate) {
  const Stream s = RandomStream(8, 1000, GetParam().task);
  auto boosted = MakeLinearLearner(Config(GetParam().learner, 0.05), GetParam().task, 4, {7, 13});
  boosted->SetLearningRateFactor(4.0);
  auto fast = MakeLinearLearner(Config(GetParam().learner, 0.2), GetParam().task, 4, {7, 13});
  boosted->Train(s.View(0, s.rows()), s.labels.data());
  fast->Train(s.View(0, s.rows()), s.labels.data());
  std::vector<double> pa(s.rows()), pb(s.rows());
  boosted->Predict(s.View(0, s.rows()), pa.data());
  fast->Predict(s.View(0, s.rows()), pb.data());
  EXPECT_EQ(pa, pb);
}

// Data from known weights: dense (1.5, -2, 0.5), one categorical output whose categories 2..5
// add (1, -1, 0.5, -0.5), bias -0.3. The bias and a categorical block are collinear, so the test
// compares the dense weights and the per-category intercepts bias + table[c].
TEST_P(LinearLearnerEach, ConvergesToKnownWeights) {
  const Task task = GetParam().task;
  const double dense_w[3] = {1.5, -2.0, 0.5}, cat_w[6] = {0, 0, 1, -1, 0.5, -0.5}, bias_w = -0.3;
  std::mt19937_64 rng(9);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unit;
  Stream s;
  s.dense_dim = 3;
  s.cards = {6};
  const int64_t rows = 300000;
  for (int64_t r = 0; r < rows; ++r) {
    double m = bias_w;
    std::vector<float> d(3);
    for (int j = 0; j < 3; ++j) {
      d[j] = static_cast<float>(normal(rng));
      m += dense_w[j] * d[j];
    }
    const int64_t c = 2 + static_cast<int64_t>(rng() % 4);
    m += cat_w[c];
    s.Add(d, {c},
          task == Task::kBinary ? (unit(rng) < 1 / (1 + std::exp(-m)) ? 1 : 0)
                                : m + 0.5 * normal(rng));
  }
  OnlineConfig config = Config(GetParam().learner, task == Task::kBinary ? 0.5 : 0.1);
  if (GetParam().learner == "sgd") config.lr = task == Task::kBinary ? 1.0 : 0.1;
  auto learner = MakeLinearLearner(config, task, 3, {6});
  const int64_t train = rows - 20000;
  learner->Train(s.View(0, train), s.labels.data());
  const LinearWeights* w = learner->Linear();
  const double tol = task == Task::kBinary ? 0.1 : 0.03;
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(w->dense[j], dense_w[j], tol) << "dense " << j;
  for (int c = 2; c < 6; ++c) {
    EXPECT_NEAR(w->bias[0] + w->tables[0][c], bias_w + cat_w[c], 1.5 * tol) << "category " << c;
  }
  std::vector<double> p(rows - train);
  learner->Predict(s.View(train, rows), p.data());
  double learnt = 0, bayes = 0;
  for (int64_t r = train; r < rows; ++r) {
    double m = bias_w + cat_w[s.cats[r]];
    for (int j = 0; j < 3; ++j) m += dense_w[j] * s.dense[r * 3 + j];
    const double y = s.labels[r], q = p[r - train];
    if (task == Task::kBinary) {
      learnt += (q >= 0.5) == (y > 0.5);
      bayes += (m >= 0) == (y > 0.5);
    } else {
      learnt += (q - y) * (q - y);
      bayes += (m - y) * (m - y);
    }
  }
  learnt /= static_cast<double>(rows - train);
  bayes /= static_cast<double>(rows - train);
  std::cout << GetParam().learner << ": " << (task == Task::kBinary ? "accuracy " : "mse ")
            << learnt << " (Bayes " << bayes << ")\n";
  if (task == Task::kBinary) {
    EXPECT_GT(learnt, bayes - 0.005);
  } else {
    EXPECT_LT(learnt, bayes * 1.02);
  }
}

// Predict + Train of micro-batches of 1024 rows with 11 features (5 dense, 6 categorical), as in
// `freshet online`: once with small vocabularies (the weights stay in cache) and once with 4 of
// the 6 hashed into 2^18 buckets (every row touches 4 random cache lines of a 8-32 MB state).
// Printed, not asserted: a benchmark. CPU time, so that a busy machine distorts it less.
TEST_P(LinearLearnerEach, Throughput) {
  const int64_t rows = 1 << 20, batch = 1024, hashed = (1 << 18) + 2;
  for (const std::vector<int64_t>& cards :
       {std::vector<int64_t>{12, 7, 50, 100, 1000, 1000},
        std::vector<int64_t>{12, 7, hashed, hashed, hashed, hashed}}) {
    const Stream s = RandomStream(10, rows, GetParam().task, 5, cards);
    auto learner =
        MakeLinearLearner(Config(GetParam().learner, 0.1, 0.01, 0.01), GetParam().task, 5, cards);
    std::vector<double> out(batch);
    const std::clock_t start = std::clock();
    for (int64_t r = 0; r < rows; r += batch) {
      learner->Predict(s.View(r, r + batch), out.data());
      learner->Train(s.View(r, r + batch), s.labels.data() + r);
    }
    const double seconds = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
    std::cout << GetParam().learner << " "
              << (GetParam().task == Task::kBinary ? "binary" : "regression") << ", "
              << (cards[2] == hashed ? "4 hashed columns of 2^18" : "small vocabularies")
              << ": Predict+Train " << static_cast<double>(rows) / seconds / 1e6 << " M rows/s\n";
  }
}

INSTANTIATE_TEST_SUITE_P(
    , LinearLearnerEach,
    ::testing::Values(Case{"ftrl", Task::kBinary}, Case{"ftrl", Task::kRegression},
                      Case{"adagrad", Task::kBinary}, Case{"adagrad", Task::kRegression},
                      Case{"sgd", Task::kBinary}, Case{"sgd", Task::kRegression}),
    [](const auto& info) {
      return info.param.learner + (info.param.task == Task::kBinary ? "Binary" : "Regression");
    });

TEST(LinearLearnerConfig, RefusesMulticlassAndBadSettings) {
  try {
    MakeLinearLearner(Config("ftrl", 0.1), Task::kMulticlass, 2, {});
    ADD_FAILURE() << "accepted multiclass";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "online.learner: ftrl supports binary and regression tasks");
  }
  EXPECT_THROW(MakeLinearLearner(Config("model", 0.1), Task::kBinary, 2, {}), ConfigError);
  EXPECT_THROW(MakeLinearLearner(Config("ftrl", 0.0), Task::kBinary, 2, {}), ConfigError);
  EXPECT_THROW(MakeLinearLearner(Config("sgd", -1.0), Task::kBinary, 2, {}), ConfigError);
  EXPECT_THROW(MakeLinearLearner(Config("adagrad", 0.1, -0.5), Task::kBinary, 2, {}), ConfigError);
}

TEST(LinearLearnerConfig, RefusesIndicesOutsideTheCardinality) {
  auto learner = MakeLinearLearner(Config("ftrl", 0.1), Task::kBinary, 1, {4});
  EXPECT_THROW(Train1(*learner, {1.0f}, 1.0, {4}), Error);
  EXPECT_THROW(Train1(*learner, {1.0f}, 1.0, {-1}), Error);
}

}  // namespace
}  // namespace freshet
