// The config's online: section: defaults, every key, errors that name the key path, the checks
// against the task and features, and the config hash of configs without the section.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/config.hpp"
#include "freshet/error.hpp"

namespace freshet {
namespace {

constexpr char kPath[] = "/cfg/churn.yaml";

// A model with a numeric feature x, a categorical country and the label y; the stream also has an
// `id` column that is neither.
constexpr char kBase[] = R"(
model: churn
data: {landing: landing, label: y}
features:
  - {column: x, type: numeric}
  - {column: country, type: categorical, ops: [{hash: {buckets: 100}}]}
)";

Config Parse(const std::string& extra, const std::string& task = "binary") {
  return ParseConfig(std::string(kBase) + "task: " + task + "\n" + extra, kPath);
}

// The ConfigError message of parsing `extra`; records a failure when it parses.
std::string Error(const std::string& extra, const std::string& task = "binary") {
  try {
    Parse(extra, task);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted:\n" << extra;
  return "";
}

// Expects the error of `extra` to start with the file and `path`, and to contain `detail`.
void ExpectError(const std::string& extra, const std::string& path, const std::string& detail = "",
                 const std::string& task = "binary") {
  SCOPED_TRACE(extra);
  const std::string message = Error(extra, task);
  EXPECT_EQ(message.rfind(std::string(kPath) + ": " + path + ": ", 0), 0u) << message;
  EXPECT_NE(message.find(detail), std::string::npos) << message;
}

TEST(ConfigOnline, Defaults) {
  const OnlineConfig o = Parse("").online;
  EXPECT_EQ(o.learner, "ftrl");
  EXPECT_EQ(o.alpha, 0.1);
  EXPECT_EQ(o.beta, 1.0);
  EXPECT_EQ(o.lr, 0.1);
  EXPECT_EQ(o.power_t, 0.5);
  EXPECT_EQ(o.l1, 0.0);
  EXPECT_EQ(o.l2, 0.0);
  EXPECT_EQ(o.format, "auto");
  EXPECT_EQ(o.batch_rows, 1024);
  EXPECT_EQ(o.batch_seconds, 1.0);
  EXPECT_EQ(o.warmup_rows, 1000);
  EXPECT_EQ(o.checkpoint_records, 100000);
  EXPECT_EQ(o.checkpoint_seconds, 60.0);
  EXPECT_EQ(o.publish_minutes, 60.0);
  EXPECT_EQ(o.metric_window, 10000);
  EXPECT_EQ(o.fading_factor, 0.999);
  EXPECT_EQ(o.max_record_bytes, 1 << 20);
  EXPECT_EQ(o.dead_letters, "");
  EXPECT_EQ(o.labels.key, "");
  EXPECT_EQ(o.labels.window_records, 100000);
  EXPECT_EQ(o.labels.max_pending, 1000000);
  // One ADWIN on the error that logs.
  ASSERT_EQ(o.detectors.size(), 1u);
  const DetectorSpec& d = o.detectors[0];
  EXPECT_EQ(d.kind, "adwin");
  EXPECT_EQ(d.input, "error");
  EXPECT_EQ(d.delta, 0.002);
  EXPECT_EQ(d.clock, 32);
  EXPECT_EQ(d.max_buckets, 5);
  EXPECT_EQ(d.min_window_length, 5);
  EXPECT_EQ(d.grace_period, 10);
  EXPECT_EQ(d.responses, (std::vector<std::string>{"log"}));
  EXPECT_EQ(o.response.boost_factor, 10.0);
  EXPECT_EQ(o.response.boost_records, 10000);
  EXPECT_EQ(o.response.fallback_records, 10000);
  EXPECT_EQ(o.response.alert_command, "");
  EXPECT_EQ(o.response.command, "");
  // An empty section, or one that only lists other things, has the same default detector.
  EXPECT_EQ(Parse("online: {}\n").online.detectors.size(), 1u);
  EXPECT_EQ(Parse("online: {detectors: []}\n").online.detectors[0].kind, "adwin");
  EXPECT_EQ(Parse("online: {batch_rows: 5}\n").online.detectors.size(), 1u);
}

TEST(ConfigOnline, DetectorDefaultsByKind) {
  const OnlineConfig o = Parse(R"(
online:
  detectors: [{kind: page_hinkley}, {kind: adwin}, {kind: ddm}, {kind: page_hinkley, delta: 0.1}]
)")
                             .online;
  ASSERT_EQ(o.detectors.size(), 4u);
  // Page-Hinkley's magnitude delta is 0.005 (River's), ADWIN's confidence delta 0.002.
  EXPECT_EQ(o.detectors[0].kind, "page_hinkley");
  EXPECT_EQ(o.detectors[0].delta, 0.005);
  EXPECT_EQ(o.detectors[0].min_instances, 30);
  EXPECT_EQ(o.detectors[0].threshold, 50.0);
  EXPECT_EQ(o.detectors[0].alpha, 1 - 0.0001);
  EXPECT_EQ(o.detectors[0].mode, "both");
  EXPECT_EQ(o.detectors[1].delta, 0.002);
  EXPECT_EQ(o.detectors[2].kind, "ddm");
  EXPECT_EQ(o.detectors[2].input, "error");
  EXPECT_EQ(o.detectors[2].warm_start, 30);
  EXPECT_EQ(o.detectors[2].warning_threshold, 2.0);
  EXPECT_EQ(o.detectors[2].drift_threshold, 3.0);
  EXPECT_EQ(o.detectors[3].delta, 0.1);
  for (const auto& d : o.detectors) EXPECT_EQ(d.responses, (std::vector<std::string>{"log"}));
}

TEST(ConfigOnline, EveryKey) {
  const Config c = Parse(R"(
online:
  learner: sgd
  alpha: 0.5
  beta: 0
  lr: 0.01
  power_t: 0.25
  l1: 0.001
  l2: 0.002
  format: jsonl
  batch_rows: 256
  batch_seconds: 0.5
  warmup_rows: 50
  checkpoint_records: 5000
  checkpoint_seconds: 10
  publish_minutes: 0
  metric_window: 500
  fading_factor: 1
  max_record_bytes: 4096
  dead_letters: /var/dead.jsonl
  labels: {key: id, window_records: 77, max_pending: 88}
  detectors:
    - {kind: adwin, input: loss, delta: 0.01, clock: 8, max_buckets: 3, min_window_length: 7,
       grace_period: 20, responses: [log, alert, boost_lr]}
    - {kind: page_hinkley, min_instances: 10, threshold: 20, alpha: 0.99, mode: up,
       responses: [use_fallback, reset_to_champion, command, publish]}
    - {kind: ddm, input: error, warm_start: 15, warning_threshold: 1.5, drift_threshold: 2.5,
       responses: []}
  response:
    boost_factor: 4
    boost_records: 300
    fallback_records: 400
    alert_command: notify-send drift
    command: freshet retrain
)");
  const OnlineConfig& o = c.online;
  EXPECT_EQ(o.learner, "sgd");
  EXPECT_EQ(o.alpha, 0.5);
  EXPECT_EQ(o.beta, 0.0);
  EXPECT_EQ(o.lr, 0.01);
  EXPECT_EQ(o.power_t, 0.25);
  EXPECT_EQ(o.l1, 0.001);
  EXPECT_EQ(o.l2, 0.002);
  EXPECT_EQ(o.format, "jsonl");
  EXPECT_EQ(o.batch_rows, 256);
  EXPECT_EQ(o.batch_seconds, 0.5);
  EXPECT_EQ(o.warmup_rows, 50);
  EXPECT_EQ(o.checkpoint_records, 5000);
  EXPECT_EQ(o.checkpoint_seconds, 10.0);
  EXPECT_EQ(o.publish_minutes, 0.0);
  EXPECT_EQ(o.metric_window, 500);
  EXPECT_EQ(o.fading_factor, 1.0);
  EXPECT_EQ(o.max_record_bytes, 4096);
  EXPECT_EQ(o.dead_letters, "/var/dead.jsonl");
  EXPECT_EQ(o.labels.key, "id");
  EXPECT_EQ(o.labels.window_records, 77);
  EXPECT_EQ(o.labels.max_pending, 88);
  ASSERT_EQ(o.detectors.size(), 3u);
  const DetectorSpec& a = o.detectors[0];
  EXPECT_EQ(a.kind, "adwin");
  EXPECT_EQ(a.input, "loss");
  EXPECT_EQ(a.delta, 0.01);
  EXPECT_EQ(a.clock, 8);
  EXPECT_EQ(a.max_buckets, 3);
  EXPECT_EQ(a.min_window_length, 7);
  EXPECT_EQ(a.grace_period, 20);
  EXPECT_EQ(a.responses, (std::vector<std::string>{"log", "alert", "boost_lr"}));
  const DetectorSpec& p = o.detectors[1];
  EXPECT_EQ(p.delta, 0.005);
  EXPECT_EQ(p.min_instances, 10);
  EXPECT_EQ(p.threshold, 20.0);
  EXPECT_EQ(p.alpha, 0.99);
  EXPECT_EQ(p.mode, "up");
  EXPECT_EQ(p.responses,
            (std::vector<std::string>{"use_fallback", "reset_to_champion", "command", "publish"}));
  const DetectorSpec& d = o.detectors[2];
  EXPECT_EQ(d.warm_start, 15);
  EXPECT_EQ(d.warning_threshold, 1.5);
  EXPECT_EQ(d.drift_threshold, 2.5);
  EXPECT_TRUE(d.responses.empty());
  EXPECT_EQ(o.response.boost_factor, 4.0);
  EXPECT_EQ(o.response.boost_records, 300);
  EXPECT_EQ(o.response.fallback_records, 400);
  EXPECT_EQ(o.response.alert_command, "notify-send drift");
  EXPECT_EQ(o.response.command, "freshet retrain");
  // Every other learner and format is accepted.
  for (const char* learner : {"ftrl", "adagrad", "sgd", "model"}) {
    EXPECT_EQ(Parse(std::string("online: {learner: ") + learner + "}\n").online.learner, learner);
  }
  for (const char* format : {"auto", "csv", "jsonl"}) {
    EXPECT_EQ(Parse(std::string("online: {format: ") + format + "}\n").online.format, format);
  }
}

TEST(ConfigOnline, BadValuesNameTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"online: {learner: vw}", "online.learner"},
      {"online: {alpha: 0}", "online.alpha"},
      {"online: {alpha: -1}", "online.alpha"},
      {"online: {beta: -0.5}", "online.beta"},
      {"online: {lr: 0}", "online.lr"},
      {"online: {lr: fast}", "online.lr"},
      {"online: {lr: inf}", "online.lr"},
      {"online: {lr: nan}", "online.lr"},
      {"online: {power_t: -1}", "online.power_t"},
      {"online: {l1: -0.1}", "online.l1"},
      {"online: {l2: [1]}", "online.l2"},
      {"online: {format: xml}", "online.format"},
      {"online: {batch_rows: 0}", "online.batch_rows"},
      {"online: {batch_rows: -5}", "online.batch_rows"},
      {"online: {batch_rows: 2.5}", "online.batch_rows"},
      {"online: {batch_rows: many}", "online.batch_rows"},
      {"online: {batch_rows: 16777217}", "online.batch_rows"},
      {"online: {batch_seconds: 0}", "online.batch_seconds"},
      {"online: {warmup_rows: 0}", "online.warmup_rows"},
      {"online: {checkpoint_records: 0}", "online.checkpoint_records"},
      {"online: {checkpoint_seconds: 0}", "online.checkpoint_seconds"},
      {"online: {publish_minutes: -1}", "online.publish_minutes"},
      {"online: {metric_window: 0}", "online.metric_window"},
      {"online: {fading_factor: 0}", "online.fading_factor"},
      {"online: {fading_factor: 1.5}", "online.fading_factor"},
      {"online: {max_record_bytes: 15}", "online.max_record_bytes"},
      {"online: {dead_letters: [a, b]}", "online.dead_letters"},
      {"online: {labels: id}", "online.labels"},
      {"online: {labels: {window_records: 5}}", "online.labels.key"},
      {"online: {labels: {key: id, window_records: 0}}", "online.labels.window_records"},
      {"online: {labels: {key: id, max_pending: 0}}", "online.labels.max_pending"},
      {"online: {detectors: {kind: adwin}}", "online.detectors"},
      {"online: {detectors: [adwin]}", "online.detectors[0]"},
      {"online: {detectors: [{delta: 0.1}]}", "online.detectors[0].kind"},
      {"online: {detectors: [{kind: kswin}]}", "online.detectors[0].kind"},
      {"online: {detectors: [{kind: adwin}, {kind: adwin, input: prob}]}",
       "online.detectors[1].input"},
      {"online: {detectors: [{kind: adwin, delta: 0}]}", "online.detectors[0].delta"},
      {"online: {detectors: [{kind: adwin, clock: 0}]}", "online.detectors[0].clock"},
      {"online: {detectors: [{kind: adwin, max_buckets: 1001}]}",
       "online.detectors[0].max_buckets"},
      {"online: {detectors: [{kind: adwin, min_window_length: 0}]}",
       "online.detectors[0].min_window_length"},
      {"online: {detectors: [{kind: adwin, grace_period: 0}]}", "online.detectors[0].grace_period"},
      {"online: {detectors: [{kind: page_hinkley, min_instances: 0}]}",
       "online.detectors[0].min_instances"},
      {"online: {detectors: [{kind: page_hinkley, threshold: 0}]}",
       "online.detectors[0].threshold"},
      {"online: {detectors: [{kind: page_hinkley, alpha: 1.01}]}", "online.detectors[0].alpha"},
      {"online: {detectors: [{kind: page_hinkley, mode: sideways}]}", "online.detectors[0].mode"},
      {"online: {detectors: [{kind: ddm, warm_start: 0}]}", "online.detectors[0].warm_start"},
      {"online: {detectors: [{kind: ddm, warning_threshold: 0}]}",
       "online.detectors[0].warning_threshold"},
      {"online: {detectors: [{kind: ddm, drift_threshold: -1}]}",
       "online.detectors[0].drift_threshold"},
      {"online: {detectors: [{kind: adwin, responses: [log, explode]}]}",
       "online.detectors[0].responses[1]"},
      {"online: {detectors: [{kind: adwin, responses: log}]}", "online.detectors[0].responses"},
      {"online: {response: {boost_factor: 0}}", "online.response.boost_factor"},
      {"online: {response: {boost_records: 0}}", "online.response.boost_records"},
      {"online: {response: {fallback_records: 0}}", "online.response.fallback_records"},
      {"online: {response: {command: {sh: x}}}", "online.response.command"},
      {"online: {response: []}", "online.response"},
      {"online: [ftrl]", "online"},
      {"online: ftrl", "online"},
  };
  for (const auto& [extra, path] : cases) ExpectError(extra + "\n", path);
}

