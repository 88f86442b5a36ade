#include "train/checkpoint.h"

#include <map>
#include <sstream>

#include "freshet/env.hpp"
#include "freshet/error.hpp"

namespace freshet {
namespace {

constexpr char kFormat[] = "freshet.checkpoint/1";

std::string Short(const c10::Error& e) {
  std::string s = e.what_without_backtrace();
  const size_t nl = s.find('\n');
  if (nl != std::string::npos) s = s.substr(0, nl);
  return s.substr(0, 300);
}

void WriteTensors(torch::serialize::OutputArchive& archive, const NamedTensors& tensors) {
  for (const auto& [name, t] : tensors) archive.write(name, t.detach(), /*is_buffer=*/true);
}

NamedTensors ReadTensors(torch::serialize::InputArchive& archive) {
  NamedTensors out;
  for (const auto& key : archive.keys()) {
    torch::Tensor t;
    archive.read(key, t, /*is_buffer=*/true);
    out.emplace_back(key, t);
  }
  return out;
}

c10::IValue ReadValue(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue v;
  archive.read(key, v);
  return v;
}

}  // namespace

std::string ModelPtBytes(const std::string& path, TabularNet& model,
                         const std::string& optimizer_name, torch::optim::Optimizer& optimizer,
                         const TrainProgress& progress, const RngState& rng) {
  try {
    torch::serialize::OutputArchive root, weights, optim, best;
    root.write("format", c10::IValue(std::string(kFormat)));
    root.write("arch", c10::IValue(model->arch.ToJson().dump()));
    WriteTensors(weights, StateDict(*model));
    root.write("model", weights);
    root.write("optimizer_name", c10::IValue(optimizer_name));
    optimizer.save(optim);
    root.write("optimizer", optim);
    root.write("epoch", c10::IValue(progress.epoch));
    root.write("step", c10::IValue(progress.step));
    root.write("finished", c10::IValue(progress.finished));
    root.write("best_metric", c10::IValue(progress.best_metric));
    root.write("best_epoch", c10::IValue(progress.best_epoch));
    root.write("bad_epochs", c10::IValue(progress.bad_epochs));
    if (!progress.best_weights.empty()) {
      WriteTensors(best, progress.best_weights);
      root.write("best_model", best);
    }
    if (!progress.start_weights.empty() && progress.start_losses.defined()) {
      torch::serialize::OutputArchive start;
      WriteTensors(start, progress.start_weights);
      root.write("start_model", start);
      root.write("start_losses", progress.start_losses, /*is_buffer=*/true);
    }
    if (rng.shuffle.defined()) root.write("rng_shuffle", rng.shuffle, true);
    if (rng.cpu.defined()) root.write("rng_cpu", rng.cpu, true);
    if (rng.cuda.defined()) root.write("rng_cuda", rng.cuda, true);
    std::ostringstream out;
    root.save_to(out);
    return std::move(out).str();
  } catch (const c10::Error& e) {
    throw IoError(path + ": cannot write the checkpoint: " + Short(e));
  }
}

void SaveModelPt(const std::string& path, TabularNet& model, const std::string& optimizer_name,
                 torch::optim::Optimizer& optimizer, const TrainProgress& progress,
                 const RngState& rng) {
  Env::Default()->WriteFile(path,
                            ModelPtBytes(path, model, optimizer_name, optimizer, progress, rng));
}

ModelPt ModelPt::Read(const std::string& path, const torch::Device& device) {
  std::string bytes;
  try {
    bytes = Env::Default()->ReadFile(path);
  } catch (const IoError&) {
    throw IoError(path + ": cannot open the checkpoint");
  }
  return Parse(bytes, path, device);
}

ModelPt ModelPt::Parse(const std::string& bytes, const std::string& path,
                       const torch::Device& device) {
  ModelPt pt;
  pt.path = path;
  try {
    pt.root_.load_from(bytes.data(), bytes.size(), device);
  } catch (const c10::Error& e) {
    throw ArtifactError(
        path + ": not a readable LibTorch checkpoint (corrupt or truncated?): " + Short(e));
  }
  c10::IValue format;
  if (!pt.root_.try_read("format", format) || !format.isString()) {
    throw ConfigError("train.warm_start: " + path +
                      " has no architecture recorded (written by an older freshet); set "
                      "train.warm_start: false to start cold");
  }
  try {
    if (format.toStringRef() != kFormat) {
      throw IoError(path + ": unknown checkpoint format \"" + format.toStringRef() + "\"");
    }
    pt.arch = ModelArch::FromJson(nlohmann::json::parse(ReadValue(pt.root_, "arch").toStringRef()),
                                  path + " (arch)");
    torch::serialize::InputArchive weights;
    pt.root_.read("model", weights);
    pt.weights = ReadTensors(weights);
    pt.optimizer_name = ReadValue(pt.root_, "optimizer_name").toStringRef();
    pt.progress.epoch = ReadValue(pt.root_, "epoch").toInt();
    pt.progress.step = ReadValue(pt.root_, "step").toInt();
    pt.progress.finished = ReadValue(pt.root_, "finished").toBool();
    pt.progress.best_metric = ReadValue(pt.root_, "best_metric").toDouble();
    pt.progress.best_epoch = ReadValue(pt.root_, "best_epoch").toInt();
    pt.progress.bad_epochs = ReadValue(pt.root_, "bad_epochs").toInt();
    torch::serialize::InputArchive best;
    if (pt.root_.try_read("best_model", best)) pt.progress.best_weights = ReadTensors(best);
    torch::serialize::InputArchive start;
    if (pt.root_.try_read("start_model", start)) {
      pt.progress.start_weights = ReadTensors(start);
      pt.root_.try_read("start_losses", pt.progress.start_losses, true);
      if (pt.progress.start_losses.defined()) {
        pt.progress.start_losses = pt.progress.start_losses.to(torch::kCPU);
      }
    }
    pt.root_.try_read("rng_shuffle", pt.rng.shuffle, true);
    pt.root_.try_read("rng_cpu", pt.rng.cpu, true);
    pt.root_.try_read("rng_cuda", pt.rng.cuda, true);
  } catch (const c10::Error& e) {
    throw ArtifactError(path + ": incomplete checkpoint: " + Short(e));
  } catch (const nlohmann::json::exception& e) {
    throw ArtifactError(path + ": incomplete checkpoint: " + e.what());
  }
  for (auto* t : {&pt.rng.shuffle, &pt.rng.cpu, &pt.rng.cuda}) {
    if (t->defined()) *t = t->to(torch::kCPU);
  }
  return pt;
}

void ModelPt::LoadOptimizer(torch::optim::Optimizer& optimizer) {
  try {
    torch::serialize::InputArchive state;
    root_.read("optimizer", state);
    optimizer.load(state);
  } catch (const c10::Error& e) {
    throw IoError(path + ": cannot load the optimiser state: " + Short(e));
  }
}

void LoadWeights(TabularNet& model, const NamedTensors& weights, const std::string& source) {
  std::map<std::string, torch::Tensor> by_name(weights.begin(), weights.end());
  torch::NoGradGuard no_grad;
  for (auto& [name, param] : StateDict(*model)) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      throw IoError(source + ": tensor " + name + " is missing (the checkpoint does not match " +
                    "its architecture)");
    }
    const torch::Tensor& t = it->second;
    const bool same = t.sizes() == param.sizes();
    const bool grown = !same && t.dim() == param.dim() && t.dim() >= 1 &&
                       t.size(0) < param.size(0) && t.sizes().slice(1) == param.sizes().slice(1);
    if (!same && !grown) {
      throw IoError(source + ": tensor " + name + " has shape " + c10::str(t.sizes()) +
                    ", the architecture needs " + c10::str(param.sizes()));
    }
    if (t.scalar_type() != param.scalar_type()) {
      throw IoError(source + ": tensor " + name + " has dtype " + c10::toString(t.scalar_type()) +
                    ", the architecture needs " + c10::toString(param.scalar_type()));
    }
    if (same) {
      param.copy_(t);
    } else {
      param.slice(0, 0, t.size(0)).copy_(t);
    }
    by_name.erase(it);
  }
  if (!by_name.empty()) {
    throw IoError(source + ": unexpected tensor " + by_name.begin()->first +
                  " (the checkpoint does not match its architecture)");
  }
}

