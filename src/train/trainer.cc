#include "freshet/trainer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <memory>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

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

std::vector<float> HostWeights(const FeatureStore& s) {
  if (!s.weights.defined()) return {};
  torch::Tensor t = s.weights.to(torch::kCPU).contiguous();
  return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}

// The (weighted) mean and population std of the labels; std 1 for a constant label.
std::pair<double, double> LabelMoments(const std::vector<float>& y, const std::vector<float>& w) {
  double sw = 0, s1 = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double wi = w.empty() ? 1.0 : w[i];
    sw += wi, s1 += wi * y[i];
  }
  if (sw <= 0) return {0.0, 1.0};
  const double mean = s1 / sw;
  double s2 = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double d = y[i] - mean;
    s2 += (w.empty() ? 1.0 : w[i]) * d * d;
  }
  const double sd = std::sqrt(s2 / sw);
  return {mean, sd > 0 && std::isfinite(sd) ? sd : 1.0};
}

// The output bias that predicts the label's prior on the training rows: the log-odds (binary),
// the class log-frequencies (multiclass; a class absent from the rows counts half a row), the
// mean of the (standardised) label (regression).
std::vector<float> OutputPrior(const ModelArch& arch, const std::vector<float>& y,
                               const std::vector<float>& w) {
  double sw = 0;
  std::vector<double> mass(static_cast<size_t>(arch.outputs), 0.0);
  for (size_t i = 0; i < y.size(); ++i) {
    const double wi = w.empty() ? 1.0 : w[i];
    sw += wi;
    if (arch.task == Task::kMulticlass) {
      mass[static_cast<size_t>(y[i])] += wi;
    } else {
      mass[0] += wi * y[i];
    }
  }
  std::vector<float> bias(mass.size(), 0.0f);
  if (arch.task == Task::kBinary) {
    const double p = (mass[0] + 0.5) / (sw + 1.0);
    bias[0] = static_cast<float>(std::log(p / (1.0 - p)));
  } else if (arch.task == Task::kMulticlass) {
    const double k = static_cast<double>(arch.outputs);
    for (size_t c = 0; c < mass.size(); ++c) {
      bias[c] = static_cast<float>(std::log((std::max(mass[c], 0.5)) / (sw + 0.5 * k)));
    }
  } else if (sw > 0) {
    bias[0] = static_cast<float>((mass[0] / sw - arch.label_mean) / arch.label_std);
  }
  return bias;
}

// How a model starts: from a previous version (warm start), or cold from the label's prior and,
// for linear and wide_deep main models, the fitted fallback.
struct Start {
  ModelPt* previous = nullptr;
  std::vector<float> prior;
  TrainSession* linear = nullptr;  // the fitted fallback; null when there is none
};

// A session for a model of `arch`, initialised as `start` says; records how in r->init.
std::unique_ptr<TrainSession> Started(const ModelArch& arch, const SessionOptions& so,
                                      const Start& start, ModelResult* r) {
  auto session = std::make_unique<TrainSession>(arch, so);
  r->kind = arch.kind;
  if (start.previous) {
    session->WarmStart(*start.previous);
    r->warm_started = true;
    r->init = "warm_start";
    LogInfo(so.log_prefix + "warm start from " + start.previous->path);
  } else {
    session->SetOutputPrior(start.prior);
    r->init = "prior";
    if (start.linear && arch.kind != "mlp") {
      // wide_deep: the per-category weights of a linear fit on large sparse tables (hashed ids)
      // are memorised noise the deep part cannot undo; they start at zero and are learned with it.
      session->StartFromLinear(start.linear->model(), /*with_categorical=*/arch.kind == "linear");
      r->init = "fallback";
    }
  }
  return session;
}

// Whether the fallback and the main model may fit side by side (RunSideBySide): on the CPU, with
// at least two intra-op threads to share out, in a single process (a data-parallel job's
// collectives must come in the same order on every rank).
bool ConcurrentFits(const torch::Device& device, bool distributed) {
  return device.is_cpu() && !distributed && at::get_num_threads() >= 2;
}

