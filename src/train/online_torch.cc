#include "train/online_torch.h"

#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "freshet/error.hpp"
#include "freshet/log.hpp"
#include "freshet/trainer.hpp"
#include "train/checkpoint.h"
#include "train/data.h"
#include "train/optim.h"
#include "train/session.h"
#include "train/torch_cuda.h"

namespace freshet {
namespace {

constexpr char kSaveFormat[] = "freshet.online_model/1";

std::string Short(const c10::Error& e) {
  std::string s = e.what_without_backtrace();
  const size_t nl = s.find('\n');
  if (nl != std::string::npos) s = s.substr(0, nl);
  return s.substr(0, 300);
}

torch::Tensor GetState(at::Generator gen) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void SetState(at::Generator gen, const torch::Tensor& state) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

// While alive, PyTorch's default CPU and CUDA generators run the learner's streams; on exit the
// streams are stored back into `cpu` and `cuda` and the default generators restored.
class OwnStreams {
 public:
  OwnStreams(bool on, const torch::Device& device, torch::Tensor* cpu, torch::Tensor* cuda)
      : on_(on), device_(device), cpu_(cpu), cuda_(cuda) {
    if (!on_) return;
    saved_cpu_ = GetState(at::detail::getDefaultCPUGenerator());
    saved_cuda_ = torch_cuda::GeneratorState(device_);
    SetState(at::detail::getDefaultCPUGenerator(), *cpu_);
    torch_cuda::SetGeneratorState(device_, *cuda_);
  }
  ~OwnStreams() {
    if (!on_) return;
    *cpu_ = GetState(at::detail::getDefaultCPUGenerator());
    *cuda_ = torch_cuda::GeneratorState(device_);
    SetState(at::detail::getDefaultCPUGenerator(), saved_cpu_);
    torch_cuda::SetGeneratorState(device_, saved_cuda_);
  }
  OwnStreams(const OwnStreams&) = delete;
  OwnStreams& operator=(const OwnStreams&) = delete;

