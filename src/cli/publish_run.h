// The tail of a training run, shared by `retrain` and `aggregate`: score the new model, the
// champion and the fallback on the evaluation sets, decide the promotion gate, write the version's
// files and publish it, moving channels as the gate says.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/comparison.hpp"
#include "freshet/config.hpp"
#include "freshet/data_gate.hpp"
#include "freshet/features.hpp"
#include "freshet/log.hpp"
#include "freshet/registry.hpp"
#include "freshet/run_metrics.hpp"
#include "freshet/trainer.hpp"

namespace freshet::cli {

// How a run ended: its exit code, the one-line reason recorded with it, what it published.
struct RunOutcome {
  int exit_code = 0;
  std::string reason;
  std::optional<int64_t> version;
};

struct PublishArgs {
  const Config* config = nullptr;
  const Device* device = nullptr;
  Registry* registry = nullptr;
  ModelWriter* writer = nullptr;
  int64_t run = 0;
  VersionDraft* draft = nullptr;  // holds the model files already
  const FeatureState* state = nullptr;
  const TrainOutcome* out = nullptr;
  const std::vector<InputFile>* inputs = nullptr;
  const std::vector<EvalRows>* sets = nullptr;
  const DataGate* gate = nullptr;  // null when validation is off
  std::optional<VersionInfo> champion;
  const FeatureState* champion_state = nullptr;    // the champion's features (with champion)
  const ArtifactSource* champion_files = nullptr;  // the champion's artifacts (with champion)
  // Evidence computed after the evaluation ("variance" of eval.json): null when none.
  std::function<nlohmann::json()> variance;
  // Added to eval.json and to manifest.json at the top level (e.g. a submission's "trials").
  nlohmann::json eval_extra = nlohmann::json::object();
  nlohmann::json manifest_extra = nlohmann::json::object();
};

// Runs `stages` as run `run` of `model` in `registry` and records its end (exit code, reason,
// version, `inputs` as they are then) whatever happens: an exception is recorded with its exit
// code (ExitCodeFor) and rethrown. `report`, when not null, receives the exit code, the version and
// the champion after the run. A failure to record is logged, not thrown.
RunOutcome RecordRun(Registry& registry, const std::string& model, int64_t run,
                     const std::vector<InputFile>& inputs, RunReport* report,
                     const std::function<RunOutcome()>& stages);

// Runs the stages "evaluate", ["variance",] "gate" and "publish" on `timer`, prints the published
// line, and says how the run ended: 0 published and promoted, 4 published as a challenger (the
// gate kept the champion, or the champion moved during the run). `report` receives eval.json.
RunOutcome EvaluateAndPublish(const PublishArgs& a, StageTimer& timer, RunReport* report);

}  // namespace freshet::cli