TEST(ConfigOnline, UnknownKeysAreNamed) {
  ExpectError("online: {learnr: sgd}\n", "online.learnr", "unknown key");
  ExpectError("online: {labels: {key: id, window: 5}}\n", "online.labels.window", "unknown key");
  ExpectError("online: {detectors: [{kind: adwin, treshold: 5}]}\n", "online.detectors[0].treshold",
              "unknown key");
  ExpectError("online: {response: {alert: x}}\n", "online.response.alert", "unknown key");
}

TEST(ConfigOnline, KeysOfAnotherDetectorKindAreRefused) {
  ExpectError("online: {detectors: [{kind: page_hinkley, clock: 4}]}\n",
              "online.detectors[0].clock", "only for kind adwin");
  ExpectError("online: {detectors: [{kind: adwin}, {kind: ddm, grace_period: 4}]}\n",
              "online.detectors[1].grace_period", "only for kind adwin");
  ExpectError("online: {detectors: [{kind: adwin, threshold: 4}]}\n",
              "online.detectors[0].threshold", "only for kind page_hinkley");
  ExpectError("online: {detectors: [{kind: ddm, mode: up}]}\n", "online.detectors[0].mode",
              "only for kind page_hinkley");
  ExpectError("online: {detectors: [{kind: adwin, warm_start: 4}]}\n",
              "online.detectors[0].warm_start", "only for kind ddm");
  ExpectError("online: {detectors: [{kind: ddm, delta: 0.1}]}\n", "online.detectors[0].delta",
              "only for kinds adwin and page_hinkley");
}

