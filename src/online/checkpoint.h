// The online checkpoint: one file, <registry>/<model>/online/checkpoint, written whole through the
// registry's filesystem seam (a temporary file, fsynced, renamed over the old one, the folder
// fsynced), so that a crash at any moment leaves either the previous checkpoint or the new one.
//
// Format: the line "freshet.online_checkpoint/1", a line with three decimal byte counts
// "<json> <learner> <champion>", then the JSON state, the learner's Save() bytes and the champion
// snapshot's (possibly empty).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "freshet/env.hpp"

namespace freshet::online {

struct Checkpoint {
  nlohmann::json state;  // position, counters, FeatureState, metrics, detectors, held labels, ...
  std::string learner;
  std::string champion;
};

inline constexpr char kCheckpointFile[] = "checkpoint";

void WriteCheckpoint(Env* env, const std::string& dir, const Checkpoint& checkpoint);
// Nothing when the folder has no checkpoint. Throws ArtifactError naming the file when it is not
// a checkpoint of this format (truncated, another format, invalid JSON).
std::optional<Checkpoint> ReadCheckpoint(Env* env, const std::string& dir);

}  // namespace freshet::online
