// What a version's report shows besides its own eval.json: the model's history of the primary
// metric, and what happened to the version after its publish (shadow runs, forced promotions,
// the channels it holds now). Reads the registry; writes nothing.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "freshet/registry.hpp"

namespace freshet {

// eval.json's "history": the model's live versions with their primary metric as the index
// records it (the challenger's value on its own primary set) and the channels they hold, oldest
// first, ending with `current` (its value `value`) when given and not yet published.
nlohmann::json MetricHistory(const Registry& registry, const std::string& model,
                             const std::string& metric, const std::string& current = "",
                             const nlohmann::json& value = nullptr);

// The version's eval.json (verified) brought up to date for `freshet report`: the history as of
// now, "channels" (what the version holds now), "shadow" (its recorded shadow runs, oldest first:
// {time, passed, reason, summary, user, host}) and, when a channel was moved to it past the gate,
// gate.forced {user, time, channel, reason}. Throws IoError when the version has no eval.json or
// it is not JSON.
nlohmann::json ReportEval(const Registry& registry, const VersionInfo& v);

}  // namespace freshet
