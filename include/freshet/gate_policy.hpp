// The promotion gate: whether the challenger replaces the champion, decided by the rules of the
// config's `gate:` section on the evaluation of a retrain (comparison.hpp), each rule reported
// with its numbers and a one-line reason.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/eval_spec.hpp"

namespace freshet {

class Registry;
struct VersionInfo;

struct GateDecision {
  bool passed = false;
  bool first_run = false;  // no champion: gate.first_run's rules joined the others
  std::string reason;      // one line: what failed, or that every rule passed
  // eval.json's "gate": {decision: pass | fail, enabled, first_run, champion, stages, rules:
  // [{name, rule, metric, against, set, bound, relative, value, threshold, passed, skipped,
  // reason}], reason} (retrain adds promoted_to and held_by; docs/eval-schema.md).
  nlohmann::json json;
};

// Applies `gate` to `evaluation` (eval.json's "evaluation": its sets with the models' metrics,
// comparisons and slices). `champion` names the version the challenger would replace (none on a
// first run). On a first run the rules that compare with the champion are skipped and the
// first_run rules are added; a rule against a model that is absent (no fallback) is skipped; a
// rule whose model could not be scored, or whose value is not a number, fails. The gate passes
// when no rule failed. A disabled gate passes with no rules. Pure; never throws on any JSON shape.
GateDecision DecideGate(const GateConfig& gate, const nlohmann::json& evaluation,
                        const std::optional<std::string>& champion);

// One line per rule ("gate: pass  auc vs champion: the improvement ... is 0.0123, >= 0.0000"),
// then the decision, for the log.
std::vector<std::string> GateLines(const GateDecision& decision);

// Why `v` may not be moved to `channel` without --force; "" when it may. Guarded are `champion`,
// the channels of the gate.stages the version's eval.json records, and every move of a shadow
// run (`shadow_passing`: the move a passing `freshet shadow` is about to make): the version's gate
// must have passed, and each stage before `channel` (all of them, for champion or a channel the
// version's gate did not list) must be behind it: a passing shadow evaluation for "shadow" (or
// `shadow_passing`), an earlier move of that channel to `v` for any other stage. A version
// published without a gate decision (by an older freshet) is not guarded. Throws what reading the
// version's eval.json throws (IoError for a changed file).
std::string PromotionBlocker(const Registry& registry, const VersionInfo& v,
                             const std::string& channel, bool shadow_passing = false);

}  // namespace freshet
