// Tests of src/registry/manifest.cc: what manifest.json records of a new version, and that the
// registry takes a version's lineage from it.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/config.hpp"
#include "freshet/fsck.hpp"
#include "freshet/registry.hpp"
#include "io/test_util.h"
#include "registry/registry_test_util.h"

namespace freshet {
namespace {

using testing::kWhy;
using testing::Publish;
using testing::RegistryUnit;

Config TestConfig() {
  return ParseConfig(R"(
model: churn
data:
  landing: data/landing
  label: churned
features:
  - {column: age, type: numeric}
)",
                     "/tmp/manifest-test/cfg.yaml");
}

ManifestFields TestFields() {
  ManifestFields f;
  f.version = "v000002";
  VersionInfo parent;
  parent.name = "v000001";
  parent.number = 1;
  f.parent = parent;
  f.warm_started = true;
  f.device = "cpu";
  InputFile train{"/d/1.h5", "train", std::string(64, 'a'), 30};
  train.bytes = 100;
  train.mtime_ns = 11;
  f.inputs = {train, {"/d/2.h5", "eval", std::string(64, 'b'), 5}};
  f.parameters = 1234;
  f.stage_seconds = {{"train", 1.5}};
  f.runtime = {{"torch", "2.5.1"}, {"cuda", nullptr}};
  return f;
}

TEST(BuildManifest, RecordsWhatTheVersionIsAndHowItWasMade) {
  const Config config = TestConfig();
  const nlohmann::json m = BuildManifest(config, TestFields());
  EXPECT_EQ(m["format"], kManifestFormat);
  EXPECT_EQ(m["model"], "churn");
  EXPECT_EQ(m["version"], "v000002");
  EXPECT_EQ(m["parent"], "v000001");
  EXPECT_EQ(m["warm_started_from"], "v000001");
  EXPECT_EQ(m["config"], ConfigToJson(config));
  EXPECT_EQ(m["config_hash"], ConfigHash(config));
  EXPECT_EQ(m["code_version"], FRESHET_VERSION);
  EXPECT_EQ(m["runtime"], (nlohmann::json{{"torch", "2.5.1"}, {"cuda", nullptr}}));
  EXPECT_EQ(m["device"], "cpu");
  EXPECT_EQ(m["seed"], config.train.seed);
  EXPECT_EQ(m["parameters"], 1234);
  EXPECT_EQ(m["stage_seconds"], (nlohmann::json{{"train", 1.5}}));
  // ISO 8601 UTC: 2026-12-02T10:15:00Z.
  const std::string created = m["created"];
  ASSERT_EQ(created.size(), 20u) << created;
  EXPECT_EQ(created[4], '-');
  EXPECT_EQ(created[10], 'T');
  EXPECT_EQ(created.back(), 'Z');
  // The inputs in order, with what identifies their content but not their stat fields.
  EXPECT_EQ(
      m["inputs"],
      (nlohmann::json{
          {{"path", "/d/1.h5"}, {"role", "train"}, {"rows", 30}, {"sha256", std::string(64, 'a')}},
          {{"path", "/d/2.h5"}, {"role", "eval"}, {"rows", 5}, {"sha256", std::string(64, 'b')}}}));
  EXPECT_FALSE(m.contains("artifacts"));  // Publish adds them
}

TEST(BuildManifest, AWarmStartNamesTheParentOnlyWhenThereIsOne) {
  const Config config = TestConfig();
  ManifestFields f = TestFields();
  f.warm_started = false;
  nlohmann::json m = BuildManifest(config, f);
  EXPECT_EQ(m["parent"], "v000001");
  EXPECT_TRUE(m["warm_started_from"].is_null());
  f.parent.reset();
  f.warm_started = true;
  m = BuildManifest(config, f);
  EXPECT_TRUE(m["parent"].is_null());
  EXPECT_TRUE(m["warm_started_from"].is_null());
  f.inputs.clear();
  m = BuildManifest(config, f);
  EXPECT_TRUE(m["inputs"].is_array());
  EXPECT_TRUE(m["inputs"].empty());
}

TEST(BuildManifest, AConfigChangeChangesTheRecordedHash) {
  Config a = TestConfig();
  Config b = TestConfig();
  b.train.seed = a.train.seed + 1;
  const nlohmann::json ma = BuildManifest(a, TestFields());
  const nlohmann::json mb = BuildManifest(b, TestFields());
  EXPECT_NE(ma["config_hash"], mb["config_hash"]);
  EXPECT_NE(ma["config"], mb["config"]);
  EXPECT_EQ(mb["seed"], a.train.seed + 1);
}

TEST_F(RegistryUnit, APublishedManifestGivesTheIndexItsLineage) {
  Registry r = Open();
  Publish(r);  // v1
  const Config config = TestConfig();
  const nlohmann::json manifest = BuildManifest(config, TestFields());
  PublishRecord rec;
  rec.inputs = TestFields().inputs;
  rec.change = kWhy;
  VersionInfo v;
  {
    ModelWriter w = r.Lock("churn");
    VersionDraft d = w.NewVersion();
    ASSERT_EQ(d.name(), "v000002");
    d.Write("model.pt", "weights");
    v = w.Publish(d, manifest, rec);
  }
  EXPECT_EQ(v.parent, std::optional<int64_t>(1));
  EXPECT_EQ(v.warm_start, std::optional<int64_t>(1));
  EXPECT_EQ(v.config_hash, ConfigHash(config));
  EXPECT_EQ(v.created, manifest["created"]);
  const nlohmann::json read = r.Manifest(v);  // its format is the one this build reads
  EXPECT_EQ(read["config"], manifest["config"]);
  EXPECT_EQ(read["artifacts"]["model.pt"]["bytes"], 7);
  // The folder alone is enough to rebuild the lineage.
  ASSERT_TRUE(Fsck(Root(), FsckMode::kRebuild, kWhy).clean());
  Registry rebuilt = Registry::Open(Root(), Registry::Mode::kReadOnly);
  const VersionInfo again = rebuilt.Resolve("churn", "2");
  EXPECT_EQ(again.parent, std::optional<int64_t>(1));
  EXPECT_EQ(again.warm_start, std::optional<int64_t>(1));
  const auto inputs = rebuilt.Inputs(again);
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[0].path, "/d/1.h5");
  EXPECT_EQ(inputs[0].rows, 30);
  EXPECT_EQ(inputs[1].role, "eval");
  EXPECT_EQ(inputs[1].sha256, std::string(64, 'b'));
}

}  // namespace
}  // namespace freshet
