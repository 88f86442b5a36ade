// The `online:` section of the config (include/freshet/online_spec.hpp): the learner, the
// stream's micro-batches, checkpoints, publishing, delayed labels and drift detectors.
#include <algorithm>
#include <string>
#include <vector>

#include "common/config_sections.h"
#include "freshet/error.hpp"

namespace freshet::config_detail {
namespace {

const std::vector<std::string> kResponses = {
    "log", "alert", "boost_lr", "use_fallback", "reset_to_champion", "command", "publish"};

DetectorSpec ParseDetector(Node d) {
  d.RequireMap();
  DetectorSpec s;
  s.kind = d.Get("kind").OneOf({"adwin", "page_hinkley", "ddm"});
  if (s.kind == "page_hinkley") s.delta = 0.005;
  if (d.Has("input")) s.input = d.Get("input").OneOf({"error", "loss"});
  const auto only = [&](const char* key, const char* kind) {
    if (d.Has(key) && s.kind != kind) d.Child(key).Fail(std::string("only for kind ") + kind);
    return d.Has(key);
  };
  if (d.Has("delta")) {
    if (s.kind == "ddm") d.Child("delta").Fail("only for kinds adwin and page_hinkley");
    s.delta = d.Get("delta").NumberIn(0, 1e9, "a number > 0", true);
  }
  if (only("clock", "adwin")) s.clock = d.Get("clock").Integer(1, 1 << 30);
  if (only("max_buckets", "adwin")) s.max_buckets = d.Get("max_buckets").Integer(1, 1000);
  if (only("min_window_length", "adwin")) {
    s.min_window_length = d.Get("min_window_length").Integer(1, 1 << 30);
  }
  if (only("grace_period", "adwin")) s.grace_period = d.Get("grace_period").Integer(1, 1 << 30);
  if (only("min_instances", "page_hinkley")) {
    s.min_instances = d.Get("min_instances").Integer(1, 1 << 30);
  }
  if (only("threshold", "page_hinkley")) {
    s.threshold = d.Get("threshold").NumberIn(0, 1e300, "a number > 0", true);
  }
  if (only("alpha", "page_hinkley"))
    s.alpha = d.Get("alpha").NumberIn(0, 1, "a number in (0, 1]", true);
  if (only("mode", "page_hinkley")) s.mode = d.Get("mode").OneOf({"up", "down", "both"});
  if (only("warm_start", "ddm")) s.warm_start = d.Get("warm_start").Integer(1, 1 << 30);
  if (only("warning_threshold", "ddm")) {
    s.warning_threshold = d.Get("warning_threshold").NumberIn(0, 1e9, "a number > 0", true);
  }
  if (only("drift_threshold", "ddm")) {
    s.drift_threshold = d.Get("drift_threshold").NumberIn(0, 1e9, "a number > 0", true);
  }
  if (s.kind == "ddm" && s.input != "error") d.Child("input").Fail("ddm reads the 0/1 error");
  if (d.Has("responses")) {
    s.responses.clear();
    for (Node r : d.Get("responses").Items()) s.responses.push_back(r.OneOf(kResponses));
  }
  d.Finish();
  return s;
}

}  // namespace

void ParseOnline(Node o, OnlineConfig* out) {
  o.RequireMap();
  OnlineConfig& c = *out;
  if (o.Has("learner")) c.learner = o.Get("learner").OneOf({"ftrl", "adagrad", "sgd", "model"});
  const auto positive = [&](const char* key, double* v) {
    if (o.Has(key)) *v = o.Get(key).NumberIn(0, 1e300, "a number > 0", true);
  };
  const auto non_negative = [&](const char* key, double* v) {
    if (o.Has(key)) *v = o.Get(key).NumberIn(0, 1e300, "a number >= 0");
  };
  positive("alpha", &c.alpha);
  non_negative("beta", &c.beta);
  positive("lr", &c.lr);
  non_negative("power_t", &c.power_t);
  non_negative("l1", &c.l1);
  non_negative("l2", &c.l2);
  if (o.Has("format")) c.format = o.Get("format").OneOf({"auto", "csv", "jsonl"});
  if (o.Has("batch_rows")) c.batch_rows = o.Get("batch_rows").Integer(1, int64_t{1} << 24);
  positive("batch_seconds", &c.batch_seconds);
  if (o.Has("warmup_rows")) c.warmup_rows = o.Get("warmup_rows").Integer(1, int64_t{1} << 30);
  if (o.Has("checkpoint_records")) {
    c.checkpoint_records = o.Get("checkpoint_records").Integer(1, INT64_MAX);
  }
  positive("checkpoint_seconds", &c.checkpoint_seconds);
  non_negative("publish_minutes", &c.publish_minutes);
  if (o.Has("metric_window")) c.metric_window = o.Get("metric_window").Integer(1, int64_t{1} << 26);
  if (o.Has("fading_factor")) {
    c.fading_factor = o.Get("fading_factor").NumberIn(0, 1, "a number in (0, 1]", true);
  }
  if (o.Has("max_record_bytes")) {
    c.max_record_bytes = o.Get("max_record_bytes").Integer(16, int64_t{1} << 30);
  }
  if (o.Has("dead_letters")) c.dead_letters = o.Get("dead_letters").String();
  if (o.Has("labels")) {
    Node l = o.Get("labels");
    l.RequireMap();
    c.labels.key = l.Get("key").String();
    if (l.Has("window_records")) {
      c.labels.window_records = l.Get("window_records").Integer(1, INT64_MAX);
    }
    if (l.Has("max_pending")) c.labels.max_pending = l.Get("max_pending").Integer(1, INT64_MAX);
    l.Finish();
  }
  if (o.Has("detectors")) {
    for (Node d : o.Get("detectors").Items()) c.detectors.push_back(ParseDetector(d));
  }
  if (o.Has("response")) {
    Node r = o.Get("response");
    r.RequireMap();
    if (r.Has("boost_factor")) {
      r.Get("boost_factor");
      c.response.boost_factor = r.Get("boost_factor").NumberIn(0, 1e6, "a number > 0", true);
    }
    if (r.Has("boost_records"))
      c.response.boost_records = r.Get("boost_records").Integer(1, INT64_MAX);
    if (r.Has("fallback_records")) {
      c.response.fallback_records = r.Get("fallback_records").Integer(1, INT64_MAX);
    }
    if (r.Has("alert_command")) c.response.alert_command = r.Get("alert_command").String();
    if (r.Has("command")) c.response.command = r.Get("command").String();
    r.Finish();
  }
  o.Finish();
}

void ResolveOnline(Config* config, bool has_section) {
  OnlineConfig& c = config->online;
  if (c.detectors.empty()) c.detectors.push_back(DetectorSpec{.kind = "adwin"});
  const std::string where = config->path + ": online";
  for (size_t i = 0; i < c.detectors.size(); ++i) {
    for (const auto& r : c.detectors[i].responses) {
      const std::string at = where + ".detectors[" + std::to_string(i) + "].responses: ";
      if (r == "alert" && c.response.alert_command.empty()) {
        throw ConfigError(at + "alert needs online.response.alert_command");
      }
      if (r == "command" && c.response.command.empty()) {
        throw ConfigError(at + "command needs online.response.command");
      }
    }
  }
  if (!has_section) return;
  if (c.learner != "model" && config->task == Task::kMulticlass) {
    throw ConfigError(where + ".learner: " + c.learner +
                      " supports binary and regression tasks; use learner: model for multiclass");
  }
  if (!c.labels.key.empty()) {
    for (const auto& f : config->features) {
      const bool crossed = std::find(f.cross.begin(), f.cross.end(), c.labels.key) != f.cross.end();
      if (f.column == c.labels.key || crossed) {
        throw ConfigError(where + ".labels.key: \"" + c.labels.key +
                          "\" is a feature column; the join key must not be a feature");
      }
    }
    if (c.labels.key == config->data.label) {
      throw ConfigError(where + ".labels.key: the join key must not be the label column");
    }
  }
}

nlohmann::json OnlineToJson(const OnlineConfig& c) {
  nlohmann::json detectors = nlohmann::json::array();
  for (const auto& d : c.detectors) {
    nlohmann::json j = {{"kind", d.kind}, {"input", d.input}, {"responses", d.responses}};
    if (d.kind == "adwin") {
      j.update({{"delta", d.delta},
                {"clock", d.clock},
                {"max_buckets", d.max_buckets},
                {"min_window_length", d.min_window_length},
                {"grace_period", d.grace_period}});
    } else if (d.kind == "page_hinkley") {
      j.update({{"delta", d.delta},
                {"min_instances", d.min_instances},
                {"threshold", d.threshold},
                {"alpha", d.alpha},
                {"mode", d.mode}});
    } else {
      j.update({{"warm_start", d.warm_start},
                {"warning_threshold", d.warning_threshold},
                {"drift_threshold", d.drift_threshold}});
    }
    detectors.push_back(std::move(j));
  }
  return {{"learner", c.learner},
          {"alpha", c.alpha},
          {"beta", c.beta},
          {"lr", c.lr},
          {"power_t", c.power_t},
          {"l1", c.l1},
          {"l2", c.l2},
          {"format", c.format},
          {"batch_rows", c.batch_rows},
          {"batch_seconds", c.batch_seconds},
          {"warmup_rows", c.warmup_rows},
          {"checkpoint_records", c.checkpoint_records},
          {"checkpoint_seconds", c.checkpoint_seconds},
          {"publish_minutes", c.publish_minutes},
          {"metric_window", c.metric_window},
          {"fading_factor", c.fading_factor},
          {"max_record_bytes", c.max_record_bytes},
          {"dead_letters", c.dead_letters},
          {"labels",
           {{"key", c.labels.key},
            {"window_records", c.labels.window_records},
            {"max_pending", c.labels.max_pending}}},
          {"detectors", detectors},
          {"response",
           {{"boost_factor", c.response.boost_factor},
            {"boost_records", c.response.boost_records},
            {"fallback_records", c.response.fallback_records},
            {"alert_command", c.response.alert_command},
            {"command", c.response.command}}}};
}

}  // namespace freshet::config_detail
