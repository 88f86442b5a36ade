// The config's `task:`, `model_spec:` and `train:` sections.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace freshet {

enum class Task { kBinary, kMulticlass, kRegression };

struct ModelSpec {
  std::string kind = "mlp";  // linear | mlp
  std::vector<int64_t> hidden = {64, 32};
  double dropout = 0.0;
  int64_t embedding_dim = 8;  // per categorical feature (mlp)
};

struct TrainConfig {
  int epochs = 5;
  int64_t batch_size = 1024;
  double lr = 1e-3;
  double weight_decay = 0.0;
  std::string optimizer = "adamw";  // sgd | adam | adamw
  uint64_t seed = 42;
  bool warm_start = true;
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
};

}  // namespace freshet
