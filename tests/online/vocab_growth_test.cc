// Vocabularies that grow with the stream: new categories appended in order of first appearance,
// the max_size cap, hashed columns and crosses untouched, missing values and empty strings
// skipped, and the same vocabulary however the stream is cut into tables.
#include "online/vocab_growth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "features/feature_state_util.h"
#include "freshet/features.hpp"
#include "freshet/table.hpp"
#include "kernels/device.h"

namespace freshet::online {
namespace {

using Strings = std::vector<std::string>;

CategoricalState Vocab(const std::string& column, Strings vocab, int64_t max_size = 0) {
  CategoricalState s;
  s.column = column;
  s.encoding = "vocab";
  s.vocab = std::move(vocab);
  s.max_size = max_size;
  return s;
}

CategoricalState Hashed(const std::string& column, int64_t buckets) {
  CategoricalState s;
  s.column = column;
  s.encoding = "hash";
  s.buckets = buckets;
  s.seed = 17;
  return s;
}

// A state with a numeric feature, a vocab-encoded "country" (knowing "us"), a hashed "city", a
// vocab-encoded integer-code "plan" (knowing 3) and a hashed cross of country and city.
FeatureState State(int64_t country_max = 0) {
  FeatureState s;
  s.numeric.push_back(testing::StandardizedState("age", 40, 40, 0.1));
  s.categorical.push_back(Vocab("country", {"us"}, country_max));
  s.categorical.push_back(Hashed("city", 64));
  CategoricalState plan = Vocab("plan", {"3"});
  plan.integer_codes = true;
  s.categorical.push_back(plan);
  CategoricalState cross = Hashed("country_x_city", 32);
  cross.inputs = {"country", "city"};
  s.categorical.push_back(cross);
  return s;
}

// Rows of (age, country, city, plan); "" in country is an empty string, and `valid` (empty = all
// present) marks the rows whose country and plan are present.
Table Rows(const Strings& country, const std::vector<int64_t>& plan,
           std::vector<uint8_t> valid = {}) {
  Table t;
  std::vector<double> age(country.size(), 30.0);
  Strings city;
  for (size_t i = 0; i < country.size(); ++i) city.push_back("city" + std::to_string(i));
  t.columns.push_back(NumericColumn("age", DType::kF64, age));
  t.columns.push_back(StringColumn("country", country, valid));
  t.columns.push_back(StringColumn("city", city));
  t.columns.push_back(NumericColumn("plan", DType::kI64, plan, valid));
  return t;
}

Table Countries(const Strings& country, std::vector<uint8_t> valid = {}) {
  return Rows(country, std::vector<int64_t>(country.size(), 3), std::move(valid));
}

// Rows [begin, end) of `t`.
Table Slice(const Table& t, int64_t begin, int64_t end) {
  std::vector<int64_t> rows;
  for (int64_t i = begin; i < end; ++i) rows.push_back(i);
  return t.Take(rows);
}

TEST(VocabGrowth, AppendsNewCategoriesInOrderOfFirstAppearance) {
  FeatureState s = State();
  VocabGrowth g(s);
  EXPECT_TRUE(g.Grow(Countries({"fr", "us", "de", "fr", "br", "de", "us"}), &s));
  EXPECT_EQ(s.categorical[0].vocab, (Strings{"us", "fr", "de", "br"}));
  // Not by frequency, not by bytes: "zz" (3 times) after "aa" (once), seen first.
  EXPECT_TRUE(g.Grow(Countries({"aa", "zz", "zz", "zz"}), &s));
  EXPECT_EQ(s.categorical[0].vocab, (Strings{"us", "fr", "de", "br", "aa", "zz"}));
}

TEST(VocabGrowth, ReturnsFalseWhenNothingIsNew) {
  FeatureState s = State();
  VocabGrowth g(s);
  EXPECT_FALSE(g.Grow(Countries({"us", "us"}), &s));
  EXPECT_TRUE(g.Grow(Countries({"fr"}), &s));
  EXPECT_FALSE(g.Grow(Countries({"fr", "us", "fr"}), &s));
  EXPECT_FALSE(g.Grow(Countries({}), &s));
  EXPECT_FALSE(g.Grow(Table{}, &s));  // no columns: nothing to grow from
  EXPECT_EQ(s.categorical[0].vocab, (Strings{"us", "fr"}));
}

TEST(VocabGrowth, IntegerCodesGrowInDecimal) {
  FeatureState s = State();
  VocabGrowth g(s);
  EXPECT_TRUE(g.Grow(Rows({"us", "us", "us", "us", "us"}, {3, 12, -7, 12, 0}), &s));
  EXPECT_EQ(s.categorical[2].vocab, (Strings{"3", "12", "-7", "0"}));
  EXPECT_EQ(s.categorical[0].vocab, (Strings{"us"}));
  // An int32 column too.
  Table t;
  t.columns.push_back(NumericColumn("plan", DType::kI32, std::vector<int32_t>{5, 3, 2147483647}));
  EXPECT_TRUE(g.Grow(t, &s));
  EXPECT_EQ(s.categorical[2].vocab, (Strings{"3", "12", "-7", "0", "5", "2147483647"}));
}

TEST(VocabGrowth, MaxSizeCapsTheVocabulary) {
  FeatureState s = State(/*country_max=*/3);
  VocabGrowth g(s);
  EXPECT_TRUE(g.Grow(Countries({"fr", "us", "de", "br", "it"}), &s));
  EXPECT_EQ(s.categorical[0].vocab, (Strings{"us", "fr", "de"}));
  // Full: later categories stay out of vocabulary, and nothing grew.
  EXPECT_FALSE(g.Grow(Countries({"br", "jp"}), &s));
  EXPECT_EQ(s.categorical[0].vocab.size(), 3u);
  EXPECT_EQ(s.categorical[0].cardinality(), 5);
  // The other vocabularies are not capped by it.
  EXPECT_TRUE(g.Grow(Rows({"us", "us", "us", "us"}, {1, 2, 4, 5}), &s));
  EXPECT_EQ(s.categorical[2].vocab, (Strings{"3", "1", "2", "4", "5"}));
}

TEST(VocabGrowth, AVocabularyAlreadyAtItsCapDoesNotGrow) {
  FeatureState s;
  s.categorical.push_back(Vocab("country", {"us", "fr"}, 2));
  VocabGrowth g(s);
  EXPECT_FALSE(g.Grow(Countries({"de"}), &s));
  EXPECT_EQ(s.categorical[0].vocab, (Strings{"us", "fr"}));
  // max_size 1 below a vocabulary of two (a smaller cap in a later config) removes nothing.
  s.categorical[0].max_size = 1;
  EXPECT_FALSE(g.Grow(Countries({"de"}), &s));
  EXPECT_EQ(s.categorical[0].vocab, (Strings{"us", "fr"}));
}

TEST(VocabGrowth, HashedColumnsAndCrossesAreUntouched) {
  const FeatureState before = State();
  FeatureState s = before;
  VocabGrowth g(s);
  EXPECT_TRUE(g.Grow(Countries({"fr", "de"}), &s));
  for (size_t k : {size_t{1}, size_t{3}}) {
    SCOPED_TRACE(s.categorical[k].column);
    EXPECT_TRUE(s.categorical[k].vocab.empty());
    EXPECT_EQ(s.categorical[k].buckets, before.categorical[k].buckets);
    EXPECT_EQ(s.categorical[k].seed, before.categorical[k].seed);
    EXPECT_EQ(s.categorical[k].cardinality(), before.categorical[k].cardinality());
  }
  EXPECT_EQ(s.numeric.size(), 1u);
  EXPECT_EQ(s.numeric[0].mean, before.numeric[0].mean);
  // Only a hashed column in the table: nothing grows.
  Table city;
  city.columns.push_back(StringColumn("city", {"oslo", "rome"}));
  EXPECT_FALSE(g.Grow(city, &s));
}

TEST(VocabGrowth, AVocabEncodedCrossIsLeftAlone) {
  FeatureState s;
  CategoricalState cross = Vocab("country", {});
  cross.inputs = {"country", "city"};
  s.categorical.push_back(cross);
  VocabGrowth g(s);
  EXPECT_FALSE(g.Grow(Countries({"fr"}), &s));
  EXPECT_TRUE(s.categorical[0].vocab.empty());
}

TEST(VocabGrowth, MissingValuesAndEmptyStringsAreSkipped) {
  FeatureState s = State();
  VocabGrowth g(s);
  // Row 1 is null (its bytes say "ghost"), row 2 an empty string.
  EXPECT_TRUE(g.Grow(Rows({"fr", "ghost", "", "de", ""}, {3, 99, 4, 3, 5}, {1, 0, 1, 1, 1}), &s));
  EXPECT_EQ(s.categorical[0].vocab, (Strings{"us", "fr", "de"}));
  EXPECT_EQ(s.categorical[2].vocab, (Strings{"3", "4", "5"}));  // null 99 skipped
  // Only missing and empty: nothing new.
  EXPECT_FALSE(g.Grow(Countries({"", "x", ""}, {1, 0, 1}), &s));
  EXPECT_EQ(s.categorical[0].vocab, (Strings{"us", "fr", "de"}));
}

TEST(VocabGrowth, MissingDoesNotUseUpTheCap) {
  FeatureState s = State(/*country_max=*/2);
  VocabGrowth g(s);
  EXPECT_TRUE(g.Grow(Countries({"", "null", "", "fr", "de"}, {1, 0, 1, 1, 1}), &s));
  EXPECT_EQ(s.categorical[0].vocab, (Strings{"us", "fr"}));
}

TEST(VocabGrowth, AColumnMissingFromTheTableIsSkipped) {
  FeatureState s = State();
  VocabGrowth g(s);
  Table t;
  t.columns.push_back(NumericColumn("plan", DType::kI64, std::vector<int64_t>{8}));
  EXPECT_TRUE(g.Grow(t, &s));
  EXPECT_EQ(s.categorical[0].vocab, (Strings{"us"}));
  EXPECT_EQ(s.categorical[2].vocab, (Strings{"3", "8"}));
}

TEST(VocabGrowth, TheSameRowsGiveTheSameVocabularyHoweverTheyAreSplit) {
  const Table all =
      Rows({"fr", "us", "de", "", "fr", "br", "it", "de", "jp", "x", "cn", "br"},
           {3, 9, 9, 1, 2, 3, 4, 5, 6, 7, 8, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1});
  for (int64_t cap : {int64_t{0}, int64_t{4}}) {
    SCOPED_TRACE("max_size " + std::to_string(cap));
    FeatureState one = State(cap);
    VocabGrowth g1(one);
    EXPECT_TRUE(g1.Grow(all, &one));

    FeatureState three = State(cap);
    VocabGrowth g3(three);
    bool grew = false;
    const std::vector<std::pair<int64_t, int64_t>> cuts = {{0, 5}, {5, 9}, {9, 12}};
    for (const auto& [b, e] : cuts) {
      grew = g3.Grow(Slice(all, b, e), &three) || grew;
    }
    EXPECT_TRUE(grew);
    EXPECT_EQ(three.categorical[0].vocab, one.categorical[0].vocab);
    EXPECT_EQ(three.categorical[2].vocab, one.categorical[2].vocab);
    EXPECT_EQ(three.ToJson(), one.ToJson());
  }
  FeatureState expect = State();
  VocabGrowth g(expect);
  g.Grow(all, &expect);
  EXPECT_EQ(expect.categorical[0].vocab, (Strings{"us", "fr", "de", "br", "it", "x", "cn"}));
}

TEST(VocabGrowth, RandomSplitsAgreeWithOneTable) {
  std::mt19937 rng(42);
  const int64_t n = 500;
  Strings country;
  std::vector<int64_t> plan;
  std::vector<uint8_t> valid;
  for (int64_t i = 0; i < n; ++i) {
    const int r = static_cast<int>(rng() % 60);
    country.push_back(r < 5 ? "" : "c" + std::to_string(r));
    plan.push_back(static_cast<int64_t>(rng() % 40) - 20);
    valid.push_back(rng() % 10 == 0 ? 0 : 1);
  }
  const Table all = Rows(country, plan, valid);
  for (int64_t cap : {int64_t{0}, int64_t{10}}) {
    FeatureState one = State(cap);
    VocabGrowth g1(one);
    g1.Grow(all, &one);
    for (int trial = 0; trial < 5; ++trial) {
      SCOPED_TRACE("cap " + std::to_string(cap) + " trial " + std::to_string(trial));
      FeatureState cut = State(cap);
      VocabGrowth g(cut);
      int64_t begin = 0;
      while (begin < n) {
        const int64_t end = std::min<int64_t>(n, begin + static_cast<int64_t>(rng() % 40));
        g.Grow(Slice(all, begin, end), &cut);  // some slices are empty
        begin = end;
      }
      EXPECT_EQ(cut.ToJson(), one.ToJson());
    }
  }
}

TEST(VocabGrowth, GrowsAStateRestoredEqualToTheOneGiven) {
  FeatureState s = State();
  VocabGrowth g(s);
  g.Grow(Countries({"fr"}), &s);
  // A checkpoint's copy of the grown state continues where the first left off.
  FeatureState restored = FeatureState::FromJson(s.ToJson(), "test");
  EXPECT_FALSE(g.Grow(Countries({"fr", "us"}), &restored));
  EXPECT_TRUE(g.Grow(Countries({"de", "fr"}), &restored));
  EXPECT_EQ(restored.categorical[0].vocab, (Strings{"us", "fr", "de"}));
}

TEST(VocabGrowth, NewCategoriesTransformToTheirNewIndices) {
  FeatureState s = State();
  VocabGrowth g(s);
  const Table t = Rows({"fr", "us", "", "de", "fr", "nz"}, {3, 3, 3, 3, 3, 3}, {1, 1, 1, 1, 1, 0});
  const Table before = TransformToTable(t, s, Device{});
  ASSERT_TRUE(g.Grow(t, &s));
  const Table after = TransformToTable(t, s, Device{});
  const Column* b = before.Find("country");
  const Column* a = after.Find("country");
  ASSERT_NE(b, nullptr);
  ASSERT_NE(a, nullptr);
  // 0 missing, 1 out of vocabulary, 2 + position in the vocabulary.
  EXPECT_EQ(std::vector<int64_t>(b->values<int64_t>(), b->values<int64_t>() + 6),
            (std::vector<int64_t>{1, 2, 0, 1, 1, 0}));
  EXPECT_EQ(std::vector<int64_t>(a->values<int64_t>(), a->values<int64_t>() + 6),
            (std::vector<int64_t>{3, 2, 0, 4, 3, 0}));
}

}  // namespace
}  // namespace freshet::online