TEST(ConfigOnline, DdmReadsTheZeroOneError) {
  ExpectError("online: {detectors: [{kind: ddm, input: loss}]}\n", "online.detectors[0].input",
              "ddm reads the 0/1 error");
  EXPECT_EQ(Parse("online: {detectors: [{kind: ddm, input: error}]}\n").online.detectors[0].input,
            "error");
}

TEST(ConfigOnline, CommandResponsesNeedTheirCommand) {
  ExpectError("online: {detectors: [{kind: adwin, responses: [log, alert]}]}\n",
              "online.detectors[0].responses", "alert needs online.response.alert_command");
  ExpectError("online: {detectors: [{kind: adwin}, {kind: ddm, responses: [command]}]}\n",
              "online.detectors[1].responses", "command needs online.response.command");
  // Each command is needed only by its own response.
  ExpectError(
      "online: {detectors: [{kind: adwin, responses: [alert]}], response: {command: retrain}}\n",
      "online.detectors[0].responses", "alert_command");
  ExpectError(
      "online: {detectors: [{kind: adwin, responses: [command]}], response: {alert_command: x}}\n",
      "online.detectors[0].responses", "online.response.command");
  const Config c = Parse(
      "online: {detectors: [{kind: adwin, responses: [alert, command]}],"
      " response: {alert_command: page, command: retrain}}\n");
  EXPECT_EQ(c.online.detectors[0].responses, (std::vector<std::string>{"alert", "command"}));
}