// Runs `other` on a new thread and `here` on the calling one, the intra-op threads split between
// them (`other` gets half, at least one; `here` the rest), then restores the intra-op thread
// count; rethrows the first exception (here's before other's) once both are done. Without a thread
// to spare, runs `other` after `here`.
template <typename Other, typename Here>
void RunSideBySide(Other&& other, Here&& here) {
  const int threads = at::get_num_threads();
  const int other_threads = std::max(1, threads / 2);
  const int here_threads = std::max(1, threads - other_threads);
  std::exception_ptr other_error, here_error;
  std::thread worker;
  try {
    worker = std::thread([&] {
      try {
        at::set_num_threads(other_threads);  // this thread's own OpenMP and MKL thread counts
        other();
      } catch (...) {
        other_error = std::current_exception();
      }
    });
  } catch (const std::system_error&) {
    // No thread: both run here, one after the other, on every thread.
  }
  if (worker.joinable()) at::set_num_threads(here_threads);
  try {
    here();
  } catch (...) {
    here_error = std::current_exception();
  }
  if (worker.joinable()) {
    worker.join();
    at::set_num_threads(threads);
  } else if (!here_error) {
    other();
  }
  if (here_error) std::rethrow_exception(here_error);
  if (other_error) std::rethrow_exception(other_error);
}

