// Tests of the drift detectors (freshet/drift_detectors.hpp): each fires soon after an abrupt
// change and seldom on a stationary stream, a detector resumed from its saved state signals where
// an uninterrupted one does, and Restore rejects states that are not its own. Index-for-index
// parity with River on many streams is tests/e2e/drift_detectors_test.sh; the golden indices
// here were computed with River 0.26.1, so this file checks parity without Python too.
#include "freshet/drift_detectors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "freshet/error.hpp"

namespace freshet {
namespace {

using Json = nlohmann::json;

const char* const kKinds[] = {"adwin", "page_hinkley", "ddm"};

DetectorSpec Spec(const std::string& kind) {
  DetectorSpec spec;
  spec.kind = kind;
  if (kind == "page_hinkley") spec.delta = 0.005;  // what the config parser sets for it
  return spec;
}

// n0 draws of Bernoulli(p0), then n1 of Bernoulli(p1), as 0.0 / 1.0.
std::vector<double> Bernoulli(uint64_t seed, double p0, int n0, double p1, int n1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> xs;
  for (int i = 0; i < n0 + n1; ++i) xs.push_back(u(rng) < (i < n0 ? p0 : p1) ? 1.0 : 0.0);
  return xs;
}

// n0 draws of N(m0, sd), then n1 of N(m1, sd).
std::vector<double> Gaussian(uint64_t seed, double m0, int n0, double m1, int n1, double sd) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<double> xs;
  for (int i = 0; i < n0 + n1; ++i) xs.push_back((i < n0 ? m0 : m1) + sd * z(rng));
  return xs;
}

struct Signals {
  std::vector<int64_t> drifts, warnings;
};

Signals Feed(DriftDetector* d, const std::vector<double>& xs, size_t from = 0) {
  Signals s;
  for (size_t i = from; i < xs.size(); ++i) {
    if (d->Update(xs[i])) s.drifts.push_back(static_cast<int64_t>(i));
    if (d->warning()) s.warnings.push_back(static_cast<int64_t>(i));
  }
  return s;
}

// Drift checks over seeds: every stream's first detection at or after `change` comes within
// `max_delay`, and at most `max_early` detections in all precede the change. Prints the delays.
void ExpectDetects(const DetectorSpec& spec, const char* stream, int64_t change, int64_t max_delay,
                   int max_early, const std::function<std::vector<double>(uint64_t)>& make) {
  int early = 0;
  int64_t total_delay = 0, worst = 0;
  constexpr int kSeeds = 10;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    auto d = MakeDriftDetector(spec);
    const Signals s = Feed(d.get(), make(seed));
    int64_t delay = -1;
    for (int64_t i : s.drifts) {
      if (i < change) ++early;
      if (i >= change && delay < 0) delay = i - change;
    }
    ASSERT_GE(delay, 0) << spec.kind << " missed the change in " << stream << ", seed " << seed;
    EXPECT_LE(delay, max_delay) << spec.kind << " " << stream << ", seed " << seed;
    total_delay += delay;
    worst = std::max(worst, delay);
  }
  EXPECT_LE(early, max_early) << spec.kind << " " << stream;
  std::printf("%-12s %-26s delay mean %5.1f worst %4lld, %d early alarms over %d seeds\n",
              spec.kind.c_str(), stream, static_cast<double>(total_delay) / kSeeds,
              static_cast<long long>(worst), early, kSeeds);
}

// False alarms of `spec` on 10 stationary streams of 10000 values; at most `max_alarms` in all.
void ExpectQuiet(const DetectorSpec& spec, const char* stream, int max_alarms,
                 const std::function<std::vector<double>(uint64_t)>& make) {
  int alarms = 0;
  for (uint64_t seed = 101; seed <= 110; ++seed) {
    auto d = MakeDriftDetector(spec);
    alarms += static_cast<int>(Feed(d.get(), make(seed)).drifts.size());
  }
  EXPECT_LE(alarms, max_alarms) << spec.kind << " " << stream;
  std::printf("%-12s %-26s %d false alarms in 10 x 10000 values\n", spec.kind.c_str(), stream,
              alarms);
}

TEST(DriftDetectorsTest, AdwinDetectsAbruptChanges) {
  const DetectorSpec spec = Spec("adwin");
  ExpectDetects(spec, "error rate 0.1 -> 0.5", 2000, 200, 0,
                [](uint64_t s) { return Bernoulli(s, 0.1, 2000, 0.5, 1000); });
  ExpectDetects(spec, "N(0,1) -> N(1,1)", 2000, 200, 0,
                [](uint64_t s) { return Gaussian(s, 0.0, 2000, 1.0, 1000, 1.0); });
  ExpectDetects(spec, "N(1,1) -> N(0,1)", 2000, 200, 0,
                [](uint64_t s) { return Gaussian(s, 1.0, 2000, 0.0, 1000, 1.0); });
}

