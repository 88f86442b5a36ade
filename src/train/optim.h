// Optimisers and learning-rate schedules of `train:`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "freshet/model_spec.hpp"

namespace freshet {

// A new optimiser `train.optimizer` over `params` with the config's lr, weight decay and (sgd)
// momentum. adagrad, adam and adamw use PyTorch's defaults for everything else.
std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const TrainConfig& train,
                                                       const std::vector<torch::Tensor>& params);

// Puts the config's hyper-parameters (lr, weight decay, momentum) back on every parameter group:
// loading an optimiser's state also loads the options it was saved with.
void ApplyOptimizerOptions(const TrainConfig& train, torch::optim::Optimizer& optimizer);

// Sets the learning rate of every parameter group.
void SetLearningRate(torch::optim::Optimizer& optimizer, double lr);

// The learning rate of step `step` (0-based, over the run) with `steps_per_epoch` steps an epoch
// and `total_steps` in all, as LrSchedule describes.
double ScheduledLr(const TrainConfig& train, int64_t step, int64_t steps_per_epoch,
                   int64_t total_steps);

// The Adam or AdamW update of every parameter in one fused kernel (PyTorch's `fused=True`, on CUDA
// and on the CPU) instead of about eight operations per parameter (launches on a GPU,
// dispatches on the CPU): the same update as optimizer.step() to float rounding, with the same
// state (moments and step counts in the optimiser's own state, so it saves and loads as usual).
// `steps` holds the tensor copies of the step counts the kernel reads; pass an empty vector the
// first time and after the state was loaded. Returns false, doing nothing, when it does not apply
// (another optimiser, a parameter without a gradient, amsgrad); the caller then calls
// optimizer.step().
bool FusedAdamStep(torch::optim::Optimizer& optimizer, std::vector<torch::Tensor>* steps);

// After a warm start whose embedding tables grew: pads each per-parameter state tensor (momentum,
// Adam's moments, Adagrad's sums) whose first dimension is shorter than its parameter's with
// zeros, the state a parameter row that was never updated has.
void GrowOptimizerState(torch::optim::Optimizer& optimizer);

}  // namespace freshet
