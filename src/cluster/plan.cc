// A submission's plan: its tasks (folds, seeds or sweep entries), plan.json, and the pinned inputs.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "cluster/files.h"
#include "freshet/atomic_file.hpp"
#include "freshet/env.hpp"
#include "freshet/error.hpp"
#include "freshet/submit.hpp"

namespace freshet {
namespace {

nlohmann::json YamlToJson(const YAML::Node& n) {
  if (n.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : n) a.push_back(YamlToJson(e));
    return a;
  }
  if (n.IsMap()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& kv : n) o[kv.first.as<std::string>()] = YamlToJson(kv.second);
    return o;
  }
  if (n.IsNull()) return nullptr;
  // A scalar keeps its YAML type: parsed as JSON when it is a number or a boolean.
  const std::string s = n.Scalar();
  if (n.Tag() != "!") {
    const nlohmann::json j = nlohmann::json::parse(s, nullptr, false);
    if (!j.is_discarded() && (j.is_number() || j.is_boolean())) return j;
  }
  return s;
}

// The grid's cartesian product, the last key varying fastest.
std::vector<nlohmann::json> Expand(
    const std::vector<std::pair<std::string, nlohmann::json>>& keys) {
  std::vector<nlohmann::json> out = {nlohmann::json::object()};
  for (const auto& [key, values] : keys) {
    std::vector<nlohmann::json> next;
    for (const auto& partial : out) {
      for (const auto& v : values) {
        nlohmann::json e = partial;
        e[key] = v;
        next.push_back(std::move(e));
      }
    }
    out = std::move(next);
  }
  return out;
}

}  // namespace

const char* SubmitModeName(SubmitMode mode) {
  switch (mode) {
    case SubmitMode::kFolds:
      return "folds";
    case SubmitMode::kSeeds:
      return "seeds";
    case SubmitMode::kSweep:
      return "sweep";
  }
  return "sweep";
}

std::vector<nlohmann::json> ReadSweepFile(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw IoError(path + ": cannot read the sweep file");
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ": not valid YAML: " + e.what());
  }
  std::vector<nlohmann::json> entries;
  if (root.IsMap()) {
    if (root.size() != 1 || !root["grid"] || !root["grid"].IsMap()) {
      throw ConfigError(path + ": a sweep is a list of entries or one `grid:` mapping");
    }
    std::vector<std::pair<std::string, nlohmann::json>> keys;
    for (const auto& kv : root["grid"]) {
      const std::string key = kv.first.as<std::string>();
      const nlohmann::json values = YamlToJson(kv.second);
      if (!values.is_array() || values.empty()) {
        throw ConfigError(path + ": grid." + key + ": expected a non-empty list of values");
      }
      keys.emplace_back(key, values);
    }
    entries = Expand(keys);
  } else if (root.IsSequence()) {
    for (size_t i = 0; i < root.size(); ++i) {
      nlohmann::json e = YamlToJson(root[i]);
      if (!e.is_object() || e.empty()) {
        throw ConfigError(path + ": entry " + std::to_string(i + 1) +
                          ": expected a mapping of config keys to values, like {train.lr: 0.01}");
      }
      entries.push_back(std::move(e));
    }
  }
  if (entries.empty()) throw ConfigError(path + ": the sweep has no entries");
  return entries;
}

Config LoadConfigWithOverrides(const std::string& path, const nlohmann::json& overrides) {
  if (overrides.empty()) return LoadConfig(path);
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw IoError(path + ": cannot read the config");
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ": not valid YAML: " + e.what());
  }
  for (const auto& [key, value] : overrides.items()) {
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
      const size_t dot = key.find('.', start);
      parts.push_back(key.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    // yaml-cpp's operator[] on a node returns a handle into the same tree, so walking with
    // reassigned handles edits `root`.
    std::vector<YAML::Node> chain = {root};
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      YAML::Node next = chain.back()[parts[i]];
      if (next.IsDefined() && !next.IsNull() && !next.IsMap()) {
        throw ConfigError(path + ": " + key + ": " + parts[i] + " is not a mapping");
      }
      if (!next.IsDefined() || next.IsNull())
        chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      chain.push_back(chain.back()[parts[i]]);
    }
    chain.back()[parts.back()] = YAML::Load(value.dump());
  }
  YAML::Emitter out;
  out << root;
  return ParseConfig(out.c_str(), path);
}