TEST(DriftDetectorsTest, PageHinkleyDetectsAbruptChanges) {
  const DetectorSpec spec = Spec("page_hinkley");
  ExpectDetects(spec, "error rate 0.1 -> 0.5", 2000, 250, 1,
                [](uint64_t s) { return Bernoulli(s, 0.1, 2000, 0.5, 1000); });
  ExpectDetects(spec, "N(0.5,0.2) -> N(1,0.2)", 2000, 150, 0,
                [](uint64_t s) { return Gaussian(s, 0.5, 2000, 1.0, 1000, 0.2); });
  ExpectDetects(spec, "N(1,0.2) -> N(0.5,0.2)", 2000, 150, 0,
                [](uint64_t s) { return Gaussian(s, 1.0, 2000, 0.5, 1000, 0.2); });
  // One-sided: an upward test ignores a fall, a downward one catches it.
  DetectorSpec up = spec, down = spec;
  up.mode = "up";
  down.mode = "down";
  const std::vector<double> fall = Gaussian(7, 1.0, 2000, 0.5, 1000, 0.2);
  auto u = MakeDriftDetector(up);
  auto d = MakeDriftDetector(down);
  EXPECT_TRUE(Feed(u.get(), fall).drifts.empty());
  EXPECT_FALSE(Feed(d.get(), fall).drifts.empty());
}

// DDM's error rate is the mean since its last reset, so it reacts more slowly the longer the
// stream before the change, and its minimum is noisy soon after warm_start, where most of its
// false alarms fall (River's DDM alike: 7 alarms before the change, in 4 of the 10 streams).
TEST(DriftDetectorsTest, DdmDetectsAbruptErrorRateChange) {
  ExpectDetects(Spec("ddm"), "error rate 0.1 -> 0.5", 2000, 200, 10,
                [](uint64_t s) { return Bernoulli(s, 0.1, 2000, 0.5, 1000); });
  ExpectDetects(Spec("ddm"), "error rate 0.2 -> 0.5", 2000, 1200, 4,
                [](uint64_t s) { return Bernoulli(s, 0.2, 2000, 0.5, 2000); });
}

TEST(DriftDetectorsTest, DdmWarnsBeforeItSignals) {
  auto d = MakeDriftDetector(Spec("ddm"));
  const Signals s = Feed(d.get(), Bernoulli(3, 0.1, 2000, 0.5, 1000));
  ASSERT_FALSE(s.drifts.empty());
  ASSERT_FALSE(s.warnings.empty());
  const int64_t drift = s.drifts.back();
  EXPECT_TRUE(std::count(s.warnings.begin(), s.warnings.end(), drift - 1) == 1)
      << "the value before the drift is in the warning zone";
  EXPECT_TRUE(std::count(s.warnings.begin(), s.warnings.end(), drift) == 0)
      << "a drift clears the warning, as in River";
}

TEST(DriftDetectorsTest, QuietOnStationaryStreams) {
  const auto errors = [](uint64_t s) { return Bernoulli(s, 0.2, 10000, 0.2, 0); };
  const auto gauss = [](uint64_t s) { return Gaussian(s, 0.0, 10000, 0.0, 0, 1.0); };
  const auto narrow = [](uint64_t s) { return Gaussian(s, 0.5, 10000, 0.5, 0, 0.2); };
  ExpectQuiet(Spec("adwin"), "error rate 0.2", 1, errors);
  ExpectQuiet(Spec("adwin"), "N(0,1)", 1, gauss);
  ExpectQuiet(Spec("page_hinkley"), "error rate 0.2", 8, errors);
  ExpectQuiet(Spec("page_hinkley"), "N(0.5,0.2)", 2, narrow);
  ExpectQuiet(Spec("ddm"), "error rate 0.2", 8, errors);
}

