// The `task:`, `model_spec:` and `train:` sections of the config.
#include "common/config_sections.h"
#include "freshet/error.hpp"

namespace freshet::config_detail {

Task ParseTask(Node t) {
  const std::string s = t.OneOf({"binary"});
  (void)s;
  return Task::kBinary;
}

void ParseModelSpec(Node m, ModelSpec* spec) {
  m.RequireMap();
  if (m.Has("kind")) spec->kind = m.Get("kind").OneOf({"linear", "mlp"});
  if (m.Has("hidden")) {
    spec->hidden.clear();
    for (Node h : m.Get("hidden").Items()) spec->hidden.push_back(h.Integer(1, 1 << 20));
  }
  if (m.Has("dropout")) {
    spec->dropout = m.Get("dropout").Number();
    if (spec->dropout < 0 || spec->dropout >= 1) {
      m.Child("dropout").Fail("expected a number in [0, 1)");
    }
  }
  if (m.Has("embedding_dim")) spec->embedding_dim = m.Get("embedding_dim").Integer(1, 4096);
  m.Finish();
}

void ParseTrain(Node t, TrainConfig* train) {
  t.RequireMap();
  if (t.Has("epochs")) train->epochs = static_cast<int>(t.Get("epochs").Integer(1, 100000));
  if (t.Has("batch_size")) train->batch_size = t.Get("batch_size").Integer(1, int64_t{1} << 30);
  if (t.Has("lr")) {
    train->lr = t.Get("lr").Number();
    if (!(train->lr > 0)) t.Child("lr").Fail("expected a positive number");
  }
  if (t.Has("weight_decay")) train->weight_decay = t.Get("weight_decay").Number();
  if (t.Has("optimizer")) train->optimizer = t.Get("optimizer").OneOf({"sgd", "adam", "adamw"});
  if (t.Has("seed")) train->seed = t.Get("seed").Integer(0, INT64_MAX);
  if (t.Has("warm_start")) train->warm_start = t.Get("warm_start").Bool();
  if (t.Has("device")) train->device = t.Get("device").String();
  t.Finish();
}

nlohmann::json ModelSpecToJson(const ModelSpec& m) {
  return {{"kind", m.kind},
          {"hidden", m.hidden},
          {"dropout", m.dropout},
          {"embedding_dim", m.embedding_dim}};
}

nlohmann::json TrainToJson(const TrainConfig& t) {
  return {{"epochs", t.epochs},
          {"batch_size", t.batch_size},
          {"lr", t.lr},
          {"weight_decay", t.weight_decay},
          {"optimizer", t.optimizer},
          {"seed", t.seed},
          {"warm_start", t.warm_start},
          {"device", t.device}};
}

}  // namespace freshet::config_detail
