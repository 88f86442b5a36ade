// TrainModel and PredictVersion on tables: every task from a config, the fallback, warm start with
// a grown vocabulary, the streamed path, label and weight checks, and the prediction guards.
#include "freshet/trainer.hpp"

#include <filesystem>
#include <optional>

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "freshet/metrics.hpp"
#include "io/test_util.h"
#include "train/checkpoint.h"
#include "train/train_util.h"

namespace freshet {
namespace {

namespace fs = std::filesystem;
using testing::MakeConfig;
using testing::MakeTable;
using testing::MessageOf;
using testing::TempDir;

struct Trained {
  FeatureState state;
  TrainOutcome out;
};

Trained Train(const Config& c, const Table& train, const Table& eval, const std::string& out_dir,
              const FeatureState* previous = nullptr,
              std::optional<std::string> warm_from = std::nullopt) {
  fs::create_directories(out_dir);
  Trained r;
  r.state = FitFeatures(train, c.features, previous);
  TrainOptions o;
  FolderArtifacts out(out_dir);
  o.out = &out;
  std::optional<FolderArtifacts> from;
  if (warm_from) o.warm_start = &from.emplace(*warm_from);
  r.out = TrainModel(c, r.state, train, eval, Device{}, o);
  return r;
}

TEST(TrainModel, BinaryWritesMainAndFallbackArtifacts) {
  TempDir dir;
  const Config c = MakeConfig(Task::kBinary, "mlp");
  const Trained r =
      Train(c, MakeTable(Task::kBinary, 1500, 1), MakeTable(Task::kBinary, 500, 2), dir / "v1");
  for (const char* f : {"model.pt", "model.safetensors", "model.json", "model.fallback.pt",
                        "model.fallback.safetensors", "model.fallback.json"}) {
    EXPECT_TRUE(fs::exists(dir / ("v1/" + std::string(f)))) << f;
  }
  ASSERT_TRUE(r.out.fallback);
  EXPECT_EQ(r.out.main.kind, "mlp");
  EXPECT_EQ(r.out.fallback->kind, "linear");
  EXPECT_EQ(r.out.main.eval_predictions.size(), 500u);
  EXPECT_GT(RocAuc(r.out.main.eval_predictions, r.out.eval_labels), 0.9);
  EXPECT_GT(RocAuc(r.out.fallback->eval_predictions, r.out.eval_labels), 0.9);
  EXPECT_EQ(r.out.precision, "fp32");
  EXPECT_TRUE(r.out.resident);
  EXPECT_EQ(ReadModelJson(dir / "v1/model.fallback.json").kind, "linear");
}

TEST(TrainModel, MulticlassInfersAndChecksTheClasses) {
  TempDir dir;
  Config c = MakeConfig(Task::kMulticlass, "wide_deep");
  c.train.fallback.enabled = false;
  const Trained r = Train(c, MakeTable(Task::kMulticlass, 1500, 3),
                          MakeTable(Task::kMulticlass, 500, 4), dir / "v1");
  EXPECT_EQ(r.out.num_classes, 3);
  EXPECT_FALSE(r.out.fallback);
  EXPECT_FALSE(fs::exists(dir / "v1/model.fallback.pt"));
  EXPECT_EQ(r.out.main.eval_predictions.size(), 1500u);
  EXPECT_GT(MulticlassAccuracy(r.out.main.eval_predictions, 3, r.out.eval_labels), 0.8);

  c.model_spec.num_classes = 2;  // fewer than the labels hold
  const std::string msg = MessageOf<DataError>([&] {
    Train(c, MakeTable(Task::kMulticlass, 300, 3), MakeTable(Task::kMulticlass, 100, 4),
          dir / "v2");
  });
  EXPECT_NE(msg.find("label column \"y\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("model_spec.num_classes"), std::string::npos) << msg;

  c.model_spec.num_classes = 0;
  Table fractional = MakeTable(Task::kMulticlass, 300, 3);
  fractional.columns.back().mutable_values<double>()[7] = 1.5;
  const std::string frac = MessageOf<DataError>(
      [&] { Train(c, fractional, MakeTable(Task::kMulticlass, 100, 4), dir / "v3"); });
  EXPECT_NE(frac.find("row 7"), std::string::npos) << frac;
}

TEST(TrainModel, RegressionWithHuberLossAndWeights) {
  TempDir dir;
  Config c = MakeConfig(Task::kRegression, "linear");
  c.train.loss = "huber";
  c.train.weight_column = "w";
  c.train.validation_fraction = 0.2;
  c.train.early_stopping.patience = 3;
  c.train.early_stopping.metric = "rmse";
  c.train.precision = "bf16";  // CPU: falls back to fp32
  const Trained r = Train(c, MakeTable(Task::kRegression, 1500, 5),
                          MakeTable(Task::kRegression, 500, 6), dir / "v1");
  EXPECT_GT(R2(r.out.main.eval_predictions, r.out.eval_labels), 0.8);
  EXPECT_EQ(r.out.validation_rows, 300);
  EXPECT_EQ(r.out.main.validation_metric, "rmse");
  EXPECT_GE(r.out.main.best_epoch, 1);
  EXPECT_EQ(r.out.precision, "fp32");

  Table negative = MakeTable(Task::kRegression, 300, 5);
  negative.columns[3].mutable_values<double>()[4] = -1.0;
  const std::string msg = MessageOf<DataError>(
      [&] { Train(c, negative, MakeTable(Task::kRegression, 100, 6), dir / "v2"); });
  EXPECT_NE(msg.find("weight column \"w\", row 4"), std::string::npos) << msg;
}

// A copy of `t` whose label column y is y * scale + offset.
Table ScaledLabel(Table t, double scale, double offset) {
  double* y = t.columns[4].mutable_values<double>();
  for (int64_t i = 0; i < t.columns[4].rows; ++i) y[i] = y[i] * scale + offset;
  return t;
}

TEST(TrainModel, DefaultsFitTheFallbackAndStandardiseAnUnscaledLabel) {
  TempDir dir;
  Config c = MakeConfig(Task::kRegression, "wide_deep");
  c.train = TrainConfig{};  // the defaults: epochs and batch auto, early stopping, fallback
  c.train.device = "cpu";
  const Table train = MakeTable(Task::kRegression, 600, 31),
              eval = MakeTable(Task::kRegression, 200, 32);
  const Trained plain = Train(c, train, eval, dir / "plain");
  const Trained big =
      Train(c, ScaledLabel(train, 1e3, 1e4), ScaledLabel(eval, 1e3, 1e4), dir / "big");
  ASSERT_TRUE(plain.out.fallback && big.out.fallback);
  for (const Trained* r : {&plain, &big}) {
    EXPECT_TRUE(r->out.fallback->solver["converged"].get<bool>()) << r->out.fallback->solver;
    EXPECT_EQ(r->out.main.init, "fallback");
    EXPECT_EQ(r->out.batch_size, 32);  // 540 training rows
    EXPECT_GT(R2(r->out.fallback->eval_predictions, r->out.eval_labels), 0.9);
    EXPECT_GT(R2(r->out.main.eval_predictions, r->out.eval_labels),
              R2(r->out.fallback->eval_predictions, r->out.eval_labels) - 0.01);
  }
  // The same fit in the label's units: R^2 equal, the scaler recorded in model.json.
  EXPECT_NEAR(R2(big.out.main.eval_predictions, big.out.eval_labels),
              R2(plain.out.main.eval_predictions, plain.out.eval_labels), 1e-3);
  EXPECT_NEAR(R2(big.out.fallback->eval_predictions, big.out.eval_labels),
              R2(plain.out.fallback->eval_predictions, plain.out.eval_labels), 1e-4);
  const ModelArch a = ReadModelJson(dir / "big/model.json");
  EXPECT_NEAR(a.label_mean, 1e4, 300);
  EXPECT_GT(a.label_std, 1e3);
  EXPECT_EQ(ReadModelJson(dir / "big/model.fallback.json").label_std, a.label_std);
  // A warm start keeps the scaler its weights were trained in.
  const Trained next = Train(c, ScaledLabel(MakeTable(Task::kRegression, 600, 33), 2e3, 5e4),
                             ScaledLabel(eval, 2e3, 5e4), dir / "next", &big.state, dir / "big");
  EXPECT_EQ(next.out.main.init, "warm_start");
  const ModelArch b = ReadModelJson(dir / "next/model.json");
  EXPECT_EQ(b.label_mean, a.label_mean);
  EXPECT_EQ(b.label_std, a.label_std);
  EXPECT_TRUE(next.out.fallback->solver["converged"].get<bool>());
  EXPECT_GT(R2(next.out.fallback->eval_predictions, next.out.eval_labels), 0.9);
}

TEST(TrainModel, StandardizeLabelOffKeepsTheIdentity) {
  TempDir dir;
  Config c = MakeConfig(Task::kRegression, "linear");
  c.train.standardize_label = false;
  Train(c, MakeTable(Task::kRegression, 300, 34), MakeTable(Task::kRegression, 100, 35), dir / "v");
  EXPECT_FALSE(ReadModelJson(dir / "v/model.json").has_label_scaler());
}

TEST(TrainModel, WarmStartGrowsTheVocabularyAndRefusesAnotherArchitecture) {
  TempDir dir;
  const Config c = MakeConfig(Task::kBinary, "wide_deep");
  const Trained v1 = Train(c, MakeTable(Task::kBinary, 800, 7, /*cities=*/3),
                           MakeTable(Task::kBinary, 300, 8, 3), dir / "v1");
  // Two new cities appear: the vocabulary grows, the embedding tables with it.
  const Table more = MakeTable(Task::kBinary, 800, 9, /*cities=*/5);
  const Trained v2 =
      Train(c, more, MakeTable(Task::kBinary, 300, 10, 5), dir / "v2", &v1.state, dir / "v1");
  EXPECT_TRUE(v2.out.main.warm_started);
  ASSERT_TRUE(v2.out.fallback);
  EXPECT_TRUE(v2.out.fallback->warm_started);
  const ModelArch a1 = ReadModelJson(dir / "v1/model.json");
  const ModelArch a2 = ReadModelJson(dir / "v2/model.json");
  EXPECT_EQ(a1.categorical[0].cardinality + 2, a2.categorical[0].cardinality);
  EXPECT_EQ(a1.categorical[0].embedding_dim, a2.categorical[0].embedding_dim);
  EXPECT_GT(RocAuc(v2.out.main.eval_predictions, v2.out.eval_labels), 0.9);

  Config changed = c;
  changed.model_spec.hidden = {32, 8};
  const std::string msg = MessageOf<ConfigError>([&] {
    Train(changed, more, MakeTable(Task::kBinary, 300, 10, 5), dir / "v3", &v1.state, dir / "v1");
  });
  EXPECT_EQ(msg.rfind("train.warm_start: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("model_spec.hidden: [16] → [32,8]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train.warm_start: false"), std::string::npos) << msg;
}

TEST(TrainModel, StreamedFeaturesGiveTheSameModel) {
  TempDir dir;
  Config c = MakeConfig(Task::kBinary, "mlp");
  const Table train = MakeTable(Task::kBinary, 6000, 11), eval = MakeTable(Task::kBinary, 500, 12);
  const Trained resident = Train(c, train, eval, dir / "a");
  c.train.device_memory_budget_mb = 0.05;  // 6500 rows of 20 bytes take 127 KiB
  c.train.batch_size = 64;
  const Trained streamed = Train(c, train, eval, dir / "b");
  EXPECT_TRUE(resident.out.resident);
  EXPECT_FALSE(streamed.out.resident);
  EXPECT_EQ(resident.out.main.eval_predictions, streamed.out.main.eval_predictions);
  EXPECT_EQ(resident.out.fallback->eval_predictions, streamed.out.fallback->eval_predictions);
}

// Copies the artifacts of version `from` to `to` so a test can damage them.
void CopyVersion(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(from))
    fs::copy_file(e.path(), to + "/" + e.path().filename().string());
}

TEST(PredictVersion, MatchesTrainingAndGuardsItsOutputs) {
  TempDir dir;
  const Config c = MakeConfig(Task::kRegression, "mlp");
  const Table eval = MakeTable(Task::kRegression, 400, 14);
  const Trained r = Train(c, MakeTable(Task::kRegression, 1500, 13), eval, dir / "v1");
  PredictConfig guards;
  Prediction p = PredictVersion(FolderArtifacts(dir / "v1"), r.state, eval, Device{}, guards, true);
  ASSERT_EQ(p.values.size(), 400u);
  for (size_t i = 0; i < 400; ++i) EXPECT_NEAR(p.values[i], r.out.main.eval_predictions[i], 1e-6);
  EXPECT_EQ(p.dense.size(), 400u * 2);
  EXPECT_EQ(p.cats.size(), 400u);
  EXPECT_EQ(p.fallback_rows + p.clamped_rows + p.nonfinite_rows, 0);

  guards.clamp = true;
  guards.clamp_lo = -1;
  guards.clamp_hi = 1;
  p = PredictVersion(FolderArtifacts(dir / "v1"), r.state, eval, Device{}, guards, false);
  int64_t outside = 0;
  for (float v : r.out.main.eval_predictions) outside += v < -1 || v > 1;
  EXPECT_GT(outside, 0);
  EXPECT_EQ(p.clamped_rows, outside);
  for (float v : p.values) EXPECT_TRUE(v >= -1 && v <= 1);

  // A main model whose output is NaN: every row takes the fallback's prediction.
  CopyVersion(dir / "v1", dir / "nan");
  NamedTensors w = ReadSafetensors(dir / "nan/model.safetensors");
  for (auto& [name, t] : w) {
    if (name == "out.bias") t.fill_(std::numeric_limits<float>::quiet_NaN());
  }
  WriteSafetensors(dir / "nan/model.safetensors", w);
  p = PredictVersion(FolderArtifacts(dir / "nan"), r.state, eval, Device{}, PredictConfig{}, false);
  EXPECT_EQ(p.fallback_rows, 400);
  EXPECT_FALSE(p.main_failed);
  for (size_t i = 0; i < 400; ++i) {
    EXPECT_NEAR(p.values[i], r.out.fallback->eval_predictions[i], 1e-6);
  }
  PredictConfig strict;
  strict.use_fallback = false;
  EXPECT_THROW(PredictVersion(FolderArtifacts(dir / "nan"), r.state, eval, Device{}, strict, false),
               DataError);

  // A main model that cannot be read: the fallback scores everything.
  CopyVersion(dir / "v1", dir / "broken");
  testing::WriteFile(dir / "broken/model.safetensors", "garbage");
  p = PredictVersion(FolderArtifacts(dir / "broken"), r.state, eval, Device{}, PredictConfig{},
                     false);
  EXPECT_TRUE(p.main_failed);
  EXPECT_NE(p.main_error.find("model.safetensors"), std::string::npos) << p.main_error;
  EXPECT_EQ(p.fallback_rows, 400);
  fs::remove(dir / "broken/model.fallback.safetensors");
  EXPECT_THROW(PredictVersion(FolderArtifacts(dir / "broken"), r.state, eval, Device{},
                              PredictConfig{}, false),
               IoError);
}

TEST(PredictVersion, MulticlassGivesClassesAndRefusesAClamp) {
  TempDir dir;
  Config c = MakeConfig(Task::kMulticlass, "linear");
  const Table eval = MakeTable(Task::kMulticlass, 200, 16);
  const Trained r = Train(c, MakeTable(Task::kMulticlass, 800, 15), eval, dir / "v1");
  const Prediction p =
      PredictVersion(FolderArtifacts(dir / "v1"), r.state, eval, Device{}, PredictConfig{}, false);
  EXPECT_EQ(p.outputs, 3);
  ASSERT_EQ(p.classes.size(), 200u);
  for (int64_t i = 0; i < 200; ++i) {
    const float* row = &p.values[static_cast<size_t>(i * 3)];
    EXPECT_EQ(p.classes[i], std::max_element(row, row + 3) - row);
    EXPECT_NEAR(row[0] + row[1] + row[2], 1.0f, 1e-5);
  }
  PredictConfig clamp;
  clamp.clamp = true;
  const std::string msg = MessageOf<ConfigError>(
      [&] { PredictVersion(FolderArtifacts(dir / "v1"), r.state, eval, Device{}, clamp, false); });
  EXPECT_EQ(msg.rfind("predict.clamp: ", 0), 0u) << msg;
}

}  // namespace
}  // namespace freshet
