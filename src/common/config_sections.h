// Parsers of the config's sections, one file each, shared by src/common/config.cc. Each takes the
// section's node and throws ConfigError naming the key path.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/yaml_node.h"
#include "freshet/config.hpp"

namespace freshet::config_detail {

// config_features.cc
std::vector<FeatureSpec> ParseFeatures(Node features, const std::string& label);
nlohmann::json FeaturesToJson(const std::vector<FeatureSpec>& specs);

// config_model.cc
Task ParseTask(Node task);
void ParseModelSpec(Node model_spec, ModelSpec* spec);
void ParseTrain(Node train, TrainConfig* train_config);
nlohmann::json ModelSpecToJson(const ModelSpec& spec);
nlohmann::json TrainToJson(const TrainConfig& train);
void ParsePredict(Node predict, PredictConfig* predict_config);
nlohmann::json PredictToJson(const PredictConfig& predict);

// config_validate.cc
void ParseValidate(Node validate, ValidateConfig* validate_config);
nlohmann::json ValidateToJson(const ValidateConfig& validate);

// config_eval.cc. `base` is the config file's folder (set files resolve against it).
// ResolveEvaluation fills in the defaults that depend on the task (the primary metric and set)
// and checks product metrics and slices, throwing ConfigError naming the key path.
void ParseEvaluation(Node evaluation, const std::string& base, EvaluationConfig* out);
void ResolveEvaluation(Config* config);
std::vector<std::string> EvaluationColumns(const EvaluationConfig& evaluation);
nlohmann::json EvaluationToJson(const EvaluationConfig& evaluation);

// config_gate.cc. ResolveGate (after ResolveEvaluation) fills in the default rules and checks
// every rule against the evaluation (metric, set, bootstrap), throwing ConfigError naming the key.
void ParseGate(Node gate, GateConfig* out);
void ResolveGate(Config* config);
nlohmann::json GateToJson(const GateConfig& gate);

// config_online.cc. ResolveOnline adds the default detector and checks the section against the
// task and features (`has_section`: the config has an `online:` section).
void ParseOnline(Node online, OnlineConfig* out);
void ResolveOnline(Config* config, bool has_section);
nlohmann::json OnlineToJson(const OnlineConfig& online);

}  // namespace freshet::config_detail
