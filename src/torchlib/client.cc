// The binary's side of the TorchApi: TrainModel, PredictVersion, ScoreVersion, RuntimeVersions,
// MakeOnlineModel, ExportOnlineModel and ReadLinearWeights forward to libfreshet_torch.so, opened
// from beside the binary on the first call. RTLD_LOCAL keeps LibTorch's symbols (its own copies of
// libstdc++'s among them) out of the binary's lookup scope. The library is never closed, so the
// learners it makes (their code and vtables) stay valid for the life of the process.
#include <dlfcn.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include "freshet/error.hpp"
#include "freshet/torch_preload.hpp"
#include "torchlib/api.h"

namespace freshet {
namespace {

std::string LibraryPath() {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return kTorchLibrary;
  std::string dir(exe, static_cast<size_t>(n));
  dir = dir.substr(0, dir.find_last_of('/') + 1);
  return dir + kTorchLibrary;
}

// The library's entry points, loaded once (concurrent callers wait for the one loading); null with
// `error` set when it cannot be loaded.
struct Loaded {
  const TorchApi* api = nullptr;
  std::string error;
};

const Loaded& Load() {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] {
    const TorchApi*& api = loaded.api;
    std::string& error = loaded.error;
    const std::string path = LibraryPath();
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      error = path + ": cannot load the training and scoring library: " + (why ? why : "?");
      return;
    }
    using Entry = const TorchApi* (*)();
    const auto entry = reinterpret_cast<Entry>(::dlsym(handle, "freshet_torch_api"));
    if (entry == nullptr) {
      error = path + ": not a freshet training library (no freshet_torch_api)";
      return;
    }
    const TorchApi* a = entry();
    if (a == nullptr || a->version != kTorchApiVersion) {
      error = path + ": built for another freshet (API version " +
              std::to_string(a ? a->version : -1) + ", this binary needs " +
              std::to_string(kTorchApiVersion) + ")";
      return;
    }
    api = a;
  });
  return loaded;
}

const TorchApi& Api() {
  const Loaded& loaded = Load();
  if (loaded.api == nullptr) throw IoError(loaded.error);
  return *loaded.api;
}

}  // namespace

TorchPreload::TorchPreload() {
  try {
    loader_ = std::thread([] { Load(); });
  } catch (const std::system_error&) {
    // No thread to spare: the library loads on its first use instead.
  }
}

TorchPreload::~TorchPreload() {
  if (loader_.joinable()) loader_.join();
}

TrainOutcome TrainModel(const Config& config, const FeatureState& state, const Table& train,
                        const Table& eval, const Device& device, const TrainOptions& options) {
  return Api().train_model(config, state, train, eval, device, options);
}

Prediction PredictVersion(const ArtifactSource& version, const FeatureState& state,
                          const Table& input, const Device& device, const PredictConfig& guards,
                          bool keep_features) {
  return Api().predict_version(version, state, input, device, guards, keep_features);
}

nlohmann::json RuntimeVersions() { return Api().runtime_versions(); }

VersionScores ScoreVersion(const ArtifactSource& version, const FeatureState& state,
                           const Table& input, const Device& device, bool with_fallback) {
  return Api().score_version(version, state, input, device, with_fallback);
}

std::unique_ptr<OnlineLearner> MakeOnlineModel(const Config& config, const FeatureState& state,
                                               const Device& device, const ArtifactSource* start) {
  return Api().make_online_model(config, state, device, start);
}

void ExportOnlineModel(OnlineLearner& learner, const Config& config, const FeatureState& state,
                       ArtifactSink& sink) {
  Api().export_online_model(learner, config, state, sink);
}

LinearWeights ReadLinearWeights(const ArtifactSource& version, const FeatureState& state) {
  return Api().read_linear_weights(version, state);
}

}  // namespace freshet
