// MakeTransformPlan (src/features/plan.cc): the kernels' views of a table under a FeatureState.
#include "features/plan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "freshet/error.hpp"
#include "kernels/numeric_ops.h"
#include "kernels/xxhash64.h"

namespace freshet {
namespace {

NumericState Num(const std::string& column, bool indicator, std::vector<double> boundaries = {}) {
  NumericState s;
  s.column = column;
  s.indicator = indicator;
  s.bucketize = !boundaries.empty();
  s.boundaries = std::move(boundaries);
  return s;
}

CategoricalState Hash(const std::string& column, int64_t buckets, uint64_t seed,
                      std::vector<std::string> inputs = {}) {
  CategoricalState s;
  s.column = column;
  s.inputs = std::move(inputs);
  s.encoding = "hash";
  s.buckets = buckets;
  s.seed = seed;
  return s;
}

CategoricalState Vocab(const std::string& column, std::vector<std::string> vocab, bool codes) {
  CategoricalState s;
  s.column = column;
  s.encoding = "vocab";
  s.vocab = std::move(vocab);
  s.integer_codes = codes;
  return s;
}

// a: f32 with validity, b: f64, c: i32, d: i64, city: strings, code: i64 codes, code32: i32.
Table TestTable() {
  Table t;
  t.columns.push_back(NumericColumn<float>("a", DType::kF32, {1, 2, 3}, {1, 0, 1}));
  t.columns.push_back(NumericColumn<double>("b", DType::kF64, {1, 2, 3}));
  t.columns.push_back(NumericColumn<int32_t>("c", DType::kI32, {1, 2, 3}));
  t.columns.push_back(NumericColumn<int64_t>("d", DType::kI64, {1, 2, 3}));
  t.columns.push_back(StringColumn("city", {"oslo", "", "rome"}, {1, 0, 1}));
  t.columns.push_back(NumericColumn<int64_t>("code", DType::kI64, {10, 20, 30}));
  t.columns.push_back(NumericColumn<int32_t>("code32", DType::kI32, {4, 5, 6}));
  return t;
}

TEST(MakeTransformPlanTest, EmptyState) {
  const Table t = TestTable();
  const TransformPlan p = MakeTransformPlan(t, FeatureState{});
  EXPECT_EQ(p.dense_dim, 0);
  EXPECT_EQ(p.cat_dim, 0);
  EXPECT_TRUE(p.numeric.empty() && p.numeric_cols.empty() && p.bounds.empty());
  EXPECT_TRUE(p.inputs.empty() && p.cat_cols.empty() && p.outputs.empty() && p.vocabs.empty());
}

TEST(MakeTransformPlanTest, NumericViewsFollowTheOutputLayout) {
  const Table t = TestTable();
  FeatureState st;
  st.numeric = {Num("a", true), Num("b", true, {1.0, 2.0}), Num("c", false),
                Num("d", false, {5.0})};
  st.numeric[0].fill_value = 2.5;
  st.numeric[0].clip_lo = -1;
  st.numeric[0].clip_hi = 9;
  st.numeric[0].pointwise = kernels::PointwiseBit(kernels::kLog1p);
  st.numeric[0].shift = 0.75;
  st.numeric[0].scale = 4;
  st.categorical = {Hash("city", 8, 1)};
  const TransformPlan p = MakeTransformPlan(t, st);

  ASSERT_EQ(p.numeric.size(), 4u);
  EXPECT_EQ(p.numeric_cols, (std::vector<const Column*>{&t.columns[0], &t.columns[1], &t.columns[2],
                                                        &t.columns[3]}));
  const auto& a = p.numeric[0];
  EXPECT_EQ(a.type, kernels::kInF32);
  EXPECT_EQ(a.values, t.columns[0].data.data());
  EXPECT_EQ(a.valid, t.columns[0].valid.data());
  EXPECT_EQ(a.fill, 2.5);
  EXPECT_EQ(a.clip_lo, -1);
  EXPECT_EQ(a.clip_hi, 9);
  EXPECT_EQ(a.pointwise, kernels::PointwiseBit(kernels::kLog1p));
  EXPECT_EQ(a.shift, 0.75);
  EXPECT_EQ(a.scale, 4);
  EXPECT_EQ(a.dense_out, 0);
  EXPECT_EQ(a.indicator_out, 1);
  EXPECT_EQ(a.cat_out, -1);

  // A bucketised column gives a categorical output and, with an indicator, a dense one.
  const auto& b = p.numeric[1];
  EXPECT_EQ(b.type, kernels::kInF64);
  EXPECT_EQ(b.valid, nullptr);
  EXPECT_EQ(b.dense_out, -1);
  EXPECT_EQ(b.indicator_out, 2);
  EXPECT_EQ(b.cat_out, 0);
  EXPECT_EQ(b.bounds_begin, 0);
  EXPECT_EQ(b.bounds_count, 2);

  EXPECT_EQ(p.numeric[2].type, kernels::kInI32);
  EXPECT_EQ(p.numeric[2].dense_out, 3);
  EXPECT_EQ(p.numeric[2].indicator_out, -1);
  EXPECT_EQ(p.numeric[3].type, kernels::kInI64);
  EXPECT_EQ(p.numeric[3].cat_out, 1);
  EXPECT_EQ(p.numeric[3].bounds_begin, 2);
  EXPECT_EQ(p.numeric[3].bounds_count, 1);
  EXPECT_EQ(p.bounds, (std::vector<double>{1.0, 2.0, 5.0}));

  // Categorical features come after the bucketised numeric ones.
  ASSERT_EQ(p.outputs.size(), 1u);
  EXPECT_EQ(p.outputs[0].cat_out, 2);
  EXPECT_EQ(p.dense_dim, 4);
  EXPECT_EQ(p.cat_dim, 3);
  EXPECT_EQ(p.dense_dim, st.dense_dim());
  EXPECT_EQ(p.cat_dim, st.categorical_dim());
}

TEST(MakeTransformPlanTest, CategoricalInputsAreSharedAcrossOutputs) {
  const Table t = TestTable();
  FeatureState st;
  st.numeric = {Num("b", false, {0.5})};
  st.categorical = {Hash("city", 16, 7), Hash("city_x_code", 32, 9, {"city", "code"}),
                    Vocab("code32", {"5", "4"}, true), Hash("code", 4, 0)};
  const TransformPlan p = MakeTransformPlan(t, st);

  ASSERT_EQ(p.inputs.size(), 3u);
  EXPECT_EQ(p.cat_cols, (std::vector<const Column*>{&t.columns[4], &t.columns[5], &t.columns[6]}));
  EXPECT_EQ(p.inputs[0].type, kernels::kInString);
  EXPECT_EQ(p.inputs[0].bytes, t.columns[4].bytes.data());
  EXPECT_EQ(p.inputs[0].offsets, t.columns[4].offsets.data());
  EXPECT_EQ(p.inputs[0].valid, t.columns[4].valid.data());
  EXPECT_EQ(p.inputs[1].type, kernels::kInCodeI64);
  EXPECT_EQ(p.inputs[1].values, t.columns[5].data.data());
  EXPECT_EQ(p.inputs[1].valid, nullptr);
  EXPECT_EQ(p.inputs[2].type, kernels::kInCodeI32);

  ASSERT_EQ(p.outputs.size(), 4u);
  const auto& city = p.outputs[0];
  EXPECT_EQ(city.encoding, kernels::kEncodeHash);
  EXPECT_EQ(city.n_inputs, 1);
  EXPECT_EQ(city.inputs[0], 0);
  EXPECT_EQ(city.buckets, 16);
  EXPECT_EQ(city.seed, 7u);
  EXPECT_EQ(city.cat_out, 1);
  const auto& cross = p.outputs[1];
  EXPECT_EQ(cross.n_inputs, 2);
  EXPECT_EQ(cross.inputs[0], 0);
  EXPECT_EQ(cross.inputs[1], 1);
  EXPECT_EQ(cross.buckets, 32);
  EXPECT_EQ(cross.seed, 9u);
  EXPECT_EQ(cross.cat_out, 2);
  EXPECT_EQ(p.outputs[2].inputs[0], 2);
  EXPECT_EQ(p.outputs[2].cat_out, 3);
  EXPECT_EQ(p.outputs[3].inputs[0], 1);  // "code" again: the cross's input
  EXPECT_EQ(p.outputs[3].cat_out, 4);
  EXPECT_EQ(p.cat_dim, 5);
  EXPECT_EQ(p.dense_dim, 0);

  ASSERT_EQ(p.vocabs.size(), 4u);
  EXPECT_TRUE(p.vocabs[0].keys.empty());
  EXPECT_TRUE(p.vocabs[1].keys.empty());
  EXPECT_TRUE(p.vocabs[3].keys.empty());
  EXPECT_EQ(p.outputs[0].vocab_keys, nullptr);
}

TEST(MakeTransformPlanTest, VocabOutputsPointAtTheirTables) {
  const Table t = TestTable();
  FeatureState st;
  st.categorical = {Vocab("city", {"rome", "oslo", "paris"}, false), Hash("city2", 4, 0, {"city"}),
                    Vocab("code", {"30", "10"}, true)};
  TransformPlan p = MakeTransformPlan(t, st);
  ASSERT_EQ(p.outputs.size(), 3u);
  ASSERT_EQ(p.vocabs.size(), 3u);

  const auto expect_table = [&](size_t k, const std::vector<uint64_t>& hashes) {
    const VocabTable& v = p.vocabs[k];
    EXPECT_EQ(p.outputs[k].encoding, kernels::kEncodeVocab) << k;
    EXPECT_EQ(p.outputs[k].vocab_size, static_cast<int64_t>(hashes.size())) << k;
    EXPECT_EQ(p.outputs[k].vocab_keys, v.keys.data()) << k;
    EXPECT_EQ(p.outputs[k].vocab_index, v.index.data()) << k;
    ASSERT_EQ(v.keys.size(), hashes.size());
    for (size_t i = 0; i + 1 < v.keys.size(); ++i) EXPECT_LT(v.keys[i], v.keys[i + 1]);
    for (size_t i = 0; i < hashes.size(); ++i) {
      size_t at = 0;
      while (at < v.keys.size() && v.keys[at] != hashes[i]) ++at;
      ASSERT_LT(at, v.keys.size()) << "category " << i << " of output " << k;
      EXPECT_EQ(v.index[at], static_cast<int64_t>(i) + 2);
    }
  };
  const auto str_hash = [](const std::string& s) { return kernels::Xxh64(s.data(), s.size(), 0); };
  expect_table(0, {str_hash("rome"), str_hash("oslo"), str_hash("paris")});
  expect_table(2, {kernels::Xxh64U64(30, 0), kernels::Xxh64U64(10, 0)});
  EXPECT_EQ(p.outputs[1].n_inputs, 1);
  EXPECT_EQ(p.outputs[1].inputs[0], 0);  // a one-input "cross" reads city's view

  // A moved plan keeps its vocabulary pointers valid.
  const TransformPlan q = std::move(p);
  EXPECT_EQ(q.outputs[0].vocab_keys, q.vocabs[0].keys.data());
  EXPECT_EQ(q.outputs[2].vocab_index, q.vocabs[2].index.data());
}

std::string DataMessage(const Table& t, const FeatureState& st) {
  try {
    MakeTransformPlan(t, st);
  } catch (const DataError& e) {
    return e.what();
  }
  ADD_FAILURE() << "MakeTransformPlan accepted the state";
  return "";
}

TEST(MakeTransformPlanTest, RefusesMissingColumns) {
  const Table t = TestTable();
  FeatureState num;
  num.numeric = {Num("b", false), Num("age", false)};
  EXPECT_EQ(DataMessage(t, num), "column \"age\" is not in the input");
  FeatureState cross;
  cross.categorical = {Hash("city_x_zip", 8, 0, {"city", "zip"})};
  EXPECT_EQ(DataMessage(t, cross), "column \"zip\" is not in the input");
}

TEST(MakeTransformPlanTest, RefusesColumnsOfTheWrongType) {
  const Table t = TestTable();
  FeatureState num;
  num.numeric = {Num("city", false)};
  EXPECT_EQ(DataMessage(t, num), "column \"city\": expected numeric values, got strings");
  FeatureState cat;
  cat.categorical = {Hash("b", 8, 0)};
  EXPECT_EQ(DataMessage(t, cat), "column \"b\": expected strings or integer codes, got f64");
  FeatureState f32_cross;
  f32_cross.categorical = {Hash("city_x_a", 8, 0, {"city", "a"})};
  EXPECT_EQ(DataMessage(t, f32_cross), "column \"a\": expected strings or integer codes, got f32");
}

TEST(MakeTransformPlanTest, RefusesAVocabularyOfTheOtherKind) {
  const Table t = TestTable();
  FeatureState strings_on_codes;
  strings_on_codes.categorical = {Vocab("code", {"10"}, false)};
  EXPECT_EQ(DataMessage(t, strings_on_codes),
            "column \"code\": the vocabulary holds strings but the input has integer codes");
  FeatureState codes_on_strings;
  codes_on_strings.categorical = {Vocab("city", {"7"}, true)};
  EXPECT_EQ(DataMessage(t, codes_on_strings),
            "column \"city\": the vocabulary holds integer codes but the input has strings");
}

TEST(MakeTransformPlanTest, CrossOfTooManyInputsIsAnInternalError) {
  Table t;
  std::vector<std::string> names;
  for (int k = 0; k <= kernels::kMaxCrossInputs; ++k) {
    names.push_back("c" + std::to_string(k));
    t.columns.push_back(StringColumn(names.back(), {"x"}));
  }
  FeatureState st;
  st.categorical = {Hash("wide", 8, 0, names)};
  try {
    MakeTransformPlan(t, st);
    FAIL() << "a cross of " << names.size() << " inputs was planned";
  } catch (const DataError&) {
    FAIL() << "expected an internal error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal);
    EXPECT_NE(std::string(e.what()).find("cross arity"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace freshet
