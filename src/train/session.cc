#include "train/session.h"

#include <chrono>
#include <cmath>
#include <optional>

#include <ATen/autocast_mode.h>

#include "freshet/env.hpp"
#include "freshet/error.hpp"
#include "freshet/log.hpp"
#include "freshet/metrics.hpp"
#include "train/batch_step.h"
#include "train/dist_sync.h"
#include "train/optim.h"
#include "train/torch_cuda.h"

namespace freshet {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

torch::Tensor GetState(at::Generator gen) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void SetState(at::Generator gen, const torch::Tensor& state) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

// bf16 autocast of CUDA ops while alive, when `on`.
class AutocastScope {
 public:
  explicit AutocastScope(bool on) : on_(on) {
    if (!on_) return;
    at::autocast::set_autocast_enabled(at::kCUDA, true);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(at::kCUDA, false);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool on_;
};

std::vector<float> ToVector(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

torch::Tensor OutputTransform(const ModelArch& arch, const torch::Tensor& logits) {
  switch (arch.task) {
    case Task::kBinary:
      return torch::sigmoid(logits.select(1, 0));
    case Task::kMulticlass:
      return torch::softmax(logits, 1);
    case Task::kRegression:
      if (!arch.has_label_scaler()) return logits.select(1, 0);
      return logits.select(1, 0) * arch.label_std + arch.label_mean;
  }
  return logits;
}

TrainSession::TrainSession(const ModelArch& arch, SessionOptions options)
    : opt_(std::move(options)),
      shuffle_(at::make_generator<at::CPUGeneratorImpl>(opt_.train.seed)) {
  torch::manual_seed(opt_.train.seed);
  model_ = TabularNet(arch);
  model_->to(opt_.device);
  optimizer_ = opt_.full_batch ? MakeLbfgs(opt_.train.fallback, model_->parameters())
                               : MakeOptimizer(opt_.train, model_->parameters());
  const std::string& m = opt_.train.early_stopping.metric;
  metric_ = m == "auto" ? "loss" : m;
}

int64_t TrainSession::parameters() const {
  int64_t n = 0;
  for (const auto& p : model_->parameters()) n += p.numel();
  return n;
}

void TrainSession::WarmStart(ModelPt& previous) {
  fused_steps_.clear();
  FRESHET_CHECK(WarmStartMismatch(previous.arch, model_->arch).empty(),
                "warm start from another architecture");
  LoadWeights(model_, previous.weights, previous.path);
  if (opt_.full_batch) return;
  if (previous.optimizer_name != opt_.train.optimizer) {
    LogInfo(opt_.log_prefix + "warm start: the optimiser changed from " + previous.optimizer_name +
            " to " + opt_.train.optimizer + "; its state starts fresh");
    return;
  }
  previous.LoadOptimizer(*optimizer_);
  GrowOptimizerState(*optimizer_);
  ApplyOptimizerOptions(opt_.train, *optimizer_);
}

void TrainSession::SetOutputPrior(const std::vector<float>& bias) {
  torch::NoGradGuard no_grad;
  FRESHET_CHECK(static_cast<int64_t>(bias.size()) == model_->arch.outputs,
                "output prior of the wrong size");
  const torch::Tensor b = torch::tensor(bias, torch::kFloat32);
  if (opt_.full_batch) {
    for (auto& p : model_->parameters()) p.zero_();
  }
  if (model_->wide) {
    (model_->wide->linear ? model_->wide->linear->bias : model_->wide->bias).copy_(b);
    if (model_->deep) model_->deep->out->bias.zero_();
  } else {
    model_->deep->out->bias.copy_(b);
  }
}

void TrainSession::StartFromLinear(TabularNet& linear, bool with_categorical) {
  FRESHET_CHECK(model_->wide && linear->wide && !linear->deep, "StartFromLinear: no linear part");
  torch::NoGradGuard no_grad;
  const auto from = StateDict(*linear->wide);
  const auto to = StateDict(*model_->wide);
  FRESHET_CHECK(from.size() == to.size(), "StartFromLinear: another linear model");
  for (size_t i = 0; i < to.size(); ++i) {
    FRESHET_CHECK(from[i].first == to[i].first && from[i].second.sizes() == to[i].second.sizes(),
                  "StartFromLinear: another linear model");
    if (to[i].first.rfind("embeddings.", 0) == 0) {
      if (!with_categorical) {
        to[i].second.zero_();
        continue;
      }
    }
    to[i].second.copy_(from[i].second);
  }
  if (model_->deep) {
    model_->deep->out->weight.zero_();
    model_->deep->out->bias.zero_();
  }
}

void TrainSession::Resume(ModelPt& checkpoint) {
  fused_steps_.clear();
  const std::string mismatch = WarmStartMismatch(checkpoint.arch, model_->arch);
  if (!mismatch.empty() || checkpoint.optimizer_name != opt_.train.optimizer) {
    throw ConfigError(
        "resume: " + checkpoint.path + " is a run of another config (" +
        (mismatch.empty() ? "train.optimizer: " + checkpoint.optimizer_name : mismatch) + ")");
  }
  LoadWeights(model_, checkpoint.weights, checkpoint.path);
  checkpoint.LoadOptimizer(*optimizer_);
  ApplyOptimizerOptions(opt_.train, *optimizer_);
  progress_ = checkpoint.progress;
  if (checkpoint.rng.shuffle.defined()) SetState(shuffle_, checkpoint.rng.shuffle);
  if (checkpoint.rng.cpu.defined())
    SetState(at::detail::getDefaultCPUGenerator(), checkpoint.rng.cpu);
  torch_cuda::SetGeneratorState(opt_.device, checkpoint.rng.cuda);
}

torch::Tensor TrainSession::Forward(const torch::Tensor& dense, const torch::Tensor& cats) {
  AutocastScope autocast(opt_.bf16);
  return model_->forward(dense, cats).to(torch::kFloat32);
}

torch::Tensor TrainSession::RowLoss(const torch::Tensor& out, const torch::Tensor& label) const {
  const std::string& loss = opt_.loss;
  const ModelArch& arch = model_->arch;
  // A regression model learns the standardised label (ModelArch::label_mean, label_std).
  const torch::Tensor y = arch.task == Task::kRegression && arch.has_label_scaler()
                              ? (label - arch.label_mean) / arch.label_std
                              : label;
  if (loss == "cross_entropy") {
    return torch::nn::functional::cross_entropy(
        out, y.to(torch::kInt64),
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  }
  const torch::Tensor z = out.select(1, 0);
  if (loss == "bce") {
    return torch::binary_cross_entropy_with_logits(z, y, {}, {}, at::Reduction::None);
  }
  if (loss == "huber") return torch::huber_loss(z, y, at::Reduction::None, opt_.train.huber_delta);
  return (z - y).pow(2);
}

void TrainSession::Train(const FeatureStore& store, const torch::Tensor& train_rows,
                         const torch::Tensor& val_rows, int64_t stop_after_epoch) {
  if (opt_.full_batch) {
    FitFullBatch(store, train_rows);
    return;
  }
  const TrainConfig& tc = opt_.train;
  const bool dist = opt_.comm != nullptr && opt_.comm->size() > 1;
  const bool early = tc.early_stopping.patience > 0;
  FRESHET_CHECK(!early || val_rows.defined(), "early stopping needs validation rows");
  if (early && progress_.epoch == 0 && !progress_.finished &&
      !std::isfinite(progress_.best_metric)) {
    // The starting weights are the bar: a warm start or the fallback's fit is kept when no epoch
    // beats it on the validation rows.
    const double v = Validate(store, val_rows, &progress_.start_losses);
    if (std::isfinite(v)) {
      progress_.best_metric = v;
      progress_.best_epoch = 0;
      progress_.best_weights = CopyWeights(model_);
      progress_.start_weights = progress_.best_weights;
    }
    history_.push_back(
        {{"epoch", 0},
         {"validation_" + metric_, std::isfinite(v) ? nlohmann::json(v) : nlohmann::json()}});
    LogInfo(Format("%sepoch 0 (starting weights): validation %s %.4f", opt_.log_prefix.c_str(),
                   metric_.c_str(), v));
  }
  const int64_t n = train_rows.defined() ? train_rows.size(0) : store.rows();
  const int64_t batch = std::max<int64_t>(1, std::min<int64_t>(tc.batch_size, n));
  const int64_t steps_per_epoch = (n + batch - 1) / batch;
  const int64_t total_steps = steps_per_epoch * tc.epochs;
  const bool batch_norm = model_->arch.norm == "batch" && model_->arch.kind != "linear";
  const torch::Tensor rows_host =
      train_rows.defined() ? train_rows.to(torch::kCPU) : torch::arange(n, torch::kInt64);
  // The written-out CPU step where it applies (train/batch_step.h).
  const std::unique_ptr<BatchStep> cpu_step = BatchStep::Make(model_, opt_, batch);
  const bool gather =
      cpu_step && store.resident && store.dense.is_contiguous() && store.cats.is_contiguous();
  // After a step's gradients: clipping and the optimiser's update.
  const auto update = [&] {
    if (dist) AllReduceGradients(model_->parameters(), *opt_.comm);
    if (tc.clip_grad_norm > 0) {
      torch::nn::utils::clip_grad_norm_(model_->parameters(), tc.clip_grad_norm);
    }
    if (!FusedAdamStep(*optimizer_, &fused_steps_)) optimizer_->step();
    ++progress_.step;
  };
  while (progress_.epoch < tc.epochs && !progress_.finished) {
    const auto start = Clock::now();
    model_->train();
    // The permutation is drawn on the host from the seeded generator, so a run is reproducible on
    // any device, then moved once per epoch.
    torch::Tensor perm = rows_host.index_select(0, torch::randperm(n, shuffle_, torch::kInt64));
    if (store.resident) perm = perm.to(opt_.device);
    // The written-out step gathers a resident store's batches itself.
    std::optional<BatchStream> batches;
    if (!gather) batches.emplace(store, perm, batch, opt_.device, opt_.chunk_rows);
    torch::Tensor loss_sum = torch::zeros({}, torch::dtype(torch::kFloat64).device(opt_.device));
    double step_sum = 0;  // the written-out step's losses
    int64_t count = 0;
    for (int64_t pos = 0; gather && pos < n; pos += batch) {
      SetLearningRate(*optimizer_, ScheduledLr(tc, progress_.step, steps_per_epoch, total_steps));
      step_sum += cpu_step->Step(store, perm.data_ptr<int64_t>() + pos, std::min(batch, n - pos));
      update();
      ++count;
    }
    Batch b;
    while (batches && batches->Next(&b)) {
      if (batch_norm && b.rows() < 2) continue;  // BatchNorm cannot train on a single row
      SetLearningRate(*optimizer_, ScheduledLr(tc, progress_.step, steps_per_epoch, total_steps));
      if (cpu_step) {
        const FeatureStore gathered{b.dense.contiguous(), b.cats.contiguous(), b.labels, b.weights};
        step_sum += cpu_step->Step(gathered, cpu_step->in_order(), b.rows());
        update();
        ++count;
        continue;
      }
      optimizer_->zero_grad();
      torch::Tensor loss;
      if (dist) {
        // This rank's stripe, over the whole batch's rows or weight: the ranks' losses add up to
        // the batch's mean loss.
        const torch::Tensor w = StripeOf(b.weights, *opt_.comm);
        torch::Tensor per_row =
            RowLoss(Forward(StripeOf(b.dense, *opt_.comm), StripeOf(b.cats, *opt_.comm)),
                    StripeOf(b.labels, *opt_.comm));
        loss = w.defined() ? (per_row * w).sum() / b.weights.sum().clamp_min(1e-12)
                           : per_row.sum() / static_cast<double>(b.rows());
      } else {
        torch::Tensor per_row = RowLoss(Forward(b.dense, b.cats), b.labels);
        loss = b.weights.defined() ? (per_row * b.weights).sum() / b.weights.sum().clamp_min(1e-12)
                                   : per_row.mean();
      }
      loss.backward();
      update();
      loss_sum += loss.detach();
      ++count;
    }
    ++progress_.epoch;
    loss_sum += step_sum;
    const double sum = dist ? AllReduceScalar(loss_sum, *opt_.comm) : loss_sum.item<double>();
    last_train_loss_ = count ? sum / static_cast<double>(count) : 0.0;
    nlohmann::json h = {{"epoch", progress_.epoch}, {"train_loss", last_train_loss_}};
    std::string line = Format("%sepoch %lld/%d: train loss %.4f", opt_.log_prefix.c_str(),
                              static_cast<long long>(progress_.epoch), tc.epochs, last_train_loss_);
    if (val_rows.defined()) {
      if (cpu_step) cpu_step->UseAllThreads();
      const double v = Validate(store, val_rows);
      if (cpu_step) cpu_step->UseOneThread();
      h["validation_" + metric_] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
      line += Format(", validation %s %.4f", metric_.c_str(), v);
      if (early) {
        const bool higher = HigherIsBetter(metric_);
        const double best = progress_.best_metric;
        const bool improved =
            std::isfinite(v) &&
            (!std::isfinite(best) || (higher ? v > best + tc.early_stopping.min_delta
                                             : v < best - tc.early_stopping.min_delta));
        if (improved) {
          progress_.best_metric = v;
          progress_.best_epoch = progress_.epoch;
          progress_.bad_epochs = 0;
          progress_.best_weights = CopyWeights(model_);
        } else if (++progress_.bad_epochs >= tc.early_stopping.patience) {
          progress_.finished = true;
          line += Format(" (no improvement for %lld epochs: stopping, best epoch %lld)",
                         static_cast<long long>(progress_.bad_epochs),
                         static_cast<long long>(progress_.best_epoch));
        }
      }
    }
    h["seconds"] = Since(start);
    history_.push_back(h);
    LogInfo(line + Format(" (%lld batches, %.2f s)", static_cast<long long>(count), Since(start)));
    if (stop_after_epoch > 0 && progress_.epoch >= stop_after_epoch) return;
  }
  progress_.finished = true;
  if (early && !progress_.best_weights.empty()) {
    LoadWeights(model_, progress_.best_weights, "best epoch");
    progress_.best_weights.clear();
    KeepStartUnlessBeaten(store, val_rows);
  }
  progress_.start_weights.clear();  // a finished model.pt carries one set of weights
  progress_.start_losses = torch::Tensor();
}

void TrainSession::KeepStartUnlessBeaten(const FeatureStore& store, const torch::Tensor& val_rows) {
  if (progress_.best_epoch == 0 || progress_.start_weights.empty() ||
      !progress_.start_losses.defined() || metric_ != "loss") {
    return;
  }
  torch::Tensor now;
  Validate(store, val_rows, &now);
  const torch::Tensor d = (now - progress_.start_losses).to(torch::kFloat64);
  const int64_t n = d.size(0);
  const double mean = d.mean().item<double>();
  const double se = n > 1 ? d.std().item<double>() / std::sqrt(static_cast<double>(n)) : 0.0;
  bool beaten = std::isfinite(mean) && mean < -se;
  if (opt_.comm != nullptr && opt_.comm->size() > 1) beaten = RankZeros(beaten, *opt_.comm) != 0;
  start_check_ = {{"best_epoch", progress_.best_epoch},
                  {"loss_difference", mean},
                  {"standard_error", se},
                  {"kept_start", !beaten}};
  if (beaten) return;
  LogInfo(
      Format("%sthe best epoch %lld lowers the validation loss by %.4g, within one standard "
             "error (%.4g) of the starting weights: keeping those",
             opt_.log_prefix.c_str(), static_cast<long long>(progress_.best_epoch), -mean, se));
  LoadWeights(model_, progress_.start_weights, "starting weights");
  progress_.best_epoch = 0;
}

double TrainSession::Validate(const FeatureStore& store, const torch::Tensor& rows,
                              torch::Tensor* row_losses) {
  // Every rank holds the validation rows and the same weights; rank 0's value is the one every
  // rank decides on, so that they stop at the same epoch whatever the float order of their sums.
  const double v = ValidateRows(store, rows, row_losses);
  return opt_.comm != nullptr && opt_.comm->size() > 1 ? RankZeros(v, *opt_.comm) : v;
}

double TrainSession::ValidateRows(const FeatureStore& store, const torch::Tensor& rows,
                                  torch::Tensor* row_losses) {
  torch::NoGradGuard no_grad;
  model_->eval();
  BatchStream batches(store, rows, std::max<int64_t>(opt_.train.batch_size, 65536), opt_.device,
                      opt_.chunk_rows);
  torch::Tensor loss_sum = torch::zeros({}, torch::dtype(torch::kFloat64).device(opt_.device));
  torch::Tensor weight_sum = torch::zeros({}, torch::dtype(torch::kFloat64).device(opt_.device));
  std::vector<torch::Tensor> preds, labels, losses;
  Batch b;
  while (batches.Next(&b)) {
    torch::Tensor out = model_->forward(b.dense, b.cats);
    torch::Tensor per_row = RowLoss(out, b.labels);
    if (row_losses) {
      losses.push_back((b.weights.defined() ? per_row * b.weights : per_row).to(torch::kCPU));
    }
    if (b.weights.defined()) {
      loss_sum += (per_row * b.weights).sum();
      weight_sum += b.weights.sum();
    } else {
      loss_sum += per_row.sum();
      weight_sum += per_row.size(0);
    }
    if (metric_ != "loss") {
      preds.push_back(OutputTransform(model_->arch, out).to(torch::kCPU));
      labels.push_back(b.labels.to(torch::kCPU));
    }
  }
  model_->train();
  if (row_losses) {
    // Weighted rows: each row's loss times its weight over the mean weight, so that the mean of
    // the vector is the weighted mean loss.
    *row_losses = losses.empty() ? torch::empty({0}) : torch::cat(losses);
    const double w = weight_sum.item<double>();
    if (w > 0) *row_losses = *row_losses * (static_cast<double>(row_losses->size(0)) / w);
  }
  if (metric_ == "loss") {
    const double w = weight_sum.item<double>();
    return w > 0 ? loss_sum.item<double>() / w : std::numeric_limits<double>::quiet_NaN();
  }
  if (preds.empty()) return std::numeric_limits<double>::quiet_NaN();
  const nlohmann::json m = TaskMetrics(model_->arch.task, model_->arch.outputs,
                                       ToVector(torch::cat(preds)), ToVector(torch::cat(labels)));
  return m.value(metric_, nlohmann::json()).is_number() ? m[metric_].get<double>()
                                                        : std::numeric_limits<double>::quiet_NaN();
}

torch::Tensor TrainSession::Predict(const FeatureStore& store, const torch::Tensor& rows) {
  torch::NoGradGuard no_grad;
  model_->eval();
  BatchStream batches(store, rows, std::max<int64_t>(opt_.train.batch_size, 65536), opt_.device,
                      opt_.chunk_rows);
  std::vector<torch::Tensor> parts;
  Batch b;
  while (batches.Next(&b)) {
    parts.push_back(OutputTransform(model_->arch, model_->forward(b.dense, b.cats)));
  }
  if (parts.empty()) {
    return model_->arch.task == Task::kMulticlass ? torch::empty({0, model_->arch.outputs})
                                                  : torch::empty({0});
  }
  return torch::cat(parts).to(torch::kCPU).contiguous();
}

std::string TrainSession::Checkpoint(const std::string& name) {
  RngState rng;
  rng.shuffle = GetState(shuffle_);
  rng.cpu = GetState(at::detail::getDefaultCPUGenerator());
  rng.cuda = torch_cuda::GeneratorState(opt_.device);
  return ModelPtBytes(name, model_, opt_.train.optimizer, *optimizer_, progress_, rng);
}

void TrainSession::Save(const std::string& model_pt) {
  Env::Default()->WriteFile(model_pt, Checkpoint(model_pt));
}

}  // namespace freshet
