// The model families: forward shapes, checkpoint names, architecture resolution and comparison.
#include "models/tabular_net.h"

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "io/test_util.h"
#include "models/arch.h"
#include "train/train_util.h"

namespace freshet {
namespace {

using testing::Arch;
using testing::MessageOf;

struct ShapeCase {
  std::string kind;
  int64_t outputs, dense;
  std::vector<int64_t> cards;
};

class ForwardShape : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(ForwardShape, IsRowsByOutputs) {
  const ShapeCase& c = GetParam();
  torch::manual_seed(1);
  ModelArch a =
      Arch(c.kind, c.outputs > 1 ? Task::kMulticlass : Task::kBinary, c.outputs, c.dense, c.cards);
  a.norm = "batch";
  a.dropout = 0.2;
  TabularNet net(a);
  for (int64_t rows : {1, 7}) {
    const torch::Tensor dense = torch::randn({rows, c.dense});
    torch::Tensor cats = torch::zeros({rows, static_cast<int64_t>(c.cards.size())}, torch::kInt64);
    net->eval();  // BatchNorm needs two rows to train; eval works on one
    const torch::Tensor out = net->forward(dense, cats);
    EXPECT_EQ(out.sizes(), (std::vector<int64_t>{rows, c.outputs})) << c.kind;
    EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
  }
  net->train();
  const torch::Tensor out =
      net->forward(torch::randn({5, c.dense}),
                   torch::ones({5, static_cast<int64_t>(c.cards.size())}, torch::kInt64));
  out.sum().backward();
  for (const auto& p : net->parameters()) EXPECT_TRUE(p.grad().defined());
}

INSTANTIATE_TEST_SUITE_P(
    Models, ForwardShape,
    ::testing::Values(ShapeCase{"linear", 1, 3, {5, 7}}, ShapeCase{"linear", 4, 3, {5}},
                      ShapeCase{"linear", 1, 0, {5}}, ShapeCase{"linear", 1, 2, {}},
                      ShapeCase{"mlp", 1, 3, {5, 7}}, ShapeCase{"mlp", 3, 0, {5}},
                      ShapeCase{"mlp", 1, 2, {}}, ShapeCase{"wide_deep", 1, 3, {5, 7}},
                      ShapeCase{"wide_deep", 5, 0, {9}}));

std::vector<std::string> Names(const TabularNet& net) {
  std::vector<std::string> names;
  for (const auto& [name, t] : StateDict(*net)) names.push_back(name + c10::str(t.sizes()));
  return names;
}

TEST(TabularNet, CheckpointNamesAreThoseOfThePyTorchTwin) {
  ModelArch a = Arch("mlp", Task::kBinary, 1, 2, {5});
  a.hidden = {4};
  a.norm = "layer";
  a.dropout = 0.1;
  EXPECT_EQ(Names(TabularNet(a)),
            (std::vector<std::string>{"embeddings.0.weight[5, 4]", "mlp.0.weight[4, 6]",
                                      "mlp.0.bias[4]", "mlp.1.weight[4]", "mlp.1.bias[4]",
                                      "out.weight[1, 4]", "out.bias[1]"}));
  a.norm = "batch";
  const auto batch = Names(TabularNet(a));
  EXPECT_NE(std::find(batch.begin(), batch.end(), "mlp.1.running_mean[4]"), batch.end());
  EXPECT_NE(std::find(batch.begin(), batch.end(), "mlp.1.num_batches_tracked[]"), batch.end());

  EXPECT_EQ(Names(TabularNet(Arch("linear", Task::kMulticlass, 3, 2, {5}))),
            (std::vector<std::string>{"embeddings.0.weight[5, 3]", "linear.weight[3, 2]",
                                      "linear.bias[3]"}));
  EXPECT_EQ(Names(TabularNet(Arch("linear", Task::kBinary, 1, 0, {5}))),
            (std::vector<std::string>{"bias[1]", "embeddings.0.weight[5, 1]"}));
  ModelArch wd = Arch("wide_deep", Task::kBinary, 1, 2, {5});
  wd.hidden = {4};
  EXPECT_EQ(Names(TabularNet(wd)),
            (std::vector<std::string>{"wide.embeddings.0.weight[5, 1]", "wide.linear.weight[1, 2]",
                                      "wide.linear.bias[1]", "deep.embeddings.0.weight[5, 4]",
                                      "deep.mlp.0.weight[4, 6]", "deep.mlp.0.bias[4]",
                                      "deep.out.weight[1, 4]", "deep.out.bias[1]"}));
}

TEST(TabularNet, LinearStartsAtZeroAndSumsItsParts) {
  TabularNet net(Arch("linear", Task::kBinary, 1, 2, {4}));
  torch::NoGradGuard g;
  const torch::Tensor dense = torch::tensor({{1.0f, 2.0f}});
  const torch::Tensor cats = torch::tensor({{3}}, torch::kInt64);
  net->named_parameters()["embeddings.0.weight"][3][0].fill_(0.5f);
  const float expect = (net->named_parameters()["linear.weight"].matmul(dense.t())).item<float>() +
                       net->named_parameters()["linear.bias"].item<float>() + 0.5f;
  EXPECT_FLOAT_EQ(net->forward(dense, cats).item<float>(), expect);
}

TEST(ModelArch, AutoEmbeddingDim) {
  EXPECT_EQ(AutoEmbeddingDim(2), 2);      // 1.6 * 2^0.56 = 2.36
  EXPECT_EQ(AutoEmbeddingDim(10), 6);     // 5.81
  EXPECT_EQ(AutoEmbeddingDim(1000), 64);  // 76.6, capped
  EXPECT_EQ(AutoEmbeddingDim(100000000), 64);
}

TEST(ModelArch, JsonRoundTripAndErrors) {
  ModelArch a = Arch("wide_deep", Task::kRegression, 1, 2, {5, 9});
  a.activation = "tanh";
  a.norm = "layer";
  a.dropout = 0.25;
  const ModelArch b = ModelArch::FromJson(a.ToJson(), "x");
  EXPECT_EQ(b.ToJson(), a.ToJson());
  nlohmann::json bad = a.ToJson();
  bad["format"] = "other/1";
  EXPECT_NE(MessageOf<IoError>([&] { ModelArch::FromJson(bad, "m.json"); }).find("m.json"),
            std::string::npos);
  bad = a.ToJson();
  bad.erase("hidden");
  EXPECT_NE(MessageOf<IoError>([&] { ModelArch::FromJson(bad, "m.json"); }).find("hidden"),
            std::string::npos);
  bad = a.ToJson();
  bad["dense_dim"] = 5;
  MessageOf<IoError>([&] { ModelArch::FromJson(bad, "m.json"); });
}

FeatureState TwoColumnState(int64_t country_buckets) {
  FeatureState s;
  NumericState x;
  x.column = "x";
  s.numeric = {x};
  CategoricalState country, plan;
  country.column = "country";
  country.buckets = country_buckets;
  plan.column = "plan";
  plan.buckets = 3;
  s.categorical = {country, plan};
  return s;
}

TEST(ModelArch, ResolveArchWidthsAndOverrides) {
  ModelSpec spec;
  spec.kind = "wide_deep";
  spec.embedding_dim = 0;  // auto
  spec.embedding_dims = {{"plan", 3}};
  const ModelArch a = ResolveArch(spec, Task::kMulticlass, 4, TwoColumnState(98), nullptr);
  EXPECT_EQ(a.outputs, 4);
  EXPECT_EQ(a.dense_names, std::vector<std::string>{"x"});
  ASSERT_EQ(a.categorical.size(), 2u);
  EXPECT_EQ(a.categorical[0].cardinality, 100);
  EXPECT_EQ(a.categorical[0].embedding_dim, AutoEmbeddingDim(100));
  EXPECT_EQ(a.categorical[1].embedding_dim, 3);
  // A grown vocabulary keeps the width the previous version chose.
  const ModelArch grown = ResolveArch(spec, Task::kMulticlass, 4, TwoColumnState(10000), &a);
  EXPECT_EQ(grown.categorical[0].cardinality, 10002);
  EXPECT_EQ(grown.categorical[0].embedding_dim, a.categorical[0].embedding_dim);
  EXPECT_EQ(WarmStartMismatch(a, grown), "");
  // A fixed width applies to every column without an override.
  spec.embedding_dim = 5;
  EXPECT_EQ(
      ResolveArch(spec, Task::kBinary, 0, TwoColumnState(8), nullptr).categorical[0].embedding_dim,
      5);

  spec.embedding_dims = {{"city", 3}};
  const std::string msg = MessageOf<ConfigError>(
      [&] { ResolveArch(spec, Task::kBinary, 0, TwoColumnState(8), nullptr); });
  EXPECT_EQ(msg.rfind("model_spec.embedding_dims.city: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("country, plan"), std::string::npos) << msg;
}

TEST(ModelArch, WarmStartMismatchNamesWhatChanged) {
  const ModelArch a = Arch("mlp", Task::kBinary, 1, 2, {5, 7});
  ModelArch b = a;
  b.categorical[1].cardinality = 9;
  EXPECT_EQ(WarmStartMismatch(a, b), "");
  b.dropout = 0.5;  // not a shape change
  EXPECT_EQ(WarmStartMismatch(a, b), "");
  b = a;
  b.categorical[1].cardinality = 6;
  EXPECT_NE(WarmStartMismatch(a, b).find("shrank"), std::string::npos);
  b = a;
  b.hidden = {32};
  EXPECT_NE(WarmStartMismatch(a, b).find("model_spec.hidden"), std::string::npos);
  b = a;
  b.kind = "wide_deep";
  EXPECT_NE(WarmStartMismatch(a, b).find("model_spec.kind: mlp → wide_deep"), std::string::npos);
  b = a;
  b.dense_names[0] = "z";
  EXPECT_NE(WarmStartMismatch(a, b).find("dense features"), std::string::npos);
  b = a;
  b.outputs = 3;
  b.task = Task::kMulticlass;
  EXPECT_NE(WarmStartMismatch(a, b), "");
  b = a;
  b.categorical[0].embedding_dim = 8;
  EXPECT_NE(WarmStartMismatch(a, b).find("embedding width"), std::string::npos);
}

}  // namespace
}  // namespace freshet
