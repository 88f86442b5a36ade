// Helpers shared by the registry's unit tests: a registry in a temporary folder and a publish of a
// small version with lineage, metrics and channel moves.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/artifacts.hpp"
#include "freshet/registry.hpp"
#include "io/test_util.h"

namespace freshet::testing {

inline const Change kWhy{"freshet registry test", "because"};

// Publishes a version of `model` with two artifacts; `warm` records a warm start from a version.
inline VersionInfo Publish(Registry& r, std::vector<std::string> channels = {"champion"},
                           std::optional<int64_t> warm = std::nullopt,
                           const std::string& model = "churn") {
  ModelWriter w = r.Lock(model);
  VersionDraft d = w.NewVersion();
  d.Write("model.pt", "weights of " + d.name());
  d.WriteJson(kEvalFile, {{"metrics", {{"auc", 0.7}}}});
  nlohmann::json manifest = {{"created", "2026-12-02T00:00:00Z"}, {"config_hash", "abc"}};
  if (warm) manifest["warm_started_from"] = VersionName(*warm);
  PublishRecord rec;
  rec.inputs = {{"/d/1.h5", "train", std::string(64, '1'), 3}, {"/d/2.h5", "eval", "22", 4}};
  // As BuildManifest does: the folder alone is enough to rebuild the lineage.
  for (const auto& in : rec.inputs) {
    manifest["inputs"].push_back(
        {{"path", in.path}, {"role", in.role}, {"rows", in.rows}, {"sha256", in.sha256}});
  }
  rec.metrics = {{"model", {{"auc", 0.7}, {"log_loss", nullptr}}}};
  rec.promote_to = std::move(channels);
  rec.change = kWhy;
  return w.Publish(d, manifest, rec);
}

// A read-write registry at <temporary folder>/reg, created by the first Open(). One fixture class
// for every file of tests/registry/ that uses it (gtest requires one class per test suite name).
class RegistryUnit : public ::testing::Test {
 protected:
  Registry Open() { return Registry::Open(dir_ / "reg", Registry::Mode::kReadWrite); }
  std::string Root() const { return dir_ / "reg"; }
  TempDir dir_;
};

}  // namespace freshet::testing
