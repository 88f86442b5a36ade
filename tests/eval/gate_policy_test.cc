// DecideGate: each rule passing and failing, the first-run rule, skipped and unscorable models,
// a disabled gate; PromotionBlocker's reading of a version's gate is in tests/e2e.
#include <gtest/gtest.h>

#include <string>

#include "freshet/gate_policy.hpp"

namespace freshet {
namespace {

using Json = nlohmann::json;

// An evaluation of one set, "latest", with the challenger at auc 0.80, ece 0.04 and a product
// metric value 1.5; the champion at auc 0.78 (a bootstrap interval of the improvement
// [-0.01, 0.05]); the fallback at auc 0.75; two slices.
Json Evaluation(bool champion = true, bool fallback = true) {
  Json set = {{"name", "latest"}, {"rows", 1000}};
  set["models"]["challenger"] = {{"version", "v000002"},
                                 {"metrics", {{"auc", 0.80}, {"ece", 0.04}, {"log_loss", 0.45}}},
                                 {"product_metrics", {{"value", 1.5}}}};
  if (champion) {
    set["models"]["champion"] = {{"version", "v000001"},
                                 {"metrics", {{"auc", 0.78}, {"ece", 0.03}, {"log_loss", 0.47}}},
                                 {"product_metrics", {{"value", 1.7}}}};
    set["comparisons"]["champion"] = {
        {"auc", {{"improvement", 0.02}, {"improvement_lower", -0.01}, {"improvement_upper", 0.05}}},
        {"log_loss", {{"improvement", 0.02}, {"improvement_lower", 0.001}}},
        {"value", {{"improvement", -0.2}, {"improvement_lower", -0.5}}}};
  }
  if (fallback) {
    set["models"]["fallback"] = {{"version", "v000002"}, {"metrics", {{"auc", 0.75}}}};
    set["comparisons"]["fallback"] = {
        {"auc", {{"improvement", 0.05}, {"improvement_lower", 0.02}}}};
  }
  set["slices"] = Json::array();
  set["slices"].push_back({{"column", "country"},
                           {"value", "DE"},
                           {"rows", 400},
                           {"metrics",
                            {{"challenger", {{"auc", 0.70}}},
                             {"champion", {{"auc", 0.74}}},
                             {"fallback", {{"auc", 0.69}}}}}});
  set["slices"].push_back({{"column", "country"},
                           {"value", "FR"},
                           {"rows", 300},
                           {"metrics",
                            {{"challenger", {{"auc", 0.81}}},
                             {"champion", {{"auc", 0.80}}},
                             {"fallback", {{"auc", 0.79}}}}}});
  return {{"primary_set", "latest"},
          {"bootstrap", {{"confidence", 0.95}}},
          {"sets", Json::array({set})}};
}

GateRule Rule(const std::string& kind, const std::string& metric, double threshold,
              const std::string& against = "", const std::string& bound = "point") {
  GateRule r;
  r.name = kind + " " + metric;
  r.kind = kind;
  r.metric = metric;
  r.against = against;
  r.bound = bound;
  r.set = "latest";
  r.threshold = threshold;
  return r;
}

GateConfig Gate(std::vector<GateRule> rules) {
  GateConfig g;
  g.rules = std::move(rules);
  g.first_run = {Rule("min_change", "auc", 0, "fallback")};
  return g;
}

const Json& OnlyRule(const GateDecision& d) {
  EXPECT_EQ(d.json["rules"].size(), 1u);
  return d.json["rules"][0];
}

TEST(DecideGate, MinChangeAgainstTheChampionOnThePointEstimate) {
  GateDecision d = DecideGate(Gate({Rule("min_change", "auc", 0.01, "champion")}), Evaluation(),
                              std::string("v000001"));
  EXPECT_TRUE(d.passed);
  EXPECT_DOUBLE_EQ(OnlyRule(d)["value"].get<double>(), 0.02);
  EXPECT_NE(OnlyRule(d)["reason"].get<std::string>().find("0.0200, >= 0.0100"), std::string::npos);

  d = DecideGate(Gate({Rule("min_change", "auc", 0.03, "champion")}), Evaluation(),
                 std::string("v000001"));
  EXPECT_FALSE(d.passed);
  EXPECT_EQ(d.json["decision"], "fail");
  EXPECT_EQ(OnlyRule(d)["passed"], false);
  EXPECT_NE(d.reason.find("rule 'min_change auc' failed"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("0.0200, < 0.0300"), std::string::npos) << d.reason;
}

TEST(DecideGate, MinChangeOnTheLowerBound) {
  GateDecision d = DecideGate(Gate({Rule("min_change", "auc", 0.0, "champion", "lower")}),
                              Evaluation(), std::string("v000001"));
  EXPECT_FALSE(d.passed);
  EXPECT_DOUBLE_EQ(OnlyRule(d)["value"].get<double>(), -0.01);
  EXPECT_NE(d.reason.find("lower 95% bound"), std::string::npos) << d.reason;
  d = DecideGate(Gate({Rule("min_change", "auc", -0.02, "champion", "lower")}), Evaluation(),
                 std::string("v000001"));
  EXPECT_TRUE(d.passed) << d.reason;
}

TEST(DecideGate, MinChangeOnTheUpperBoundKeepsOutOnlyASignificantlyWorseChallenger) {
  GateDecision d = DecideGate(Gate({Rule("min_change", "auc", 0.0, "champion", "upper")}),
                              Evaluation(), std::string("v000001"));
  EXPECT_TRUE(d.passed);
  EXPECT_DOUBLE_EQ(OnlyRule(d)["value"].get<double>(), 0.05);
  EXPECT_NE(OnlyRule(d)["reason"].get<std::string>().find("the upper 95% bound"),
            std::string::npos);
  Json e = Evaluation();
  e["sets"][0]["comparisons"]["champion"]["auc"]["improvement_upper"] = -0.001;
  d = DecideGate(Gate({Rule("min_change", "auc", 0.0, "champion", "upper")}), e,
                 std::string("v000001"));
  EXPECT_FALSE(d.passed);
}

TEST(DecideGate, ARelativeChangeIsAFractionOfTheOtherModelsValue) {
  Json e = Evaluation();
  e["sets"][0]["comparisons"]["champion"]["auc"]["other"] = 0.78;
  GateRule r = Rule("min_change", "auc", -0.01, "champion", "lower");
  r.relative = true;
  GateDecision d = DecideGate(Gate({r}), e, std::string("v000001"));
  EXPECT_NEAR(OnlyRule(d)["value"].get<double>(), -0.01 / 0.78, 1e-12);
  EXPECT_FALSE(d.passed);  // -1.28 % < -1 %
  EXPECT_NE(d.reason.find("relative improvement of auc over the champion v000001 ((challenger − "
                          "champion) / |champion|) is -1.28%, < -1.00%"),
            std::string::npos)
      << d.reason;
  r.threshold = -0.02;
  EXPECT_TRUE(DecideGate(Gate({r}), e, std::string("v000001")).passed);
  e["sets"][0]["comparisons"]["champion"]["auc"]["other"] = 0.0;
  EXPECT_FALSE(DecideGate(Gate({r}), e, std::string("v000001")).passed);
}

TEST(DecideGate, ALowerIsBetterMetricUsesItsImprovement) {
  // log_loss: the comparison's improvement is already signed (champion − challenger).
  GateDecision d = DecideGate(Gate({Rule("min_change", "log_loss", 0.0, "champion", "lower")}),
                              Evaluation(), std::string("v000001"));
  EXPECT_TRUE(d.passed) << d.reason;
  EXPECT_NE(OnlyRule(d)["reason"].get<std::string>().find("champion − challenger"),
            std::string::npos);
}

TEST(DecideGate, BeatsTheFallback) {
  EXPECT_TRUE(DecideGate(Gate({Rule("min_change", "auc", 0.04, "fallback")}), Evaluation(),
                         std::string("v000001"))
                  .passed);
  EXPECT_FALSE(DecideGate(Gate({Rule("min_change", "auc", 0.06, "fallback")}), Evaluation(),
                          std::string("v000001"))
                   .passed);
}

TEST(DecideGate, MinAndMaxValue) {
  EXPECT_TRUE(
      DecideGate(Gate({Rule("max_value", "ece", 0.05)}), Evaluation(), std::string("v1")).passed);
  const GateDecision d =
      DecideGate(Gate({Rule("max_value", "ece", 0.03)}), Evaluation(), std::string("v1"));
  EXPECT_FALSE(d.passed);
  EXPECT_NE(d.reason.find("ece of the challenger is 0.0400, > 0.0300"), std::string::npos)
      << d.reason;
  EXPECT_TRUE(
      DecideGate(Gate({Rule("min_value", "auc", 0.79)}), Evaluation(), std::string("v1")).passed);
  EXPECT_FALSE(
      DecideGate(Gate({Rule("min_value", "auc", 0.81)}), Evaluation(), std::string("v1")).passed);
}

TEST(DecideGate, AProductMetricAgainstItsChampion) {
  const GateDecision d = DecideGate(Gate({Rule("min_change", "value", 0.0, "champion")}),
                                    Evaluation(), std::string("v000001"));
  EXPECT_FALSE(d.passed);
  EXPECT_DOUBLE_EQ(OnlyRule(d)["value"].get<double>(), -0.2);
  EXPECT_TRUE(
      DecideGate(Gate({Rule("min_value", "value", 1.0)}), Evaluation(), std::string("v1")).passed);
}

TEST(DecideGate, MaxSliceDropNamesTheWorstSlice) {
  GateDecision d = DecideGate(Gate({Rule("max_slice_drop", "auc", 0.02, "champion")}), Evaluation(),
                              std::string("v000001"));
  EXPECT_FALSE(d.passed);
  EXPECT_NEAR(OnlyRule(d)["value"].get<double>(), -0.04, 1e-12);
  EXPECT_NE(d.reason.find("country = DE (400 rows)"), std::string::npos) << d.reason;
  d = DecideGate(Gate({Rule("max_slice_drop", "auc", 0.05, "champion")}), Evaluation(),
                 std::string("v000001"));
  EXPECT_TRUE(d.passed) << d.reason;
  EXPECT_DOUBLE_EQ(OnlyRule(d)["threshold"].get<double>(), -0.05);
}

TEST(DecideGate, ASliceWhereOnlyTheChallengerHasNoValueFails) {
  Json e = Evaluation();
  e["sets"][0]["slices"][1]["metrics"]["challenger"]["auc"] = nullptr;
  const GateDecision d =
      DecideGate(Gate({Rule("max_slice_drop", "auc", 0.5, "champion")}), e, std::string("v1"));
  EXPECT_FALSE(d.passed);
  EXPECT_NE(d.reason.find("auc of the challenger is not a number on the slice country = FR"),
            std::string::npos)
      << d.reason;
}

TEST(DecideGate, FirstRunSkipsTheChampionRulesAndNeedsToBeatTheFallback) {
  GateConfig g = Gate({Rule("min_change", "auc", 0.0, "champion"), Rule("max_value", "ece", 0.05)});
  GateDecision d = DecideGate(g, Evaluation(/*champion=*/false), std::nullopt);
  EXPECT_TRUE(d.passed) << d.reason;
  EXPECT_TRUE(d.first_run);
  EXPECT_EQ(d.json["first_run"], true);
  ASSERT_EQ(d.json["rules"].size(), 3u);
  EXPECT_EQ(d.json["rules"][0]["skipped"], true);
  EXPECT_TRUE(d.json["rules"][0]["passed"].is_null());
  EXPECT_EQ(d.json["rules"][2]["against"], "fallback");
  EXPECT_NE(d.reason.find("first run"), std::string::npos);

  g.first_run = {Rule("min_change", "auc", 0.1, "fallback")};
  d = DecideGate(g, Evaluation(false), std::nullopt);
  EXPECT_FALSE(d.passed);
  EXPECT_NE(d.reason.find("over the fallback"), std::string::npos) << d.reason;
}

TEST(DecideGate, AFirstRunRuleEqualToARuleIsAppliedOnce) {
  const GateConfig g = Gate({Rule("min_change", "auc", 0, "fallback")});
  const GateDecision d = DecideGate(g, Evaluation(false), std::nullopt);
  EXPECT_EQ(d.json["rules"].size(), 1u);
}

TEST(DecideGate, NoFallbackSkipsItsRules) {
  const GateDecision d = DecideGate(Gate({Rule("min_change", "auc", 0, "fallback")}),
                                    Evaluation(true, /*fallback=*/false), std::string("v000001"));
  EXPECT_TRUE(d.passed);
  EXPECT_EQ(OnlyRule(d)["skipped"], true);
  EXPECT_NE(d.reason.find("no rule could be applied"), std::string::npos) << d.reason;
}

TEST(DecideGate, AChampionThatCouldNotBeScoredFailsItsRules) {
  Json e = Evaluation();
  e["sets"][0]["models"]["champion"] = {{"version", "v000001"},
                                        {"error", "needs column \"tenure\""}};
  e["sets"][0]["comparisons"].erase("champion");
  const GateDecision d =
      DecideGate(Gate({Rule("min_change", "auc", 0, "champion")}), e, std::string("v000001"));
  EXPECT_FALSE(d.passed);
  EXPECT_NE(d.reason.find("could not be scored on set latest: needs column"), std::string::npos)
      << d.reason;
}

TEST(DecideGate, AMissingValueOrSetFails) {
  Json e = Evaluation();
  e["sets"][0]["comparisons"]["champion"]["auc"]["improvement"] = nullptr;
  EXPECT_FALSE(
      DecideGate(Gate({Rule("min_change", "auc", 0, "champion")}), e, std::string("v1")).passed);
  GateRule r = Rule("min_value", "auc", 0.5);
  r.set = "golden";
  const GateDecision d = DecideGate(Gate({r}), Evaluation(), std::string("v1"));
  EXPECT_FALSE(d.passed);
  EXPECT_NE(d.reason.find("no evaluation set \"golden\""), std::string::npos);
  // Garbage never throws.
  EXPECT_FALSE(DecideGate(Gate({r}), Json("garbage"), std::string("v1")).passed);
}

TEST(DecideGate, ADisabledGatePassesWithoutRules) {
  GateConfig g = Gate({Rule("min_value", "auc", 0.99)});
  g.enabled = false;
  const GateDecision d = DecideGate(g, Evaluation(), std::string("v1"));
  EXPECT_TRUE(d.passed);
  EXPECT_TRUE(d.json["rules"].empty());
  EXPECT_NE(d.reason.find("gate.enabled: false"), std::string::npos);
}

std::string Channels(const Promotion& p) {
  std::string out;
  for (const auto& m : p.moves) {
    out += (out.empty() ? "" : " ") + m.channel +
           (m.version ? "=" + std::to_string(*m.version) : "") + (m.conditional ? "?" : "");
  }
  return out;
}

TEST(RetrainPromotion, ChannelsADecisionMoves) {
  GateConfig g;
  GateDecision pass, fail;
  pass.passed = true;
  pass.reason = "2 of 2 rule(s) passed";
  // A pass: challenger, then champion and fallback (conditional on the champion compared with).
  Promotion p = RetrainPromotion(g, pass, 4);
  EXPECT_EQ(Channels(p), "challenger champion? fallback=4?");
  EXPECT_EQ(p.promoted_to, std::vector<std::string>{"champion"});
  EXPECT_EQ(p.moves[1].reason, "the promotion gate passed: 2 of 2 rule(s) passed");
  // A first run has no fallback to move; a fail moves challenger alone.
  EXPECT_EQ(Channels(RetrainPromotion(g, pass, std::nullopt)), "challenger champion?");
  p = RetrainPromotion(g, fail, 4);
  EXPECT_EQ(Channels(p), "challenger");
  EXPECT_TRUE(p.promoted_to.empty());
  const Json j = GateJson(fail, p);
  EXPECT_EQ(j["held_by"], "challenger");
  EXPECT_TRUE(j["promoted_to"].empty());
  EXPECT_TRUE(GateJson(pass, RetrainPromotion(g, pass, 4))["held_by"].is_null());
  // fallback_channel: none.
  g.fallback_channel = "none";
  EXPECT_EQ(Channels(RetrainPromotion(g, pass, 4)), "challenger champion?");
  // Stages: the first stage; a first run straight to champion.
  g.stages = {"shadow", "canary"};
  p = RetrainPromotion(g, pass, 4);
  EXPECT_EQ(Channels(p), "challenger shadow?");
  EXPECT_EQ(p.promoted_to, std::vector<std::string>{"shadow"});
  EXPECT_EQ(Channels(RetrainPromotion(g, pass, std::nullopt)), "challenger champion?");
  // A disabled gate: champion alone, unconditional.
  g.enabled = false;
  EXPECT_EQ(Channels(RetrainPromotion(g, fail, 4)), "champion");
}

TEST(ShadowPromotion, TheStageAfterShadowOrChampion) {
  GateConfig g;
  EXPECT_TRUE(ShadowPromotion(g, 3, "passed").moves.empty());  // no stages: recorded only
  g.stages = {"shadow", "canary"};
  Promotion p = ShadowPromotion(g, 3, "passed");
  EXPECT_EQ(Channels(p), "canary");
  EXPECT_EQ(p.moves[0].reason, "passed");
  g.stages = {"shadow"};
  p = ShadowPromotion(g, 3, "passed");
  EXPECT_EQ(Channels(p), "champion fallback=3");
  EXPECT_EQ(p.promoted_to, std::vector<std::string>{"champion"});
}

TEST(GateLines, OneLinePerRuleThenTheDecision) {
  const GateDecision d =
      DecideGate(Gate({Rule("max_value", "ece", 0.05), Rule("min_value", "auc", 0.9)}),
                 Evaluation(), std::string("v1"));
  const auto lines = GateLines(d);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("gate rule 'max_value ece': pass: ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("gate rule 'min_value auc': FAIL: ", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("gate: FAIL: ", 0), 0u) << lines[2];
}

}  // namespace
}  // namespace freshet
