// The model's YAML config, parsed strictly and resolved: defaults filled in, relative paths made
// absolute against the config file's folder. The resolved config is what gets recorded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/eval_spec.hpp"
#include "freshet/feature_spec.hpp"
#include "freshet/io.hpp"
#include "freshet/model_spec.hpp"
#include "freshet/online_spec.hpp"
#include "freshet/validate_spec.hpp"

namespace freshet {

struct DataConfig {
  std::string landing;  // absolute
  std::string pattern = "*.h5";
  std::string hdf5_group = "/";
  std::string label;
  int train_window = 7;  // partitions used for training
  int eval_window = 1;   // newest partitions held out for evaluation
};

struct Config {
  std::string path;  // the config file, absolute
  std::string model;
  Task task = Task::kBinary;
  DataConfig data;
  std::vector<FeatureSpec> features;
  ModelSpec model_spec;
  TrainConfig train;
  PredictConfig predict;
  ValidateConfig validate;
  EvaluationConfig evaluation;
  GateConfig gate;
  OnlineConfig online;
  std::string registry;  // absolute; default "registry" beside the config

  // The columns to read from each partition: features in config order, the weight column, the
  // evaluation's columns (slices, payoffs, product-metric weights) that are not features, then
  // the label.
  std::vector<ColumnRequest> Columns() const;
};

// Parses a config file. Throws ConfigError whose message starts with the file and the key path
// (`configs/x.yaml: train.lr: expected a number, got "fast"`) for an unreadable file, invalid
// YAML, an unknown key, a missing required key (model, data.landing, data.label, features) or a
// value of the wrong type or out of range.
Config LoadConfig(const std::string& path);

// Parses config text as if it were the file `path` (relative paths resolve against its folder).
Config ParseConfig(const std::string& text, const std::string& path);

// The resolved config, every key present, as JSON (recorded in the manifest) and its SHA-256.
nlohmann::json ConfigToJson(const Config& config);
std::string ConfigHash(const Config& config);

const char* TaskName(Task task);

}  // namespace freshet