// Writes the trained session's artifacts `files` to `out`, scores `ev`, and completes `r`.
void Publish(TrainSession& session, const SessionOptions& so, const torch::Tensor& val_rows,
             const FeatureStore& ev, ArtifactSink& out, const char* const files[3],
             ModelResult* r) {
  out.Write(files[0], session.Checkpoint(out.Describe(files[0])));
  const ModelFileBytes model_files = ModelFiles(session.model(), out.Describe(files[1]));
  out.Write(files[1], model_files.safetensors);
  out.Write(files[2], model_files.json);
  torch::Tensor preds = session.Predict(ev).to(torch::kFloat32).contiguous();
  r->eval_predictions.assign(preds.data_ptr<float>(), preds.data_ptr<float>() + preds.numel());
  r->final_train_loss = session.last_train_loss();
  r->steps = session.progress().step;
  r->epochs = session.progress().epoch;
  r->parameters = session.parameters();
  r->history = session.history();
  r->solver = session.solver();
  if (!so.full_batch) {
    if (val_rows.defined()) r->validation_metric = session.validation_metric();
    if (so.train.early_stopping.patience > 0) {
      r->early_stopped = r->epochs < so.train.epochs;
      r->best_epoch = session.progress().best_epoch;
      r->best_validation = session.progress().best_metric;
      r->start_check = session.start_check();
    }
  }
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
  so.comm = options.comm;
  so.chunk_rows = std::max<int64_t>(ResolvedBatchSize(tc, train.rows()), budget / 2 / row_bytes);
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
  const std::vector<float> labels = HostLabels(tr);  // copied to the host once
  if (config.task == Task::kMulticlass) {
    outcome.num_classes = NumClasses(config, labels, outcome.eval_labels, previous.get());
  } else if (config.task == Task::kRegression) {
    CheckRegressionLabels(config.data.label, labels);
  }
  ModelArch arch = ResolveArch(config.model_spec, config.task, outcome.num_classes, state,
                               previous ? &previous->arch : nullptr);
  if (previous) {
    const std::string why = WarmStartMismatch(previous->arch, arch);
    if (!why.empty()) {
      throw ConfigError("train.warm_start: the previous version's model (" + previous->path +
                        ") has another architecture: " + why +
                        "; set train.warm_start: false to start cold");
    }
  }
  const std::vector<float> weights = HostWeights(tr);
  // The label scaler: the previous version's on a warm start (its weights are in that scale),
  // else fitted on the training rows.
  if (previous) {
    arch.label_mean = previous->arch.label_mean;
    arch.label_std = previous->arch.label_std;
  } else if (config.task == Task::kRegression && tc.standardize_label) {
    std::tie(arch.label_mean, arch.label_std) = LabelMoments(labels, weights);
  }
  const std::vector<float> prior = OutputPrior(arch, labels, weights);

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
  } else if (tc.early_stopping.patience > 0) {
    // Early stopping with too few rows for a validation draw: the fixed budget instead.
    so.train.early_stopping.patience = 0;
  }
  const int64_t n_train = n - outcome.validation_rows;
  so.train.batch_size = ResolvedBatchSize(tc, n_train);
  so.train.epochs = ResolvedEpochs(tc, n_train);
  outcome.batch_size = so.train.batch_size;
  outcome.max_epochs = so.train.epochs;
  if (tc.epochs == 0 || tc.batch_size == 0) {
    LogInfo(Format(
        "train: %lld rows: batch %lld, up to %d epochs (%s)", static_cast<long long>(n_train),
        static_cast<long long>(so.train.batch_size), so.train.epochs,
        so.train.early_stopping.patience > 0
            ? Format("early stopping, patience %d", so.train.early_stopping.patience).c_str()
            : "no early stopping"));
  }

  // The fallback first: fitted to convergence on every training row, it is also where a linear
  // or wide_deep main model starts. That start is fitted without the validation rows (then
  // refined on all rows for the published fallback), so that the validation rows judge it fairly.
  std::unique_ptr<TrainSession> start_linear, fallback;
  SessionOptions fo = so;
  ModelResult fallback_result;
  if (tc.fallback.enabled) {
    const ModelArch linear = LinearArch(arch);
    fo.log_prefix = "fallback: ";
    fo.full_batch = true;
    if (config.task == Task::kRegression) fo.loss = "mse";  // ridge
    fo.chunk_rows =
        outcome.resident ? std::min<int64_t>(so.chunk_rows, int64_t{1} << 18) : so.chunk_rows;
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
    Start start{prev_fallback.get(), prior, nullptr};
    if (!previous && arch.kind != "mlp" && val_rows.defined()) {
      const auto t_start = Clock::now();
      SessionOptions so_start = fo;
      so_start.log_prefix = "fallback (without the validation rows): ";
      ModelResult unused;
      start_linear = Started(linear, so_start, start, &unused);
      start_linear->Train(tr, train_rows, torch::Tensor());
      start = Start{nullptr, prior, start_linear.get()};
      outcome.timings["fallback_start"] = Since(t_start);
    }
    fallback = Started(linear, fo, start, &fallback_result);
    if (start_linear) fallback_result.init = start.previous ? "warm_start" : "prior";
  }
  // Fallback and main model fit side by side when the main model does not start from the
  // fallback's fit (ConcurrentFits says when), each on half the intra-op threads: a small-batch
  // step gains little from more threads, and two models on two cores finish sooner than one after
  // the other. Otherwise the fallback first, then the main model, each on every thread. Each keeps
  // its intra-op thread count for the whole fit (not taking over the other's when that one is
  // done): float sums split by thread count, and a model must not depend on which fit finished
  // first. The main model's written-out step alone takes the fallback's core once it is done
  // (SessionOptions::spare_core): it splits every batch the same way on one core or two.
  const bool main_needs_fallback = !start_linear && fallback && !previous && arch.kind != "mlp";
  const bool side_by_side =
      fallback && !main_needs_fallback && ConcurrentFits(so.device, so.comm != nullptr);
  std::atomic<bool> fallback_done{false};
  if (side_by_side) so.spare_core = &fallback_done;
  // The main model's weights are drawn here, after the fallback's, whatever runs first.
  ModelResult r;
  auto main = Started(
      arch, so, {previous.get(), prior, start_linear ? start_linear.get() : fallback.get()}, &r);
  if (side_by_side) LogInfo("fallback and main model fit side by side");
  double fallback_seconds = 0, main_seconds = 0;  // set by each side, read after both are done
  // The fallback's artifacts and scores are written as soon as it is fitted: the main model writes
  // nothing until it is done.
  const auto fit_fallback = [&] {
    const auto t_fallback = Clock::now();
    fallback->Train(tr, torch::Tensor(), torch::Tensor());
    Publish(*fallback, fo, torch::Tensor(), ev, *options.out, kFallbackFiles, &fallback_result);
    fallback_seconds = Since(t_fallback);
    fallback_done.store(true, std::memory_order_release);
  };
  const auto fit_main = [&] {
    const auto t_main = Clock::now();
    main->Train(tr, train_rows, val_rows);
    main_seconds = Since(t_main);
  };
  t0 = Clock::now();
  if (side_by_side) {
    RunSideBySide(fit_fallback, fit_main);
  } else {
    if (fallback) fit_fallback();
    fit_main();
  }
  if (fallback) {
    outcome.fallback = std::move(fallback_result);
    outcome.timings["fallback"] = fallback_seconds;
  }
  outcome.timings["main"] = main_seconds;
  if (r.init == "fallback" && start_linear && main->progress().best_epoch == 0 &&
      std::isfinite(main->progress().best_metric)) {
    // No epoch beat the start (the linear fit without the validation rows): the main model is
    // then the fallback's fit on every row, per-category weights included, its deep part's
    // output zero.
    LogInfo("no epoch beat the starting weights: the model keeps the fallback's fit on all rows");
    main->StartFromLinear(fallback->model());
  }
  Publish(*main, so, val_rows, ev, *options.out, kModelFiles, &r);
  outcome.main = std::move(r);
  outcome.timings["fit"] = Since(t0);
  return outcome;
}

nlohmann::json RuntimeVersions() {
  const std::string cuda = torch_cuda::RuntimeVersion();
  return {{"torch", TORCH_VERSION},
          {"cuda", cuda.empty() ? nlohmann::json() : nlohmann::json(cuda)}};
}

}  // namespace freshet
