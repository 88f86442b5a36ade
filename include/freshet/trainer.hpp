// Training and scoring with LibTorch, behind a header that does not include LibTorch, so the CLI
// and the other stages compile without it. Features are built here on the target device: the
// tensors are allocated by LibTorch and written in place by the feature kernels.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/config.hpp"
#include "freshet/features.hpp"
#include "freshet/table.hpp"
#include "kernels/device.h"

namespace freshet {

struct TrainOutcome {
  std::vector<float> eval_probs;  // P(label = 1) for each row of the eval table
  std::vector<float> eval_labels;
  double final_train_loss = 0.0;  // mean loss over the last epoch
  int64_t steps = 0;
  int64_t parameters = 0;
  bool warm_started = false;
  nlohmann::json timings = nlohmann::json::object();  // seconds: features, train, predict
};

// Builds the model of `config.model_spec` for the feature shapes of `state`, warm-starts it from
// the archive `warm_start_from` when given (weights and optimiser state), trains it on `train`,
// scores `eval`, and saves weights and optimiser state to `out_model_pt`. Runs on `device`.
// Throws ConfigError when the warm-start archive holds another architecture, IoError when an
// archive cannot be read or written.
TrainOutcome TrainModel(const Config& config, const FeatureState& state, const Table& train,
                        const Table& eval, const Device& device,
                        const std::optional<std::string>& warm_start_from,
                        const std::string& out_model_pt);

// Versions of the libraries linked in, for the manifest: {"torch": "2.11.0", "cuda": "13.0" or
// null, "cudnn": ...}.
nlohmann::json RuntimeVersions();

}  // namespace freshet
