#include "freshet/config.hpp"

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "common/config_sections.h"
#include "freshet/error.hpp"

namespace freshet {
namespace {

namespace fs = std::filesystem;
using config_detail::Node;
using config_detail::ParseFeatures;
using config_detail::ParseModelSpec;
using config_detail::ParseTask;
using config_detail::ParseTrain;

std::string Resolve(const std::string& p, const fs::path& base) {
  fs::path path(p);
  if (path.is_relative()) path = base / path;
  return path.lexically_normal().string();
}

// yaml-cpp keeps every entry of a mapping and its lookups return the first: a duplicated key would
// silently win or lose. Each one is a config error naming its path.
void RejectDuplicateKeys(const YAML::Node& node, const std::string& path, const std::string& file) {
  if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "(complex key)";
      const std::string child = path.empty() ? key : path + "." + key;
      if (!seen.insert(key).second) {
        throw ConfigError(file + ": " + child + ": duplicate key (each key may appear once)");
      }
      RejectDuplicateKeys(kv.second, child, file);
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      RejectDuplicateKeys(node[i], path + "[" + std::to_string(i) + "]", file);
    }
  }
}

}  // namespace

const char* TaskName(Task task) {
  switch (task) {
    case Task::kBinary:
      return "binary";
    case Task::kMulticlass:
      return "multiclass";
    case Task::kRegression:
      return "regression";
  }
  return "?";
}

std::vector<ColumnRequest> Config::Columns() const {
  std::vector<ColumnRequest> cols;
  const auto add = [&cols](const std::string& name, ColumnKind kind) {
    for (const auto& c : cols) {
      if (c.name == name) return;
    }
    cols.push_back({name, kind});
  };
  for (const auto& f : features) {
    if (!f.is_cross()) add(f.column, f.type);
  }
  for (const auto& f : features) {
    for (const auto& c : f.cross) add(c, ColumnKind::kCategorical);
  }
  if (!train.weight_column.empty()) add(train.weight_column, ColumnKind::kNumeric);
  for (const auto& s : evaluation.slices) {
    if (s.column != data.label) {
      add(s.column, s.numeric ? ColumnKind::kNumeric : ColumnKind::kCategorical);
    }
  }
  for (const auto& c : config_detail::EvaluationColumns(evaluation)) {
    if (c != data.label) add(c, ColumnKind::kNumeric);
  }
  add(data.label, ColumnKind::kNumeric);
  return cols;
}

Config ParseConfig(const std::string& text, const std::string& path) {
  const std::string file = path;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file + ": invalid YAML: " + e.what());
  }
  RejectDuplicateKeys(root, "", file);
  const fs::path base = fs::absolute(fs::path(path)).parent_path();
  Config c;
  c.path = fs::absolute(fs::path(path)).lexically_normal().string();
  Node top(root, "", &file);
  top.RequireMap();

  c.model = top.Get("model").String();
  if (c.model.empty() ||
      c.model.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
          std::string::npos ||
      c.model[0] == '.') {
    top.Child("model").Fail("expected a name of letters, digits, '_', '-' and '.', got \"" +
                            c.model + "\"");
  }
  if (top.Has("task")) c.task = ParseTask(top.Get("task"));

  Node data = top.Get("data");
  data.RequireMap();
  c.data.landing = Resolve(data.Get("landing").String(), base);
  if (data.Has("pattern")) c.data.pattern = data.Get("pattern").String();
  if (data.Has("group")) c.data.hdf5_group = data.Get("group").String();
  c.data.label = data.Get("label").String();
  if (data.Has("window")) {
    Node w = data.Get("window");
    w.RequireMap();
    if (w.Has("train")) c.data.train_window = static_cast<int>(w.Get("train").Integer(1, 100000));
    if (w.Has("eval")) c.data.eval_window = static_cast<int>(w.Get("eval").Integer(1, 100000));
    w.Finish();
  }
  data.Finish();

  c.features = ParseFeatures(top.Get("features"), c.data.label);

  if (top.Has("model_spec")) ParseModelSpec(top.Get("model_spec"), &c.model_spec);
  if (top.Has("train")) ParseTrain(top.Get("train"), &c.train);
  if (top.Has("predict")) config_detail::ParsePredict(top.Get("predict"), &c.predict);
  if (top.Has("validate")) config_detail::ParseValidate(top.Get("validate"), &c.validate);
  if (top.Has("evaluation")) {
    config_detail::ParseEvaluation(top.Get("evaluation"), base.string(), &c.evaluation);
  }
  if (top.Has("gate")) config_detail::ParseGate(top.Get("gate"), &c.gate);
  const bool online = top.Has("online");
  if (online) config_detail::ParseOnline(top.Get("online"), &c.online);

  c.registry = Resolve("registry", base);
  if (top.Has("registry")) {
    Node r = top.Get("registry");
    r.RequireMap();
    if (r.Has("path")) c.registry = Resolve(r.Get("path").String(), base);
    r.Finish();
  }
  top.Finish();
  CheckModelConfig(c);
  config_detail::ResolveEvaluation(&c);
  config_detail::ResolveGate(&c);
  config_detail::ResolveOnline(&c, online);
  return c;
}

Config LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read the config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path);
}

nlohmann::json ConfigToJson(const Config& c) {
  using nlohmann::json;
  const json features = config_detail::FeaturesToJson(c.features);
  json j = {
      {"model", c.model},
      {"task", TaskName(c.task)},
      {"data",
       {{"landing", c.data.landing},
        {"pattern", c.data.pattern},
        {"group", c.data.hdf5_group},
        {"label", c.data.label},
        {"window", {{"train", c.data.train_window}, {"eval", c.data.eval_window}}}}},
      {"features", features},
      {"model_spec", config_detail::ModelSpecToJson(c.model_spec)},
      {"train", config_detail::TrainToJson(c.train)},
      {"predict", config_detail::PredictToJson(c.predict)},
      {"validate", config_detail::ValidateToJson(c.validate)},
      {"evaluation", config_detail::EvaluationToJson(c.evaluation)},
      {"gate", config_detail::GateToJson(c.gate)},
      {"registry", {{"path", c.registry}}},
  };
  // A config without an `online:` section hashes as it did before the section existed.
  OnlineConfig defaults;
  defaults.detectors.push_back(DetectorSpec{.kind = "adwin"});
  auto online = config_detail::OnlineToJson(c.online);
  if (online != config_detail::OnlineToJson(defaults)) j["online"] = std::move(online);
  return j;
}

std::string ConfigHash(const Config& config) {
  const std::string text = ConfigToJson(config).dump();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

}  // namespace freshet
