// Shared helpers of the model and trainer tests: small learnable synthetic data sets, as feature
// tensors (for sessions) and as tables with a config (for TrainModel and PredictVersion).
#pragma once

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "freshet/config.hpp"
#include "freshet/table.hpp"
#include "models/arch.h"
#include "train/data.h"
#include "train/session.h"

namespace freshet {
namespace testing {

// An architecture over `dense` dense features and categorical outputs of `cards` rows.
inline ModelArch Arch(const std::string& kind, Task task, int64_t outputs, int64_t dense,
                      const std::vector<int64_t>& cards) {
  ModelArch a;
  a.kind = kind;
  a.task = task;
  a.outputs = outputs;
  a.dense_dim = dense;
  for (int64_t j = 0; j < dense; ++j) a.dense_names.push_back("x" + std::to_string(j));
  for (size_t k = 0; k < cards.size(); ++k) {
    a.categorical.push_back({"c" + std::to_string(k), cards[k], 4});
  }
  if (kind != "linear") a.hidden = {16, 8};
  return a;
}

// A learnable task over 3 dense features and 2 categorical columns (cardinality 6: indices 2..5):
// binary labels from a logistic model, 3 classes from the argmax of three linear scores,
// regression values from a linear model plus noise. Seeded; resident on the CPU.
inline FeatureStore MakeStore(Task task, int64_t n, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  FeatureStore s;
  s.dense = torch::randn({n, 3}, gen, torch::kFloat32);
  s.cats = torch::randint(2, 6, {n, 2}, gen, torch::kInt64);
  const torch::Tensor cat_effect = (s.cats.select(1, 0).to(torch::kFloat32) - 3.5f) * 0.8f;
  const torch::Tensor w = torch::tensor({1.5f, -2.0f, 1.0f});
  const torch::Tensor z = s.dense.matmul(w) + cat_effect;
  switch (task) {
    case Task::kBinary:
      s.labels = (z + 0.3f * torch::randn({n}, gen, torch::kFloat32) > 0).to(torch::kFloat32);
      break;
    case Task::kMulticlass: {
      const torch::Tensor scores =
          torch::stack({z, s.dense.select(1, 2) * 2.0f, -z - s.dense.select(1, 2)}, 1);
      s.labels = scores.argmax(1).to(torch::kFloat32);
      break;
    }
    case Task::kRegression:
      s.labels = z + 0.1f * torch::randn({n}, gen, torch::kFloat32);
      break;
  }
  return s;
}

inline SessionOptions Options(Task task, int epochs = 5) {
  SessionOptions o;
  o.train.epochs = epochs;
  o.train.batch_size = 64;
  o.train.early_stopping.patience = 0;  // as a config with a fixed epoch count parses
  o.train.validation_fraction = 0;
  o.train.lr = 0.01;
  o.train.seed = 7;
  o.loss = ResolvedLoss(o.train, task);
  return o;
}

inline int64_t Outputs(Task task) { return task == Task::kMulticlass ? 3 : 1; }

// Whether two modules hold exactly the same parameters and buffers.
inline bool SameWeights(TabularNet& a, TabularNet& b) {
  const auto sa = StateDict(*a), sb = StateDict(*b);
  if (sa.size() != sb.size()) return false;
  for (size_t i = 0; i < sa.size(); ++i) {
    if (sa[i].first != sb[i].first || !torch::equal(sa[i].second, sb[i].second)) return false;
  }
  return true;
}

inline Column NumericColumn(const std::string& name, const std::vector<double>& v) {
  Column c;
  c.name = name;
  c.dtype = DType::kF64;
  c.rows = static_cast<int64_t>(v.size());
  c.data.resize(v.size() * sizeof(double));
  std::memcpy(c.data.data(), v.data(), c.data.size());
  return c;
}

inline Column StringColumn(const std::string& name, const std::vector<std::string>& v) {
  Column c;
  c.name = name;
  c.dtype = DType::kString;
  c.rows = static_cast<int64_t>(v.size());
  c.offsets.push_back(0);
  for (const auto& s : v) {
    c.bytes.insert(c.bytes.end(), s.begin(), s.end());
    c.offsets.push_back(static_cast<int64_t>(c.bytes.size()));
  }
  return c;
}

// A table with numeric x0, x1, a categorical "city" of `cities` categories (c0, c1, ...), a
// non-negative weight column "w" and a label "y" learnable for `task`.
inline Table MakeTable(Task task, int64_t n, uint64_t seed, int cities = 4) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const torch::Tensor x = torch::randn({n, 2}, gen, torch::kFloat64).contiguous();
  const torch::Tensor city = torch::randint(0, cities, {n}, gen, torch::kInt64);
  std::vector<double> x0(n), x1(n), w(n), y(n);
  std::vector<std::string> names(n);
  for (int64_t i = 0; i < n; ++i) {
    x0[i] = x[i][0].item<double>();
    x1[i] = x[i][1].item<double>();
    const int64_t c = city[i].item<int64_t>();
    names[i] = "c" + std::to_string(c);
    const double z = 2 * x0[i] - 1.5 * x1[i] + (c % 2 ? 1.0 : -1.0);
    w[i] = 1.0 + static_cast<double>(i % 3);
    y[i] = task == Task::kBinary       ? (z > 0 ? 1.0 : 0.0)
           : task == Task::kMulticlass ? (z < -1  ? 0.0
                                          : z < 1 ? 1.0
                                                  : 2.0)
                                       : z;
  }
  Table t;
  t.columns = {NumericColumn("x0", x0), NumericColumn("x1", x1), StringColumn("city", names),
               NumericColumn("w", w), NumericColumn("y", y)};
  return t;
}

// A config for MakeTable's columns: x0 and x1 standardised, city through a vocabulary.
inline Config MakeConfig(Task task, const std::string& kind) {
  Config c;
  c.path = "/tmp/freshet-test.yaml";
  c.model = "m";
  c.task = task;
  c.data.label = "y";
  FeatureOp standardize;
  standardize.kind = FeatureOp::Kind::kStandardize;
  FeatureOp vocab;
  vocab.kind = FeatureOp::Kind::kVocab;
  FeatureSpec f0, f1, city;
  f0.column = "x0";
  f0.ops = {standardize};
  f1.column = "x1";
  f1.ops = {standardize};
  city.column = "city";
  city.type = ColumnKind::kCategorical;
  city.ops = {vocab};
  c.features = {f0, f1, city};
  c.model_spec.kind = kind;
  c.model_spec.embedding_dim = kind == "wide_deep" ? 0 : 8;  // auto widths for wide_deep
  c.model_spec.hidden = {16};
  c.train.epochs = 4;
  c.train.batch_size = 64;
  c.train.early_stopping.patience = 0;
  c.train.validation_fraction = 0;
  c.train.lr = 0.02;
  c.train.device = "cpu";
  return c;
}

}  // namespace testing
}  // namespace freshet
