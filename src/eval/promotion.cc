// Promotions: the channel moves a gate decision or a shadow run earns, and what a version still
// lacks to be moved to champion (or to a gate stage) by hand.
#include <algorithm>
#include <string>
#include <vector>

#include "freshet/gate_policy.hpp"
#include "freshet/registry.hpp"

namespace freshet {

namespace {

// Moves the version on to `next`: a stage, or champion and then fallback by the policy.
void MoveOnTo(const GateConfig& gate, const std::string& next, std::optional<int64_t> champion,
              const std::string& reason, bool conditional, Promotion* p) {
  p->moves.push_back({next, std::nullopt, reason, conditional});
  p->promoted_to.push_back(next);
  if (next == "champion" && champion && gate.fallback_channel == "previous_champion") {
    p->moves.push_back({"fallback", champion,
                        "the champion it replaced (gate.fallback_channel: previous_champion)",
                        conditional});
  }
}

}  // namespace

Promotion RetrainPromotion(const GateConfig& gate, const GateDecision& decision,
                           std::optional<int64_t> champion) {
  Promotion p;
  if (!gate.enabled) {
    // As before the gate existed: straight to champion, no other channel moves.
    p.moves.push_back({"champion", std::nullopt, decision.reason, false});
    p.promoted_to.push_back("champion");
    return p;
  }
  p.moves.push_back({"challenger", std::nullopt, "the newest challenger", false});
  if (!decision.passed) return p;
  const std::string why = "the promotion gate passed: " + decision.reason;
  if (!gate.stages.empty() && champion) {
    const std::string& stage = gate.stages.front();
    MoveOnTo(gate, stage, champion, why + " (next: " + stage + ", then champion)", true, &p);
  } else {
    MoveOnTo(gate, "champion", champion, why, true, &p);
  }
  return p;
}

Promotion ShadowPromotion(const GateConfig& gate, int64_t champion, const std::string& reason) {
  Promotion p;
  const auto at = std::find(gate.stages.begin(), gate.stages.end(), "shadow");
  if (at == gate.stages.end()) return p;
  MoveOnTo(gate, at + 1 != gate.stages.end() ? *(at + 1) : "champion", champion, reason, false, &p);
  return p;
}

nlohmann::json GateJson(const GateDecision& decision, const Promotion& promotion) {
  nlohmann::json j = decision.json;
  j["promoted_to"] = promotion.promoted_to;
  j["held_by"] = decision.passed ? nlohmann::json() : nlohmann::json("challenger");
  return j;
}

std::string UnmadeMove(const Registry& registry, const std::string& model,
                       const Promotion& promotion, int64_t number) {
  for (const auto& m : promotion.moves) {
    const auto holder = registry.Holder(model, m.channel);
    if (!holder || holder->number != m.version.value_or(number)) return m.channel;
  }
  return "";
}

std::string PromotionBlocker(const Registry& registry, const VersionInfo& v,
                             const std::string& channel, bool shadow_passing) {
  const auto source = registry.Artifacts(v);
  if (!source->Has(kEvalFile)) return "";
  const nlohmann::json eval =
      nlohmann::json::parse(source->Read(kEvalFile), nullptr, /*allow_exceptions=*/false);
  if (!eval.is_object() || !eval.contains("gate") || !eval["gate"].is_object()) return "";
  const nlohmann::json& gate = eval["gate"];
  std::vector<std::string> stages;
  if (gate.contains("stages") && gate["stages"].is_array()) {
    for (const auto& s : gate["stages"]) {
      if (s.is_string()) stages.push_back(s.get<std::string>());
    }
  }
  // Every stage before `channel` (all of them, for champion or a channel the version's gate did
  // not list) must be behind the version.
  const auto at = std::find(stages.begin(), stages.end(), channel);
  const bool guarded = channel == "champion" || at != stages.end() || shadow_passing;
  if (!guarded) return "";
  if (gate.value("decision", "") != "pass") {
    return v.name + " did not pass the promotion gate: " + gate.value("reason", std::string("?"));
  }
  for (auto it = stages.begin(); it != at; ++it) {
    if (*it == "shadow") {
      if (shadow_passing) continue;
      const auto evals = registry.Evaluations(v.model, v.number);
      const bool passed = std::any_of(evals.begin(), evals.end(), [](const EvaluationRecord& e) {
        return e.kind == "shadow" && e.passed;
      });
      if (!passed) {
        return v.name +
               " has no passing shadow run (`freshet shadow`), which its gate requires "
               "before " +
               channel;
      }
      continue;
    }
    const auto history = registry.History(v.model, *it);
    const bool held = std::any_of(history.begin(), history.end(), [&](const Event& e) {
      return e.kind == "promote" && e.version == v.number;
    });
    if (!held) {
      return v.name + " was never moved to " + *it + ", the stage its gate requires before " +
             channel;
    }
  }
  return "";
}

}  // namespace freshet