// Golden indices from River 0.26.1 (river.drift.ADWIN(), PageHinkley(), binary.DDM()) on two
// streams with no random generator: x_i from (i * 7919) mod 101, with a change at i = 1000.
TEST(DriftDetectorsTest, MatchesRiverOnFixedStreams) {
  std::vector<double> errors, values;
  for (int64_t i = 0; i < 3000; ++i) {
    const int64_t h = (i * 7919) % 101;
    errors.push_back(h < (i < 1000 ? 10 : 50) ? 1.0 : 0.0);
    values.push_back(static_cast<double>(h) / 100.0 + (i >= 1000 ? 0.3 : 0.0));
  }
  const auto run = [](const char* kind, const std::vector<double>& xs) {
    auto d = MakeDriftDetector(Spec(kind));
    return Feed(d.get(), xs);
  };
  EXPECT_EQ(run("adwin", errors).drifts, std::vector<int64_t>{1055});
  EXPECT_EQ(run("page_hinkley", errors).drifts, std::vector<int64_t>{1134});
  const Signals ddm = run("ddm", errors);
  EXPECT_EQ(ddm.drifts, std::vector<int64_t>{1048});
  ASSERT_EQ(ddm.warnings.size(), 28u);
  EXPECT_EQ(ddm.warnings.front(), 1020);
  EXPECT_EQ(run("adwin", values).drifts, std::vector<int64_t>{1055});
  EXPECT_EQ(run("page_hinkley", values).drifts, std::vector<int64_t>{1184});
}

// A stream with changes both ways, so a resume lands before, at and after detections.
std::vector<double> Changing() {
  std::vector<double> xs = Bernoulli(11, 0.1, 1500, 0.5, 1500);
  const std::vector<double> back = Bernoulli(12, 0.1, 1500, 0.1, 0);
  xs.insert(xs.end(), back.begin(), back.end());
  return xs;
}

TEST(DriftDetectorsTest, ResumedDetectorSignalsLikeAnUninterruptedOne) {
  const std::vector<double> xs = Changing();
  for (const char* kind : kKinds) {
    SCOPED_TRACE(kind);
    auto whole = MakeDriftDetector(Spec(kind));
    const Signals want = Feed(whole.get(), xs);
    ASSERT_FALSE(want.drifts.empty());
    const int64_t first = want.drifts.front();
    for (int64_t cut : {int64_t{0}, int64_t{1}, int64_t{31}, int64_t{700}, first, first + 1,
                        first + 2, int64_t{2999}}) {
      SCOPED_TRACE("cut at " + std::to_string(cut));
      auto before = MakeDriftDetector(Spec(kind));
      std::vector<double> head(xs.begin(), xs.begin() + cut);
      const Signals s0 = Feed(before.get(), head);
      const std::string text = before->Save().dump();
      auto after = MakeDriftDetector(Spec(kind));
      after->Restore(Json::parse(text));
      EXPECT_EQ(after->Save().dump(), text);
      EXPECT_EQ(after->warning(), before->warning());
      const Signals s1 = Feed(after.get(), xs, static_cast<size_t>(cut));
      Signals got = s0;
      got.drifts.insert(got.drifts.end(), s1.drifts.begin(), s1.drifts.end());
      got.warnings.insert(got.warnings.end(), s1.warnings.begin(), s1.warnings.end());
      EXPECT_EQ(got.drifts, want.drifts);
      EXPECT_EQ(got.warnings, want.warnings);
    }
  }
}

TEST(DriftDetectorsTest, NonFiniteNumbersSurviveSaveAndRestore) {
  for (const char* kind : kKinds) {
    SCOPED_TRACE(kind);
    auto d = MakeDriftDetector(Spec(kind));
    const Json fresh = d->Save();
    // A fresh Page-Hinkley's minimum is +inf and a fresh DDM's p_min is unset (nan).
    if (std::string(kind) == "page_hinkley") {
      EXPECT_EQ(fresh["min_increase"], "inf");
    }
    if (std::string(kind) == "ddm") {
      EXPECT_EQ(fresh["p_min"], "nan");
    }
    for (double x : {0.0, 1.0, std::numeric_limits<double>::infinity(), 0.0,
                     std::numeric_limits<double>::quiet_NaN(), 1.0}) {
      d->Update(x);
    }
    const std::string text = d->Save().dump();
    EXPECT_NE(text.find("\"nan\""), std::string::npos) << text;
    auto e = MakeDriftDetector(Spec(kind));
    e->Restore(Json::parse(text));
    EXPECT_EQ(e->Save().dump(), text);
    EXPECT_FALSE(e->Describe().empty());
  }
}

