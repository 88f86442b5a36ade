// freshet aggregate: the dependent job of a submission. Collects every task's result, refuses to
// publish when one failed or left none (naming which), else picks the winner on the primary
// metric of the held-out partitions, checks the pinned inputs with the data gate, scores the
// winner against the champion and publishes it once, with every task's results in its eval.json.
// A rerun after the version was published has nothing to do (exit 3).
#include <cstdio>
#include <filesystem>
#include <optional>

#include <spdlog/spdlog.h>

#include "cli/evaluate.h"
#include "cli/publish_run.h"
#include "cli/retrain_ranks.h"
#include "cli/verbs.h"
#include "freshet/artifacts.hpp"
#include "freshet/config.hpp"
#include "freshet/data_gate.hpp"
#include "freshet/env.hpp"
#include "freshet/metrics.hpp"
#include "freshet/registry.hpp"
#include "freshet/submit.hpp"
#include "freshet/validate.hpp"

namespace freshet::cli {
namespace {

struct AggregateArgs {
  std::string plan;
  double wait = 0;
};

// Every task's result; `problems` lists the tasks that failed or left no result.
std::vector<TrialResult> Collect(const SubmitPlan& plan, std::vector<std::string>* problems) {
  std::vector<TrialResult> results;
  for (const auto& task : plan.tasks) {
    const std::string file = TaskDir(plan, task.index) + "/" + kResultFile;
    const std::string log = plan.dir + "/logs/task-" + std::to_string(task.index) + ".out";
    if (!std::filesystem::exists(file)) {
      problems->push_back("task " + std::to_string(task.index) +
                          ": no result (it did not run or was killed; see " + log + ")");
      continue;
    }
    TrialResult r;
    try {
      r = TrialResultFromJson(nlohmann::json::parse(Env::Default()->ReadFile(file)));
    } catch (const std::exception& e) {
      problems->push_back("task " + std::to_string(task.index) + ": unreadable " + file + " (" +
                          e.what() + ")");
      continue;
    }
    if (r.status != "ok") {
      problems->push_back("task " + std::to_string(task.index) + " failed (exit " +
                          std::to_string(r.exit_code) + "): " + r.reason);
      continue;
    }
    results.push_back(std::move(r));
  }
  return results;
}

// The version an earlier aggregation of this submission published, if any.
std::optional<VersionInfo> PublishedFrom(const Registry& registry, const SubmitPlan& plan) {
  const auto versions = registry.Versions(plan.model);
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    const nlohmann::json m = registry.Manifest(*it);
    if (m.contains("submission") && m["submission"].value("id", "") == plan.id) {
      return *it;
    }
  }
  return std::nullopt;
}

RunOutcome AggregateStages(const SubmitPlan& plan, const Config& base, Registry& registry,
                           int64_t run, double wait, std::vector<InputFile>* inputs,
                           StageTimer& timer, RunReport* report) {
  ModelWriter writer = registry.Lock(plan.model, wait);
  if (const auto done = PublishedFrom(registry, plan)) {
    const std::string why = "submission " + plan.id + " was published already as " + done->name;
    spdlog::info("nothing to do: {}", why);
    return {kExitNoNewData, "nothing to do: " + why, std::nullopt};
  }
  timer.Start("collect");
  std::vector<std::string> problems;
  const std::vector<TrialResult> results = Collect(plan, &problems);
  if (!problems.empty()) {
    for (const auto& p : problems) spdlog::error("{}", p);
    return {kExitFailure,
            "submission " + plan.id + ": " + std::to_string(problems.size()) + " of " +
                std::to_string(plan.tasks.size()) + " task(s) failed, nothing published: " +
                problems.front() + (problems.size() > 1 ? " (and more; see the log)" : ""),
            std::nullopt};
  }
  const std::string& metric = base.evaluation.primary_metric;
  const std::optional<size_t> w = PickWinner(results, metric, HigherIsBetter(metric));
  if (!w) {
    return {kExitFailure,
            "submission " + plan.id + ": no task has a value of " + metric + ", nothing published",
            std::nullopt};
  }
  const TrialResult& winner = results[*w];
  const Config config = LoadConfigWithOverrides(plan.config_path, winner.overrides);
  const Device device = ResolveDevice(config.train.device);
  spdlog::info("submission {}: {} task(s) done; winner task {} ({} {})", plan.id, results.size(),
               winner.index, metric, winner.metrics.value(metric, nlohmann::json()).dump());

  const std::optional<VersionInfo> champion = registry.Holder(config.model, "champion");

  timer.Start("ingest");
  CheckPinnedInputs(plan.inputs);
  *inputs = plan.inputs;
  GateSetup setup = PrepareGate(registry, config, champion, *inputs);
  DataGate gate(config, std::move(setup.schema), std::move(setup.reference));
  RunTables tables;
  const std::optional<RunOutcome> refused = ReadAndCheck(
      config, device, Ranks{}, setup.fresh, gate, &writer, run, timer, report, inputs, &tables);
  if (refused) return *refused;
  const std::vector<EvalRows> sets = ReadEvalSets(config, tables.eval, *inputs);

  timer.Start("collect_winner");
  const std::string dir = TaskDir(plan, winner.index);
  FolderArtifacts files(dir);
  const FeatureState state =
      FeatureState::FromJson(nlohmann::json::parse(files.Read(kFeaturesFile)), dir);
  const TrainOutcome out = OutcomeFromJson(nlohmann::json::parse(files.Read(kOutcomeFile)));
  VersionDraft draft = writer.NewVersion();
  for (const char* name : kModelFiles) draft.Write(name, files.Read(name));
  if (out.fallback) {
    for (const char* name : kFallbackFiles) draft.Write(name, files.Read(name));
  }
  std::optional<FeatureState> previous;
  std::unique_ptr<ArtifactSource> parent;
  if (champion) {
    previous = registry.LoadFeatureState(*champion);
    parent = registry.Artifacts(*champion);
  }

  PublishArgs a;
  a.config = &config;
  a.device = &device;
  a.registry = &registry;
  a.writer = &writer;
  a.run = run;
  a.draft = &draft;
  a.state = &state;
  a.out = &out;
  a.inputs = inputs;
  a.sets = &sets;
  a.gate = config.validate.enabled ? &gate : nullptr;
  a.champion = champion;
  a.champion_state = previous ? &*previous : nullptr;
  a.champion_files = parent.get();
  a.eval_extra["trials"] = TrialsJson(plan, results, *w, metric);
  a.manifest_extra["submission"] = {
      {"id", plan.id},          {"mode", SubmitModeName(plan.mode)}, {"tasks", plan.tasks.size()},
      {"winner", winner.index}, {"overrides", winner.overrides},     {"dir", plan.dir}};
  std::printf("submission %s: winner task %lld of %zu (%s %s)\n", plan.id.c_str(),
              static_cast<long long>(winner.index), plan.tasks.size(), metric.c_str(),
              winner.metrics.value(metric, nlohmann::json()).dump().c_str());
  return EvaluateAndPublish(a, timer, report);
}

int Aggregate(const AggregateArgs& args) {
  const SubmitPlan plan = ReadPlan(args.plan);
  const Config base = LoadConfig(plan.config_path);
  if (ConfigHash(base) != plan.config_hash) {
    throw ConfigError(plan.config_path + ": changed since submission " + plan.id +
                      " (config hash " + ConfigHash(base) + ", submitted " + plan.config_hash +
                      "); submit again");
  }
  Registry registry = Registry::Open(base.registry, Registry::Mode::kReadWrite);
  const int64_t run = registry.BeginRun(base.model, CommandLine());
  std::vector<InputFile> inputs = plan.inputs;
  StageTimer timer;
  RunReport report;
  report.model = base.model;
  const RunOutcome o = RecordRun(registry, base.model, run, inputs, nullptr, [&] {
    return AggregateStages(plan, base, registry, run, args.wait, &inputs, timer, &report);
  });
  if (o.exit_code == kExitFailure) spdlog::error("{}", o.reason);
  return o.exit_code;
}

}  // namespace

void AddAggregate(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<AggregateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "aggregate",
      "Finish a submission (what its dependent job runs): collect every task's result, pick the "
      "winner on the primary metric, run the data gate and the promotion gate, publish it once "
      "with every task's results in eval.json. Refuses (exit 1) when a task failed or left no "
      "result; exit 3 when the submission was published already; else as retrain (0, 4, 5, 6).");
  cmd->add_option("--plan", args->plan, "The submission folder (holding plan.json)")->required();
  cmd->add_option("--wait", args->wait,
                  "Seconds to wait for the model's lock when another run holds it")
      ->check(CLI::Range(0.0, 1e7));
  cmd->callback([args, exit_code] { *exit_code = Aggregate(*args); });
}

}  // namespace freshet::cli
