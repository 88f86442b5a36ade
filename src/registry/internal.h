// Helpers shared by the registry's translation units. Private to src/registry/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "freshet/registry.hpp"
#include "registry/index.h"

namespace freshet::registry_detail {

// The user and host that an event or run records.
std::string CurrentUser();
std::string CurrentHost();

// Parses a canonical version folder name ("v000042"); false for anything else.
bool ParseVersionName(const std::string& name, int64_t* number);
// Whether `name` is a draft's temporary folder (".v000042.tmp-<pid>-<n>") or a folder that gc is
// removing (".gc-v000042-<pid>").
bool IsDraftFolder(const std::string& name);
bool IsGcFolder(const std::string& name);

// The state column of a version row: live, deleted (by gc) or broken (by fsck --repair); nullopt
// when there is no row.
std::optional<std::string> VersionState(Index& index, const std::string& model, int64_t number);
// The highest number the model ever used, live or not; 0 for none.
int64_t MaxNumber(Index& index, const std::string& model);

// Records an event (inside the caller's transaction); returns it.
Event RecordEvent(Index& index, const std::string& model, const std::string& kind,
                  const std::string& channel, std::optional<int64_t> version,
                  std::optional<int64_t> previous, const Change& change);
// Points `channel` at `number` and records the move as an event of `kind` (inside the caller's
// transaction). Returns nullopt when the channel already holds it.
std::optional<Event> MoveChannel(Index& index, const std::string& model, const std::string& channel,
                                 int64_t number, const std::string& kind, const Change& change);
// The version a channel would be rolled back to: undoing promotions in order, skipping versions
// that are no longer live. nullopt when there is none.
std::optional<int64_t> RollbackTarget(Index& index, const std::string& model,
                                      const std::string& channel);

// "<path>: its SHA-256 (<actual>) differs from the one <where> records (<expected>): ..."
ArtifactError ChecksumMismatch(const std::string& path, const std::string& actual,
                               const std::string& expected, const std::string& where);

// Takes the model's lock file (flock), waiting up to wait_seconds. Returns the fd, or -1 when
// another process holds it.
int TakeLock(const std::string& lock_path, double wait_seconds);

// The leftovers of dead writers in the model's folder (see Leftover). Only meaningful while the
// model's lock is held, or when no writer runs.
std::vector<Leftover> FindLeftovers(Registry& r, const std::string& model);

// Inserts a version's row, lineage and metrics (inside the caller's transaction).
void InsertVersion(Index& index, const std::string& model, int64_t number,
                   const nlohmann::json& manifest, const std::string& manifest_sha,
                   const std::vector<InputFile>& inputs, const nlohmann::json& metrics,
                   std::optional<int64_t> run);

}  // namespace freshet::registry_detail