TEST(DriftDetectorsTest, RestoreRejectsStatesThatAreNotItsOwn) {
  const std::vector<double> xs = Bernoulli(5, 0.3, 300, 0.3, 0);
  for (const char* kind : kKinds) {
    SCOPED_TRACE(kind);
    auto d = MakeDriftDetector(Spec(kind));
    Feed(d.get(), xs);
    const Json good = d->Save();
    std::vector<Json> bad = {Json(42), Json::array(), Json::object(), Json("ADWIN")};
    for (const auto& [key, value] : good.items()) {
      Json missing = good;
      missing.erase(key);
      bad.push_back(missing);
      Json wrong = good;
      wrong[key] = "garbage";
      bad.push_back(wrong);
    }
    Json params = good;
    params["params"].begin().value() = 12345;
    bad.push_back(params);
    for (const char* other : kKinds) {
      if (std::string(other) != kind) bad.push_back(MakeDriftDetector(Spec(other))->Save());
    }
    for (const Json& state : bad) {
      EXPECT_THROW(d->Restore(state), ArtifactError) << state.dump();
      EXPECT_EQ(d->Save(), good) << "a failed Restore leaves the detector as it was";
    }
    try {
      d->Restore(MakeDriftDetector(Spec(kind == std::string("ddm") ? "adwin" : "ddm"))->Save());
    } catch (const ArtifactError& e) {
      EXPECT_NE(std::string(e.what()).find("saved by detector"), std::string::npos) << e.what();
    }
  }
}

TEST(DriftDetectorsTest, AdwinRestoreChecksTheWindow) {
  auto d = MakeDriftDetector(Spec("adwin"));
  Feed(d.get(), Bernoulli(9, 0.3, 500, 0.3, 0));
  const Json good = d->Save();
  ASSERT_GE(good["rows"].size(), 3u);
  Json wider = good;
  wider["width"] = good["width"].get<double>() + 1;
  Json uneven = good;
  uneven["rows"][1]["variances"].push_back(0.0);
  Json overfull = good;
  for (int i = 0; i < 6; ++i) {
    overfull["rows"][0]["totals"].push_back(1.0);
    overfull["rows"][0]["variances"].push_back(0.0);
  }
  Json no_rows = good;
  no_rows["rows"] = Json::array();
  Json empty_oldest = good;
  empty_oldest["rows"].push_back({{"totals", Json::array()}, {"variances", Json::array()}});
  Json float_tick = good;
  float_tick["tick"] = 1.5;
  for (const Json& state : {wider, uneven, overfull, no_rows, empty_oldest, float_tick}) {
    EXPECT_THROW(d->Restore(state), ArtifactError) << state.dump();
  }
  // The message names what is wrong.
  try {
    d->Restore(wider);
  } catch (const ArtifactError& e) {
    EXPECT_NE(std::string(e.what()).find("width"), std::string::npos) << e.what();
  }
}

TEST(DriftDetectorsTest, RestoreRejectsOtherParameters) {
  DetectorSpec other = Spec("adwin");
  other.delta = 0.01;
  const Json state = MakeDriftDetector(other)->Save();
  auto d = MakeDriftDetector(Spec("adwin"));
  try {
    d->Restore(state);
    FAIL() << "restored a state saved with another delta";
  } catch (const ArtifactError& e) {
    EXPECT_NE(std::string(e.what()).find("params.delta"), std::string::npos) << e.what();
  }
}

TEST(DriftDetectorsTest, MakeDriftDetectorChecksTheSpec) {
  EXPECT_EQ(MakeDriftDetector(Spec("adwin"))->Name(), "ADWIN");
  EXPECT_EQ(MakeDriftDetector(Spec("page_hinkley"))->Name(), "PageHinkley");
  EXPECT_EQ(MakeDriftDetector(Spec("ddm"))->Name(), "DDM");
  EXPECT_THROW(MakeDriftDetector(Spec("kswin")), ConfigError);
  EXPECT_THROW(MakeDriftDetector(Spec("")), ConfigError);
  DetectorSpec clock = Spec("adwin");
  clock.clock = 0;
  EXPECT_THROW(MakeDriftDetector(clock), ConfigError);
  DetectorSpec buckets = Spec("adwin");
  buckets.max_buckets = 0;
  EXPECT_THROW(MakeDriftDetector(buckets), ConfigError);
  DetectorSpec mode = Spec("page_hinkley");
  mode.mode = "sideways";
  EXPECT_THROW(MakeDriftDetector(mode), ConfigError);
}

TEST(DriftDetectorsTest, EmptyAndSingleValueStreams) {
  for (const char* kind : kKinds) {
    auto d = MakeDriftDetector(Spec(kind));
    EXPECT_FALSE(d->Describe().empty());
    EXPECT_FALSE(d->Update(1.0));
    EXPECT_FALSE(d->warning());
    auto e = MakeDriftDetector(Spec(kind));
    e->Restore(d->Save());
    EXPECT_EQ(e->Save(), d->Save());
  }
}

}  // namespace
}  // namespace freshet
