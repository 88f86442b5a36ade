// freshet shadow: the champion and a challenger score logged live rows; the challenger is judged
// without being served, the result is recorded against it, and a pass moves it on to the next
// stage of gate.stages (canary, or champion).
#include <algorithm>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "cli/evaluate.h"
#include "cli/verbs.h"
#include "freshet/config.hpp"
#include "freshet/error.hpp"
#include "freshet/gate_policy.hpp"
#include "freshet/io.hpp"
#include "freshet/registry.hpp"
#include "freshet/shadow.hpp"

namespace freshet::cli {
namespace {

struct ShadowArgs {
  std::string config, challenger;
  std::vector<std::string> inputs;
  bool json = false;
};

int Shadow(const ShadowArgs& args) {
  const Config config = LoadConfig(args.config);
  const Device device = ResolveDevice(config.train.device);
  Registry registry = Registry::Open(config.registry, Registry::Mode::kReadWrite);
  registry.RequireModel(config.model);
  const auto champion = registry.Holder(config.model, "champion");
  if (!champion) {
    throw ConfigError(config.model + ": no champion to compare a challenger with");
  }
  std::string ref = args.challenger;
  if (ref.empty()) {
    const bool staged = std::find(config.gate.stages.begin(), config.gate.stages.end(), "shadow") !=
                        config.gate.stages.end();
    ref = staged && registry.Holder(config.model, "shadow") ? "shadow" : "challenger";
  }
  const VersionInfo challenger = registry.Resolve(config.model, ref);
  if (challenger.number == champion->number) {
    throw ConfigError("--challenger " + ref + ": " + challenger.name +
                      " is the champion; give the version to shadow it with");
  }
  const auto champion_art = registry.Artifacts(*champion);
  const auto challenger_art = registry.Artifacts(challenger);
  const FeatureState champion_state = registry.LoadFeatureState(*champion);
  const FeatureState challenger_state = registry.LoadFeatureState(challenger);
  std::vector<ColumnRequest> cols = StateColumns(challenger_state);
  for (const auto& c : StateColumns(champion_state)) {
    if (std::none_of(cols.begin(), cols.end(),
                     [&](const ColumnRequest& x) { return x.name == c.name; })) {
      cols.push_back(c);
    }
  }
  bool labelled = false;
  const EvalRows rows = ReadLoggedRows(config, args.inputs, cols, &labelled);
  spdlog::info("shadow: {} rows of logged traffic ({}), champion {} vs challenger {}",
               rows.table.rows(), labelled ? "with labels" : "without labels", champion->name,
               challenger.name);

  const auto score = [&](const ArtifactSource& a, const FeatureState& s, const VersionInfo& v,
                         const char* role) {
    VersionScores vs = ScoreVersion(a, s, rows.table, device, /*with_fallback=*/false);
    if (!vs.main_error.empty()) {
      throw IoError("the " + std::string(role) + " " + v.name + " cannot score: " + vs.main_error);
    }
    return ModelScores{role, v.name, std::move(vs.main), vs.outputs, ""};
  };
  const ModelScores champ = score(*champion_art, champion_state, *champion, "champion");
  const ModelScores chall = score(*challenger_art, challenger_state, challenger, "challenger");
  const int64_t k = config.task == Task::kMulticlass ? std::max(champ.outputs, chall.outputs) : 0;
  const ShadowOutcome outcome = CompareShadow(config, k, rows, chall, champ, labelled);

  Promotion promotion;
  std::string blocked;
  if (outcome.passed) {
    promotion =
        ShadowPromotion(config.gate, champion->number, "the shadow run passed: " + outcome.reason);
    if (!promotion.moves.empty()) {
      blocked = PromotionBlocker(registry, challenger, promotion.moves.front().channel,
                                 /*shadow_passing=*/true);
      if (!blocked.empty()) promotion = {};
    }
  }
  const EvaluationRecord rec = registry.RecordEvaluation(
      config.model, challenger.number, "shadow", outcome.passed, outcome.reason, outcome.summary,
      promotion.moves, {CommandLine(), ""});
  if (args.json) {
    nlohmann::json j = outcome.summary;
    j["id"] = rec.id;
    j["promoted_to"] = promotion.promoted_to;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    for (const auto& c : outcome.summary["checks"]) {
      std::printf("%-5s %s\n", c["passed"].get<bool>() ? "pass" : "FAIL",
                  c["reason"].get<std::string>().c_str());
    }
    std::string moved;
    for (const auto& c : promotion.promoted_to) moved += (moved.empty() ? "" : ", ") + c;
    std::printf("shadow %s %s vs champion %s on %lld rows: %s%s%s\n", config.model.c_str(),
                challenger.name.c_str(), champion->name.c_str(),
                static_cast<long long>(rows.table.rows()), outcome.passed ? "PASS" : "FAIL",
                moved.empty() ? "" : ("; promoted to " + moved).c_str(),
                blocked.empty() ? "" : ("; not promoted: " + blocked).c_str());
  }
  // A pass that may not move the challenger on (its gate failed) keeps the champion too.
  return outcome.passed && blocked.empty() ? kExitPublished : kExitGateKept;
}

}  // namespace

void AddShadow(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ShadowArgs>();
  CLI::App* cmd = app.add_subcommand(
      "shadow",
      "Score logged live rows with the champion and a challenger (without serving it): agreement, "
      "decisions flipped, the shift in scores, metric deltas where labels exist; checked against "
      "gate.shadow and recorded against the challenger. A pass moves it to the stage after shadow "
      "in gate.stages. Exit 0 pass, 4 fail.");
  cmd->add_option("-c,--config", args->config, "The model's YAML config")->required();
  cmd->add_option("--input", args->inputs, "Logged traffic: HDF5 or CSV files (label optional)")
      ->required();
  cmd->add_option("--challenger", args->challenger,
                  "The version to shadow (default: the shadow channel's when gate.stages has "
                  "shadow, else the challenger channel's)");
  cmd->add_flag("--json", args->json, "Print the shadow summary as JSON");
  cmd->callback([args, exit_code] { *exit_code = Shadow(*args); });
}

}  // namespace freshet::cli
