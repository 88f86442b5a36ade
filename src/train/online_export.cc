// Online learners' weights as the registry's model files, and a linear version's weights back
// (trainer.hpp: ExportOnlineModel, ReadLinearWeights).
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

// Writes kModelFiles for `model`: model.pt (a finished run of `progress`) and the model files.
void WriteModel(ArtifactSink& sink, TabularNet& model, const std::string& optimizer_name,
                torch::optim::Optimizer& optimizer, const TrainProgress& progress) {
  sink.Write(kModelFiles[0], ModelPtBytes(sink.Describe(kModelFiles[0]), model, optimizer_name,
                                          optimizer, progress, RngState{}));
  const ModelFileBytes files = ModelFiles(model, sink.Describe(kModelFiles[1]));
  sink.Write(kModelFiles[1], files.safetensors);
  sink.Write(kModelFiles[2], files.json);
}

// A TabularNet of kind linear for `state` and the task holding `w`; categorical rows the weights
// lack (tables the learner has not grown yet) are zero.
TabularNet LinearNet(const LinearWeights& w, const Config& config, const FeatureState& state) {
  ModelSpec spec = config.model_spec;
  spec.kind = "linear";
  const ModelArch arch = ResolveArch(spec, config.task, w.outputs, state, nullptr);
  const int64_t o = arch.outputs, d = arch.dense_dim;
  FRESHET_CHECK(w.outputs == o && w.dense_dim == d, "linear weights of another shape");
  FRESHET_CHECK(static_cast<int64_t>(w.dense.size()) == o * d &&
                    static_cast<int64_t>(w.bias.size()) == o &&
                    w.tables.size() == arch.categorical.size() &&
                    w.cardinalities.size() == arch.categorical.size(),
                "linear weights of another shape");
  TabularNet net(arch);
  torch::NoGradGuard no_grad;
  const auto copy = [](torch::Tensor dst, const std::vector<float>& src) {
    dst.copy_(torch::from_blob(const_cast<float*>(src.data()), dst.sizes(), torch::kFloat32));
  };
  if (d > 0) {
    copy(net->wide->linear->weight, w.dense);
    copy(net->wide->linear->bias, w.bias);
  } else {
    copy(net->wide->bias, w.bias);
  }
  for (size_t k = 0; k < w.tables.size(); ++k) {
    const int64_t rows = w.cardinalities[k];
    FRESHET_CHECK(rows <= arch.categorical[k].cardinality &&
                      static_cast<int64_t>(w.tables[k].size()) == rows * o,
                  "linear weights of another shape");
    torch::Tensor table = net->wide->embeddings[k]->as<torch::nn::Embedding>()->weight;
    copy(table.slice(0, 0, rows), w.tables[k]);
  }
  return net;
}

std::vector<float> Floats(const torch::Tensor& t, double scale, double shift) {
  const torch::Tensor c = (t.detach().to(torch::kCPU, torch::kFloat64) * scale + shift)
                              .to(torch::kFloat32)
                              .contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

void ExportOnlineModel(OnlineLearner& learner, const Config& config, const FeatureState& state,
                       ArtifactSink& sink) {
  TrainProgress progress;
  progress.finished = true;
  if (auto* torch_learner = dynamic_cast<TorchOnlineLearner*>(&learner)) {
    const ModelArch& arch = torch_learner->model()->arch;
    std::vector<int64_t> cards;
    for (const auto& c : arch.categorical) cards.push_back(c.cardinality);
    FRESHET_CHECK(arch.dense_names == state.dense_names() && cards == state.cardinalities(),
                  "ExportOnlineModel: the learner's inputs differ from the feature state's "
                  "(Grow it first)");
    progress.step = torch_learner->steps();
    WriteModel(sink, torch_learner->model(), torch_learner->optimizer_name(),
               torch_learner->optimizer(), progress);
    return;
  }
  const LinearWeights* weights = learner.Linear();
  FRESHET_CHECK(weights != nullptr,
                "ExportOnlineModel: learner " + learner.Name() + " has no model to export");
  TabularNet net = LinearNet(*weights, config, state);
  // An optimiser with no state, under the learner's name: a batch warm start from this version
  // sees another optimiser and starts its own state afresh.
  torch::optim::SGD none(net->parameters(), torch::optim::SGDOptions(0.0));
  WriteModel(sink, net, learner.Name(), none, progress);
}

LinearWeights ReadLinearWeights(const ArtifactSource& version, const FeatureState& state) {
  const std::string json_path = version.Describe(kModelFiles[2]);
  const std::string json_text = version.Read(kModelFiles[2]);
  const ModelArch arch = ParseModelJson(json_text, json_path);
  if (arch.kind != "linear") {
    throw ArtifactError(json_path + ": the model is " + arch.kind +
                        ", not linear: a linear learner cannot start from its weights");
  }
  const std::vector<std::string> cat_names = state.categorical_names();
  const std::vector<int64_t> cards = state.cardinalities();
  std::vector<std::string> model_cats;
  for (const auto& c : arch.categorical) model_cats.push_back(c.name);
  if (arch.dense_names != state.dense_names() || model_cats != cat_names) {
    throw ArtifactError(json_path + ": the model's feature outputs (dense " +
                        nlohmann::json(arch.dense_names).dump() + ", categorical " +
                        nlohmann::json(model_cats).dump() + ") differ from the feature state's");
  }
  for (size_t k = 0; k < cards.size(); ++k) {
    if (arch.categorical[k].cardinality > cards[k]) {
      throw ArtifactError(json_path + ": the table of " + cat_names[k] + " has " +
                          std::to_string(arch.categorical[k].cardinality) +
                          " rows, the feature state's " + std::to_string(cards[k]));
    }
  }
  TabularNet net = LoadModel(json_text, json_path, version.Read(kModelFiles[1]),
                             version.Describe(kModelFiles[1]), torch::kCPU);
  // A regression model predicts z * std + mean: folded into the weights and the bias.
  const double scale = arch.label_std, shift = arch.label_mean;
  LinearWeights w;
  w.outputs = arch.outputs;
  w.dense_dim = arch.dense_dim;
  if (arch.dense_dim > 0) {
    w.dense = Floats(net->wide->linear->weight, scale, 0.0);
    w.bias = Floats(net->wide->linear->bias, scale, shift);
  } else {
    w.bias = Floats(net->wide->bias, scale, shift);
  }
  for (size_t k = 0; k < cards.size(); ++k) {
    std::vector<float> table =
        Floats(net->wide->embeddings[k]->as<torch::nn::Embedding>()->weight, scale, 0.0);
    table.resize(static_cast<size_t>(cards[k] * arch.outputs), 0.0f);
    w.tables.push_back(std::move(table));
    w.cardinalities.push_back(cards[k]);
  }
  return w;
}

}  // namespace freshet
