#include "freshet/trainer.hpp"

#include <chrono>

#include <torch/torch.h>
#ifdef FRESHET_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

#include "freshet/error.hpp"
#include "freshet/log.hpp"
#include "models/tabular_net.h"

namespace freshet {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

torch::Device TorchDevice(const Device& d) {
  return d.is_cuda() ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(d.index))
                     : torch::Device(torch::kCPU);
}

void* CurrentStream(const Device& d) {
#ifdef FRESHET_WITH_CUDA
  if (d.is_cuda()) return at::cuda::getCurrentCUDAStream(d.index).stream();
#endif
  (void)d;
  return nullptr;
}

struct Features {
  torch::Tensor dense;   // [N, D] float32
  torch::Tensor cats;    // [N, C] int64
  torch::Tensor labels;  // [N] float32
};

// Allocates the feature tensors on the device and has the feature kernels write them in place.
Features BuildFeatures(const Table& table, const FeatureState& state, const std::string& label,
                       const Device& device) {
  const int64_t n = table.rows();
  const auto dev = TorchDevice(device);
  Features f;
  f.dense = torch::empty({n, state.dense_dim()}, torch::dtype(torch::kFloat32).device(dev));
  f.cats = torch::empty({n, state.categorical_dim()}, torch::dtype(torch::kInt64).device(dev));
  TransformFeatures(table, state, device, f.dense.data_ptr<float>(), f.cats.data_ptr<int64_t>(),
                    CurrentStream(device));
  const Column* y = table.Find(label);
  FRESHET_CHECK(y != nullptr, "label column missing after ingest");
  std::vector<float> host(n);
  for (int64_t i = 0; i < n; ++i) host[i] = static_cast<float>(y->as_double(i));
  f.labels = torch::from_blob(host.data(), {n}, torch::kFloat32)
                 .to(dev, /*non_blocking=*/false,
                     /*copy=*/true);
  return f;
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const TrainConfig& t,
                                                       std::vector<torch::Tensor> params) {
  if (t.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(t.lr).momentum(0.9).weight_decay(t.weight_decay));
  }
  if (t.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(t.lr).weight_decay(t.weight_decay));
  }
  return std::make_unique<torch::optim::AdamW>(
      params, torch::optim::AdamWOptions(t.lr).weight_decay(t.weight_decay));
}

void WarmStart(TabularNet& model, torch::optim::Optimizer& optim, const std::string& path,
               const torch::Device& device) {
  torch::serialize::InputArchive root, weights, state;
  try {
    root.load_from(path, device);
    root.read("model", weights);
    root.read("optimizer", state);
  } catch (const c10::Error& e) {
    throw IoError(path + ": cannot read the checkpoint: " + e.what_without_backtrace());
  }
  try {
    model->load(weights);
    optim.load(state);
  } catch (const c10::Error& e) {
    throw ConfigError(
        "train.warm_start: the previous version's model does not fit this config's architecture "
        "(" +
        path + ": " + std::string(e.what_without_backtrace()).substr(0, 200) +
        "); set train.warm_start: false to start cold");
  }
}

std::vector<float> Predict(TabularNet& model, const Features& f, int64_t batch) {
  torch::NoGradGuard no_grad;
  model->eval();
  const int64_t n = f.dense.size(0);
  std::vector<torch::Tensor> parts;
  for (int64_t b = 0; b < n; b += batch) {
    const int64_t e = std::min(n, b + batch);
    parts.push_back(torch::sigmoid(model->forward(f.dense.slice(0, b, e), f.cats.slice(0, b, e))));
  }
  torch::Tensor probs = parts.empty() ? torch::empty({0}) : torch::cat(parts).to(torch::kCPU);
  probs = probs.contiguous();
  return std::vector<float>(probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel());
}

}  // namespace

TrainOutcome TrainModel(const Config& config, const FeatureState& state, const Table& train,
                        const Table& eval, const Device& device,
                        const std::optional<std::string>& warm_start_from,
                        const std::string& out_model_pt) {
  TrainOutcome outcome;
  const TrainConfig& tc = config.train;
  torch::manual_seed(tc.seed);
  const auto dev = TorchDevice(device);

  auto t0 = Clock::now();
  Features tr = BuildFeatures(train, state, config.data.label, device);
  Features ev = BuildFeatures(eval, state, config.data.label, device);
  outcome.timings["features"] = Since(t0);

  TabularNet model(state.dense_dim(), state.cardinalities(), config.model_spec);
  model->to(dev);
  for (const auto& p : model->parameters()) outcome.parameters += p.numel();
  auto optim = MakeOptimizer(tc, model->parameters());
  if (warm_start_from) {
    WarmStart(model, *optim, *warm_start_from, dev);
    model->to(dev);
    outcome.warm_started = true;
    LogInfo("warm start from " + *warm_start_from);
  }

  t0 = Clock::now();
  const int64_t n = tr.dense.size(0);
  const int64_t batch = std::min<int64_t>(tc.batch_size, std::max<int64_t>(n, 1));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(tc.seed);
  for (int epoch = 0; epoch < tc.epochs; ++epoch) {
    model->train();
    auto epoch_start = Clock::now();
    // The permutation is drawn on the host from a seeded generator, so a run is reproducible on
    // any device, then moved once per epoch: batches are index slices of device tensors.
    torch::Tensor perm = torch::randperm(n, gen, torch::kInt64).to(dev);
    torch::Tensor loss_sum = torch::zeros({}, torch::dtype(torch::kFloat64).device(dev));
    int64_t batches = 0;
    for (int64_t b = 0; b < n; b += batch) {
      torch::Tensor idx = perm.slice(0, b, std::min(n, b + batch));
      torch::Tensor logits =
          model->forward(tr.dense.index_select(0, idx), tr.cats.index_select(0, idx));
      torch::Tensor loss =
          torch::binary_cross_entropy_with_logits(logits, tr.labels.index_select(0, idx));
      optim->zero_grad();
      loss.backward();
      optim->step();
      loss_sum += loss.detach();
      ++batches;
      ++outcome.steps;
    }
    outcome.final_train_loss = batches ? loss_sum.item<double>() / batches : 0.0;
    LogInfo(Format("epoch %d/%d: train log loss %.4f (%lld batches, %.2f s)", epoch + 1, tc.epochs,
                   outcome.final_train_loss, static_cast<long long>(batches), Since(epoch_start)));
  }
  outcome.timings["train"] = Since(t0);

  t0 = Clock::now();
  outcome.eval_probs = Predict(model, ev, std::max<int64_t>(batch, 65536));
  torch::Tensor labels = ev.labels.to(torch::kCPU).contiguous();
  outcome.eval_labels.assign(labels.data_ptr<float>(), labels.data_ptr<float>() + labels.numel());
  outcome.timings["predict"] = Since(t0);

  try {
    torch::serialize::OutputArchive root, weights, state_archive;
    model->to(torch::kCPU);
    model->save(weights);
    optim->save(state_archive);
    root.write("model", weights);
    root.write("optimizer", state_archive);
    root.save_to(out_model_pt);
  } catch (const c10::Error& e) {
    throw IoError(out_model_pt + ": cannot write the checkpoint: " + e.what_without_backtrace());
  }
  return outcome;
}

nlohmann::json RuntimeVersions() {
  nlohmann::json v = {{"torch", TORCH_VERSION}, {"cuda", nullptr}};
#ifdef FRESHET_WITH_CUDA
  v["cuda"] =
      std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 100 / 10);
#endif
  return v;
}

}  // namespace freshet
