#include "freshet/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>

#include <torch/torch.h>

#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "freshet/log.hpp"
#include "train/session.h"
#include "train/torch_cuda.h"

namespace freshet {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void SetDeterministic(bool on) {
  if (!on) return;
  // cuBLAS needs a fixed workspace to be deterministic; it reads this when it starts.
  setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/false);
  at::globalContext().setDeterministicCuDNN(true);
  at::globalContext().setBenchmarkCuDNN(false);
}

// Whether the forward pass runs under bf16 autocast: asked for, on a CUDA device that has bf16.
bool UseBf16(const TrainConfig& tc, const Device& device) {
  if (tc.precision != "bf16") return false;
  if (device.is_cuda()) {
    if (torch_cuda::ComputeCapabilityMajor(TorchDevice(device)) >= 8) return true;
    LogInfo(
        "train.precision: bf16 needs a GPU of compute capability 8.0 or later; training in fp32");
    return false;
  }
  LogInfo("train.precision: bf16 autocast runs on CUDA devices only; training on " + device.str() +
          " in fp32");
  return false;
}

// Device memory the features may take: the configured budget, else half the free memory of a
// CUDA device; unbounded on the CPU.
int64_t MemoryBudget(const TrainConfig& tc, const Device& device) {
  if (tc.device_memory_budget_mb > 0) {
    return std::max<int64_t>(1, static_cast<int64_t>(tc.device_memory_budget_mb * 1048576.0));
  }
  const int64_t free_bytes = torch_cuda::FreeMemory(TorchDevice(device));
  return free_bytes >= 0 ? free_bytes / 2 : INT64_MAX;
}

std::vector<float> HostLabels(const FeatureStore& s) {
  torch::Tensor t = s.labels.to(torch::kCPU).contiguous();
  return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}

// K of a multiclass task: configured, or max label + 1 of the training rows (at least 2, and at
// least the warm-start source's). Checks every label is a class id below K.
int64_t NumClasses(const Config& config, const std::vector<float>& train,
                   const std::vector<float>& eval, const ModelPt* previous) {
  const std::string& label = config.data.label;
  int64_t max_id = 0;
  const auto check = [&](const std::vector<float>& ys, const char* which) {
    for (size_t i = 0; i < ys.size(); ++i) {
      const float y = ys[i];
      if (y < 0 || y != std::floor(y)) {
        throw DataError(std::string(which) + " rows, label column \"" + label + "\", row " +
                        std::to_string(i) + ": expected a class id 0, 1, 2, ... for a multiclass " +
                        "task, got " + std::to_string(y));
      }
      max_id = std::max<int64_t>(max_id, static_cast<int64_t>(y));
    }
  };
  check(train, "training");
  int64_t k = config.model_spec.num_classes;
  if (k == 0) {
    k = std::max<int64_t>(2, max_id + 1);
    if (previous && previous->arch.outputs > k) k = previous->arch.outputs;
  }
  check(eval, "evaluation");
  if (max_id >= k) {
    throw DataError(
        "label column \"" + config.data.label + "\": class id " + std::to_string(max_id) +
        " is out of range for " + std::to_string(k) + " classes" +
        (config.model_spec.num_classes
             ? " (model_spec.num_classes)"
             : " seen in training; set model_spec.num_classes to the number of classes"));
  }
  return k;
}

void CheckRegressionLabels(const std::string& label, const std::vector<float>& ys) {
  for (size_t i = 0; i < ys.size(); ++i) {
    if (!std::isfinite(ys[i])) {
      throw DataError("label column \"" + label + "\", row " + std::to_string(i) +
                      ": expected a finite number");
    }
  }
}

// Trains one model and writes its artifacts `files` to `out`.
ModelResult TrainOne(const ModelArch& arch, const SessionOptions& so, ModelPt* previous,
                     const FeatureStore& tr, const torch::Tensor& train_rows,
                     const torch::Tensor& val_rows, const FeatureStore& ev, ArtifactSink& out,
                     const char* const files[3]) {
  TrainSession session(arch, so);
  ModelResult r;
  r.kind = arch.kind;
  if (previous) {
    session.WarmStart(*previous);
    r.warm_started = true;
    LogInfo(so.log_prefix + "warm start from " + previous->path);
  }
  session.Train(tr, train_rows, val_rows);
  out.Write(files[0], session.Checkpoint(out.Describe(files[0])));
  const ModelFileBytes model_files = ModelFiles(session.model(), out.Describe(files[1]));
  out.Write(files[1], model_files.safetensors);
  out.Write(files[2], model_files.json);
  torch::Tensor preds = session.Predict(ev).to(torch::kFloat32).contiguous();
  r.eval_predictions.assign(preds.data_ptr<float>(), preds.data_ptr<float>() + preds.numel());
  r.final_train_loss = session.last_train_loss();
  r.steps = session.progress().step;
  r.epochs = session.progress().epoch;
  r.parameters = session.parameters();
  r.history = session.history();
  if (val_rows.defined()) r.validation_metric = session.validation_metric();
  if (so.train.early_stopping.patience > 0) {
    r.early_stopped = r.epochs < so.train.epochs;
    r.best_epoch = session.progress().best_epoch;
    r.best_validation = session.progress().best_metric;
  }
  return r;
}

}  // namespace

