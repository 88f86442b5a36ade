#include "train/optim.h"

#include <algorithm>
#include <cmath>

namespace freshet {
namespace {

// Pads `t` with zero rows up to `rows` rows (dimension 0); returns it unchanged when undefined or
// long enough.
torch::Tensor PadRows(const torch::Tensor& t, int64_t rows) {
  if (!t.defined() || t.dim() == 0 || t.size(0) >= rows) return t;
  auto sizes = t.sizes().vec();
  sizes[0] = rows - t.size(0);
  return torch::cat({t, torch::zeros(sizes, t.options())}, 0);
}

}  // namespace

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const TrainConfig& t,
                                                       const std::vector<torch::Tensor>& params) {
  if (t.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(t.lr).momentum(t.momentum).weight_decay(t.weight_decay));
  }
  if (t.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(t.lr).weight_decay(t.weight_decay));
  }
  if (t.optimizer == "adagrad") {
    return std::make_unique<torch::optim::Adagrad>(
        params, torch::optim::AdagradOptions(t.lr).weight_decay(t.weight_decay));
  }
  return std::make_unique<torch::optim::AdamW>(
      params, torch::optim::AdamWOptions(t.lr).weight_decay(t.weight_decay));
}

void ApplyOptimizerOptions(const TrainConfig& t, torch::optim::Optimizer& optimizer) {
  for (auto& group : optimizer.param_groups()) {
    auto& o = group.options();
    o.set_lr(t.lr);
    if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&o)) {
      sgd->momentum(t.momentum).weight_decay(t.weight_decay);
    } else if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&o)) {
      adam->weight_decay(t.weight_decay);
    } else if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&o)) {
      adamw->weight_decay(t.weight_decay);
    } else if (auto* adagrad = dynamic_cast<torch::optim::AdagradOptions*>(&o)) {
      adagrad->weight_decay(t.weight_decay);
    }
  }
}

void SetLearningRate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

double ScheduledLr(const TrainConfig& t, int64_t step, int64_t steps_per_epoch,
                   int64_t total_steps) {
  const LrSchedule& s = t.lr_schedule;
  double lr = t.lr;
  // lr * warmup(s) * decay(s): the decay applies during a warm-up too (one longer than step_epochs
  // would otherwise end in a jump).
  const double warmup = s.warmup_steps > 0 && step < s.warmup_steps
                            ? static_cast<double>(step + 1) / static_cast<double>(s.warmup_steps)
                            : 1.0;
  if (s.kind == "step") {
    const int64_t epoch = step / std::max<int64_t>(steps_per_epoch, 1);
    lr *= std::pow(s.gamma, static_cast<double>(epoch / s.step_epochs));
  } else if (s.kind == "cosine") {
    const int64_t span = std::max<int64_t>(total_steps - s.warmup_steps, 1);
    const double progress = std::clamp(
        static_cast<double>(step - s.warmup_steps) / static_cast<double>(span), 0.0, 1.0);
    const double floor = std::min(s.min_lr, t.lr);
    lr = floor + 0.5 * (t.lr - floor) * (1.0 + std::cos(M_PI * progress));
  }
  return lr * warmup;
}

namespace {

template <typename State, typename Options>
bool FusedStep(torch::optim::Optimizer& optimizer, const Options& o,
               std::vector<torch::Tensor>* steps, bool decoupled) {
  auto& params = optimizer.param_groups()[0].params();
  if (o.amsgrad()) return false;
  std::vector<torch::Tensor> ps, grads, exp_avgs, exp_avg_sqs;
  auto& state = optimizer.state();
  for (auto& p : params) {
    if (!p.grad().defined()) return false;
  }
  const bool fresh = steps->size() != params.size();
  if (fresh) steps->clear();
  for (auto& p : params) {
    auto it = state.find(p.unsafeGetTensorImpl());
    if (it == state.end()) {
      auto s = std::make_unique<State>();
      s->step(0);
      s->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      s->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      it = state.emplace(p.unsafeGetTensorImpl(), std::move(s)).first;
    }
    auto& s = static_cast<State&>(*it->second);
    if (fresh) {
      steps->push_back(torch::full({}, static_cast<double>(s.step()),
                                   torch::dtype(torch::kFloat32).device(p.device())));
    }
    s.step(s.step() + 1);
    ps.push_back(p);
    grads.push_back(p.grad());
    exp_avgs.push_back(s.exp_avg());
    exp_avg_sqs.push_back(s.exp_avg_sq());
  }
  torch::_foreach_add_(*steps, 1);
  const auto [beta1, beta2] = o.betas();
  if (decoupled) {
    torch::_fused_adamw_(ps, grads, exp_avgs, exp_avg_sqs, {}, *steps, o.lr(), beta1, beta2,
                         o.weight_decay(), o.eps(), false, false);
  } else {
    torch::_fused_adam_(ps, grads, exp_avgs, exp_avg_sqs, {}, *steps, o.lr(), beta1, beta2,
                        o.weight_decay(), o.eps(), false, false);
  }
  return true;
}

}  // namespace

bool FusedAdamStep(torch::optim::Optimizer& optimizer, std::vector<torch::Tensor>* steps) {
  if (optimizer.param_groups().size() != 1) return false;
  auto& group = optimizer.param_groups()[0];
  if (group.params().empty()) return false;
  torch::NoGradGuard no_grad;
  if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&group.options())) {
    return FusedStep<torch::optim::AdamWParamState>(optimizer, *adamw, steps, true);
  }
  if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&group.options())) {
    return FusedStep<torch::optim::AdamParamState>(optimizer, *adam, steps, false);
  }
  return false;
}

void GrowOptimizerState(torch::optim::Optimizer& optimizer) {
  auto& state = optimizer.state();
  for (auto& group : optimizer.param_groups()) {
    for (auto& p : group.params()) {
      auto it = state.find(p.unsafeGetTensorImpl());
      if (it == state.end() || p.dim() == 0) continue;
      const int64_t rows = p.size(0);
      auto* s = it->second.get();
      if (auto* sgd = dynamic_cast<torch::optim::SGDParamState*>(s)) {
        sgd->momentum_buffer(PadRows(sgd->momentum_buffer(), rows));
      } else if (auto* adam = dynamic_cast<torch::optim::AdamParamState*>(s)) {
        adam->exp_avg(PadRows(adam->exp_avg(), rows));
        adam->exp_avg_sq(PadRows(adam->exp_avg_sq(), rows));
        adam->max_exp_avg_sq(PadRows(adam->max_exp_avg_sq(), rows));
      } else if (auto* adamw = dynamic_cast<torch::optim::AdamWParamState*>(s)) {
        adamw->exp_avg(PadRows(adamw->exp_avg(), rows));
        adamw->exp_avg_sq(PadRows(adamw->exp_avg_sq(), rows));
        adamw->max_exp_avg_sq(PadRows(adamw->max_exp_avg_sq(), rows));
      } else if (auto* adagrad = dynamic_cast<torch::optim::AdagradParamState*>(s)) {
        adagrad->sum(PadRows(adagrad->sum(), rows));
      }
    }
  }
}

}  // namespace freshet
