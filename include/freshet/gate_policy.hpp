// The promotion gate: whether the challenger replaces the champion, decided by the rules of the
// config's `gate:` section on the evaluation of a retrain (comparison.hpp), each rule reported
// with its numbers and a one-line reason.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/eval_spec.hpp"
#include "freshet/registry.hpp"

namespace freshet {

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

// The channel moves a promotion earns, in order, and the channels on the way to serving it moves
// the version to (a stage or champion; not `challenger` or `fallback`).
struct Promotion {
  std::vector<ChannelMove> moves;
  std::vector<std::string> promoted_to;
};

// After a retrain's gate decision, `champion` the version it compared with (none on a first
// run): `challenger` always; on a pass, the first of gate.stages (a first run, with no champion to
// shadow against, skips them) or `champion`, then `fallback` to the champion it replaced by
// gate.fallback_channel. Every move but `challenger`'s is conditional on `champion` still holding
// what the decision compared with (PublishRecord's condition). A disabled gate: `champion` alone.
Promotion RetrainPromotion(const GateConfig& gate, const GateDecision& decision,
                           std::optional<int64_t> champion);

// After a passing shadow run against `champion`: the stage after `shadow` in gate.stages, or
// `champion` (and `fallback` by its policy) when shadow is the last; nothing when the stages
// lack shadow. Each move recorded with `reason`.
Promotion ShadowPromotion(const GateConfig& gate, int64_t champion, const std::string& reason);

// eval.json's "gate": the decision's JSON with promoted_to and held_by ("challenger" when the
// gate failed, else null).
nlohmann::json GateJson(const GateDecision& decision, const Promotion& promotion);

// The channel of `promotion` that does not hold version `number` of `model` after its publish (a
// conditional move skipped because champion moved meanwhile), "" when every one does.
std::string UnmadeMove(const Registry& registry, const std::string& model,
                       const Promotion& promotion, int64_t number);

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
