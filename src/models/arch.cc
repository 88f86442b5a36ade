#include "models/arch.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <map>

#include "freshet/config.hpp"
#include "freshet/error.hpp"

namespace freshet {
namespace {

using nlohmann::json;

Task TaskFromName(const std::string& s, const std::string& source) {
  if (s == "binary") return Task::kBinary;
  if (s == "multiclass") return Task::kMulticlass;
  if (s == "regression") return Task::kRegression;
  throw ArtifactError(source + ": unknown task \"" + s + "\"");
}

std::string List(const std::vector<int64_t>& v) { return json(v).dump(); }

}  // namespace

json ModelArch::ToJson() const {
  json cats = json::array();
  for (const auto& c : categorical) {
    cats.push_back(
        {{"name", c.name}, {"cardinality", c.cardinality}, {"embedding_dim", c.embedding_dim}});
  }
  json j = {{"format", "freshet.model/1"}, {"kind", kind},
            {"task", TaskName(task)},      {"outputs", outputs},
            {"dense_dim", dense_dim},      {"dense_names", dense_names},
            {"categorical", cats},         {"hidden", hidden},
            {"activation", activation},    {"norm", norm},
            {"dropout", dropout}};
  if (has_label_scaler()) {
    j["format"] = "freshet.model/2";
    j["label_scaler"] = {{"mean", label_mean}, {"std", label_std}};
  }
  return j;
}

ModelArch ModelArch::FromJson(const json& j, const std::string& source) {
  ModelArch a;
  try {
    const std::string format = j.value("format", "");
    if (format != "freshet.model/1" && format != "freshet.model/2") {
      throw ArtifactError(source + ": not a freshet model description (format \"" + format +
                          "\", expected \"freshet.model/1\" or \"freshet.model/2\")");
    }
    if (format == "freshet.model/2") {
      const json& ls = j.at("label_scaler");
      a.label_mean = ls.at("mean").get<double>();
      a.label_std = ls.at("std").get<double>();
    }
    a.kind = j.at("kind").get<std::string>();
    if (a.kind != "linear" && a.kind != "mlp" && a.kind != "wide_deep") {
      throw ArtifactError(source + ": unknown model kind \"" + a.kind + "\"");
    }
    a.task = TaskFromName(j.at("task").get<std::string>(), source);
    a.outputs = j.at("outputs").get<int64_t>();
    a.dense_dim = j.at("dense_dim").get<int64_t>();
    a.dense_names = j.at("dense_names").get<std::vector<std::string>>();
    for (const auto& c : j.at("categorical")) {
      a.categorical.push_back({c.at("name").get<std::string>(), c.at("cardinality").get<int64_t>(),
                               c.at("embedding_dim").get<int64_t>()});
    }
    a.hidden = j.at("hidden").get<std::vector<int64_t>>();
    a.activation = j.at("activation").get<std::string>();
    a.norm = j.at("norm").get<std::string>();
    a.dropout = j.at("dropout").get<double>();
  } catch (const json::exception& e) {
    throw ArtifactError(source + ": not a valid model description: " + e.what());
  }
  bool ok = a.outputs >= 1 && a.dense_dim >= 0 &&
            a.dense_names.size() == static_cast<size_t>(a.dense_dim);
  for (const auto& c : a.categorical) ok = ok && c.cardinality >= 1 && c.embedding_dim >= 1;
  for (int64_t h : a.hidden) ok = ok && h >= 1;
  ok = ok && std::isfinite(a.label_mean) && std::isfinite(a.label_std) && a.label_std > 0 &&
       (a.task == Task::kRegression || !a.has_label_scaler());
  if (!ok) throw ArtifactError(source + ": not a valid model description: sizes out of range");
  // What TabularNet builds (and config_model.cc accepts); anything else is another network.
  const auto known = [](const std::string& v, std::initializer_list<const char*> names) {
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return v == n; });
  };
  if (!known(a.activation, {"relu", "gelu", "tanh"})) {
    throw ArtifactError(source + ": not a valid model description: unknown activation \"" +
                        a.activation + "\"");
  }
  if (!known(a.norm, {"none", "layer", "batch"})) {
    throw ArtifactError(source + ": not a valid model description: unknown norm \"" + a.norm +
                        "\"");
  }
  return a;
}

