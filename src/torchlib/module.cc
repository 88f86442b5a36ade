// libfreshet_torch.so's entry point: the trainer and scorer of src/train behind the TorchApi table.
#include "torchlib/api.h"

// NOLINTNEXTLINE(readability-identifier-naming): the dlsym contract (api.h).
extern "C" __attribute__((visibility("default"))) const freshet::TorchApi* freshet_torch_api() {
  static const freshet::TorchApi kApi = [] {
    freshet::TorchApi a;
    a.train_model = &freshet::TrainModel;
    a.predict_version = &freshet::PredictVersion;
    a.runtime_versions = &freshet::RuntimeVersions;
    a.score_version = &freshet::ScoreVersion;
    a.make_online_model = &freshet::MakeOnlineModel;
    a.export_online_model = &freshet::ExportOnlineModel;
    a.read_linear_weights = &freshet::ReadLinearWeights;
    return a;
  }();
  return &kApi;
}
