#include "cli/publish_run.h"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "cli/evaluate.h"
#include "cli/verbs.h"
#include "freshet/eval_history.hpp"
#include "freshet/eval_report.hpp"
#include "freshet/evaluation.hpp"
#include "freshet/gate_policy.hpp"
#include "freshet/profile.hpp"
#include "freshet/validate.hpp"

namespace freshet::cli {

RunOutcome RecordRun(Registry& registry, const std::string& model, int64_t run,
                     const std::vector<InputFile>& inputs, RunReport* report,
                     const std::function<RunOutcome()>& stages) {
  const auto end_run = [&](const RunOutcome& o) {
    if (report != nullptr) {
      report->exit_code = o.exit_code;
      report->version = o.version;
    }
    try {
      registry.EndRun(run, o.exit_code, o.reason, o.version, inputs);
      if (report == nullptr) return;
      if (const auto c = registry.Holder(model, "champion")) report->champion = c->number;
    } catch (const std::exception& e) {
      spdlog::warn("could not record the end of run {}: {}", run, e.what());
    }
  };
  try {
    const RunOutcome o = stages();
    end_run(o);
    return o;
  } catch (const Error& e) {
    end_run({ExitCodeFor(e.kind()), e.what(), std::nullopt});
    throw;
  } catch (const std::exception& e) {
    end_run({kExitFailure, e.what(), std::nullopt});
    throw;
  }
}

RunOutcome EvaluateAndPublish(const PublishArgs& a, StageTimer& timer, RunReport* report) {
  const Config& config = *a.config;
  VersionDraft& draft = *a.draft;
  const std::optional<VersionInfo>& champion = a.champion;
  timer.Start("evaluate");
  std::optional<ScoredVersion> champ;
  if (champion) champ = ScoredVersion{champion->name, a.champion_files, a.champion_state};
  const nlohmann::json evaluation = EvaluateChallenger(
      config, *a.out, {draft.name(), &draft, a.state}, champ, *a.sets, *a.device);
  nlohmann::json eval = EvalSummary(config, draft.name(), *a.out, evaluation);
  if (a.variance) {
    timer.Start("variance");
    eval["variance"] = a.variance();
  }
  if (a.gate != nullptr) eval["data_gate"] = DataGateSummary(*a.gate);
  for (const auto& [k, v] : a.eval_extra.items()) eval[k] = v;

  timer.Start("gate");
  const GateDecision decision =
      DecideGate(config.gate, evaluation,
                 champion ? std::optional<std::string>(champion->name) : std::nullopt);
  const Promotion promotion = RetrainPromotion(
      config.gate, decision, champion ? std::optional<int64_t>(champion->number) : std::nullopt);
  eval["gate"] = GateJson(decision, promotion);
  const std::string& primary = config.evaluation.primary_metric;
  const nlohmann::json& metrics = eval["metrics"];
  eval["history"] =
      MetricHistory(*a.registry, config.model, primary, draft.name(),
                    metrics.is_object() ? metrics.value(primary, nlohmann::json()) : nullptr);
  for (const auto& line : GateLines(decision)) {
    decision.passed ? spdlog::info("{}", line) : spdlog::warn("{}", line);
  }

  timer.Start("publish");
  draft.WriteJson(kFeaturesFile, a.state->ToJson());
  draft.WriteJson(kEvalFile, eval);
  report->eval = eval;
  draft.Write(kReportFile, RenderReportHtml(eval));
  std::string schema_yaml;
  if (a.gate != nullptr) {
    draft.WriteJson(kProfileFile, ProfileToJson(a.gate->train_profile()));
    draft.WriteJson(kDataReportFile, a.gate->Report());
    Schema schema = a.gate->schema();
    if (a.gate->schema_inferred()) schema.inferred_from = draft.name();
    schema_yaml = SchemaToYaml(schema);
    draft.Write(kSchemaFile, schema_yaml);
  }
  timer.Stop();
  ManifestFields fields;
  fields.version = draft.name();
  fields.parent = champion;
  fields.warm_started = a.out->main.warm_started;
  fields.device = a.device->str();
  fields.inputs = *a.inputs;
  fields.parameters = a.out->main.parameters;
  fields.stage_seconds = timer.timings();
  for (auto& [k, v] : a.out->timings.items()) fields.stage_seconds["train." + k] = v;
  fields.runtime = RuntimeVersions();
  nlohmann::json manifest = BuildManifest(config, fields);
  for (const auto& [k, v] : a.manifest_extra.items()) manifest[k] = v;
  PublishRecord record;
  record.inputs = *a.inputs;
  record.metrics = IndexedMetrics(eval);
  record.run = a.run;
  record.change = {CommandLine(), ""};
  record.moves = promotion.moves;
  record.condition_channel = "champion";
  if (champion) record.condition_holder = champion->number;
  const VersionInfo v = a.writer->Publish(draft, manifest, record);
  // The first run's inferred schema becomes the model's, for people to review and edit.
  if (a.gate != nullptr && a.gate->schema_inferred()) {
    a.writer->WriteModelFile(kSchemaFile, schema_yaml);
    spdlog::info("inferred the schema of {} from {}: {}/{}", config.model, v.name,
                 a.registry->ModelDir(config.model), kSchemaFile);
  }
  const std::string headline = Headline(config.task, eval["metrics"]);
  const std::optional<VersionInfo> now = a.registry->Holder(config.model, "champion");
  const std::string champion_now = now ? now->name : "none";
  std::printf("published %s %s -> %s (eval rows %zu, %s); gate: %s; champion: %s\n",
              config.model.c_str(), v.name.c_str(), v.path.c_str(), a.out->eval_labels.size(),
              headline.c_str(), decision.passed ? "pass" : "FAIL", champion_now.c_str());
  if (const std::string unmade = UnmadeMove(*a.registry, config.model, promotion, v.number);
      !unmade.empty()) {
    const std::string why = "the champion moved during the run (" +
                            (champion ? champion->name : std::string("none")) + " at its start, " +
                            champion_now + " now): the comparison no longer holds, " + unmade +
                            " was not moved";
    spdlog::warn("{}", why);
    return {kExitGateKept, "published " + v.name + " (" + headline + ") as challenger; " + why,
            v.number};
  }
  if (!decision.passed) {
    return {kExitGateKept,
            "published " + v.name + " (" + headline + ") as challenger; the gate kept champion " +
                champion_now + ": " + decision.reason,
            v.number};
  }
  std::string moved;
  for (const auto& c : promotion.promoted_to) moved += (moved.empty() ? "" : ", ") + c;
  return {
      kExitPublished,
      "published " + v.name + " (" + headline + "); promoted to " + moved + ": " + decision.reason,
      v.number};
}

}  // namespace freshet::cli
