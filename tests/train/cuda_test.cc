// The trainer on a CUDA device, against the CPU path as the oracle. Skipped where no CUDA device is
// visible (every test name ends in _CUDA).
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "freshet/metrics.hpp"
#include "freshet/trainer.hpp"
#include "io/test_util.h"
#include "train/optim.h"
#include "train/session.h"
#include "train/train_util.h"

namespace freshet {
namespace {

namespace fs = std::filesystem;
using testing::Arch;
using testing::MakeConfig;
using testing::MakeStore;
using testing::MakeTable;
using testing::Options;
using testing::TempDir;

#define SKIP_WITHOUT_CUDA()                                                   \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible"; \
  static_assert(true)

FeatureStore OnDevice(const FeatureStore& s, const torch::Device& d) {
  FeatureStore out = s;
  out.dense = s.dense.to(d);
  out.cats = s.cats.to(d);
  out.labels = s.labels.to(d);
  return out;
}

std::vector<float> Vec(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// The fused Adam/AdamW step gives the update of the optimiser's own step (to rounding), and keeps
// its state: step counts and moments.
TEST(FusedAdamStep, EqualsTheOptimizersStep_CUDA) {
  SKIP_WITHOUT_CUDA();
  for (const char* name : {"adam", "adamw"}) {
    TrainConfig t;
    t.optimizer = name;
    t.lr = 0.01;
    t.weight_decay = 0.1;
    torch::manual_seed(3);
    torch::Tensor a = torch::randn({5, 4}, torch::kCUDA).requires_grad_();
    torch::Tensor b = a.detach().clone().requires_grad_();
    auto plain = MakeOptimizer(t, {a});
    auto fused = MakeOptimizer(t, {b});
    std::vector<torch::Tensor> steps;
    for (int i = 0; i < 3; ++i) {
      const torch::Tensor g = torch::randn({5, 4}, torch::kCUDA);
      a.mutable_grad() = g.clone();
      b.mutable_grad() = g.clone();
      plain->step();
      ASSERT_TRUE(FusedAdamStep(*fused, &steps)) << name;
    }
    EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-6)) << name;
    const auto& sa = *plain->state().at(a.unsafeGetTensorImpl());
    const auto& sb = *fused->state().at(b.unsafeGetTensorImpl());
    const auto step = [](const torch::optim::OptimizerParamState& s) {
      if (auto* w = dynamic_cast<const torch::optim::AdamWParamState*>(&s)) return w->step();
      return dynamic_cast<const torch::optim::AdamParamState&>(s).step();
    };
    EXPECT_EQ(step(sa), 3);
    EXPECT_EQ(step(sb), 3);
  }
  TrainConfig sgd;
  sgd.optimizer = "sgd";
  torch::Tensor p = torch::zeros({2}, torch::kCUDA).requires_grad_();
  p.mutable_grad() = torch::ones({2}, torch::kCUDA);
  std::vector<torch::Tensor> steps;
  EXPECT_FALSE(FusedAdamStep(*MakeOptimizer(sgd, {p}), &steps));
}

// Same seed, same host-drawn permutation: the GPU run follows the CPU run up to float rounding
// (tolerance 2e-3 on probabilities after 3 epochs of 32 Adam steps).
TEST(TrainSession, CudaFollowsTheCpu_CUDA) {
  SKIP_WITHOUT_CUDA();
  const FeatureStore cpu = MakeStore(Task::kBinary, 2000, 1);
  const FeatureStore gpu = OnDevice(cpu, torch::kCUDA);
  const ModelArch arch = Arch("wide_deep", Task::kBinary, 1, 3, {6, 6});
  SessionOptions o = Options(Task::kBinary, 3);
  TrainSession a(arch, o);
  a.Train(cpu, {}, {});
  o.device = torch::kCUDA;
  TrainSession b(arch, o);
  b.Train(gpu, {}, {});
  EXPECT_TRUE(torch::allclose(a.Predict(cpu), b.Predict(gpu), 0, 2e-3));
}

// Streamed chunks through pinned buffers and a side stream equal resident data exactly, with
// deterministic kernels.
TEST(TrainSession, StreamedEqualsResident_CUDA) {
  SKIP_WITHOUT_CUDA();
  setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
  at::globalContext().setDeterministicAlgorithms(true, false);
  const FeatureStore host = MakeStore(Task::kMulticlass, 3000, 2);
  FeatureStore streamed = host;
  streamed.resident = false;
  const ModelArch arch = Arch("mlp", Task::kMulticlass, 3, 3, {6, 6});
  SessionOptions o = Options(Task::kMulticlass, 2);
  o.device = torch::kCUDA;
  TrainSession a(arch, o);
  a.Train(OnDevice(host, torch::kCUDA), {}, {});
  o.chunk_rows = 700;
  TrainSession b(arch, o);
  b.Train(streamed, {}, {});
  at::globalContext().setDeterministicAlgorithms(false, false);
  EXPECT_TRUE(testing::SameWeights(a.model(), b.model()));
}

TEST(TrainSession, Bf16AutocastLearns_CUDA) {
  SKIP_WITHOUT_CUDA();
  const FeatureStore train = OnDevice(MakeStore(Task::kBinary, 4000, 3), torch::kCUDA);
  const FeatureStore test = OnDevice(MakeStore(Task::kBinary, 1000, 4), torch::kCUDA);
  SessionOptions o = Options(Task::kBinary, 4);
  o.device = torch::kCUDA;
  o.bf16 = true;
  TrainSession s(Arch("mlp", Task::kBinary, 1, 3, {6, 6}), o);
  s.Train(train, {}, {});
  EXPECT_GT(RocAuc(Vec(s.Predict(test)), Vec(test.labels)), 0.9);
}

// TrainModel on the GPU (resident and streamed) and PredictVersion there agree with the CPU.
TEST(TrainModel, GpuRunsAgreeWithTheCpu_CUDA) {
  SKIP_WITHOUT_CUDA();
  TempDir dir;
  Config c = MakeConfig(Task::kBinary, "mlp");
  const Table train = MakeTable(Task::kBinary, 3000, 5), eval = MakeTable(Task::kBinary, 500, 6);
  const FeatureState state = FitFeatures(train, c.features);
  const Device cuda{DeviceKind::kCuda, 0};
  const auto run = [&](const Config& cfg, const Device& d, const std::string& name) {
    fs::create_directories(dir / name);
    TrainOptions o;
    FolderArtifacts out(dir / name);
    o.out = &out;
    return TrainModel(cfg, state, train, eval, d, o);
  };
  const TrainOutcome cpu = run(c, Device{}, "cpu");
  const TrainOutcome gpu = run(c, cuda, "gpu");
  c.train.device_memory_budget_mb = 0.02;
  const TrainOutcome streamed = run(c, cuda, "streamed");
  EXPECT_TRUE(gpu.resident);
  EXPECT_FALSE(streamed.resident);
  for (size_t i = 0; i < cpu.main.eval_predictions.size(); ++i) {
    EXPECT_NEAR(gpu.main.eval_predictions[i], cpu.main.eval_predictions[i], 5e-3) << i;
    EXPECT_NEAR(streamed.main.eval_predictions[i], gpu.main.eval_predictions[i], 5e-3) << i;
  }
  // The GPU-trained version scores the same on either device; a warm start loads it on the CPU.
  const Prediction on_gpu =
      PredictVersion(FolderArtifacts(dir / "gpu"), state, eval, cuda, PredictConfig{}, false);
  const Prediction on_cpu =
      PredictVersion(FolderArtifacts(dir / "gpu"), state, eval, Device{}, PredictConfig{}, false);
  for (size_t i = 0; i < on_cpu.values.size(); ++i) {
    EXPECT_NEAR(on_gpu.values[i], on_cpu.values[i], 1e-5);
    EXPECT_NEAR(on_gpu.values[i], gpu.main.eval_predictions[i], 1e-5);
  }
  fs::create_directories(dir / "warm");
  TrainOptions o;
  FolderArtifacts warm(dir / "warm"), from(dir / "gpu");
  o.out = &warm;
  o.warm_start = &from;
  c.train.device_memory_budget_mb = 0;
  EXPECT_TRUE(TrainModel(c, state, train, eval, Device{}, o).main.warm_started);
}

}  // namespace
}  // namespace freshet
