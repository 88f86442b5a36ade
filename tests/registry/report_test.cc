// Tests of src/registry/report.cc: the JSON documents of versions, events, runs and inputs, and
// the difference between two versions.
#include "freshet/registry_report.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/error.hpp"
#include "freshet/registry.hpp"
#include "io/test_util.h"
#include "registry/registry_test_util.h"

namespace freshet {
namespace {

using testing::kWhy;
using testing::Publish;
using testing::ReadFile;
using testing::RegistryUnit;
using testing::WriteFile;

// Publishes a version of "churn" whose manifest records `config`, with these metrics and inputs.
VersionInfo PublishWith(Registry& r, const nlohmann::json& config, const nlohmann::json& metrics,
                        const std::vector<InputFile>& inputs) {
  ModelWriter w = r.Lock("churn");
  VersionDraft d = w.NewVersion();
  d.Write("model.pt", "weights of " + d.name());
  PublishRecord rec;
  rec.inputs = inputs;
  rec.metrics = metrics;
  rec.change = kWhy;
  return w.Publish(d, {{"config", config}, {"config_hash", "h-" + d.name()}}, rec);
}

TEST(RegistryReport, InputJsonNamesTheFileItsRoleRowsAndDigest) {
  InputFile in{"/d/1.h5", "train", "ab", 3};
  in.bytes = 99;
  in.inode = 5;
  EXPECT_EQ(
      InputJson(in),
      (nlohmann::json{{"path", "/d/1.h5"}, {"role", "train"}, {"rows", 3}, {"sha256", "ab"}}));
}

TEST(RegistryReport, EventJsonNamesVersionsAndShowsNullForNone) {
  Event e;
  e.id = 7;
  e.time = "2026-12-02T00:00:00Z";
  e.model = "churn";
  e.kind = "promote";
  e.channel = "champion";
  e.version = 3;
  e.user = "ana";
  e.host = "box";
  e.command = "freshet registry promote";
  e.reason = "better";
  nlohmann::json j = EventJson(e);
  EXPECT_EQ(j, (nlohmann::json{{"id", 7},
                               {"time", "2026-12-02T00:00:00Z"},
                               {"model", "churn"},
                               {"kind", "promote"},
                               {"channel", "champion"},
                               {"version", "v000003"},
                               {"previous", nullptr},
                               {"user", "ana"},
                               {"host", "box"},
                               {"command", "freshet registry promote"},
                               {"reason", "better"}}));
  e.previous = 2;
  e.version.reset();
  j = EventJson(e);
  EXPECT_EQ(j["previous"], "v000002");
  EXPECT_TRUE(j["version"].is_null());
}

TEST(RegistryReport, RunJsonShowsAnUnfinishedRunWithNulls) {
  RunRecord r;
  r.id = 4;
  r.model = "churn";
  r.started = "2026-12-02T00:00:00Z";
  r.user = "ana";
  r.host = "box";
  r.pid = 123;
  r.command = "freshet retrain";
  nlohmann::json j = RunJson(r);
  EXPECT_TRUE(j["ended"].is_null());
  EXPECT_TRUE(j["exit_code"].is_null());
  EXPECT_TRUE(j["version"].is_null());
  EXPECT_EQ(j["inputs"], nlohmann::json::array());
  EXPECT_EQ(j["pid"], 123);
  EXPECT_EQ(j["command"], "freshet retrain");
  EXPECT_EQ(j["status"], "unfinished");  // another host: this one cannot tell
  r.ended = "2026-12-02T00:01:00Z";
  r.exit_code = 0;
  r.version = 12;
  r.reason = "published";
  r.inputs = {{{"path", "/d/1.h5"}}};
  j = RunJson(r);
  EXPECT_EQ(j["ended"], "2026-12-02T00:01:00Z");
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_EQ(j["version"], "v000012");
  EXPECT_EQ(j["reason"], "published");
  EXPECT_EQ(j["inputs"][0]["path"], "/d/1.h5");
  EXPECT_EQ(j["status"], "published");
  EXPECT_EQ(j.size(), 13u);
}

TEST(RegistryReport, RunJsonTellsARunningRunFromADeadOneOnThisHost) {
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  RunRecord r;
  r.host = host;
  r.pid = ::getpid();
  EXPECT_EQ(RunJson(r)["status"], "running");
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);
  r.pid = child;  // reaped: no such process now
  EXPECT_EQ(RunJson(r)["status"], "died");
}

TEST_F(RegistryUnit, VersionJsonShowsTheIndexsRecordAndTheManifestOnlyWhenAsked) {
  Registry r = Open();
  Publish(r);
  Publish(r, {"champion", "canary"}, 1);
  r.Pin("churn", "2", {"test", "audit"});
  const VersionInfo v = r.Resolve("churn", "2");
  nlohmann::json j = VersionJson(r, v);
  EXPECT_EQ(j["model"], "churn");
  EXPECT_EQ(j["version"], "v000002");
  EXPECT_EQ(j["number"], 2);
  EXPECT_EQ(j["path"], v.path);
  EXPECT_EQ(j["created"], "2026-12-02T00:00:00Z");
  EXPECT_TRUE(j["parent"].is_null());
  EXPECT_EQ(j["warm_start"], "v000001");
  EXPECT_EQ(j["pinned"], true);
  EXPECT_EQ(j["pin_reason"], "audit");
  EXPECT_EQ(j["channels"], (nlohmann::json{"canary", "champion"}));
  EXPECT_EQ(j["config_hash"], "abc");
  EXPECT_DOUBLE_EQ(j["metrics"]["model"]["auc"].get<double>(), 0.7);
  EXPECT_TRUE(j["metrics"]["model"]["log_loss"].is_null());
  ASSERT_EQ(j["inputs"].size(), 2u);
  EXPECT_EQ(j["inputs"][1], InputJson(r.Inputs(v)[1]));
  EXPECT_FALSE(j.contains("manifest"));
  j = VersionJson(r, v, true);
  EXPECT_EQ(j["manifest"], r.Manifest(v));
  // The manifest is verified: a changed one is not shown.
  WriteFile(v.path + "/manifest.json", ReadFile(v.path + "/manifest.json") + " ");
  EXPECT_NO_THROW(VersionJson(r, v));
  EXPECT_THROW(VersionJson(r, v, true), IoError);
}

TEST_F(RegistryUnit, DiffVersionsListsConfigLeavesMetricsAndInputsThatDiffer) {
  Registry r = Open();
  const VersionInfo a = PublishWith(
      r, {{"train", {{"lr", 0.1}, {"epochs", 3}}}, {"features", {{{"column", "age"}}}}},
      {{"model", {{"auc", 0.7}, {"log_loss", nullptr}}}},
      {{"/d/1.h5", "train", "s1", 3}, {"/d/2.h5", "eval", "s2", 4}, {"/d/4.h5", "train", "s4", 1}});
  const VersionInfo b = PublishWith(r,
                                    {{"train", {{"lr", 0.2}}},
                                     {"features", {{{"column", "age"}}, {{"column", "country"}}}},
                                     {"new", true}},
                                    {{"model", {{"auc", 0.75}}}},
                                    {{"/d/1.h5", "train", "s1-changed", 3},
                                     {"/d/3.h5", "eval", "s3", 4},
                                     {"/d/4.h5", "eval", "s4", 1}});
  const nlohmann::json d = DiffVersions(r, a, b);
  EXPECT_EQ(d["model"], "churn");
  EXPECT_EQ(d["a"], "v000001");
  EXPECT_EQ(d["b"], "v000002");
  EXPECT_EQ(d["config"],
            (nlohmann::json{{{"key", "train.epochs"}, {"a", 3}, {"b", nullptr}},
                            {{"key", "train.lr"}, {"a", 0.1}, {"b", 0.2}},
                            {{"key", "features[1].column"}, {"a", nullptr}, {"b", "country"}},
                            {{"key", "new"}, {"a", nullptr}, {"b", true}}}));
  ASSERT_EQ(d["metrics"].size(), 2u);
  const nlohmann::json& auc = d["metrics"][0];
  EXPECT_EQ(auc["subject"], "model");
  EXPECT_EQ(auc["name"], "auc");
  EXPECT_NEAR(auc["delta"].get<double>(), 0.05, 1e-12);
  const nlohmann::json& loss = d["metrics"][1];
  EXPECT_EQ(loss["name"], "log_loss");
  EXPECT_TRUE(loss["a"].is_null());
  EXPECT_TRUE(loss["b"].is_null());
  EXPECT_TRUE(loss["delta"].is_null());
  const nlohmann::json& in = d["inputs"];
  ASSERT_EQ(in["only_a"].size(), 1u);
  EXPECT_EQ(in["only_a"][0]["path"], "/d/2.h5");
  ASSERT_EQ(in["only_b"].size(), 1u);
  EXPECT_EQ(in["only_b"][0]["path"], "/d/3.h5");
  // A changed digest and a changed role both count.
  ASSERT_EQ(in["changed"].size(), 2u);
  EXPECT_EQ(in["changed"][0]["path"], "/d/1.h5");
  EXPECT_EQ(in["changed"][0]["a"]["sha256"], "s1");
  EXPECT_EQ(in["changed"][0]["b"]["sha256"], "s1-changed");
  EXPECT_EQ(in["changed"][1]["path"], "/d/4.h5");
  EXPECT_EQ(in["changed"][1]["b"]["role"], "eval");
  // A version against itself differs in nothing.
  const nlohmann::json same = DiffVersions(r, a, a);
  EXPECT_TRUE(same["config"].empty());
  EXPECT_TRUE(same["inputs"]["only_a"].empty());
  EXPECT_TRUE(same["inputs"]["only_b"].empty());
  EXPECT_TRUE(same["inputs"]["changed"].empty());
  for (const auto& row : same["metrics"]) EXPECT_EQ(row["a"], row["b"]) << row.dump();
}

TEST_F(RegistryUnit, DiffVersionsReadsOnlyVerifiedManifests) {
  Registry r = Open();
  const VersionInfo a = Publish(r);
  const VersionInfo b = Publish(r);
  WriteFile(b.path + "/manifest.json", "{}");
  EXPECT_THROW(DiffVersions(r, a, b), IoError);
}

// A metric that only `b` records (a new metric, or a fallback that `a` lacked) is a row too, with
// `a` null, as config keys and inputs that only `b` has are.
TEST_F(RegistryUnit, DiffVersionsListsMetricsThatOnlyTheSecondVersionRecords) {
  Registry r = Open();
  const VersionInfo a = PublishWith(r, nlohmann::json::object(), {{"model", {{"auc", 0.7}}}}, {});
  const VersionInfo b =
      PublishWith(r, nlohmann::json::object(),
                  {{"model", {{"auc", 0.7}, {"brier", 0.2}}}, {"fallback", {{"auc", 0.6}}}}, {});
  const nlohmann::json d = DiffVersions(r, a, b);
  bool brier = false, fallback = false;
  for (const auto& row : d["metrics"]) {
    if (row["subject"] == "model" && row["name"] == "brier") brier = row["a"].is_null();
    if (row["subject"] == "fallback" && row["name"] == "auc") fallback = row["a"].is_null();
  }
  EXPECT_TRUE(brier) << d["metrics"].dump();
  EXPECT_TRUE(fallback) << d["metrics"].dump();
}

}  // namespace
}  // namespace freshet
