// PromotionBlocker: what a version still lacks to be moved to champion (or to a gate stage).
#include <algorithm>
#include <string>
#include <vector>

#include "freshet/gate_policy.hpp"
#include "freshet/registry.hpp"

namespace freshet {

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
