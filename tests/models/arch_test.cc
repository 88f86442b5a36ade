// The architecture description: model.json's layout and round trip, what FromJson refuses, what
// ResolveArch and LinearArch build for each model kind, and every change WarmStartMismatch names.
#include "models/arch.h"

#include <gtest/gtest.h>

#include <functional>

#include "freshet/error.hpp"
#include "io/test_util.h"
#include "models/tabular_net.h"
#include "train/train_util.h"

namespace freshet {
namespace {

using nlohmann::json;
using testing::Arch;
using testing::MessageOf;

TEST(ModelArch, ToJsonWritesTheDocumentedKeys) {
  ModelArch a = Arch("mlp", Task::kMulticlass, 3, 2, {5});
  a.hidden = {8};
  a.norm = "layer";
  a.dropout = 0.5;
  EXPECT_EQ(a.ToJson(), json::parse(R"({
    "format": "freshet.model/1", "kind": "mlp", "task": "multiclass", "outputs": 3,
    "dense_dim": 2, "dense_names": ["x0", "x1"],
    "categorical": [{"name": "c0", "cardinality": 5, "embedding_dim": 4}],
    "hidden": [8], "activation": "relu", "norm": "layer", "dropout": 0.5})"));
}

TEST(ModelArch, RoundTripsEveryKindAndTask) {
  for (const char* kind : {"linear", "mlp", "wide_deep"}) {
    for (Task task : {Task::kBinary, Task::kMulticlass, Task::kRegression}) {
      for (int64_t dense : {0, 3}) {
        const int64_t outputs = task == Task::kMulticlass ? 4 : 1;
        ModelArch a = Arch(kind, task, outputs, dense,
                           dense ? std::vector<int64_t>{} : std::vector<int64_t>{7, 2});
        a.activation = "gelu";
        a.dropout = 0.125;
        const ModelArch b = ModelArch::FromJson(json::parse(a.ToJson().dump()), "m.json");
        EXPECT_EQ(b.kind, a.kind);
        EXPECT_EQ(b.task, task);
        EXPECT_EQ(b.outputs, outputs);
        EXPECT_EQ(b.dense_dim, dense);
        EXPECT_EQ(b.dense_names, a.dense_names);
        ASSERT_EQ(b.categorical.size(), a.categorical.size());
        for (size_t k = 0; k < a.categorical.size(); ++k) {
          EXPECT_EQ(b.categorical[k].name, a.categorical[k].name);
          EXPECT_EQ(b.categorical[k].cardinality, a.categorical[k].cardinality);
          EXPECT_EQ(b.categorical[k].embedding_dim, a.categorical[k].embedding_dim);
        }
        EXPECT_EQ(b.hidden, a.hidden);
        EXPECT_EQ(b.activation, "gelu");
        EXPECT_EQ(b.norm, "none");
        EXPECT_DOUBLE_EQ(b.dropout, 0.125);
      }
    }
  }
}

struct BadCase {
  std::function<void(json&)> edit;
  std::string fragment;
};

TEST(ModelArch, FromJsonRefusesWhatItCannotBuildNamingTheSource) {
  const json good = Arch("wide_deep", Task::kBinary, 1, 2, {5}).ToJson();
  const std::vector<BadCase> cases = {
      {[](json& j) { j.erase("format"); }, "not a freshet model description"},
      {[](json& j) { j["format"] = "freshet.model/3"; }, "\"freshet.model/3\""},
      {[](json& j) { j["format"] = "freshet.model/2"; }, "label_scaler"},
      {[](json& j) { j["kind"] = "tree"; }, "unknown model kind \"tree\""},
      {[](json& j) { j["task"] = "ranking"; }, "unknown task \"ranking\""},
      {[](json& j) { j["outputs"] = 0; }, "sizes out of range"},
      {[](json& j) { j["outputs"] = "one"; }, "not a valid model description"},
      {[](json& j) { j["dense_dim"] = 3; }, "sizes out of range"},
      {[](json& j) { j["dense_dim"] = -1; }, "sizes out of range"},
      {[](json& j) { j["categorical"][0]["cardinality"] = 0; }, "sizes out of range"},
      {[](json& j) { j["categorical"][0]["embedding_dim"] = 0; }, "sizes out of range"},
      {[](json& j) { j["categorical"][0].erase("name"); }, "name"},
      {[](json& j) {
         j["hidden"] = {16, 0};
       },
       "sizes out of range"},
      {[](json& j) { j.erase("dropout"); }, "dropout"},
      {[](json& j) {
         j = json::array({1, 2});
       },
       "not a"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    json j = good;
    cases[i].edit(j);
    std::string msg;
    try {
      ModelArch::FromJson(j, "v3/model.json");
      ADD_FAILURE() << "case " << i << " was accepted: " << j.dump();
    } catch (const ArtifactError& e) {
      msg = e.what();
      EXPECT_EQ(e.kind(), ErrorKind::kIo) << i;
    }
    EXPECT_EQ(msg.rfind("v3/model.json: ", 0), 0u) << i << ": " << msg;
    EXPECT_NE(msg.find(cases[i].fragment), std::string::npos) << i << ": " << msg;
  }
}

// An unknown activation or norm (say from a newer freshet) is another network than TabularNet would
// build: refused as a model.json this build does not understand.
TEST(ModelArch, FromJsonRefusesAnUnknownActivationOrNorm) {
  json j = Arch("mlp", Task::kBinary, 1, 2, {5}).ToJson();
  j["activation"] = "silu";
  EXPECT_THROW(ModelArch::FromJson(j, "m.json"), IoError);
  j["activation"] = "relu";
  j["norm"] = "group";
  EXPECT_THROW(ModelArch::FromJson(j, "m.json"), IoError);
}

FeatureState State() {
  FeatureState s;
  NumericState age, income;
  age.column = "age";
  age.indicator = true;
  income.column = "income";
  s.numeric = {age, income};
  CategoricalState country, plan;
  country.column = "country";
  country.buckets = 10;  // 12 rows
  plan.column = "plan";
  plan.encoding = "vocab";
  plan.vocab = {"free", "pro", "team"};  // 5 rows
  s.categorical = {country, plan};
  return s;
}

TEST(ResolveArch, EachKindGetsItsLayersAndTheShapesFollow) {
  ModelSpec spec;
  spec.hidden = {6, 4};
  spec.activation = "tanh";
  spec.norm = "batch";
  spec.dropout = 0.1;
  spec.embedding_dim = 3;
  for (const char* kind : {"linear", "mlp", "wide_deep"}) {
    for (Task task : {Task::kBinary, Task::kMulticlass, Task::kRegression}) {
      spec.kind = kind;
      const ModelArch a = ResolveArch(spec, task, 5, State(), nullptr);
      const int64_t outputs = task == Task::kMulticlass ? 5 : 1;
      EXPECT_EQ(a.kind, kind);
      EXPECT_EQ(a.task, task);
      EXPECT_EQ(a.outputs, outputs) << kind;
      EXPECT_EQ(a.dense_names, (std::vector<std::string>{"age", "age_missing", "income"}));
      EXPECT_EQ(a.dense_dim, 3);
      ASSERT_EQ(a.categorical.size(), 2u);
      EXPECT_EQ(a.categorical[0].name, "country");
      EXPECT_EQ(a.categorical[0].cardinality, 12);
      EXPECT_EQ(a.categorical[1].cardinality, 5);
      EXPECT_EQ(a.categorical[1].embedding_dim, 3);
      const bool linear = std::string(kind) == "linear";
      EXPECT_EQ(a.hidden, linear ? std::vector<int64_t>{} : spec.hidden) << kind;
      EXPECT_EQ(a.activation, linear ? "relu" : "tanh") << kind;
      EXPECT_EQ(a.norm, linear ? "none" : "batch") << kind;
      EXPECT_DOUBLE_EQ(a.dropout, linear ? 0.0 : 0.1) << kind;

      torch::manual_seed(3);
      TabularNet net(a);
      net->eval();
      auto params = net->named_parameters();
      const std::string deep = std::string(kind) == "wide_deep" ? "deep." : "";
      const std::string wide = std::string(kind) == "wide_deep" ? "wide." : "";
      if (!linear) {
        EXPECT_EQ(params[deep + "embeddings.0.weight"].sizes(), (std::vector<int64_t>{12, 3}));
        EXPECT_EQ(params[deep + "mlp.0.weight"].sizes(), (std::vector<int64_t>{6, 3 + 3 + 3}));
        EXPECT_EQ(params[deep + "out.weight"].sizes(), (std::vector<int64_t>{outputs, 4}));
      }
      if (std::string(kind) != "mlp") {
        EXPECT_EQ(params[wide + "embeddings.1.weight"].sizes(), (std::vector<int64_t>{5, outputs}));
        EXPECT_EQ(params[wide + "linear.weight"].sizes(), (std::vector<int64_t>{outputs, 3}));
      }
      const torch::Tensor cats = torch::stack(
          {torch::randint(0, 12, {9}, torch::kInt64), torch::randint(0, 5, {9}, torch::kInt64)}, 1);
      torch::NoGradGuard g;
      EXPECT_EQ(net->forward(torch::randn({9, 3}), cats).sizes(),
                (std::vector<int64_t>{9, outputs}));
    }
  }
}

TEST(LinearArch, KeepsFeaturesAndOutputsDropsLayers) {
  ModelArch main = Arch("wide_deep", Task::kMulticlass, 4, 2, {5, 9});
  main.activation = "gelu";
  main.norm = "layer";
  main.dropout = 0.3;
  const ModelArch l = LinearArch(main);
  EXPECT_EQ(l.kind, "linear");
  EXPECT_EQ(l.task, Task::kMulticlass);
  EXPECT_EQ(l.outputs, 4);
  EXPECT_EQ(l.dense_names, main.dense_names);
  EXPECT_EQ(l.categorical.size(), 2u);
  EXPECT_EQ(l.categorical[1].cardinality, 9);
  EXPECT_TRUE(l.hidden.empty());
  EXPECT_EQ(l.activation, "relu");
  EXPECT_EQ(l.norm, "none");
  EXPECT_DOUBLE_EQ(l.dropout, 0.0);
  EXPECT_EQ(main.kind, "wide_deep");  // the main architecture is left alone
  EXPECT_EQ(ModelArch::FromJson(l.ToJson(), "x").ToJson(), l.ToJson());
}

TEST(WarmStartMismatch, NamesEachChange) {
  const ModelArch a = Arch("mlp", Task::kBinary, 1, 2, {5, 7});
  const auto changed = [&](const std::function<void(ModelArch&)>& edit) {
    ModelArch b = a;
    edit(b);
    return WarmStartMismatch(a, b);
  };
  EXPECT_EQ(changed([](ModelArch&) {}), "");
  EXPECT_EQ(changed([](ModelArch& b) { b.task = Task::kRegression; }), "task: binary → regression");
  EXPECT_EQ(changed([](ModelArch& b) { b.outputs = 3; }), "outputs (classes): 1 → 3");
  EXPECT_EQ(changed([](ModelArch& b) { b.categorical.pop_back(); }), "categorical features: 2 → 1");
  EXPECT_EQ(changed([](ModelArch& b) { b.categorical[1].name = "z"; }),
            "categorical feature 1: c1 → z");
  EXPECT_EQ(changed([](ModelArch& b) { b.categorical[0].cardinality = 4; }),
            "categorical feature c0: its table shrank from 5 to 4 rows");
  EXPECT_EQ(changed([](ModelArch& b) { b.hidden = {16}; }), "model_spec.hidden: [16,8] → [16]");
  EXPECT_EQ(changed([](ModelArch& b) { b.activation = "gelu"; }),
            "model_spec.activation: relu → gelu");
  EXPECT_EQ(changed([](ModelArch& b) { b.norm = "batch"; }), "model_spec.norm: none → batch");
  // A linear model has no deep embeddings: their width may change.
  const ModelArch l = LinearArch(a);
  ModelArch l2 = l;
  l2.categorical[0].embedding_dim = 12;
  l2.categorical[1].cardinality = 70;
  EXPECT_EQ(WarmStartMismatch(l, l2), "");
}

}  // namespace
}  // namespace freshet