TEST(ConfigOnline, NativeLearnersAreForBinaryAndRegression) {
  for (const char* learner : {"ftrl", "adagrad", "sgd"}) {
    ExpectError(std::string("online: {learner: ") + learner + "}\n", "online.learner",
                "use learner: model for multiclass", "multiclass");
    EXPECT_EQ(
        Parse(std::string("online: {learner: ") + learner + "}\n", "regression").online.learner,
        learner);
  }
  // The default learner is ftrl: an online section in a multiclass config must pick model.
  ExpectError("online: {batch_rows: 64}\n", "online.learner", "ftrl", "multiclass");
  EXPECT_EQ(Parse("online: {learner: model}\n", "multiclass").online.learner, "model");
  // Without an online section a multiclass config is fine: nothing runs online.
  EXPECT_EQ(Parse("", "multiclass").online.learner, "ftrl");
}

TEST(ConfigOnline, TheJoinKeyIsNeitherAFeatureNorTheLabel) {
  ExpectError("online: {labels: {key: x}}\n", "online.labels.key", "is a feature column");
  ExpectError("online: {labels: {key: country}}\n", "online.labels.key", "\"country\"");
  ExpectError("online: {labels: {key: y}}\n", "online.labels.key", "label column");
  EXPECT_EQ(Parse("online: {labels: {key: id}}\n").online.labels.key, "id");
  // Also when a detector list or other keys come with it.
  ExpectError("online: {labels: {key: country}, detectors: [{kind: adwin}]}\n", "online.labels.key",
              "is a feature column");
}

