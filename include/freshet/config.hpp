// The model's YAML config, parsed strictly and resolved: defaults filled in, relative paths made
// absolute against the config file's folder. The resolved config is what gets recorded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/io.hpp"

namespace freshet {

enum class Task { kBinary, kMulticlass, kRegression };

// One step of a column's feature pipeline, applied in config order.
struct FeatureOp {
  enum class Kind { kFill, kStandardize, kHash };
  enum class Fill { kMean, kMedian, kConstant };
  Kind kind = Kind::kFill;
  Fill fill = Fill::kMean;   // kFill
  double constant = 0.0;     // kFill with Fill::kConstant
  int64_t buckets = 0;       // kHash
  uint64_t seed = 0;         // kHash
};

struct FeatureSpec {
  std::string column;
  ColumnKind type = ColumnKind::kNumeric;
  std::vector<FeatureOp> ops;
};

struct DataConfig {
  std::string landing;           // absolute
  std::string pattern = "*.h5";
  std::string hdf5_group = "/";
  std::string label;
  int train_window = 7;          // partitions used for training
  int eval_window = 1;           // newest partitions held out for evaluation
};

struct ModelSpec {
  std::string kind = "mlp";      // linear | mlp
  std::vector<int64_t> hidden = {64, 32};
  double dropout = 0.0;
  int64_t embedding_dim = 8;     // per categorical feature (mlp)
};

struct TrainConfig {
  int epochs = 5;
  int64_t batch_size = 1024;
  double lr = 1e-3;
  double weight_decay = 0.0;
  std::string optimizer = "adamw";  // sgd | adam | adamw
  uint64_t seed = 42;
  bool warm_start = true;
  std::string device = "auto";      // auto | cpu | cuda | cuda:N
};

struct Config {
  std::string path;                 // the config file, absolute
  std::string model;
  Task task = Task::kBinary;
  DataConfig data;
  std::vector<FeatureSpec> features;
  ModelSpec model_spec;
  TrainConfig train;
  std::string registry;             // absolute; default "registry" beside the config

  // The columns to read from each partition: features in config order, then the label.
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
