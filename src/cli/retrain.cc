// freshet retrain: the batch pipeline, composed from its stages. Every run is recorded in the
// registry (start, end, exit code, reason, inputs), whatever its outcome.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <spdlog/spdlog.h>

#include "cli/evaluate.h"
#include "cli/verbs.h"
#include "freshet/config.hpp"
#include "freshet/data_gate.hpp"
#include "freshet/error.hpp"
#include "freshet/eval_history.hpp"
#include "freshet/eval_report.hpp"
#include "freshet/evaluation.hpp"
#include "freshet/features.hpp"
#include "freshet/gate_policy.hpp"
#include "freshet/io.hpp"
#include "freshet/log.hpp"
#include "freshet/prometheus.hpp"
#include "freshet/registry.hpp"
#include "freshet/run_metrics.hpp"
#include "freshet/trainer.hpp"
#include "freshet/validate.hpp"

namespace freshet::cli {
namespace {

struct RetrainArgs {
  std::string config;
  double wait = 0;
  std::string metrics_file;
  bool dry_run = false, json = false;
};

struct Outcome {
  int exit_code = kExitPublished;
  std::string reason;
  std::optional<int64_t> version;
};

// `report` receives the run's eval.json and data report as they are made (for --metrics-file).
Outcome RunStages(const Config& config, const Device& device, Registry& registry, int64_t run,
                  double wait, std::vector<InputFile>* inputs, StageTimer& timer,
                  RunReport* report) {
  ModelWriter writer = registry.Lock(config.model, wait);

  timer.Start("discover");
  std::string none;
  // A file unchanged since an earlier version read it (same stat) is not hashed again.
  *inputs = SelectInputs(config.data.landing, config.data.pattern, config.data.train_window,
                         config.data.eval_window, &none,
                         [&registry](const InputFile& in) { return registry.KnownSha256(in); });
  if (inputs->empty()) {
    spdlog::warn("nothing to do: {}", none);
    return {kExitNoNewData, "nothing to do: " + none, std::nullopt};
  }
  const auto versions = registry.Versions(config.model);
  if (!versions.empty() && registry.SameInputs(versions.back(), *inputs)) {
    const std::string why = versions.back().name + " was trained on the same " +
                            std::to_string(inputs->size()) + " partition(s)";
    spdlog::info("nothing to do: {} {}", config.model, why);
    return {kExitNoNewData, "nothing to do: " + why, std::nullopt};
  }
  const std::optional<VersionInfo> champion = registry.Holder(config.model, "champion");

  timer.Start("ingest");
  GateSetup setup = PrepareGate(registry, config, champion, *inputs);
  DataGate gate(config, std::move(setup.schema), std::move(setup.reference));
  const RunTables tables =
      config.validate.enabled ? gate.Read(inputs, setup.fresh, true) : ReadInputs(config, inputs);
  if (config.validate.enabled) {
    timer.Start("validate");
    if (gate.status() != Severity::kFail) gate.Check(tables, device);
    gate.Log();
    report->data_report = gate.Report();
    if (gate.status() == Severity::kFail) {
      const std::string path = writer.WriteRunFile(run, kDataReportFile, gate.Report().dump(2));
      return {kExitDataRefused, gate.FailureLine() + " (report: " + path + ")", std::nullopt};
    }
  }
  // The evaluation sets are read before anything is fitted: a changed golden file stops the run.
  const std::vector<EvalRows> sets = ReadEvalSets(config, tables.eval, *inputs);

  timer.Start("fit_features");
  std::optional<FeatureState> previous;
  if (champion) previous = registry.LoadFeatureState(*champion);
  // The fit pass runs on the training device (moments, vocabularies on a GPU when it is one).
  const FeatureState state =
      FitFeatures(tables.train, config.features, previous ? &*previous : nullptr, device);

  timer.Start("train");
  VersionDraft draft = writer.NewVersion();
  std::unique_ptr<ArtifactSource> parent;
  if (champion) parent = registry.Artifacts(*champion);
  TrainOptions options;
  options.warm_start = config.train.warm_start ? parent.get() : nullptr;
  options.out = &draft;
  const TrainOutcome out = TrainModel(config, state, tables.train, tables.eval, device, options);

  timer.Start("evaluate");
  std::optional<ScoredVersion> champ;
  if (champion) champ = ScoredVersion{champion->name, parent.get(), &*previous};
  const nlohmann::json evaluation =
      EvaluateChallenger(config, out, {draft.name(), &draft, &state}, champ, sets, device);
  nlohmann::json eval = EvalSummary(config, draft.name(), out, evaluation);
  if (config.evaluation.cv_folds > 0 || config.evaluation.seeds > 0) {
    timer.Start("variance");
    eval["variance"] = VarianceEvidence(config, state, tables.train, tables.eval, device);
  }
  if (config.validate.enabled) eval["data_gate"] = DataGateSummary(gate);

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
      MetricHistory(registry, config.model, primary, draft.name(),
                    metrics.is_object() ? metrics.value(primary, nlohmann::json()) : nullptr);
  for (const auto& line : GateLines(decision)) {
    decision.passed ? spdlog::info("{}", line) : spdlog::warn("{}", line);
  }

  timer.Start("publish");
  draft.WriteJson(kFeaturesFile, state.ToJson());
  draft.WriteJson(kEvalFile, eval);
  report->eval = eval;
  draft.Write(kReportFile, RenderReportHtml(eval));
  std::string schema_yaml;
  if (config.validate.enabled) {
    draft.WriteJson(kProfileFile, ProfileToJson(gate.train_profile()));
    draft.WriteJson(kDataReportFile, gate.Report());
    Schema schema = gate.schema();
    if (gate.schema_inferred()) schema.inferred_from = draft.name();
    schema_yaml = SchemaToYaml(schema);
    draft.Write(kSchemaFile, schema_yaml);
  }
  timer.Stop();
  ManifestFields fields;
  fields.version = draft.name();
  fields.parent = champion;
  fields.warm_started = out.main.warm_started;
  fields.device = device.str();
  fields.inputs = *inputs;
  fields.parameters = out.main.parameters;
  fields.stage_seconds = timer.timings();
  for (auto& [k, v] : out.timings.items()) fields.stage_seconds["train." + k] = v;
  fields.runtime = RuntimeVersions();
  PublishRecord record;
  record.inputs = *inputs;
  record.metrics = IndexedMetrics(eval);
  record.run = run;
  record.change = {CommandLine(), ""};
  record.moves = promotion.moves;
  record.condition_channel = "champion";
  if (champion) record.condition_holder = champion->number;
  const VersionInfo v = writer.Publish(draft, BuildManifest(config, fields), record);
  // The first run's inferred schema becomes the model's, for people to review and edit.
  if (config.validate.enabled && gate.schema_inferred()) {
    writer.WriteModelFile(kSchemaFile, schema_yaml);
    spdlog::info("inferred the schema of {} from {}: {}/{}", config.model, v.name,
                 registry.ModelDir(config.model), kSchemaFile);
  }
  const std::string headline = Headline(config.task, eval["metrics"]);
  const std::optional<VersionInfo> now = registry.Holder(config.model, "champion");
  const std::string champion_now = now ? now->name : "none";
  std::printf("published %s %s -> %s (eval rows %zu, %s); gate: %s; champion: %s\n",
              config.model.c_str(), v.name.c_str(), v.path.c_str(), out.eval_labels.size(),
              headline.c_str(), decision.passed ? "pass" : "FAIL", champion_now.c_str());
  if (const std::string unmade = UnmadeMove(registry, config.model, promotion, v.number);
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

// Completes `report` with the run's times and writes its textfile (when asked for one).
void WriteRunMetrics(const std::string& path, RunReport report, const StageTimer& timer,
                     std::chrono::steady_clock::time_point started) {
  if (path.empty()) return;
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report.stage_seconds = timer.timings();
  WriteRunMetricsFile(path, report);
}

int Retrain(const RetrainArgs& args) {
  const auto started = std::chrono::steady_clock::now();
  StageTimer timer;
  RunReport report;
  // Until the config names the model, the metrics name the config file.
  report.model = std::filesystem::path(args.config).stem().string();
  try {
    timer.Start("config");
    const Config config = LoadConfig(args.config);
    report.model = config.model;
    const Device device = ResolveDevice(config.train.device);
    spdlog::info("model {} ({}), device {}", config.model, TaskName(config.task), device.str());
    Registry registry = Registry::Open(config.registry, Registry::Mode::kReadWrite);
    const int64_t run = registry.BeginRun(config.model, CommandLine());
    std::vector<InputFile> inputs;
    const auto end_run = [&](const Outcome& o) {
      report.exit_code = o.exit_code;
      report.version = o.version;
      try {
        registry.EndRun(run, o.exit_code, o.reason, o.version, inputs);
        if (const auto c = registry.Holder(config.model, "champion")) report.champion = c->number;
      } catch (const std::exception& e) {
        spdlog::warn("could not record the end of run {}: {}", run, e.what());
      }
    };
    try {
      const Outcome o =
          RunStages(config, device, registry, run, args.wait, &inputs, timer, &report);
      end_run(o);
      WriteRunMetrics(args.metrics_file, report, timer, started);
      return o.exit_code;
    } catch (const Error& e) {
      end_run({ExitCodeFor(e.kind()), e.what(), std::nullopt});
      throw;
    } catch (const std::exception& e) {
      end_run({kExitFailure, e.what(), std::nullopt});
      throw;
    }
  } catch (const Error& e) {
    report.exit_code = ExitCodeFor(e.kind());
    WriteRunMetrics(args.metrics_file, report, timer, started);
    throw;
  } catch (const std::exception&) {
    report.exit_code = kExitFailure;
    WriteRunMetrics(args.metrics_file, report, timer, started);
    throw;
  }
}

}  // namespace

void AddRetrain(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<RetrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "retrain",
      "Train on the newest partitions, score the new model, the champion and the fallback on the "
      "evaluation sets, publish a new version and, if the promotion gate passes, make it champion. "
      "Exit 0 published (and promoted), 3 no new data, 4 published but the gate kept the "
      "champion, 5 input refused, 6 locked.");
  cmd->add_option("-c,--config", args->config, "The model's YAML config")->required();
  cmd->add_option("--wait", args->wait,
                  "Seconds to wait for the model's lock when another run holds it (default: exit "
                  "6 at once)")
      ->check(CLI::Range(0.0, 1e7));
  cmd->add_option(
      "--metrics-file", args->metrics_file,
      "Write the run's Prometheus metrics (status, exit code, stage durations, version, "
      "gate decision, main metrics, data-gate counts) to this node_exporter textfile, "
      "atomically, whatever the outcome");
  cmd->add_flag("--dry-run", args->dry_run,
                "Print what the run would read, check, train and publish, and exit with the code "
                "the real run would give (0 when it would publish: whether the gate then keeps the "
                "champion needs the training); writes nothing, takes no lock");
  cmd->add_flag("--json", args->json, "With --dry-run: print the plan as JSON");
  cmd->callback([args, exit_code] {
    *exit_code = args->dry_run ? DryRun(args->config, args->json) : Retrain(*args);
  });
}

}  // namespace freshet::cli
