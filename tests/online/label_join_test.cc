// Delayed labels: rows held by key until their label arrives, replaced by a later row of the same
// key, evicted oldest first past max_pending, expired after the window, and saved exactly.
#include "online/label_join.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace freshet::online {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

HeldRow Row(const std::string& key, int64_t record, float x = 0.f) {
  HeldRow r;
  r.key = key;
  r.record = record;
  r.dense = {x, -x};
  r.cats = {0, record + 2};
  r.scores = {0.25};
  return r;
}

// Bitwise equality, so that NaN equals NaN and -0 differs from 0.
template <typename T>
bool SameBits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// Doubles equal as values, NaN equal to NaN (its sign and payload are not kept).
bool SameDoubles(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) ? !std::isnan(b[i]) : !SameBits(std::vector<double>{a[i]}, {b[i]})) {
      return false;
    }
  }
  return true;
}

void ExpectSameRow(const HeldRow& a, const HeldRow& b) {
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.record, b.record);
  EXPECT_TRUE(SameBits(a.dense, b.dense));
  EXPECT_EQ(a.cats, b.cats);
  EXPECT_TRUE(SameDoubles(a.scores, b.scores));
  EXPECT_TRUE(SameDoubles(a.champion, b.champion));
}

// The keys held, in arrival order (read through Save).
std::vector<std::string> Keys(const PendingLabels& p) {
  std::vector<std::string> keys;
  for (const auto& r : p.Save()) keys.push_back(r.at("key").get<std::string>());
  return keys;
}

TEST(PendingLabels, HoldThenTake) {
  PendingLabels p(100, 100);
  EXPECT_EQ(p.size(), 0);
  EXPECT_FALSE(p.Take("a").has_value());
  HeldRow a = Row("a", 1, 1.5f);
  a.champion = {0.75};
  EXPECT_EQ(p.Hold(a), 0);
  EXPECT_EQ(p.Hold(Row("b", 2)), 0);
  EXPECT_EQ(p.size(), 2);
  const std::optional<HeldRow> got = p.Take("a");
  ASSERT_TRUE(got.has_value());
  ExpectSameRow(*got, a);
  EXPECT_EQ(p.size(), 1);
  EXPECT_FALSE(p.Take("a").has_value());  // taken once
  EXPECT_FALSE(p.Take("c").has_value());
  EXPECT_FALSE(p.Take("").has_value());
  ASSERT_TRUE(p.Take("b").has_value());
  EXPECT_EQ(p.size(), 0);
}

TEST(PendingLabels, KeysAreExactBytes) {
  PendingLabels p(100, 100);
  p.Hold(Row("k", 1));
  p.Hold(Row("K", 2));
  p.Hold(Row(std::string("k\0", 2), 3));
  p.Hold(Row("", 4));
  EXPECT_EQ(p.size(), 4);
  EXPECT_EQ(p.Take(std::string("k\0", 2))->record, 3);
  EXPECT_EQ(p.Take("")->record, 4);
  EXPECT_EQ(p.Take("K")->record, 2);
  EXPECT_EQ(p.Take("k")->record, 1);
}