// The join key (unique per entity) must not be the input of a cross either.
TEST(ConfigOnline, TheJoinKeyIsNotTheInputOfACross) {
  const std::string crossed =
      "  - {cross: [country, plan], ops: [{hash: {buckets: 8}}]}\n"
      "online: {labels: {key: plan}}\n";
  try {
    ParseConfig(std::string(kBase) + crossed, kPath);
    ADD_FAILURE() << "labels.key: plan accepted although plan is crossed with country";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("online.labels.key"), std::string::npos) << e.what();
  }
}

// The keys ConfigToJson wrote before the online section existed.
const std::set<std::string> kKeysBeforeOnline = {"model",      "task",  "data",    "features",
                                                 "model_spec", "train", "predict", "validate",
                                                 "evaluation", "gate",  "registry"};

std::set<std::string> KeysOf(const nlohmann::json& j) {
  std::set<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.insert(k);
  return keys;
}

TEST(ConfigOnline, AConfigWithoutTheSectionHashesAsBefore) {
  for (const char* task : {"binary", "multiclass", "regression"}) {
    SCOPED_TRACE(task);
    const Config c = Parse("", task);
    EXPECT_EQ(KeysOf(ConfigToJson(c)), kKeysBeforeOnline);
  }
  // A section that only restates the defaults changes nothing either.
  const std::string base_hash = ConfigHash(Parse(""));
  for (const char* extra :
       {"online: {}\n", "online:\n", "online: {learner: ftrl, batch_rows: 1024}\n",
        "online: {detectors: [{kind: adwin}]}\n",
        "online: {detectors: [{kind: adwin, delta: 0.002, responses: [log]}]}\n",
        "online: {labels: {key: \"\"}}\n", "online: {response: {boost_factor: 10}}\n"}) {
    SCOPED_TRACE(extra);
    const Config c = Parse(extra);
    EXPECT_FALSE(ConfigToJson(c).contains("online"));
    EXPECT_EQ(ConfigHash(c), base_hash);
  }
}

