// The evaluation steps of `retrain`, `shadow` and `report`, composed from the stages: reading the
// evaluation sets, scoring the challenger, the champion and the fallback on them through the
// training library, and the optional variance evidence (cross-validation, repeated seeds).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/comparison.hpp"
#include "freshet/config.hpp"
#include "freshet/features.hpp"
#include "freshet/registry.hpp"
#include "freshet/trainer.hpp"

namespace freshet::cli {

// The config's evaluation sets: `latest` views `latest_rows` (the run's held-out partitions, the
// inputs of role "eval"; it must outlive the sets); every other set's files are read with
// config.Columns() and checked like training partitions. Throws DataError naming the file for an
// unreadable file or one whose SHA-256 differs from the pinned one (both checksums in the message).
std::vector<EvalRows> ReadEvalSets(const Config& config, const Table& latest_rows,
                                   const std::vector<InputFile>& inputs);

// A published version to score: its artifacts and feature state.
struct ScoredVersion {
  std::string name;
  const ArtifactSource* artifacts = nullptr;
  const FeatureState* state = nullptr;
};

// The version's main model (and its fallback, when `with_fallback`) on the rows of `set`. A
// version whose features need columns `set.table` lacks is scored on its files read again with
// those columns. What fails (a missing column, a model that does not load) becomes the scores'
// error, not an exception.
std::vector<ModelScores> ScoreOn(const Config& config, const ScoredVersion& v, const EvalRows& set,
                                 const Device& device, bool with_fallback, const char* main_role);

// eval.json's "evaluation": each set scored by the challenger (the new version, `draft`), its
// fallback and the champion (when there is one), compared and sliced. The trainer's predictions
// are used for `latest`.
nlohmann::json EvaluateChallenger(const Config& config, const TrainOutcome& out,
                                  const ScoredVersion& challenger,
                                  const std::optional<ScoredVersion>& champion,
                                  const std::vector<EvalRows>& sets, const Device& device);

// evaluation.cross_validation and evaluation.seeds: the main model trained cold on k - 1 folds
// of `train` and scored on the k-th (seeded row folds), and trained with train.seed + 1..seeds
// and scored on `latest`; {"cross_validation": VarianceSummary, "seeds": VarianceSummary}, each
// null when off. Nothing is written.
nlohmann::json VarianceEvidence(const Config& config, const FeatureState& state, const Table& train,
                                const Table& latest, const Device& device);

}  // namespace freshet::cli