std::vector<SubmitTask> PlanTasks(SubmitMode mode, int64_t count, uint64_t base_seed,
                                  const std::vector<nlohmann::json>& sweep) {
  std::vector<SubmitTask> tasks;
  if (mode == SubmitMode::kFolds) {
    if (count < 2)
      throw ConfigError("--folds: needs at least 2 folds, got " + std::to_string(count));
    for (int64_t i = 0; i < count; ++i) tasks.push_back({i, nlohmann::json::object(), i});
  } else if (mode == SubmitMode::kSeeds) {
    if (count < 1)
      throw ConfigError("--seeds: needs at least 1 seed, got " + std::to_string(count));
    for (int64_t i = 0; i < count; ++i) {
      tasks.push_back({i, {{"train.seed", base_seed + static_cast<uint64_t>(i)}}, -1});
    }
  } else {
    if (sweep.empty()) throw ConfigError("--sweep: the sweep has no entries");
    for (size_t i = 0; i < sweep.size(); ++i) {
      tasks.push_back({static_cast<int64_t>(i), sweep[i], -1});
    }
  }
  return tasks;
}

nlohmann::json PlanToJson(const SubmitPlan& plan) {
  nlohmann::json tasks = nlohmann::json::array();
  for (const auto& t : plan.tasks) {
    nlohmann::json j = {{"index", t.index}, {"overrides", t.overrides}};
    if (t.fold >= 0) j["fold"] = t.fold;
    tasks.push_back(std::move(j));
  }
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& in : plan.inputs) inputs.push_back(InputFileToJson(in));
  return {{"format", kPlanFormat},
          {"id", plan.id},
          {"model", plan.model},
          {"config", plan.config_path},
          {"config_hash", plan.config_hash},
          {"mode", SubmitModeName(plan.mode)},
          {"folds", plan.folds},
          {"created", plan.created},
          {"tasks", tasks},
          {"inputs", inputs}};
}

void WritePlan(const SubmitPlan& plan) {
  WriteFileAtomically(plan.dir + "/plan.json", PlanToJson(plan).dump(2) + "\n");
}

SubmitPlan ReadPlan(const std::string& dir) {
  const std::string file = dir + "/plan.json";
  if (!std::filesystem::exists(file)) {
    throw IoError(file + ": no submission plan here (freshet submit writes it)");
  }
  const nlohmann::json j = cluster_files::ReadJson(file);
  if (j.value("format", "") != kPlanFormat) {
    throw ConfigError(file + ": format: expected \"" + std::string(kPlanFormat) + "\"");
  }
  SubmitPlan plan;
  try {
    plan.id = j.at("id").get<std::string>();
    plan.dir = std::filesystem::absolute(dir).lexically_normal().string();
    plan.config_path = j.at("config").get<std::string>();
    plan.config_hash = j.at("config_hash").get<std::string>();
    plan.model = j.at("model").get<std::string>();
    const std::string mode = j.at("mode").get<std::string>();
    plan.mode = mode == "folds"   ? SubmitMode::kFolds
                : mode == "seeds" ? SubmitMode::kSeeds
                                  : SubmitMode::kSweep;
    plan.folds = j.value("folds", int64_t{0});
    plan.created = j.value("created", "");
    for (const auto& t : j.at("tasks")) {
      plan.tasks.push_back(
          {t.at("index").get<int64_t>(), t.at("overrides"), t.value("fold", int64_t{-1})});
    }
    for (const auto& in : j.at("inputs")) plan.inputs.push_back(InputFileFromJson(in));
  } catch (const std::exception& e) {
    throw ConfigError(file + ": not a plan: " + e.what());
  }
  return plan;
}

void CheckPinnedInputs(const std::vector<InputFile>& inputs) {
  for (const auto& in : inputs) {
    struct stat st {};
    if (::stat(in.path.c_str(), &st) != 0) {
      throw IoError(in.path + ": gone since the submission (it was one of its pinned inputs)");
    }
    const int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    const int64_t ctime = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
    if (st.st_size == in.bytes && mtime == in.mtime_ns && ctime == in.ctime_ns &&
        static_cast<int64_t>(st.st_ino) == in.inode) {
      continue;
    }
    const std::string now = Sha256File(in.path);
    if (now != in.sha256) {
      throw DataError(in.path + ": changed since the submission (sha256 " + now + ", pinned " +
                      in.sha256 + "); submit again to train on it");
    }
  }
}

std::string TaskDir(const SubmitPlan& plan, int64_t index) {
  return plan.dir + "/tasks/" + std::to_string(index);
}

}  // namespace freshet
