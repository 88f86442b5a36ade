// Checkpoint files of a trained model:
//   model.pt           LibTorch archive: architecture, weights, optimiser name and state, training
//                      progress (epoch, step, early-stopping state and best weights) and the RNG
//                      states, so that training resumes exactly where it stopped.
//   model.safetensors  the weights (parameters and buffers) by their PyTorch state_dict names.
//   model.json         the architecture (ModelArch::ToJson), enough to rebuild the model.
#pragma once

#include <limits>
#include <string>

#include <torch/torch.h>

#include "models/arch.h"
#include "models/safetensors.h"
#include "models/tabular_net.h"

namespace freshet {

// Where a run stands; saved in model.pt.
struct TrainProgress {
  int64_t epoch = 0;  // completed epochs
  int64_t step = 0;   // optimiser steps taken
  bool finished = false;
  // Early stopping.
  double best_metric = std::numeric_limits<double>::quiet_NaN();
  int64_t best_epoch = 0;     // 1-based epoch of best_metric; 0 = none yet
  int64_t bad_epochs = 0;     // epochs since the best one
  NamedTensors best_weights;  // the weights after best_epoch (host copies); empty when none
  // The validated starting weights and their per-row validation losses (host), for the
  // one-standard-error check at the end; empty / undefined when early stopping is off.
  NamedTensors start_weights;
  torch::Tensor start_losses;
};

// The random streams a run draws from: its shuffling generator and PyTorch's default CPU and CUDA
// generators (initialisation, dropout). Byte tensors as Generator::get_state returns them.
struct RngState {
  torch::Tensor shuffle, cpu, cuda;  // cuda undefined on a CPU run
};

// The bytes of model.pt. The model's weights are saved as they are (on any device). Throws
// IoError naming `path`.
std::string ModelPtBytes(const std::string& path, TabularNet& model,
                         const std::string& optimizer_name, torch::optim::Optimizer& optimizer,
                         const TrainProgress& progress, const RngState& rng);
// Writes ModelPtBytes() to `path` (fsynced).
void SaveModelPt(const std::string& path, TabularNet& model, const std::string& optimizer_name,
                 torch::optim::Optimizer& optimizer, const TrainProgress& progress,
                 const RngState& rng);

// A model.pt read back. Tensors are loaded onto the device given to Read.
class ModelPt {
 public:
  // Throws IoError naming the path when the file is missing, truncated or corrupt, and
  // ConfigError when it predates model.json (an older freshet: no architecture recorded).
  static ModelPt Read(const std::string& path, const torch::Device& device);
  // The same for the file's bytes; `path` names it in errors.
  static ModelPt Parse(const std::string& bytes, const std::string& path,
                       const torch::Device& device);

  // Loads the saved optimiser state into `optimizer`, whose parameters are those of a model of
  // `arch` in order. REQUIRES: optimizer_name equals the optimiser's kind.
  void LoadOptimizer(torch::optim::Optimizer& optimizer);

  std::string path;
  ModelArch arch;
  NamedTensors weights;
  std::string optimizer_name;
  TrainProgress progress;
  RngState rng;

 private:
  torch::serialize::InputArchive root_;
};

// Copies `weights` into the parameters and buffers of `model` with the same names, in place
// (parameters keep their identity, so an optimiser over them stays valid). A tensor with fewer
// rows than its parameter (an embedding table that grew) fills the leading rows; the other rows
// keep the values they have. Throws IoError naming `source` when a name is missing or a shape
// differs otherwise.
void LoadWeights(TabularNet& model, const NamedTensors& weights, const std::string& source);

// Host copies of the model's parameters and buffers.
NamedTensors CopyWeights(TabularNet& model);

// The bytes of model.safetensors (with the architecture in its metadata) and model.json.
struct ModelFileBytes {
  std::string safetensors, json;
};
ModelFileBytes ModelFiles(TabularNet& model, const std::string& safetensors_name);
// Writes them to the two paths.
void WriteModelFiles(TabularNet& model, const std::string& safetensors_path,
                     const std::string& json_path);

// Rebuilds a model from model.json and loads model.safetensors into it, on `device`, in eval
// mode. Throws IoError naming the file for a missing, corrupt or mismatched one.
TabularNet LoadModelFiles(const std::string& json_path, const std::string& safetensors_path,
                          const torch::Device& device);

// The same from the files' bytes; the paths name them in errors.
TabularNet LoadModel(const std::string& json_text, const std::string& json_path,
                     const std::string& safetensors_bytes, const std::string& safetensors_path,
                     const torch::Device& device);

// Reads model.json. Throws IoError naming the path.
ModelArch ReadModelJson(const std::string& path);
ModelArch ParseModelJson(const std::string& text, const std::string& path);

}  // namespace freshet
