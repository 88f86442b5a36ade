// fsck: checks that a registry's index and version folders agree, and repairs or rebuilds it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "freshet/env.hpp"
#include "freshet/registry.hpp"

namespace freshet {

enum class FsckMode {
  kCheck,    // report only; takes no lock and writes nothing
  kRepair,   // also resolve each problem (taking each model's lock) without losing a version
  kRebuild,  // build a new index from the version folders (the old one, if any, is kept aside)
};

// One finding. kind is one of: index_corrupt, draft_folder, gc_folder, orphan_folder,
// deleted_folder, missing_version, changed_manifest, missing_artifact, changed_artifact,
// unexpected_file, dangling_channel, model_locked.
struct FsckProblem {
  FsckProblem(std::string m, std::string k, std::string p, std::string d, bool r = false,
              std::string a = "")
      : model(std::move(m)),
        kind(std::move(k)),
        path(std::move(p)),
        detail(std::move(d)),
        repaired(r),
        action(std::move(a)) {}
  std::string model;
  std::string kind;
  std::string path;
  std::string detail;
  bool repaired = false;
  std::string action;  // what the repair did
};

struct FsckReport {
  std::vector<FsckProblem> problems;
  int64_t models = 0;
  int64_t versions = 0;   // live versions checked
  int64_t artifacts = 0;  // files whose SHA-256 was checked
  // True when no problem is left unrepaired.
  bool clean() const;
};

// Checks every model of the registry at `root`: the index's integrity, every live version's folder,
// manifest (against the index) and artifacts (against the manifest), folders without a row, rows
// without a folder, leftovers of dead writers and channels that point at no live version.
//
// kRepair removes leftovers (drafts, interrupted gc, folders of a publish that never committed),
// moves folders the index never knew aside to <model>/.orphaned/, marks a live version whose
// folder or files are missing or changed as broken (it no longer resolves) and moves each channel
// that held it back to its previous live holder (or removes the channel), recording every change
// as an event. kRebuild replaces the index with one built from the folders: versions whose files
// all verify against their manifests, their lineage and metrics; channels, events and runs are
// copied from the old index where it can still be read, else `champion` is set to the newest
// version. Models whose lock is held by a running writer are reported (model_locked) and left
// alone. Throws IoError when the registry cannot be opened at all.
FsckReport Fsck(const std::string& root, FsckMode mode, const Change& change,
                Env* env = Env::Default());

}  // namespace freshet