int64_t AutoEmbeddingDim(int64_t cardinality) {
  const double d = std::round(1.6 * std::pow(static_cast<double>(cardinality), 0.56));
  return std::clamp<int64_t>(static_cast<int64_t>(d), 1, 64);
}

ModelArch ResolveArch(const ModelSpec& spec, Task task, int64_t num_classes,
                      const FeatureState& state, const ModelArch* previous) {
  ModelArch a;
  a.kind = spec.kind;
  a.task = task;
  a.outputs = task == Task::kMulticlass ? num_classes : 1;
  a.dense_names = state.dense_names();
  a.dense_dim = static_cast<int64_t>(a.dense_names.size());
  a.hidden = spec.hidden;
  a.activation = spec.activation;
  a.norm = spec.norm;
  a.dropout = spec.dropout;
  const auto names = state.categorical_names();
  const auto cards = state.cardinalities();
  FRESHET_CHECK(names.size() == cards.size(), "feature state names and cardinalities differ");
  std::map<std::string, int64_t> inherited;
  if (previous) {
    for (const auto& c : previous->categorical) inherited[c.name] = c.embedding_dim;
  }
  for (size_t k = 0; k < names.size(); ++k) {
    CategoricalArch c{names[k], cards[k], spec.embedding_dim};
    if (auto it = spec.embedding_dims.find(names[k]); it != spec.embedding_dims.end()) {
      c.embedding_dim = it->second;
    } else if (spec.embedding_dim == 0) {
      auto prev = inherited.find(names[k]);
      c.embedding_dim = prev != inherited.end() ? prev->second : AutoEmbeddingDim(cards[k]);
    }
    a.categorical.push_back(c);
  }
  for (const auto& [name, dim] : spec.embedding_dims) {
    (void)dim;
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      throw ConfigError("model_spec.embedding_dims." + name +
                        ": no categorical feature output has this name (outputs: " +
                        (known.empty() ? "none" : known) + ")");
    }
  }
  if (a.kind == "linear") {
    a.hidden.clear();
    a.activation = "relu";
    a.norm = "none";
    a.dropout = 0.0;
  }
  return a;
}

ModelArch LinearArch(const ModelArch& main) {
  ModelArch a = main;
  a.kind = "linear";
  a.hidden.clear();
  a.activation = "relu";
  a.norm = "none";
  a.dropout = 0.0;
  return a;
}

std::string WarmStartMismatch(const ModelArch& prev, const ModelArch& next) {
  if (prev.kind != next.kind) return "model_spec.kind: " + prev.kind + " → " + next.kind;
  if (prev.task != next.task) {
    return std::string("task: ") + TaskName(prev.task) + " → " + TaskName(next.task);
  }
  if (prev.outputs != next.outputs) {
    return "outputs (classes): " + std::to_string(prev.outputs) + " → " +
           std::to_string(next.outputs);
  }
  if (prev.dense_names != next.dense_names) {
    return "dense features: " + json(prev.dense_names).dump() + " → " +
           json(next.dense_names).dump();
  }
  if (prev.categorical.size() != next.categorical.size()) {
    return "categorical features: " + std::to_string(prev.categorical.size()) + " → " +
           std::to_string(next.categorical.size());
  }
  for (size_t k = 0; k < prev.categorical.size(); ++k) {
    const auto& p = prev.categorical[k];
    const auto& n = next.categorical[k];
    if (p.name != n.name)
      return "categorical feature " + std::to_string(k) + ": " + p.name + " → " + n.name;
    if (n.cardinality < p.cardinality) {
      return "categorical feature " + n.name + ": its table shrank from " +
             std::to_string(p.cardinality) + " to " + std::to_string(n.cardinality) + " rows";
    }
    if (next.kind != "linear" && p.embedding_dim != n.embedding_dim) {
      return "model_spec embedding width of " + n.name + ": " + std::to_string(p.embedding_dim) +
             " → " + std::to_string(n.embedding_dim);
    }
  }
  if (prev.hidden != next.hidden) {
    return "model_spec.hidden: " + List(prev.hidden) + " → " + List(next.hidden);
  }
  if (prev.activation != next.activation) {
    return "model_spec.activation: " + prev.activation + " → " + next.activation;
  }
  if (prev.norm != next.norm) return "model_spec.norm: " + prev.norm + " → " + next.norm;
  return "";
}

}  // namespace freshet
