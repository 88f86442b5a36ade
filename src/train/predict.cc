// PredictVersion: a published version's models applied to new rows, with the output guards.
#include <cmath>

#include <torch/torch.h>

#include "freshet/error.hpp"
#include "freshet/log.hpp"
#include "freshet/trainer.hpp"
#include "train/checkpoint.h"
#include "train/data.h"
#include "train/session.h"

namespace freshet {
namespace {

struct Scored {
  ModelArch arch;
  torch::Tensor out;  // float32 [N] or [N, K], on the host
};

// The model of files[1..2] of the version, run over every row of `store`.
Scored Score(const ArtifactSource& version, const char* const files[3], const FeatureStore& store,
             const torch::Device& device) {
  // The checkpoint is not needed to score, but a model whose files are not all intact is not used.
  if (version.Has(files[0])) version.Read(files[0]);
  TabularNet model = LoadModel(version.Read(files[2]), version.Describe(files[2]),
                               version.Read(files[1]), version.Describe(files[1]), device);
  torch::NoGradGuard no_grad;
  const int64_t n = store.rows();
  const int64_t batch = 65536;
  std::vector<torch::Tensor> parts;
  for (int64_t b = 0; b < n; b += batch) {
    const int64_t e = std::min(n, b + batch);
    parts.push_back(OutputTransform(
        model->arch, model->forward(store.dense.slice(0, b, e), store.cats.slice(0, b, e))));
  }
  const int64_t k = model->arch.outputs;
  torch::Tensor out = parts.empty() ? (model->arch.task == Task::kMulticlass ? torch::empty({0, k})
                                                                             : torch::empty({0}))
                                    : torch::cat(parts);
  return {model->arch, out.to(torch::kCPU, torch::kFloat32).contiguous()};
}

}  // namespace

Prediction PredictVersion(const ArtifactSource& version, const FeatureState& state,
                          const Table& input, const Device& device, const PredictConfig& guards,
                          bool keep_features) {
  Prediction p;
  p.rows = input.rows();
  const torch::Device dev = TorchDevice(device);
  const FeatureStore store = BuildFeatureStore(input, state, "", "", device, /*resident=*/true);
  if (keep_features) {
    torch::Tensor d = store.dense.to(torch::kCPU).contiguous();
    torch::Tensor c = store.cats.to(torch::kCPU).contiguous();
    p.dense.assign(d.data_ptr<float>(), d.data_ptr<float>() + d.numel());
    p.cats.assign(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
  }
  const bool can_fall_back = guards.use_fallback && version.Has(kFallbackFiles[1]);

  Scored main;
  try {
    main = Score(version, kModelFiles, store, dev);
  } catch (const std::exception& e) {
    if (!can_fall_back) throw;
    p.main_failed = true;
    p.main_error = e.what();
  }
  Scored fallback;
  if (p.main_failed) fallback = Score(version, kFallbackFiles, store, dev);
  const ModelArch& arch = p.main_failed ? fallback.arch : main.arch;
  p.task = arch.task;
  p.outputs = arch.outputs;
  if (guards.clamp && p.task == Task::kMulticlass) {
    throw ConfigError("predict.clamp: a multiclass model's outputs are probabilities over " +
                      std::to_string(p.outputs) +
                      " classes; clamping applies to binary and regression tasks only");
  }
  const auto bad_rows = [](const torch::Tensor& t) {
    torch::Tensor bad = torch::isfinite(t).logical_not();
    return t.dim() == 2 ? bad.any(1) : bad;
  };
  torch::Tensor out;
  if (p.main_failed) {
    out = fallback.out;
    p.fallback_rows = p.rows;
  } else {
    out = main.out;
    const torch::Tensor bad = bad_rows(main.out);
    const int64_t n_bad = bad.sum().item<int64_t>();
    if (n_bad > 0 && can_fall_back) {
      fallback = Score(version, kFallbackFiles, store, dev);
      if (fallback.out.sizes() != main.out.sizes()) {
        throw IoError(version.Describe(kFallbackFiles[1]) +
                      ": the fallback model's outputs do not match the main model's");
      }
      const torch::Tensor mask = out.dim() == 2 ? bad.unsqueeze(1).expand_as(out) : bad;
      out = torch::where(mask, fallback.out, out);
      p.fallback_rows = n_bad;
    }
  }
  p.nonfinite_rows = bad_rows(out).sum().item<int64_t>();
  if (p.nonfinite_rows > 0 && !guards.use_fallback) {
    throw DataError("the model gave " + std::to_string(p.nonfinite_rows) +
                    " non-finite prediction(s) and predict.use_fallback is false");
  }
  if (guards.clamp) {
    const torch::Tensor clamped = out.clamp(guards.clamp_lo, guards.clamp_hi);
    p.clamped_rows = clamped.ne(out).logical_and(torch::isfinite(out)).sum().item<int64_t>();
    out = clamped;
  }
  out = out.contiguous();
  p.values.assign(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
  if (p.task == Task::kMulticlass) {
    const torch::Tensor cls = out.reshape({p.rows, p.outputs}).argmax(1).contiguous();
    p.classes.assign(cls.data_ptr<int64_t>(), cls.data_ptr<int64_t>() + cls.numel());
  }
  return p;
}

VersionScores ScoreVersion(const ArtifactSource& version, const FeatureState& state,
                           const Table& input, const Device& device, bool with_fallback) {
  VersionScores s;
  s.rows = input.rows();
  const torch::Device dev = TorchDevice(device);
  const FeatureStore store = BuildFeatureStore(input, state, "", "", device, /*resident=*/true);
  s.has_fallback = version.Has(kFallbackFiles[1]);
  const auto run = [&](const char* const files[3], std::vector<float>* out, std::string* error) {
    try {
      const Scored sc = Score(version, files, store, dev);
      s.task = sc.arch.task;
      s.outputs = sc.arch.outputs;
      out->assign(sc.out.data_ptr<float>(), sc.out.data_ptr<float>() + sc.out.numel());
    } catch (const std::exception& e) {
      *error = e.what();
    }
  };
  run(kModelFiles, &s.main, &s.main_error);
  if (with_fallback && s.has_fallback) run(kFallbackFiles, &s.fallback, &s.fallback_error);
  return s;
}

}  // namespace freshet