TrainOutcome TrainModel(const Config& config, const FeatureState& state, const Table& train,
                        const Table& eval, const Device& device, const TrainOptions& options) {
  CheckModelConfig(config);
  FRESHET_CHECK(options.out != nullptr, "TrainOptions::out is required");
  const TrainConfig& tc = config.train;
  SetDeterministic(tc.deterministic);
  TrainOutcome outcome;
  const bool bf16 = UseBf16(tc, device);
  outcome.precision = bf16 ? "bf16" : "fp32";
  const bool weighted = !tc.weight_column.empty();

  auto t0 = Clock::now();
  const int64_t bytes =
      FeatureBytes(state, train.rows(), weighted) + FeatureBytes(state, eval.rows(), false);
  const int64_t budget = MemoryBudget(tc, device);
  outcome.resident = bytes <= budget;
  const int64_t row_bytes = std::max<int64_t>(FeatureBytes(state, 1, weighted), 1);
  SessionOptions so;
  so.train = tc;
  so.loss = ResolvedLoss(tc, config.task);
  so.device = TorchDevice(device);
  so.bf16 = bf16;
  so.chunk_rows = std::max<int64_t>(tc.batch_size, budget / 2 / row_bytes);
  if (outcome.resident) {
    LogInfo(Format("features: %.1f MB, resident on %s", bytes / 1048576.0, device.str().c_str()));
  } else {
    LogInfo(
        Format("features: %.1f MB over a budget of %.1f MB: kept in host memory, streamed to "
               "%s in chunks of %lld rows",
               bytes / 1048576.0, budget / 1048576.0, device.str().c_str(),
               static_cast<long long>(so.chunk_rows)));
  }
  const FeatureStore tr = BuildFeatureStore(train, state, config.data.label, tc.weight_column,
                                            device, outcome.resident);
  const FeatureStore ev =
      BuildFeatureStore(eval, state, config.data.label, "", device, outcome.resident);
  outcome.eval_labels = HostLabels(ev);
  outcome.timings["features"] = Since(t0);

  // Held by pointer: ModelPt's archive member is not copyable in the way std::optional needs.
  std::unique_ptr<ModelPt> previous;
  if (options.warm_start) {
    const ArtifactSource& from = *options.warm_start;
    previous = std::make_unique<ModelPt>(
        ModelPt::Parse(from.Read(kModelFiles[0]), from.Describe(kModelFiles[0]), so.device));
  }
  if (config.task == Task::kMulticlass) {
    outcome.num_classes = NumClasses(config, HostLabels(tr), outcome.eval_labels, previous.get());
  } else if (config.task == Task::kRegression) {
    CheckRegressionLabels(config.data.label, HostLabels(tr));
  }
  const ModelArch arch = ResolveArch(config.model_spec, config.task, outcome.num_classes, state,
                                     previous ? &previous->arch : nullptr);
  if (previous) {
    const std::string why = WarmStartMismatch(previous->arch, arch);
    if (!why.empty()) {
      throw ConfigError("train.warm_start: the previous version's model (" + previous->path +
                        ") has another architecture: " + why +
                        "; set train.warm_start: false to start cold");
    }
  }

  // The validation rows: a seeded draw of the training rows, drawn apart from the shuffling.
  torch::Tensor train_rows, val_rows;
  const int64_t n = tr.rows();
  if (tc.validation_fraction > 0 && n >= 2) {
    const int64_t n_val = std::clamp<int64_t>(
        static_cast<int64_t>(std::llround(tc.validation_fraction * static_cast<double>(n))), 1,
        n - 1);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(tc.seed ^ 0x5eed5eed5eedULL);
    torch::Tensor perm = torch::randperm(n, gen, torch::kInt64);
    val_rows = std::get<0>(perm.slice(0, 0, n_val).sort());
    train_rows = std::get<0>(perm.slice(0, n_val, n).sort());
    if (tr.resident) {
      val_rows = val_rows.to(so.device);
      train_rows = train_rows.to(so.device);
    }
    outcome.validation_rows = n_val;
  }

  t0 = Clock::now();
  outcome.main =
      TrainOne(arch, so, previous.get(), tr, train_rows, val_rows, ev, *options.out, kModelFiles);
  outcome.timings["train"] = Since(t0);

  if (tc.fallback) {
    t0 = Clock::now();
    const ModelArch linear = LinearArch(arch);
    SessionOptions fo = so;
    fo.log_prefix = "fallback: ";
    std::unique_ptr<ModelPt> prev_fallback;
    if (options.warm_start) {
      const ArtifactSource& from = *options.warm_start;
      if (from.Has(kFallbackFiles[0])) {
        prev_fallback = std::make_unique<ModelPt>(ModelPt::Parse(
            from.Read(kFallbackFiles[0]), from.Describe(kFallbackFiles[0]), so.device));
        const std::string why = WarmStartMismatch(prev_fallback->arch, linear);
        if (!why.empty()) {
          LogInfo("fallback: cold start (" + why + ")");
          prev_fallback.reset();
        }
      } else {
        LogInfo("fallback: cold start (the previous version has no fallback model)");
      }
    }
    outcome.fallback = TrainOne(linear, fo, prev_fallback.get(), tr, train_rows, val_rows, ev,
                                *options.out, kFallbackFiles);
    outcome.timings["fallback"] = Since(t0);
  }
  return outcome;
}

nlohmann::json RuntimeVersions() {
  const std::string cuda = torch_cuda::RuntimeVersion();
  return {{"torch", TORCH_VERSION},
          {"cuda", cuda.empty() ? nlohmann::json() : nlohmann::json(cuda)}};
}

}  // namespace freshet