TEST(PendingLabels, ASecondRowOfAKeyReplacesTheFirstAndCountsItExpired) {
  PendingLabels p(100, 100);
  p.Hold(Row("a", 1, 1.f));
  p.Hold(Row("b", 2));
  EXPECT_EQ(p.Hold(Row("a", 3, 3.f)), 1);
  EXPECT_EQ(p.size(), 2);
  // The replacement goes to the back: "b" is now the oldest.
  EXPECT_EQ(Keys(p), (std::vector<std::string>{"b", "a"}));
  const auto a = p.Take("a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->record, 3);
  EXPECT_EQ(a->dense[0], 3.f);
  EXPECT_FALSE(p.Take("a").has_value());
}

TEST(PendingLabels, MaxPendingEvictsTheOldest) {
  PendingLabels p(1000, 3);
  EXPECT_EQ(p.Hold(Row("a", 1)), 0);
  EXPECT_EQ(p.Hold(Row("b", 2)), 0);
  EXPECT_EQ(p.Hold(Row("c", 3)), 0);
  EXPECT_EQ(p.Hold(Row("d", 4)), 1);
  EXPECT_EQ(p.size(), 3);
  EXPECT_EQ(Keys(p), (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_FALSE(p.Take("a").has_value());
  // A replacement at the bound expires the old row only: no eviction on top.
  EXPECT_EQ(p.Hold(Row("c", 5)), 1);
  EXPECT_EQ(Keys(p), (std::vector<std::string>{"b", "d", "c"}));
  // Taking frees a place.
  ASSERT_TRUE(p.Take("d").has_value());
  EXPECT_EQ(p.Hold(Row("e", 6)), 0);
  EXPECT_EQ(Keys(p), (std::vector<std::string>{"b", "c", "e"}));
  // The evicted key can be held again, as a new row.
  EXPECT_EQ(p.Hold(Row("a", 7)), 1);  // "b" goes
  EXPECT_EQ(Keys(p), (std::vector<std::string>{"c", "e", "a"}));
}

TEST(PendingLabels, MaxPendingOfOneKeepsTheNewest) {
  PendingLabels p(1000, 1);
  for (int64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(p.Hold(Row("k" + std::to_string(i), i)), i == 0 ? 0 : 1);
    EXPECT_EQ(p.size(), 1);
  }
  EXPECT_EQ(p.Take("k9")->record, 9);
}

TEST(PendingLabels, ExpireBeforeUsesTheWindow) {
  // window 10: a row held at record r expires once record - r >= 10.
  PendingLabels p(10, 100);
  p.Hold(Row("a", 0));
  p.Hold(Row("b", 5));
  p.Hold(Row("c", 7));
  EXPECT_EQ(p.ExpireBefore(0), 0);
  EXPECT_EQ(p.ExpireBefore(9), 0);  // 9 - 0 < 10
  EXPECT_EQ(p.size(), 3);
  EXPECT_EQ(p.ExpireBefore(10), 1);  // 10 - 0 >= 10
  EXPECT_EQ(Keys(p), (std::vector<std::string>{"b", "c"}));
  EXPECT_FALSE(p.Take("a").has_value());
  EXPECT_EQ(p.ExpireBefore(14), 0);
  EXPECT_EQ(p.ExpireBefore(17), 2);  // both b (12 >= 10) and c (10 >= 10)
  EXPECT_EQ(p.size(), 0);
  EXPECT_EQ(p.ExpireBefore(1000), 0);
}

TEST(PendingLabels, AWindowOfOneExpiresAtTheNextRecord) {
  PendingLabels p(1, 100);
  p.Hold(Row("a", 4));
  EXPECT_EQ(p.ExpireBefore(4), 0);
  EXPECT_EQ(p.ExpireBefore(5), 1);
}

TEST(PendingLabels, AReplacedRowExpiresByItsNewRecord) {
  PendingLabels p(10, 100);
  p.Hold(Row("a", 0));
  p.Hold(Row("b", 3));
  p.Hold(Row("a", 8));               // replaces; now the newest
  EXPECT_EQ(p.ExpireBefore(13), 1);  // b only: 13 - 3 >= 10, 13 - 8 < 10
  EXPECT_EQ(Keys(p), (std::vector<std::string>{"a"}));
  EXPECT_EQ(p.ExpireBefore(18), 1);
}

TEST(PendingLabels, ExpireCountsMatchAModel) {
  // Random holds, takes and expiries against a plain list.
  std::mt19937 rng(11);
  const int64_t window = 25, max_pending = 8;
  PendingLabels p(window, max_pending);
  std::vector<std::pair<std::string, int64_t>> model;  // arrival order
  int64_t expired = 0, model_expired = 0;
  for (int64_t record = 0; record < 2000; ++record) {
    const std::string key = "k" + std::to_string(rng() % 20);
    auto find = [&] {
      for (size_t i = 0; i < model.size(); ++i) {
        if (model[i].first == key) return static_cast<int64_t>(i);
      }
      return int64_t{-1};
    };
    expired += p.ExpireBefore(record);
    while (!model.empty() && record - model.front().second >= window) {
      model.erase(model.begin());
      ++model_expired;
    }
    if (rng() % 3 != 0) {
      expired += p.Hold(Row(key, record));
      if (int64_t i = find(); i >= 0) {
        model.erase(model.begin() + i);
        ++model_expired;
      }
      model.emplace_back(key, record);
      if (static_cast<int64_t>(model.size()) > max_pending) {
        model.erase(model.begin());
        ++model_expired;
      }
    } else {
      const auto got = p.Take(key);
      const int64_t i = find();
      ASSERT_EQ(got.has_value(), i >= 0) << key << " at " << record;
      if (got) {
        EXPECT_EQ(got->record, model[i].second);
        model.erase(model.begin() + i);
      }
    }
    ASSERT_EQ(p.size(), static_cast<int64_t>(model.size()));
    ASSERT_EQ(expired, model_expired);
  }
}

TEST(PendingLabels, SaveRestoreIsExact) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> f(-1e3f, 1e3f);
  std::uniform_real_distribution<double> d(0, 1);
  PendingLabels p(1000, 1000);
  std::vector<HeldRow> rows;
  for (int i = 0; i < 20; ++i) {
    HeldRow r;
    r.key = "key" + std::to_string(i);
    r.record = (int64_t{1} << 40) + i;
    for (int j = 0; j < 5; ++j) r.dense.push_back(f(rng) / 7.f);
    r.dense.push_back(std::numeric_limits<float>::denorm_min());
    r.dense.push_back(-0.f);
    r.dense.push_back(std::numeric_limits<float>::max());
    r.cats = {0, 1, i + 2, INT64_MAX};
    r.scores = {d(rng) / 3, 1 - d(rng) / 7, std::numeric_limits<double>::denorm_min()};
    if (i % 2 == 0) r.champion = {d(rng), -0.0};  // odd rows: no champion score
    rows.push_back(r);
    p.Hold(r);
  }
  // Non-finite scores (a diverged learner) survive too.
  rows[3].scores = {kNan, kInf, -kInf};
  rows[4].champion = {kNan};
  p.Hold(rows[3]);  // replaced: now the newest
  p.Hold(rows[4]);
  std::vector<HeldRow> order;
  for (int i = 0; i < 20; ++i) {
    if (i != 3 && i != 4) order.push_back(rows[i]);
  }
  order.push_back(rows[3]);
  order.push_back(rows[4]);

  // Through text, as the checkpoint stores it.
  const std::string text = p.Save().dump();
  PendingLabels q(1000, 1000);
  q.Hold(Row("stale", 0));  // Restore replaces what was held
  q.Restore(nlohmann::json::parse(text));
  EXPECT_EQ(q.size(), 20);
  EXPECT_EQ(q.Save().dump(), text);
  EXPECT_FALSE(q.Take("stale").has_value());
  // Arrival order survives: expiry and eviction take the same rows.
  EXPECT_EQ(Keys(q), Keys(p));
  for (const auto& r : order) {
    SCOPED_TRACE(r.key);
    const auto got = q.Take(r.key);
    ASSERT_TRUE(got.has_value());
    ExpectSameRow(*got, r);
  }
  EXPECT_EQ(q.size(), 0);
}

TEST(PendingLabels, RestoredRowsExpireAndEvictAsBefore) {
  PendingLabels p(10, 3);
  p.Hold(Row("a", 1));
  p.Hold(Row("b", 2));
  p.Hold(Row("c", 5));
  PendingLabels q(10, 3);
  q.Restore(nlohmann::json::parse(p.Save().dump()));
  EXPECT_EQ(q.Hold(Row("d", 6)), 1);  // evicts a
  EXPECT_EQ(Keys(q), (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(q.ExpireBefore(12), 1);  // b
  EXPECT_EQ(q.Hold(Row("c", 13)), 1);
  EXPECT_EQ(Keys(q), (std::vector<std::string>{"d", "c"}));
}

TEST(PendingLabels, EmptySaveRestore) {
  PendingLabels p(10, 10);
  const nlohmann::json j = p.Save();
  EXPECT_TRUE(j.is_array());
  EXPECT_TRUE(j.empty());
  PendingLabels q(10, 10);
  q.Hold(Row("x", 1));
  q.Restore(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(q.size(), 0);
  EXPECT_FALSE(q.Take("x").has_value());
}

// A held row's dense features can be infinite (an f64 beyond float's range in a column without
// clipping); they go through the checkpoint as the strings "inf"/"-inf"/"nan", as scores do.
TEST(PendingLabels, NonFiniteDenseFeaturesSurviveSaveRestore) {
  const float inf = std::numeric_limits<float>::infinity();
  PendingLabels p(10, 10);
  HeldRow r = Row("a", 1);
  r.dense = {inf, -inf, 1.f};
  p.Hold(r);
  PendingLabels q(10, 10);
  try {
    q.Restore(nlohmann::json::parse(p.Save().dump()));
  } catch (const std::exception& e) {
    FAIL() << "Restore threw: " << e.what();
  }
  const auto got = q.Take("a");
  ASSERT_TRUE(got.has_value());
  ExpectSameRow(*got, r);
}

}  // namespace
}  // namespace freshet::online
