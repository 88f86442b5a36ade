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

// The logged rows: every column either model's features read, plus the label, the weight column
// and the evaluation's own columns (slices, payoffs, product-metric weights) where every file has
// them. `labelled` says whether the label came with them.
EvalRows ReadLogged(const Config& config, const std::vector<std::string>& paths,
                    const std::vector<ColumnRequest>& features, bool* labelled) {
  std::vector<std::vector<StoredColumn>> stored;
  for (const auto& p : paths) stored.push_back(PartitionColumns(p, config.data.hdf5_group));
  const auto everywhere = [&](const std::string& name) {
    return std::all_of(stored.begin(), stored.end(), [&](const std::vector<StoredColumn>& cs) {
      return std::any_of(cs.begin(), cs.end(),
                         [&](const StoredColumn& c) { return c.name == name; });
    });
  };
  std::vector<ColumnRequest> cols = features;
  for (const auto& c : config.Columns()) {
    const bool have = std::any_of(cols.begin(), cols.end(),
                                  [&](const ColumnRequest& x) { return x.name == c.name; });
    if (!have && c.name != config.data.label && everywhere(c.name)) cols.push_back(c);
  }
  *labelled = everywhere(config.data.label);
  if (*labelled) cols.push_back({config.data.label, ColumnKind::kNumeric});
  EvalRows rows;
  rows.name = "shadow";
  for (const auto& p : paths) {
    InputFile in;
    in.path = p;
    in.role = "shadow";
    in.sha256 = Sha256File(p);
    Table t = ReadPartition(p, cols, config.data.hdf5_group);
    in.rows = t.rows();
    rows.table.Append(t);
    rows.files.push_back(in);
  }
  return rows;
}

// `config` without the slices, product metrics and row weights whose columns the logged rows lack.
Config WithLoggedColumns(Config config, const Table& rows) {
  auto& e = config.evaluation;
  const auto missing = [&](const std::string& c) { return !c.empty() && !rows.Find(c); };
  if (missing(config.train.weight_column)) config.train.weight_column.clear();
  e.slices.erase(std::remove_if(e.slices.begin(), e.slices.end(),
                                [&](const SliceSpec& s) { return missing(s.column); }),
                 e.slices.end());
  e.product_metrics.erase(std::remove_if(e.product_metrics.begin(), e.product_metrics.end(),
                                         [&](const ProductMetricSpec& p) {
                                           return missing(p.tp.column) || missing(p.fp.column) ||
                                                  missing(p.fn.column) || missing(p.tn.column) ||
                                                  missing(p.weight_column);
                                         }),
                          e.product_metrics.end());
  return config;
}

// The channel moves a passing shadow run earns: the stage after `shadow` in gate.stages, or
// champion (and the fallback channel by its policy) when shadow is the last.
std::vector<ChannelMove> Moves(const Config& config, const VersionInfo& champion,
                               const std::string& reason) {
  const auto& stages = config.gate.stages;
  const auto at = std::find(stages.begin(), stages.end(), "shadow");
  if (at == stages.end()) return {};
  if (at + 1 != stages.end()) return {{*(at + 1), std::nullopt, reason}};
  std::vector<ChannelMove> moves = {{"champion", std::nullopt, reason}};
  if (config.gate.fallback_channel == "previous_champion") {
    moves.push_back({"fallback", champion.number,
                     "the champion it replaced (gate.fallback_channel: previous_champion)"});
  }
  return moves;
}

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
  const EvalRows rows = ReadLogged(config, args.inputs, cols, &labelled);
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
  const ShadowOutcome outcome =
      CompareShadow(WithLoggedColumns(config, rows.table), k, rows, chall, champ, labelled);

  std::vector<ChannelMove> moves;
  std::string blocked;
  if (outcome.passed) {
    moves = Moves(config, *champion, "the shadow run passed: " + outcome.reason);
    if (!moves.empty()) {
      blocked = PromotionBlocker(registry, challenger, moves.front().channel,
                                 /*shadow_passing=*/true);
      if (!blocked.empty()) moves.clear();
    }
  }
  const EvaluationRecord rec =
      registry.RecordEvaluation(config.model, challenger.number, "shadow", outcome.passed,
                                outcome.reason, outcome.summary, moves, {CommandLine(), ""});
  if (args.json) {
    nlohmann::json j = outcome.summary;
    j["id"] = rec.id;
    nlohmann::json moved = nlohmann::json::array();
    for (const auto& m : moves) {
      if (m.channel != "fallback") moved.push_back(m.channel);
    }
    j["promoted_to"] = moved;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    for (const auto& c : outcome.summary["checks"]) {
      std::printf("%-5s %s\n", c["passed"].get<bool>() ? "pass" : "FAIL",
                  c["reason"].get<std::string>().c_str());
    }
    std::string moved;
    for (const auto& m : moves) moved += (moved.empty() ? "" : ", ") + m.channel;
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
