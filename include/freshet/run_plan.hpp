// What rank 0 of a data-parallel `retrain` decides before anything is read (stop, or go on with
// these partitions and this champion), and how every other rank gets it: rank 0 alone discovers
// the partitions and reads the registry's channels under the model's lock.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/dist.hpp"
#include "freshet/io.hpp"
#include "freshet/registry.hpp"

namespace freshet {

struct RunPlan {
  bool stop = false;  // nothing to do: the run ends with exit_code and reason
  int exit_code = 0;
  std::string reason;
  std::vector<InputFile> inputs;        // when not stopping
  std::optional<VersionInfo> champion;  // the version holding "champion", if any
};

// The plan as rank 0 sends it: {"stop", "exit_code", "reason"} or {"stop", "inputs",
// "champion": its version number or null}.
nlohmann::json RunPlanJson(const RunPlan& plan);

// Sends rank 0's `plan` to every rank of `comm`. On the other ranks, fills `plan` from it and,
// unless it stops, opens their read-only registry (`open_registry`, once rank 0 has made it) into
// *follower and finds the champion there by its number. Throws IoError naming the rank when the
// champion is not in that registry.
void ShareRunPlan(Communicator& comm, const std::string& model,
                  const std::function<Registry()>& open_registry, RunPlan* plan,
                  std::optional<Registry>* follower);

}  // namespace freshet
