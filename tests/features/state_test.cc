// features.json: every format ever written is read (a checked-in file of each), keys a format made
// optional take their defaults, a newer format is refused, and warm start from a checked-in state
// of today's format keeps every category's index.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "freshet/config.hpp"
#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "freshet/io.hpp"
#include "freshet/synth.hpp"
#include "io/test_util.h"
#include "kernels/numeric_ops.h"

namespace freshet {
namespace {

using testing::DataPath;
using testing::MessageOf;
using testing::TempDir;

nlohmann::json ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(FeatureStateFormats, TodaysCheckedInFileReadsAndWritesBackUnchanged) {
  const nlohmann::json j = ReadJsonFile(DataPath("features_v2.json"));
  ASSERT_EQ(j["format"], "freshet.features/2");
  const FeatureState s = FeatureState::FromJson(j, "features_v2.json");
  ASSERT_EQ(s.numeric.size(), 6u);
  EXPECT_EQ(s.numeric[1].column, "income");
  EXPECT_TRUE(s.numeric[1].applies(kernels::kLog1p));
  EXPECT_EQ(s.numeric[3].scaling, "minmax");
  EXPECT_TRUE(s.numeric[4].bucketize);
  ASSERT_EQ(s.categorical.size(), 5u);
  EXPECT_EQ(s.categorical[0].encoding, "vocab");
  EXPECT_EQ(s.categorical[4].inputs, (std::vector<std::string>{"plan", "device"}));
  EXPECT_EQ(s.ToJson(), j);
}

// Format 3 is format 2 with the sqrt op (tests/data/features_v3.yaml made the file).
TEST(FeatureStateFormats, TheThirdFormatReadsAndWritesBackUnchanged) {
  const nlohmann::json j = ReadJsonFile(DataPath("features_v3.json"));
  ASSERT_EQ(j["format"], "freshet.features/3");
  const FeatureState s = FeatureState::FromJson(j, "features_v3.json");
  ASSERT_EQ(s.numeric.size(), 6u);
  EXPECT_EQ(s.numeric[2].column, "sessions_7d");
  EXPECT_EQ(s.numeric[2].pointwise, kernels::PointwiseBit(kernels::kSqrt));
  EXPECT_EQ(s.numeric[3].pointwise,
            kernels::PointwiseBit(kernels::kLog1p) | kernels::PointwiseBit(kernels::kSqrt));
  EXPECT_EQ(s.numeric[1].pointwise, kernels::PointwiseBit(kernels::kLog1p));
  EXPECT_EQ(s.ToJson(), j);
}

// A state is written in the oldest format that holds it: without sqrt, /2 (which a freshet of
// before sqrt reads); with it, /3, which such a freshet refuses instead of dropping the op.
TEST(FeatureStateFormats, WrittenInTheOldestFormatThatHoldsIt) {
  FeatureState s =
      FeatureState::FromJson(ReadJsonFile(DataPath("features_v2.json")), "features_v2.json");
  nlohmann::json j = s.ToJson();
  EXPECT_EQ(j["format"], "freshet.features/2");
  EXPECT_FALSE(j["numeric"][0].contains("sqrt"));
  s.numeric[0].pointwise |= kernels::PointwiseBit(kernels::kSqrt);
  j = s.ToJson();
  EXPECT_EQ(j["format"], "freshet.features/3");
  EXPECT_EQ(j["numeric"][0]["sqrt"], true);
  EXPECT_EQ(j["numeric"][1]["sqrt"], false);
  EXPECT_EQ(FeatureState::FromJson(j, "again").numeric[0].pointwise, s.numeric[0].pointwise);
  // In a /3 file the key is required; a /2 file predates it.
  j["numeric"][1].erase("sqrt");
  EXPECT_NE(MessageOf<ArtifactError>([&] {
              FeatureState::FromJson(j, "f.json");
            }).find("f.json: not a valid feature state"),
            std::string::npos);
}

TEST(FeatureStateFormats, TheFirstFormatReadsAsFillThenStandardize) {
  const FeatureState s =
      FeatureState::FromJson(ReadJsonFile(DataPath("features_v1.json")), "features_v1.json");
  ASSERT_EQ(s.numeric.size(), 1u);
  EXPECT_EQ(s.numeric[0].scaling, "standardize");
  EXPECT_DOUBLE_EQ(s.numeric[0].shift, 41.5);
  EXPECT_DOUBLE_EQ(s.numeric[0].scale, 1.0 / 12.0);
  EXPECT_DOUBLE_EQ(s.numeric[0].fill_value, 41.5);
  ASSERT_EQ(s.categorical.size(), 1u);
  EXPECT_EQ(s.categorical[0].encoding, "hash");
  EXPECT_EQ(s.categorical[0].cardinality(), 34);
  // Read back in today's format, it is the same state.
  const FeatureState again = FeatureState::FromJson(s.ToJson(), "again");
  EXPECT_EQ(again.ToJson(), s.ToJson());
}

TEST(FeatureStateFormats, AKeyOfTheFilesOwnVersionIsRequired) {
  // Keys appear with a format version: required in files of that version (a file without one is
  // damaged), defaults in older files. Every key of format 2 exists since 2.
  nlohmann::json j = ReadJsonFile(DataPath("features_v2.json"));
  j["numeric"][0].erase("indicator");
  EXPECT_NE(MessageOf<ArtifactError>([&] {
              FeatureState::FromJson(j, "f.json");
            }).find("f.json: not a valid feature state"),
            std::string::npos);
}

TEST(FeatureStateFormats, ANewerOrUnknownFormatIsRefused) {
  std::string m = MessageOf<ArtifactError>([] {
    FeatureState::FromJson({{"format", "freshet.features/4"}, {"numeric", {}}}, "f.json");
  });
  EXPECT_NE(m.find("f.json: features format freshet.features/4 is newer than this freshet reads"),
            std::string::npos)
      << m;
  m = MessageOf<ArtifactError>([] { FeatureState::FromJson({{"format", "other/1"}}, "f.json"); });
  EXPECT_NE(m.find("unknown features format"), std::string::npos) << m;
}

TEST(FeatureStateFormats, WarmStartFromTheCheckedInStateKeepsEveryIndex) {
  const FeatureState previous =
      FeatureState::FromJson(ReadJsonFile(DataPath("features_v2.json")), "features_v2.json");
  const Config config = LoadConfig(DataPath("../../configs/churn.yaml"));
  TempDir dir;
  SynthOptions o;
  o.out_dir = dir.path();
  o.days = 1;
  o.rows = 3000;
  o.seed = 99;  // other rows than the ones the state was fitted on
  WriteSynthetic(o);
  const Table t = ReadHdf5(dir / "day-0001.h5", config.Columns());
  const FeatureState next = FitFeatures(t, config.features, &previous);
  ASSERT_EQ(next.categorical.size(), previous.categorical.size());
  for (size_t i = 0; i < previous.categorical.size(); ++i) {
    const auto& a = previous.categorical[i].vocab;
    const auto& b = next.categorical[i].vocab;
    ASSERT_GE(b.size(), a.size()) << previous.categorical[i].column;
    EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin())) << previous.categorical[i].column;
    EXPECT_GE(next.categorical[i].cardinality(), previous.categorical[i].cardinality());
  }
  EXPECT_EQ(next.dense_names(), previous.dense_names());
  // And the warm-started state transforms rows.
  std::vector<float> dense(static_cast<size_t>(t.rows() * next.dense_dim()));
  std::vector<int64_t> cats(static_cast<size_t>(t.rows() * next.categorical_dim()));
  TransformFeatures(t, next, Device{}, dense.data(), cats.data(), nullptr);
  EXPECT_TRUE(std::all_of(cats.begin(), cats.end(), [](int64_t c) { return c >= 0; }));
}

