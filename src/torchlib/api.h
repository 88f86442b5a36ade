// The boundary between the freshet binary and libfreshet_torch.so, the shared library that holds
// the training and scoring code and LibTorch with it. The binary opens the library only when a
// verb needs a model (client.cc); every other verb starts without LibTorch. Both sides are built
// from this tree by the same compiler, so the table passes C++ types; kTorchApiVersion guards
// against a library from another build.
#pragma once

#include <nlohmann/json.hpp>

#include "freshet/artifacts.hpp"
#include "freshet/config.hpp"
#include "freshet/features.hpp"
#include "freshet/online_learner.hpp"
#include "freshet/table.hpp"
#include "freshet/trainer.hpp"
#include "kernels/device.h"

namespace freshet {

// Bump when TorchApi or any type it passes changes.
inline constexpr int kTorchApiVersion = 4;  // 4: TrainOptions::comm

// The library's file name; it sits beside the freshet binary.
inline constexpr char kTorchLibrary[] = "libfreshet_torch.so";

struct TorchApi {
  int version = kTorchApiVersion;
  TrainOutcome (*train_model)(const Config&, const FeatureState&, const Table&, const Table&,
                              const Device&, const TrainOptions&) = nullptr;
  Prediction (*predict_version)(const ArtifactSource&, const FeatureState&, const Table&,
                                const Device&, const PredictConfig&, bool) = nullptr;
  nlohmann::json (*runtime_versions)() = nullptr;
  VersionScores (*score_version)(const ArtifactSource&, const FeatureState&, const Table&,
                                 const Device&, bool) = nullptr;
  std::unique_ptr<OnlineLearner> (*make_online_model)(const Config&, const FeatureState&,
                                                      const Device&,
                                                      const ArtifactSource*) = nullptr;
  void (*export_online_model)(OnlineLearner&, const Config&, const FeatureState&,
                              ArtifactSink&) = nullptr;
  LinearWeights (*read_linear_weights)(const ArtifactSource&, const FeatureState&) = nullptr;
};

}  // namespace freshet

// The library's one exported symbol: the table of its entry points.
// The name is the dlsym contract, so it follows C's habit, not this tree's naming.
extern "C" const freshet::TorchApi* freshet_torch_api();  // NOLINT(readability-identifier-naming)