 private:
  bool on_;
  torch::Device device_;
  torch::Tensor *cpu_, *cuda_;
  torch::Tensor saved_cpu_, saved_cuda_;
};

// The mean of TrainSession::RowLoss's per-row losses: the same losses, on the same label scale.
torch::Tensor MeanLoss(const std::string& loss, double huber_delta, const ModelArch& arch,
                       const torch::Tensor& out, const torch::Tensor& label) {
  const torch::Tensor y = arch.task == Task::kRegression && arch.has_label_scaler()
                              ? (label - arch.label_mean) / arch.label_std
                              : label;
  if (loss == "cross_entropy") {
    return torch::nn::functional::cross_entropy(out, y.to(torch::kInt64));
  }
  const torch::Tensor z = out.select(1, 0);
  if (loss == "bce") return torch::binary_cross_entropy_with_logits(z, y);
  if (loss == "huber") return torch::huber_loss(z, y, at::Reduction::Mean, huber_delta);
  return (z - y).pow(2).mean();
}

c10::IValue ReadValue(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue v;
  archive.read(key, v);
  return v;
}

// Appends rows to the embedding tables of `list` up to `cards`: zeros for one-wide (linear)
// tables, else N(0, 1) from a generator seeded by `seed`, the table's index and its new size.
void GrowTables(torch::nn::ModuleList& list, const std::vector<int64_t>& cards, bool one_wide,
                uint64_t seed) {
  for (size_t k = 0; k < list->size(); ++k) {
    auto emb = list[k]->as<torch::nn::Embedding>();
    const torch::Tensor& w = emb->weight;
    const int64_t old_rows = w.size(0), rows = cards[k];
    if (rows == old_rows) continue;
    torch::Tensor extra;
    if (one_wide) {
      extra = torch::zeros({rows - old_rows, w.size(1)}, w.options());
    } else {
      auto gen = at::make_generator<at::CPUGeneratorImpl>(seed + static_cast<uint64_t>(rows) +
                                                          (static_cast<uint64_t>(k) << 40));
      extra = torch::randn({rows - old_rows, w.size(1)}, gen, torch::kFloat32).to(w.options());
    }
    emb->weight.set_data(torch::cat({w.detach(), extra}, 0));
    emb->weight.mutable_grad() = torch::Tensor();
    emb->options.num_embeddings(rows);
  }
}

}  // namespace

TorchOnlineLearner::TorchOnlineLearner(const Config& config, const FeatureState& state,
                                       const Device& device, const ArtifactSource* start)
    : train_(config.train),
      loss_(ResolvedLoss(config.train, config.task)),
      device_(TorchDevice(device)) {
  CheckModelConfig(config);
  std::optional<ModelArch> champion;
  if (start != nullptr && start->Has(kModelFiles[1]) && start->Has(kModelFiles[2])) {
    champion = ParseModelJson(start->Read(kModelFiles[2]), start->Describe(kModelFiles[2]));
  }
  int64_t k = 0;
  if (config.task == Task::kMulticlass) {
    k = config.model_spec.num_classes;
    if (k == 0 && champion && champion->task == Task::kMulticlass) k = champion->outputs;
    if (k == 0) {
      throw ConfigError(
          "online.learner: model: a multiclass task needs model_spec.num_classes when there is no "
          "champion model to take the classes from");
    }
  }
  ModelArch arch =
      ResolveArch(config.model_spec, config.task, k, state, champion ? &*champion : nullptr);
  if (champion) {
    const std::string why = WarmStartMismatch(*champion, arch);
    if (why.empty()) {
      from_champion_ = true;
      arch.label_mean = champion->label_mean;
      arch.label_std = champion->label_std;
    } else {
      LogInfo("online.learner: model: the champion's model (" + start->Describe(kModelFiles[2]) +
              ") has another architecture (" + why + "): starting from fresh weights");
    }
  }
  torch::manual_seed(train_.seed);
  rng_cuda_ = torch_cuda::GeneratorState(device_);
  rng_cpu_ = GetState(at::make_generator<at::CPUGeneratorImpl>(train_.seed ^ 0x0d1ce0d1ceULL));
  dropout_ = arch.kind != "linear" && arch.dropout > 0;
  model_ = TabularNet(arch);
  if (from_champion_) {
    const std::string path = start->Describe(kModelFiles[1]);
    LoadWeights(model_, ParseSafetensors(start->Read(kModelFiles[1]), path), path);
  }
  model_->to(device_);
  ResetOptimizer();
  if (from_champion_ && start->Has(kModelFiles[0])) {
    // The optimiser's state as the champion's run left it, as a batch warm start takes it.
    std::unique_ptr<ModelPt> pt;  // held by pointer, as trainer.cc does
    try {
      pt = std::make_unique<ModelPt>(
          ModelPt::Parse(start->Read(kModelFiles[0]), start->Describe(kModelFiles[0]), device_));
    } catch (const ConfigError& e) {
      LogInfo(std::string("online.learner: model: the optimiser state starts fresh: ") + e.what());
    }
    if (pt && pt->optimizer_name == train_.optimizer &&
        WarmStartMismatch(pt->arch, model_->arch).empty()) {
      pt->LoadOptimizer(*optimizer_);
      GrowOptimizerState(*optimizer_);
      ApplyOptimizerOptions(train_, *optimizer_);
    }
  }
}

void TorchOnlineLearner::ResetOptimizer() {
  optimizer_ = MakeOptimizer(train_, model_->parameters());
  SetLearningRate(*optimizer_, train_.lr * lr_factor_);
  fused_steps_.clear();
}

std::pair<torch::Tensor, torch::Tensor> TorchOnlineLearner::Inputs(const FeatureRows& rows) const {
  const ModelArch& arch = model_->arch;
  const int64_t n = rows.rows, c = static_cast<int64_t>(arch.categorical.size());
  FRESHET_CHECK(rows.dense_dim == arch.dense_dim && rows.cat_dim == c,
                "online rows of " + std::to_string(rows.dense_dim) + " dense and " +
                    std::to_string(rows.cat_dim) + " categorical outputs, the model has " +
                    std::to_string(arch.dense_dim) + " and " + std::to_string(c));
  for (int64_t i = 0; i < n * c; ++i) {
    const int64_t v = rows.cats[i];
    FRESHET_CHECK(v >= 0 && v < arch.categorical[i % c].cardinality,
                  "categorical output " + arch.categorical[i % c].name + ": index " +
                      std::to_string(v) + " outside its table (Grow first)");
  }
  torch::Tensor dense = rows.dense_dim > 0 ? torch::from_blob(const_cast<float*>(rows.dense),
                                                              {n, rows.dense_dim}, torch::kFloat32)
                                           : torch::empty({n, 0}, torch::kFloat32);
  torch::Tensor cats =
      c > 0 ? torch::from_blob(const_cast<int64_t*>(rows.cats), {n, c}, torch::kInt64)
            : torch::empty({n, 0}, torch::kInt64);
  return {dense.to(device_), cats.to(device_)};
}

void TorchOnlineLearner::Predict(const FeatureRows& rows, double* out) {
  if (rows.rows == 0) return;
  const auto [dense, cats] = Inputs(rows);
  torch::NoGradGuard no_grad;
  model_->eval();
  const torch::Tensor p = OutputTransform(model_->arch, model_->forward(dense, cats))
                              .to(torch::kCPU, torch::kFloat64)
                              .contiguous();
  std::memcpy(out, p.data_ptr<double>(), sizeof(double) * static_cast<size_t>(p.numel()));
}

void TorchOnlineLearner::Train(const FeatureRows& rows, const double* labels) {
  const ModelArch& arch = model_->arch;
  const int64_t n = rows.rows;
  if (n == 0 || (arch.norm == "batch" && arch.kind != "linear" && n < 2)) return;
  for (int64_t i = 0; i < n; ++i) {
    const double y = labels[i];
    const bool ok = arch.task == Task::kMulticlass
                        ? y >= 0 && y < static_cast<double>(arch.outputs) && y == std::floor(y)
                        : std::isfinite(y);
    if (!ok) {
      throw DataError("online: label of row " + std::to_string(i) + " of the micro-batch: " +
                      (arch.task == Task::kMulticlass
                           ? "expected a class id below " + std::to_string(arch.outputs)
                           : std::string("expected a finite number")) +
                      ", got " + std::to_string(y));
    }
  }
  const auto [dense, cats] = Inputs(rows);
  const torch::Tensor y = torch::from_blob(const_cast<double*>(labels), {n}, torch::kFloat64)
                              .to(device_, torch::kFloat32);
  OwnStreams streams(dropout_, device_, &rng_cpu_, &rng_cuda_);
  model_->train();
  optimizer_->zero_grad();
  torch::Tensor loss = MeanLoss(loss_, train_.huber_delta, arch, model_->forward(dense, cats), y);
  loss.backward();
  if (train_.clip_grad_norm > 0) {
    torch::nn::utils::clip_grad_norm_(model_->parameters(), train_.clip_grad_norm);
  }
  if (!FusedAdamStep(*optimizer_, &fused_steps_)) optimizer_->step();
  ++steps_;
}

void TorchOnlineLearner::SetLearningRateFactor(double factor) {
  FRESHET_CHECK(std::isfinite(factor) && factor > 0, "learning-rate factor must be positive");
  lr_factor_ = factor;
  SetLearningRate(*optimizer_, train_.lr * lr_factor_);
}

void TorchOnlineLearner::Grow(const std::vector<int64_t>& cardinalities) {
  ModelArch& arch = model_->arch;
  FRESHET_CHECK(cardinalities.size() == arch.categorical.size(),
                "Grow: another number of categorical outputs");
  for (size_t k = 0; k < cardinalities.size(); ++k) {
    FRESHET_CHECK(cardinalities[k] >= arch.categorical[k].cardinality,
                  "Grow: the table of " + arch.categorical[k].name + " would shrink");
  }
  torch::NoGradGuard no_grad;
  if (model_->wide) GrowTables(model_->wide->embeddings, cardinalities, true, train_.seed);
  if (model_->deep) GrowTables(model_->deep->embeddings, cardinalities, false, train_.seed);
  for (size_t k = 0; k < cardinalities.size(); ++k) {
    arch.categorical[k].cardinality = cardinalities[k];
  }
  GrowOptimizerState(*optimizer_);
  fused_steps_.clear();
}

std::string TorchOnlineLearner::Save() const {
  try {
    torch::serialize::OutputArchive root, weights, optim;
    root.write("format", c10::IValue(std::string(kSaveFormat)));
    root.write("arch", c10::IValue(model_->arch.ToJson().dump()));
    for (const auto& [name, t] : StateDict(*model_)) weights.write(name, t.detach(), true);
    root.write("model", weights);
    root.write("optimizer_name", c10::IValue(train_.optimizer));
    optimizer_->save(optim);
    root.write("optimizer", optim);
    root.write("lr_factor", c10::IValue(lr_factor_));
    root.write("steps", c10::IValue(steps_));
    if (rng_cpu_.defined()) root.write("rng_cpu", rng_cpu_, true);
    if (rng_cuda_.defined()) root.write("rng_cuda", rng_cuda_, true);
    std::ostringstream out;
    root.save_to(out);
    return std::move(out).str();
  } catch (const c10::Error& e) {
    throw IoError("online learner (" + model_->arch.kind + "): cannot save its state: " + Short(e));
  }
}

void TorchOnlineLearner::Restore(std::string_view bytes, const std::string& source) {
  torch::serialize::InputArchive root;
  try {
    root.load_from(bytes.data(), bytes.size(), device_);
  } catch (const c10::Error& e) {
    throw ArtifactError(source + ": not a saved online model (corrupt or truncated?): " + Short(e));
  }
  // Everything is read and checked before the learner changes.
  ModelArch saved;
  NamedTensors weights;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  double lr_factor = 1.0;
  int64_t steps = 0;
  torch::Tensor rng_cpu, rng_cuda;
  try {
    c10::IValue format;
    if (!root.try_read("format", format) || !format.isString() ||
        format.toStringRef() != kSaveFormat) {
      throw ArtifactError(source + ": not a saved online model of kind " + model_->arch.kind +
                          " (no \"" + kSaveFormat + "\" format)");
    }
    saved = ModelArch::FromJson(nlohmann::json::parse(ReadValue(root, "arch").toStringRef()),
                                source + " (arch)");
    ModelArch mine = model_->arch;
    mine.label_mean = saved.label_mean;
    mine.label_std = saved.label_std;
    if (saved.ToJson() != mine.ToJson()) {
      std::string why = WarmStartMismatch(saved, mine);
      if (why.empty()) why = "embedding tables of other sizes";
      throw ArtifactError(source + ": saved by an online model of another architecture (" + why +
                          ")");
    }
    const std::string name = ReadValue(root, "optimizer_name").toStringRef();
    if (name != train_.optimizer) {
      throw ArtifactError(source + ": saved with optimiser " + name + ", this learner uses " +
                          train_.optimizer + " (train.optimizer)");
    }
    torch::serialize::InputArchive w;
    root.read("model", w);
    std::map<std::string, torch::Tensor> by_name;
    for (const auto& key : w.keys()) {
      torch::Tensor t;
      w.read(key, t, /*is_buffer=*/true);
      by_name.emplace(key, t);
      weights.emplace_back(key, t);
    }
    for (const auto& [key, param] : StateDict(*model_)) {
      auto it = by_name.find(key);
      if (it == by_name.end() || it->second.sizes() != param.sizes() ||
          it->second.scalar_type() != param.scalar_type()) {
        throw ArtifactError(source + ": tensor " + key + " is missing or of another shape");
      }
      by_name.erase(it);
    }
    if (!by_name.empty()) {
      throw ArtifactError(source + ": unexpected tensor " + by_name.begin()->first);
    }
    lr_factor = ReadValue(root, "lr_factor").toDouble();
    steps = ReadValue(root, "steps").toInt();
    root.try_read("rng_cpu", rng_cpu, true);
    root.try_read("rng_cuda", rng_cuda, true);
    // A new optimiser over the same parameters: loading it leaves the current one untouched.
    optimizer = MakeOptimizer(train_, model_->parameters());
    torch::serialize::InputArchive optim;
    root.read("optimizer", optim);
    optimizer->load(optim);
  } catch (const c10::Error& e) {
    throw ArtifactError(source + ": incomplete saved online model: " + Short(e));
  } catch (const nlohmann::json::exception& e) {
    throw ArtifactError(source + ": incomplete saved online model: " + e.what());
  }
  model_->arch.label_mean = saved.label_mean;
  model_->arch.label_std = saved.label_std;
  LoadWeights(model_, weights, source);
  optimizer_ = std::move(optimizer);
  fused_steps_.clear();
  lr_factor_ = lr_factor;
  ApplyOptimizerOptions(train_, *optimizer_);
  SetLearningRate(*optimizer_, train_.lr * lr_factor_);
  steps_ = steps;
  if (rng_cpu.defined()) rng_cpu_ = rng_cpu.to(torch::kCPU);
  if (rng_cuda.defined() && device_.is_cuda()) rng_cuda_ = rng_cuda.to(torch::kCPU);
}

int64_t TorchOnlineLearner::parameters() const {
  int64_t n = 0;
  for (const auto& p : model_->parameters()) n += p.numel();
  return n;
}

void TorchOnlineLearner::SetLinear(const LinearWeights& /*weights*/) {
  throw ConfigError("online.learner: model (" + model_->arch.kind +
                    ") does not take linear weights: it starts again from a champion by being "
                    "built anew from that version");
}

std::unique_ptr<OnlineLearner> MakeOnlineModel(const Config& config, const FeatureState& state,
                                               const Device& device, const ArtifactSource* start) {
  return std::make_unique<TorchOnlineLearner>(config, state, device, start);
}

}  // namespace freshet
