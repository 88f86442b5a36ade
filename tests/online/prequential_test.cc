// Prequential metrics: window, faded and total values worked out by hand, window eviction, the
// window's AUC with ties, the per-row error and loss, and exact Save/Restore.
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "freshet/online_learner.hpp"

namespace freshet {
namespace {

constexpr double kTol = 1e-12;

// Binary, window 3, alpha 0.5, rows (p, y): (0.8, 1) (0.4, 0) (0.4, 1) (0.9, 0).
//   losses L = -log 0.8, -log 0.6, -log 0.4, -log 0.1; right (p >= 0.5 iff y = 1): 1, 1, 0, 0
//   window (the last 3): log loss (-log .6 - log .4 - log .1) / 3, accuracy 1/3,
//     AUC: sorted scores .4 (neg), .4 (pos), .9 (neg) have ranks 1.5, 1.5, 3; the positive's
//     rank sum 1.5: (1.5 - 1 * 2 / 2) / (1 * 2) = 0.25 (the tie counts one half)
//   faded: N = 1 + .5 (1 + .5 (1 + .5)) = 1.875, S = L4 + .5 L3 + .25 L2 + .125 L1,
//     accuracy (0 + 0 + .25 + .125) / 1.875 = 0.2
//   total: mean of the four losses, accuracy 0.5
TEST(Prequential, BinaryKnownAnswer) {
  PrequentialMetrics m(Task::kBinary, 1, 3, 0.5);
  const double scores[] = {0.8, 0.4, 0.4, 0.9}, labels[] = {1, 0, 1, 0};
  m.Add(scores, labels, 4);
  EXPECT_EQ(m.rows(), 4);
  const double l1 = -std::log(0.8), l2 = -std::log(0.6), l3 = -std::log(0.4), l4 = -std::log(0.1);
  const nlohmann::json j = m.ToJson();
  EXPECT_EQ(j["rows"], 4);
  EXPECT_NEAR(j["window"]["log_loss"].get<double>(), (l2 + l3 + l4) / 3, kTol);
  EXPECT_NEAR(j["window"]["accuracy"].get<double>(), 1.0 / 3, kTol);
  EXPECT_NEAR(j["window"]["auc"].get<double>(), 0.25, kTol);
  EXPECT_NEAR(j["faded"]["log_loss"].get<double>(),
              (l4 + 0.5 * l3 + 0.25 * l2 + 0.125 * l1) / 1.875, kTol);
  EXPECT_NEAR(j["faded"]["accuracy"].get<double>(), 0.2, kTol);
  EXPECT_NEAR(j["total"]["log_loss"].get<double>(), (l1 + l2 + l3 + l4) / 4, kTol);
  EXPECT_NEAR(j["total"]["accuracy"].get<double>(), 0.5, kTol);
  EXPECT_FALSE(j["faded"].contains("auc"));
  EXPECT_NEAR(m.Window("log_loss"), (l2 + l3 + l4) / 3, kTol);
  EXPECT_NEAR(m.Window("accuracy"), 1.0 / 3, kTol);
  EXPECT_NEAR(m.Window("auc"), 0.25, kTol);
  EXPECT_TRUE(std::isnan(m.Window("mae")));
  EXPECT_TRUE(std::isnan(m.Window("rmse")));
}

// A certain wrong prediction costs about -log(1e-15) (clipping), not infinity: p = 0 becomes
// 1e-15, p = 1 becomes the double nearest 1 - 1e-15, whose distance to 1 is not quite 1e-15.
TEST(Prequential, BinaryClipsProbabilities) {
  PrequentialMetrics m(Task::kBinary, 1, 10, 0.9);
  const double scores[] = {1.0, 0.0}, labels[] = {0, 1};
  m.Add(scores, labels, 2);
  EXPECT_NEAR(m.Window("log_loss"), (-std::log(1 - (1 - 1e-15)) - std::log(1e-15)) / 2, 1e-12);
  EXPECT_EQ(m.Window("accuracy"), 0.0);
  EXPECT_EQ(m.Window("auc"), 0.0);
}

TEST(Prequential, EmptyAndOneClassAreNull) {
  PrequentialMetrics m(Task::kBinary, 1, 2, 0.9);
  nlohmann::json j = m.ToJson();
  EXPECT_TRUE(j["window"]["log_loss"].is_null());
  EXPECT_TRUE(j["faded"]["accuracy"].is_null());
  EXPECT_TRUE(j["total"]["log_loss"].is_null());
  EXPECT_EQ(j["rows"], 0);
  // Window 2: after (0.3, 0) (0.6, 1) (0.7, 1) only positives are left in it.
  const double scores[] = {0.3, 0.6, 0.7}, labels[] = {0, 1, 1};
  m.Add(scores, labels, 2);
  EXPECT_EQ(m.Window("auc"), 1.0);
  m.Add(scores + 2, labels + 2, 1);
  j = m.ToJson();
  EXPECT_TRUE(j["window"]["auc"].is_null());
  EXPECT_TRUE(std::isnan(m.Window("auc")));
  EXPECT_NEAR(j["window"]["accuracy"].get<double>(), 1.0, kTol);
  EXPECT_NEAR(j["total"]["accuracy"].get<double>(), 1.0, kTol);  // 0.3 < 0.5 is right for y = 0
}

// Regression, window 2, alpha 0.5, rows (prediction, y): (1, 2) (3, 1) (0, 0.5).
//   absolute errors 1, 2, 0.5; squared 1, 4, 0.25
//   window (last 2): mae 1.25, rmse sqrt(4.25 / 2)
//   faded: N = 1.75, mae (0.5 + 0.5 * 2 + 0.25 * 1) / 1.75 = 1, rmse sqrt((0.25 + 2 + 0.25) / 1.75)
//   total: mae 3.5 / 3, rmse sqrt(5.25 / 3)
TEST(Prequential, RegressionKnownAnswer) {
  PrequentialMetrics m(Task::kRegression, 1, 2, 0.5);
  const double scores[] = {1, 3, 0}, labels[] = {2, 1, 0.5};
  m.Add(scores, labels, 3);
  const nlohmann::json j = m.ToJson();
  EXPECT_NEAR(j["window"]["mae"].get<double>(), 1.25, kTol);
  EXPECT_NEAR(j["window"]["rmse"].get<double>(), std::sqrt(2.125), kTol);
  EXPECT_NEAR(j["faded"]["mae"].get<double>(), 1.0, kTol);
  EXPECT_NEAR(j["faded"]["rmse"].get<double>(), std::sqrt(2.5 / 1.75), kTol);
  EXPECT_NEAR(j["total"]["mae"].get<double>(), 3.5 / 3, kTol);
  EXPECT_NEAR(j["total"]["rmse"].get<double>(), std::sqrt(1.75), kTol);
  EXPECT_FALSE(j["window"].contains("auc"));
  EXPECT_NEAR(m.Window("rmse"), std::sqrt(2.125), kTol);
  EXPECT_TRUE(std::isnan(m.Window("auc")));
  EXPECT_TRUE(std::isnan(m.Window("log_loss")));
  const double s = 3.0;
  EXPECT_EQ(m.RowError(&s, 1.0), 2.0);
  EXPECT_EQ(m.RowLoss(&s, 1.0), 4.0);
}

// Multiclass, 3 classes, window 10, alpha 1 (no fading): rows
//   (0.2, 0.5, 0.3) y 1: loss -log 0.5, right
//   (0.6, 0.3, 0.1) y 2: loss -log 0.1, wrong
//   (0.4, 0.4, 0.2) y 1: loss -log 0.4, wrong (ties go to the first class, 0)
TEST(Prequential, MulticlassKnownAnswer) {
  PrequentialMetrics m(Task::kMulticlass, 3, 10, 1.0);
  const double scores[] = {0.2, 0.5, 0.3, 0.6, 0.3, 0.1, 0.4, 0.4, 0.2}, labels[] = {1, 2, 1};
  m.Add(scores, labels, 3);
  const double loss = (-std::log(0.5) - std::log(0.1) - std::log(0.4)) / 3;
  const nlohmann::json j = m.ToJson();
  for (const char* part : {"window", "faded", "total"}) {
    EXPECT_NEAR(j[part]["log_loss"].get<double>(), loss, kTol) << part;
    EXPECT_NEAR(j[part]["accuracy"].get<double>(), 1.0 / 3, kTol) << part;
  }
  EXPECT_FALSE(j["window"].contains("auc"));
  EXPECT_EQ(m.RowError(scores, 1), 0.0);
  EXPECT_EQ(m.RowError(scores + 3, 2), 1.0);
  EXPECT_EQ(m.RowError(scores + 6, 1), 1.0);
  EXPECT_NEAR(m.RowLoss(scores + 3, 2), -std::log(0.1), kTol);
}

TEST(Prequential, BinaryRowErrorAndLoss) {
  PrequentialMetrics m(Task::kBinary, 1, 10, 0.9);
  const double half = 0.5, low = 0.2;
  EXPECT_EQ(m.RowError(&half, 1), 0.0);  // threshold 0.5: p >= 0.5 predicts 1
  EXPECT_EQ(m.RowError(&half, 0), 1.0);
  EXPECT_EQ(m.RowError(&low, 0), 0.0);
  EXPECT_NEAR(m.RowLoss(&low, 1), -std::log(0.2), kTol);
  EXPECT_NEAR(m.RowLoss(&low, 0), -std::log(0.8), kTol);
}

// Brute force over a long random stream: the window's metrics equal those of its last `window`
// rows computed afresh, the AUC equals the pairwise definition (scores rounded to make ties).
TEST(Prequential, WindowMatchesBruteForce) {
  const int64_t window = 97, rows = 5000;
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> unit;
  std::vector<double> scores, labels;
  for (int64_t r = 0; r < rows; ++r) {
    scores.push_back(std::round(unit(rng) * 20) / 20);
    labels.push_back(unit(rng) < scores.back() ? 1 : 0);
  }
  PrequentialMetrics m(Task::kBinary, 1, window, 0.99);
  for (int64_t r = 0; r < rows; r += 37) {
    const int64_t n = std::min<int64_t>(37, rows - r);
    m.Add(scores.data() + r, labels.data() + r, n);
    const int64_t end = r + n, begin = std::max<int64_t>(0, end - window);
    double loss = 0, right = 0, pairs = 0, wins = 0;
    for (int64_t i = begin; i < end; ++i) {
      loss += m.RowLoss(&scores[i], labels[i]);
      right += 1 - m.RowError(&scores[i], labels[i]);
      for (int64_t k = begin; k < end; ++k) {
        if (labels[i] == 1 && labels[k] == 0) {
          pairs += 1;
          wins += scores[i] > scores[k] ? 1 : scores[i] == scores[k] ? 0.5 : 0;
        }
      }
    }
    const double count = static_cast<double>(end - begin);
    ASSERT_NEAR(m.Window("log_loss"), loss / count, 1e-12) << end;
    ASSERT_NEAR(m.Window("accuracy"), right / count, 1e-12) << end;
    if (pairs > 0) {
      ASSERT_NEAR(m.Window("auc"), wins / pairs, 1e-12) << end;
    }
  }
}

TEST(Prequential, SaveRestoreIsExact) {
  for (Task task : {Task::kBinary, Task::kRegression, Task::kMulticlass}) {
    const int64_t k = task == Task::kMulticlass ? 3 : 1;
    std::mt19937_64 rng(2);
    std::uniform_real_distribution<double> unit;
    std::vector<double> scores, labels;
    for (int64_t r = 0; r < 700; ++r) {
      for (int64_t c = 0; c < k; ++c) scores.push_back(unit(rng));
      labels.push_back(task == Task::kMulticlass ? static_cast<double>(rng() % 3)
                       : task == Task::kBinary   ? static_cast<double>(rng() % 2)
                                                 : 3 * unit(rng));
    }
    PrequentialMetrics a(task, k, 50, 0.97);
    a.Add(scores.data(), labels.data(), 333);
    PrequentialMetrics b(task, k, 50, 0.97);
    b.Restore(nlohmann::json::parse(a.Save().dump()));
    EXPECT_EQ(a.Save().dump(), b.Save().dump());
    a.Add(scores.data() + 333 * k, labels.data() + 333, 367);
    b.Add(scores.data() + 333 * k, labels.data() + 333, 367);
    EXPECT_EQ(a.ToJson().dump(), b.ToJson().dump());
    EXPECT_EQ(a.Save().dump(), b.Save().dump());
    // Copies are independent values.
    PrequentialMetrics c = a;
    c.Add(scores.data(), labels.data(), 1);
    EXPECT_EQ(a.rows(), 700);
    EXPECT_EQ(c.rows(), 701);
  }
}

// Non-finite numbers survive Save as strings; the metrics they poison read null.
TEST(Prequential, SaveKeepsNonFiniteNumbers) {
  PrequentialMetrics a(Task::kRegression, 1, 4, 0.5);
  const double scores[] = {1, std::numeric_limits<double>::infinity(), 2}, labels[] = {0, 0, 0};
  a.Add(scores, labels, 3);
  const nlohmann::json saved = a.Save();
  EXPECT_NE(saved.dump().find("\"inf\""), std::string::npos) << saved.dump();
  PrequentialMetrics b(Task::kRegression, 1, 4, 0.5);
  b.Restore(nlohmann::json::parse(saved.dump()));
  EXPECT_EQ(b.Save().dump(), saved.dump());
  EXPECT_TRUE(b.ToJson()["total"]["mae"].is_null());
  EXPECT_EQ(b.ToJson().dump(), a.ToJson().dump());
  // NaN scores (binary) likewise, and the AUC of a window holding one is null.
  PrequentialMetrics n(Task::kBinary, 1, 4, 0.5);
  const double bad[] = {std::numeric_limits<double>::quiet_NaN(), 0.2}, y[] = {1, 0};
  n.Add(bad, y, 2);
  EXPECT_NE(n.Save().dump().find("\"nan\""), std::string::npos);
  EXPECT_TRUE(n.ToJson()["window"]["auc"].is_null());
  // After `window` more rows the NaN has left the window and its sums are recomputed.
  const double good[] = {0.9, 0.1, 0.8, 0.3}, gy[] = {1, 0, 1, 0};
  n.Add(good, gy, 4);
  EXPECT_NEAR(n.Window("auc"), 1.0, kTol);
  EXPECT_TRUE(std::isfinite(n.Window("log_loss")));
}

TEST(Prequential, RestoreIntoAnotherWindowKeepsTheNewestRows) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> unit;
  std::vector<double> scores(200), labels(200);
  for (int i = 0; i < 200; ++i) {
    scores[i] = unit(rng);
    labels[i] = static_cast<double>(rng() % 2);
  }
  PrequentialMetrics wide(Task::kBinary, 1, 50, 0.9);
  wide.Add(scores.data(), labels.data(), 200);
  PrequentialMetrics narrow(Task::kBinary, 1, 20, 0.9);
  narrow.Restore(wide.Save());
  PrequentialMetrics fresh(Task::kBinary, 1, 20, 0.9);
  fresh.Add(scores.data() + 180, labels.data() + 180, 20);
  EXPECT_EQ(narrow.rows(), 200);
  EXPECT_NEAR(narrow.Window("log_loss"), fresh.Window("log_loss"), 1e-12);
  EXPECT_EQ(narrow.Window("auc"), fresh.Window("auc"));
  EXPECT_EQ(narrow.ToJson()["total"], wide.ToJson()["total"]);
}

TEST(Prequential, RestoreRejectsOtherStates) {
  PrequentialMetrics binary(Task::kBinary, 1, 10, 0.9);
  PrequentialMetrics regression(Task::kRegression, 1, 10, 0.9);
  const double s = 0.5, y = 1;
  binary.Add(&s, &y, 1);
  EXPECT_THROW(regression.Restore(binary.Save()), ArtifactError);
  EXPECT_THROW(regression.Restore(nlohmann::json::object()), ArtifactError);
  nlohmann::json broken = binary.Save();
  broken["faded"] = {1, 2};
  EXPECT_THROW(binary.Restore(broken), ArtifactError);
  broken = binary.Save();
  broken["total"][0] = "many";
  EXPECT_THROW(binary.Restore(broken), ArtifactError);
  EXPECT_EQ(binary.rows(), 1);  // a failed Restore changes nothing
}

}  // namespace
}  // namespace freshet
