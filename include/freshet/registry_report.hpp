// The registry's records as JSON documents, for `freshet registry ... --json` and for people: one
// shape per record, shared by every verb that shows it.
#pragma once

#include <nlohmann/json.hpp>

#include "freshet/registry.hpp"

namespace freshet {

// {"model", "version", "number", "created", "parent", "warm_start", "pinned", "pin_reason",
//  "channels", "config_hash", "metrics", "inputs"}; with `manifest` also the manifest (verified).
nlohmann::json VersionJson(const Registry& registry, const VersionInfo& v, bool manifest = false);
nlohmann::json EventJson(const Event& e);
// A run: id, status (the exit code's name, RunStatus, or for a run without an end "running" while
// its process lives on this host, "died" when it does not, "unfinished" when it ran elsewhere),
// model, started, ended, exit_code, reason, version, user, host, pid, command, inputs.
nlohmann::json RunJson(const RunRecord& r);
nlohmann::json InputJson(const InputFile& in);

// What differs between two versions of a model: {"a", "b", "config": [{"key", "a", "b"}] (the
// resolved configs' leaves that differ, by key path), "metrics": [{"subject", "name", "a", "b",
// "delta"}], "inputs": {"only_a": [...], "only_b": [...], "changed": [{"path", "a", "b"}]}}.
nlohmann::json DiffVersions(const Registry& registry, const VersionInfo& a, const VersionInfo& b);

}  // namespace freshet
