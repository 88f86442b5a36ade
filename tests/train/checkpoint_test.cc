// Checkpoints: save → load gives identical predictions; warm start grows embedding tables;
// corrupt, truncated, old and mismatched files give errors that name the file.
#include "train/checkpoint.h"

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "io/test_util.h"
#include "train/optim.h"
#include "train/session.h"
#include "train/train_util.h"

namespace freshet {
namespace {

using testing::Arch;
using testing::MakeStore;
using testing::MessageOf;
using testing::Options;
using testing::ReadFile;
using testing::SameWeights;
using testing::TempDir;
using testing::WriteFile;

// A briefly trained model with batch norm (so buffers are part of what is saved).
TrainSession Trained(const std::string& kind, int64_t card = 6) {
  ModelArch arch = Arch(kind, Task::kBinary, 1, 3, {card, card});
  arch.norm = "batch";
  TrainSession s(arch, Options(Task::kBinary, 2));
  s.Train(MakeStore(Task::kBinary, 300, 1), {}, {});
  return s;
}

TEST(Checkpoint, SaveThenLoadGivesIdenticalPredictions) {
  TempDir dir;
  const FeatureStore store = MakeStore(Task::kBinary, 200, 2);
  for (const char* kind : {"linear", "mlp", "wide_deep"}) {
    TrainSession s = Trained(kind);
    const torch::Tensor before = s.Predict(store);
    WriteModelFiles(s.model(), dir / "m.safetensors", dir / "m.json");
    TabularNet loaded = LoadModelFiles(dir / "m.json", dir / "m.safetensors", torch::kCPU);
    EXPECT_TRUE(SameWeights(loaded, s.model())) << kind;
    torch::NoGradGuard g;
    EXPECT_TRUE(torch::equal(
        OutputTransform(loaded->arch, loaded->forward(store.dense, store.cats)), before))
        << kind;

    s.Save(dir / "m.pt");
    ModelPt pt = ModelPt::Read(dir / "m.pt", torch::kCPU);
    EXPECT_EQ(pt.arch.ToJson(), s.model()->arch.ToJson());
    EXPECT_EQ(pt.optimizer_name, "adamw");
    EXPECT_EQ(pt.progress.epoch, 2);
    EXPECT_TRUE(pt.progress.finished);
    TabularNet fresh(pt.arch);
    LoadWeights(fresh, pt.weights, pt.path);
    EXPECT_TRUE(SameWeights(fresh, s.model())) << kind;
  }
}

TEST(Checkpoint, WarmStartGrowsEmbeddingsKeepingOldRows) {
  TempDir dir;
  TrainSession old = Trained("wide_deep", 6);
  old.Save(dir / "old.pt");
  ModelPt pt = ModelPt::Read(dir / "old.pt", torch::kCPU);

  ModelArch grown_arch = pt.arch;
  grown_arch.categorical[1].cardinality = 9;  // three categories appended to the vocabulary
  ASSERT_EQ(WarmStartMismatch(pt.arch, grown_arch), "");
  TrainSession fresh(grown_arch, Options(Task::kBinary, 2));
  TrainSession warm(grown_arch, Options(Task::kBinary, 2));
  warm.WarmStart(pt);
  auto params = warm.model()->named_parameters();
  auto fresh_params = fresh.model()->named_parameters();
  auto old_params = old.model()->named_parameters();
  for (const char* name : {"wide.embeddings.1.weight", "deep.embeddings.1.weight"}) {
    const torch::Tensor w = params[name];
    ASSERT_EQ(w.size(0), 9) << name;
    EXPECT_TRUE(torch::equal(w.slice(0, 0, 6), old_params[name])) << name;  // old rows kept
    EXPECT_TRUE(torch::equal(w.slice(0, 6, 9), fresh_params[name].slice(0, 6, 9))) << name;
  }
  EXPECT_TRUE(torch::equal(params["deep.out.weight"], old_params["deep.out.weight"]));

  // The optimiser state grew with the tables, and training goes on from there.
  FeatureStore store = MakeStore(Task::kBinary, 300, 3);
  store.cats.select(1, 1).copy_(torch::randint(2, 9, {300}, torch::kInt64));
  warm.Train(store, {}, {});
  EXPECT_EQ(warm.progress().epoch, 2);
}

TEST(Checkpoint, OptimizerStateGrowsForEveryOptimizer) {
  for (const char* name : {"sgd", "adam", "adamw", "adagrad"}) {
    TrainConfig t;
    t.optimizer = name;
    torch::Tensor p = torch::zeros({4, 2}, torch::requires_grad());
    auto opt = MakeOptimizer(t, {p});
    p.mutable_grad() = torch::ones({4, 2});
    opt->step();
    {
      torch::NoGradGuard g;
      p.set_data(torch::zeros({6, 2}));  // what a grown table looks like to the optimiser
    }
    p.mutable_grad() = torch::ones({6, 2});
    GrowOptimizerState(*opt);
    EXPECT_NO_THROW(opt->step()) << name;
  }
}

TEST(Checkpoint, DamagedModelPtNamesTheFile) {
  TempDir dir;
  TrainSession s = Trained("mlp");
  s.Save(dir / "m.pt");
  const std::string good = ReadFile(dir / "m.pt");
  const auto error = [&](const std::string& path) {
    return MessageOf<IoError>([&] { ModelPt::Read(path, torch::kCPU); });
  };
  EXPECT_NE(error(dir / "missing.pt").find("missing.pt: cannot open"), std::string::npos);
  WriteFile(dir / "trunc.pt", good.substr(0, good.size() / 2));
  EXPECT_NE(error(dir / "trunc.pt").find("trunc.pt: not a readable LibTorch checkpoint"),
            std::string::npos);
  WriteFile(dir / "junk.pt", "this is not a zip file at all");
  EXPECT_NE(error(dir / "junk.pt").find("corrupt or truncated"), std::string::npos);
  // Damage to the zip's directory is caught here; damage inside tensor data is not (the archive
  // has no checksums): the registry's SHA-256 of every artifact catches that (e2e tests).
  std::string flipped = good;
  for (size_t i = good.size() - 64; i < good.size(); ++i)
    flipped[i] = static_cast<char>(~flipped[i]);
  WriteFile(dir / "flipped.pt", flipped);
  EXPECT_THROW(ModelPt::Read(dir / "flipped.pt", torch::kCPU), IoError);
}

TEST(Checkpoint, ArchiveOfAnOlderFreshetAsksForAColdStart) {
  TempDir dir;
  torch::serialize::OutputArchive root, weights;
  weights.write("out.weight", torch::zeros({1, 2}));
  root.write("model", weights);
  root.save_to(dir / "old.pt");
  const std::string msg =
      MessageOf<ConfigError>([&] { ModelPt::Read(dir / "old.pt", torch::kCPU); });
  EXPECT_EQ(msg.rfind("train.warm_start: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("train.warm_start: false"), std::string::npos) << msg;
}

TEST(Checkpoint, MismatchedFilesNameTheTensor) {
  TempDir dir;
  TrainSession s = Trained("mlp");
  WriteModelFiles(s.model(), dir / "m.safetensors", dir / "m.json");
  // model.json of another architecture beside these weights.
  ModelArch other = s.model()->arch;
  other.hidden = {32};
  { std::ofstream(dir / "other.json") << other.ToJson().dump(); }
  std::string msg = MessageOf<IoError>(
      [&] { LoadModelFiles(dir / "other.json", dir / "m.safetensors", torch::kCPU); });
  EXPECT_NE(msg.find("mlp.0.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("m.safetensors"), std::string::npos) << msg;
  // Weights with a tensor missing.
  NamedTensors weights = ReadSafetensors(dir / "m.safetensors");
  weights.pop_back();
  WriteSafetensors(dir / "short.safetensors", weights);
  msg = MessageOf<IoError>(
      [&] { LoadModelFiles(dir / "m.json", dir / "short.safetensors", torch::kCPU); });
  EXPECT_NE(msg.find("is missing"), std::string::npos) << msg;
  // A truncated safetensors file and a broken model.json.
  const std::string bytes = ReadFile(dir / "m.safetensors");
  WriteFile(dir / "trunc.safetensors", bytes.substr(0, bytes.size() - 16));
  EXPECT_THROW(LoadModelFiles(dir / "m.json", dir / "trunc.safetensors", torch::kCPU), IoError);
  WriteFile(dir / "bad.json", "{\"format\": ");
  msg = MessageOf<IoError>(
      [&] { LoadModelFiles(dir / "bad.json", dir / "m.safetensors", torch::kCPU); });
  EXPECT_NE(msg.find("bad.json"), std::string::npos) << msg;
  // LoadWeights refuses a shape that is not a grown table.
  TabularNet small(other);
  EXPECT_THROW(LoadWeights(small, ReadSafetensors(dir / "m.safetensors"), "x"), IoError);
}

}  // namespace
}  // namespace freshet