// Warm start from the /3 file, its sqrt columns frozen: their statistics are the file's, which
// the config's ops (clip, log1p, sqrt, scaling) must match.
TEST(FeatureStateFormats, WarmStartFromTheThirdFormatKeepsFrozenStatistics) {
  const FeatureState previous =
      FeatureState::FromJson(ReadJsonFile(DataPath("features_v3.json")), "features_v3.json");
  Config config = LoadConfig(DataPath("features_v3.yaml"));
  for (auto& f : config.features) f.freeze = f.type == ColumnKind::kNumeric;
  TempDir dir;
  SynthOptions o;
  o.out_dir = dir.path();
  o.days = 1;
  o.rows = 2000;
  o.seed = 98;
  WriteSynthetic(o);
  const Table t = ReadHdf5(dir / "day-0001.h5", config.Columns());
  const FeatureState next = FitFeatures(t, config.features, &previous);
  ASSERT_EQ(next.numeric.size(), previous.numeric.size());
  for (size_t i = 0; i < next.numeric.size(); ++i) {
    EXPECT_TRUE(next.numeric[i].frozen);
    EXPECT_EQ(next.numeric[i].pointwise, previous.numeric[i].pointwise);
    EXPECT_EQ(next.numeric[i].shift, previous.numeric[i].shift);
    EXPECT_EQ(next.numeric[i].scale, previous.numeric[i].scale);
  }
  // With sqrt dropped from a frozen column, the statistics no longer apply: refused.
  auto changed = config.features;
  for (auto& f : changed) {
    if (f.column != "sessions_7d") continue;
    f.ops.erase(
        std::remove_if(f.ops.begin(), f.ops.end(),
                       [](const FeatureOp& op) { return op.kind == FeatureOp::Kind::kPointwise; }),
        f.ops.end());
  }
  EXPECT_NE(MessageOf<DataError>([&] {
              FitFeatures(t, changed, &previous);
            }).find("column \"sessions_7d\": freeze: its clip, element-wise ops"),
            std::string::npos);
}

}  // namespace
}  // namespace freshet