NamedTensors CopyWeights(TabularNet& model) {
  NamedTensors out;
  for (const auto& [name, t] : StateDict(*model)) {
    out.emplace_back(name, t.detach().to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true));
  }
  return out;
}

ModelFileBytes ModelFiles(TabularNet& model, const std::string& safetensors_name) {
  const nlohmann::json arch = model->arch.ToJson();
  return {SafetensorsBytes(safetensors_name, StateDict(*model),
                           {{"format", "pt"}, {"freshet.model", arch.dump()}}),
          arch.dump(2) + "\n"};
}

void WriteModelFiles(TabularNet& model, const std::string& safetensors_path,
                     const std::string& json_path) {
  const ModelFileBytes files = ModelFiles(model, safetensors_path);
  Env::Default()->WriteFile(safetensors_path, files.safetensors);
  Env::Default()->WriteFile(json_path, files.json);
}

ModelArch ParseModelJson(const std::string& text, const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ArtifactError(path + ": not valid JSON: " + e.what());
  }
  return ModelArch::FromJson(j, path);
}

ModelArch ReadModelJson(const std::string& path) {
  std::string text;
  try {
    text = Env::Default()->ReadFile(path);
  } catch (const IoError&) {
    throw IoError(path + ": cannot open the model description");
  }
  return ParseModelJson(text, path);
}

TabularNet LoadModel(const std::string& json_text, const std::string& json_path,
                     const std::string& safetensors_bytes, const std::string& safetensors_path,
                     const torch::Device& device) {
  TabularNet model(ParseModelJson(json_text, json_path));
  const NamedTensors weights = ParseSafetensors(safetensors_bytes, safetensors_path);
  // A grown table is never right here: the files of one version are written together.
  std::map<std::string, torch::Tensor> by_name(weights.begin(), weights.end());
  for (const auto& [name, param] : StateDict(*model)) {
    auto it = by_name.find(name);
    if (it != by_name.end() && it->second.sizes() != param.sizes()) {
      throw IoError(safetensors_path + ": tensor " + name + " has shape " +
                    c10::str(it->second.sizes()) + ", " + json_path + " needs " +
                    c10::str(param.sizes()));
    }
  }
  LoadWeights(model, weights, safetensors_path);
  model->to(device);
  model->eval();
  return model;
}

TabularNet LoadModelFiles(const std::string& json_path, const std::string& safetensors_path,
                          const torch::Device& device) {
  std::string json_text, st;
  try {
    json_text = Env::Default()->ReadFile(json_path);
  } catch (const IoError&) {
    throw IoError(json_path + ": cannot open the model description");
  }
  try {
    st = Env::Default()->ReadFile(safetensors_path);
  } catch (const IoError&) {
    throw IoError(safetensors_path + ": cannot open the safetensors file");
  }
  return LoadModel(json_text, json_path, st, safetensors_path, device);
}

}  // namespace freshet