TEST(ConfigOnline, ANonDefaultSectionIsHashed) {
  const std::string base_hash = ConfigHash(Parse(""));
  std::set<std::string> hashes = {base_hash};
  const std::vector<std::string> sections = {
      "online: {learner: sgd}\n",
      "online: {alpha: 0.2}\n",
      "online: {batch_rows: 1023}\n",
      "online: {checkpoint_seconds: 61}\n",
      "online: {dead_letters: /x}\n",
      "online: {labels: {key: id}}\n",
      "online: {labels: {key: id, window_records: 5}}\n",
      "online: {detectors: [{kind: page_hinkley}]}\n",
      "online: {detectors: [{kind: adwin}, {kind: adwin}]}\n",
      "online: {detectors: [{kind: adwin, input: loss}]}\n",
      "online: {detectors: [{kind: adwin, responses: [log, publish]}]}\n",
      "online: {response: {boost_records: 1}}\n",
  };
  for (const auto& extra : sections) {
    SCOPED_TRACE(extra);
    const Config c = Parse(extra);
    const nlohmann::json j = ConfigToJson(c);
    ASSERT_TRUE(j.contains("online"));
    std::set<std::string> expected = kKeysBeforeOnline;
    expected.insert("online");
    EXPECT_EQ(KeysOf(j), expected);
    EXPECT_EQ(j.at("online").at("detectors").size(), c.online.detectors.size());
    // Every section hashes differently from the others and from no section.
    EXPECT_TRUE(hashes.insert(ConfigHash(c)).second);
  }
  // The sections' JSON holds the values; the rest of the config's JSON is as without one.
  const nlohmann::json j = ConfigToJson(Parse("online: {learner: sgd, labels: {key: id}}\n"));
  EXPECT_EQ(j.at("online").at("learner"), "sgd");
  EXPECT_EQ(j.at("online").at("labels").at("key"), "id");
  nlohmann::json without = j;
  without.erase("online");
  EXPECT_EQ(without, ConfigToJson(Parse("")));
}

TEST(ConfigOnline, TheRecordedSectionParsesBackToItself) {
  const Config c = Parse(R"(
online:
  learner: adagrad
  batch_rows: 64
  labels: {key: id}
  detectors:
    - {kind: adwin, input: loss, responses: [boost_lr]}
    - {kind: page_hinkley, mode: down, responses: [alert]}
    - {kind: ddm, responses: [command, publish]}
  response: {alert_command: page, command: retrain}
)");
  const nlohmann::json j = ConfigToJson(c);
  const Config again = ParseConfig(j.dump(), kPath);
  EXPECT_EQ(ConfigToJson(again), j);
  EXPECT_EQ(ConfigHash(again), ConfigHash(c));
}

}  // namespace
}  // namespace freshet
