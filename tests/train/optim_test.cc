// Optimisers and schedules: each config name builds its optimiser with the config's options and
// PyTorch's update rule, options survive a state load, schedules, the fused Adam step on the
// CPU, and optimiser state that grows with its embedding tables.
#include "train/optim.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace freshet {
namespace {

TrainConfig Config(const std::string& name, double lr = 0.1, double wd = 0.01, double mom = 0.5) {
  TrainConfig t;
  t.optimizer = name;
  t.lr = lr;
  t.weight_decay = wd;
  t.momentum = mom;
  return t;
}

TEST(MakeOptimizer, EachNameGetsItsKindAndTheConfigsOptions) {
  const torch::Tensor p = torch::zeros({2}, torch::requires_grad());
  auto sgd = MakeOptimizer(Config("sgd"), {p});
  auto* so = dynamic_cast<torch::optim::SGDOptions*>(&sgd->param_groups()[0].options());
  ASSERT_NE(dynamic_cast<torch::optim::SGD*>(sgd.get()), nullptr);
  ASSERT_NE(so, nullptr);
  EXPECT_DOUBLE_EQ(so->lr(), 0.1);
  EXPECT_DOUBLE_EQ(so->momentum(), 0.5);
  EXPECT_DOUBLE_EQ(so->weight_decay(), 0.01);
  EXPECT_FALSE(so->nesterov());

  auto adam = MakeOptimizer(Config("adam"), {p});
  auto* ao = dynamic_cast<torch::optim::AdamOptions*>(&adam->param_groups()[0].options());
  ASSERT_NE(dynamic_cast<torch::optim::Adam*>(adam.get()), nullptr);
  ASSERT_NE(ao, nullptr);
  EXPECT_DOUBLE_EQ(ao->lr(), 0.1);
  EXPECT_DOUBLE_EQ(ao->weight_decay(), 0.01);
  EXPECT_DOUBLE_EQ(std::get<0>(ao->betas()), 0.9);
  EXPECT_DOUBLE_EQ(std::get<1>(ao->betas()), 0.999);
  EXPECT_DOUBLE_EQ(ao->eps(), 1e-8);
  EXPECT_FALSE(ao->amsgrad());

  // AdamW's own default decay (1e-2) gives way to the config's.
  auto adamw = MakeOptimizer(Config("adamw", 0.3, 0.0), {p});
  auto* wo = dynamic_cast<torch::optim::AdamWOptions*>(&adamw->param_groups()[0].options());
  ASSERT_NE(dynamic_cast<torch::optim::AdamW*>(adamw.get()), nullptr);
  ASSERT_NE(wo, nullptr);
  EXPECT_DOUBLE_EQ(wo->lr(), 0.3);
  EXPECT_DOUBLE_EQ(wo->weight_decay(), 0.0);

  auto adagrad = MakeOptimizer(Config("adagrad"), {p});
  auto* go = dynamic_cast<torch::optim::AdagradOptions*>(&adagrad->param_groups()[0].options());
  ASSERT_NE(dynamic_cast<torch::optim::Adagrad*>(adagrad.get()), nullptr);
  ASSERT_NE(go, nullptr);
  EXPECT_DOUBLE_EQ(go->lr(), 0.1);
  EXPECT_DOUBLE_EQ(go->weight_decay(), 0.01);
  EXPECT_DOUBLE_EQ(go->lr_decay(), 0.0);
  EXPECT_DOUBLE_EQ(go->initial_accumulator_value(), 0.0);

  EXPECT_NE(dynamic_cast<torch::optim::AdamW*>(MakeOptimizer(TrainConfig{}, {p}).get()), nullptr);
}

// One step from p = [1, -2] with gradient [0.5, 3]: the update rules written out.
TEST(MakeOptimizer, FirstStepsFollowTheUpdateRules) {
  const double lr = 0.1, wd = 0.01, mom = 0.5;
  const std::vector<double> p0 = {1, -2}, g = {0.5, 3};
  const auto step = [&](const std::string& name, int steps) {
    torch::Tensor p = torch::tensor({1.0, -2.0}, torch::kFloat64).requires_grad_();
    auto opt = MakeOptimizer(Config(name, lr, wd, mom), {p});
    for (int i = 0; i < steps; ++i) {
      p.mutable_grad() = torch::tensor({0.5, 3.0}, torch::kFloat64);
      opt->step();
    }
    return std::vector<double>{p[0].item<double>(), p[1].item<double>()};
  };
  const auto adam_like = [&](double p, double grad) {  // first step: m̂ = g, v̂ = g²
    return p - lr * grad / (std::abs(grad) + 1e-8);
  };
  for (int i = 0; i < 2; ++i) {
    const double gi = g[i] + wd * p0[i];
    EXPECT_NEAR(step("sgd", 1)[i], p0[i] - lr * gi, 1e-12) << i;
    const double p1 = p0[i] - lr * gi;
    const double buf2 = mom * gi + g[i] + wd * p1;
    EXPECT_NEAR(step("sgd", 2)[i], p1 - lr * buf2, 1e-12) << i;
    EXPECT_NEAR(step("adam", 1)[i], adam_like(p0[i], gi), 1e-12) << i;
    EXPECT_NEAR(step("adamw", 1)[i], adam_like(p0[i] * (1 - lr * wd), g[i]), 1e-12) << i;
    EXPECT_NEAR(step("adagrad", 1)[i], p0[i] - lr * gi / (std::abs(gi) + 1e-10), 1e-12) << i;
  }
}

TEST(ApplyOptimizerOptions, RestoresTheConfigAfterAStateLoad) {
  for (const char* name : {"sgd", "adam", "adamw", "adagrad"}) {
    torch::Tensor p = torch::ones({3}, torch::requires_grad());
    auto saved = MakeOptimizer(Config(name, 0.5, 0.2, 0.3), {p});
    p.mutable_grad() = torch::ones({3});
    saved->step();
    std::stringstream buf;
    torch::save(*saved, buf);

    const TrainConfig now = Config(name, 0.01, 0.05, 0.9);
    auto opt = MakeOptimizer(now, {p});
    torch::load(*opt, buf);
    auto& o = opt->param_groups()[0].options();
    ASSERT_DOUBLE_EQ(o.get_lr(), 0.5) << name;  // the load brought the saved options back
    ApplyOptimizerOptions(now, *opt);
    EXPECT_DOUBLE_EQ(o.get_lr(), 0.01) << name;
    if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&o)) {
      EXPECT_DOUBLE_EQ(sgd->momentum(), 0.9);
      EXPECT_DOUBLE_EQ(sgd->weight_decay(), 0.05);
    } else if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&o)) {
      EXPECT_DOUBLE_EQ(adam->weight_decay(), 0.05);
    } else if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&o)) {
      EXPECT_DOUBLE_EQ(adamw->weight_decay(), 0.05);
    } else if (auto* adagrad = dynamic_cast<torch::optim::AdagradOptions*>(&o)) {
      EXPECT_DOUBLE_EQ(adagrad->weight_decay(), 0.05);
    } else {
      ADD_FAILURE() << name;
    }
    EXPECT_EQ(opt->state().size(), 1u) << name;  // the state itself is kept
  }
}

TEST(SetLearningRate, SetsEveryGroup) {
  torch::Tensor a = torch::zeros({2}, torch::requires_grad());
  torch::Tensor b = torch::zeros({2}, torch::requires_grad());
  auto opt = MakeOptimizer(Config("sgd"), {a});
  opt->add_param_group(
      torch::optim::OptimizerParamGroup({b}, std::make_unique<torch::optim::SGDOptions>(0.7)));
  SetLearningRate(*opt, 0.025);
  ASSERT_EQ(opt->param_groups().size(), 2u);
  for (auto& g : opt->param_groups()) EXPECT_DOUBLE_EQ(g.options().get_lr(), 0.025);
}

TEST(ScheduledLr, EdgesOfEachSchedule) {
  TrainConfig t;
  t.lr = 2.0;
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 0, 10, 100), 2.0);
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 1000, 10, 100), 2.0);
  t.lr_schedule.kind = "step";
  t.lr_schedule.gamma = 0.5;
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 9, 10, 100), 2.0);
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 10, 10, 100), 1.0);
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 3, 0, 100), 2.0 * std::pow(0.5, 3));  // 0 steps an epoch = 1
  t.lr_schedule.kind = "cosine";
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 0, 10, 10), 2.0);
  EXPECT_NEAR(ScheduledLr(t, 5, 10, 10), 1.0, 1e-12);   // min_lr 0: half-way is lr / 2
  EXPECT_NEAR(ScheduledLr(t, 50, 10, 10), 0.0, 1e-12);  // past the end: held at min_lr
  t.lr_schedule.min_lr = 5.0;                           // a floor above lr is lr
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 5, 10, 10), 2.0);
  t.lr_schedule.min_lr = 0.0;
  t.lr_schedule.warmup_steps = 10;  // warm-up as long as the run
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 4, 10, 10), 1.0);
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 10, 10, 10), 2.0);
}

// The rate is lr * warmup(s) * decay(s) (model_spec.hpp): the step decay applies during a warm-up
// too, so one longer than `step_epochs` epochs does not end in a jump.
TEST(ScheduledLr, StepDecayAppliesDuringALongWarmup) {
  TrainConfig t;
  t.lr = 2.0;
  t.lr_schedule.kind = "step";
  t.lr_schedule.gamma = 0.5;
  t.lr_schedule.warmup_steps = 20;
  // Step 9 of 5-step epochs is in epoch 1: warmup 10/20, decay 0.5.
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 9, 5, 100), 2.0 * 0.5 * 0.5);
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 19, 5, 100), 2.0 * 1.0 * std::pow(0.5, 3));
}

// On the CPU as on CUDA (cuda_test.cc), the fused Adam/AdamW step gives the update of the
// optimiser's own step (to rounding) and keeps its state: step counts and moments.
TEST(FusedAdamStep, EqualsTheOptimizersStepOnTheCpu) {
  for (const char* name : {"adam", "adamw"}) {
    torch::manual_seed(3);
    torch::Tensor a = torch::randn({5, 4}).requires_grad_();
    torch::Tensor b = a.detach().clone().requires_grad_();
    auto plain = MakeOptimizer(Config(name, 0.01, 0.1), {a});
    auto fused = MakeOptimizer(Config(name, 0.01, 0.1), {b});
    std::vector<torch::Tensor> steps;
    for (int i = 0; i < 3; ++i) {
      const torch::Tensor g = torch::randn({5, 4});
      a.mutable_grad() = g.clone();
      b.mutable_grad() = g.clone();
      plain->step();
      ASSERT_TRUE(FusedAdamStep(*fused, &steps)) << name;
    }
    EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-6)) << name;
    const auto step = [](const torch::optim::OptimizerParamState& s) {
      if (auto* w = dynamic_cast<const torch::optim::AdamWParamState*>(&s)) return w->step();
      return dynamic_cast<const torch::optim::AdamParamState&>(s).step();
    };
    EXPECT_EQ(step(*plain->state().at(a.unsafeGetTensorImpl())), 3) << name;
    EXPECT_EQ(step(*fused->state().at(b.unsafeGetTensorImpl())), 3) << name;
  }
}

TEST(FusedAdamStep, DoesNothingForOtherOptimizers) {
  for (const char* name : {"sgd", "adagrad"}) {
    torch::Tensor p = torch::ones({4}, torch::requires_grad());
    auto opt = MakeOptimizer(Config(name), {p});
    p.mutable_grad() = torch::ones({4});
    std::vector<torch::Tensor> steps;
    EXPECT_FALSE(FusedAdamStep(*opt, &steps)) << name;
    EXPECT_TRUE(steps.empty()) << name;
    EXPECT_TRUE(torch::equal(p, torch::ones({4}))) << name;
    opt->step();  // what the caller does instead
    EXPECT_FALSE(torch::equal(p, torch::ones({4}))) << name;
  }
}

TEST(GrowOptimizerState, PadsWithZeroRowsAndKeepsTheOldOnes) {
  for (const char* name : {"sgd", "adam", "adamw", "adagrad"}) {
    torch::Tensor table = torch::randn({3, 2}).requires_grad_();
    torch::Tensor scalar = torch::randn({}).requires_grad_();
    torch::Tensor unused = torch::randn({2, 2}).requires_grad_();  // no gradient: not stepped
    auto opt = MakeOptimizer(Config(name), {table, scalar, unused});
    table.mutable_grad() = torch::randn({3, 2});
    scalar.mutable_grad() = torch::randn({});
    opt->step();
    const auto states = [&](const torch::Tensor& p) {
      std::vector<torch::Tensor> out;
      auto* s = opt->state().at(p.unsafeGetTensorImpl()).get();
      if (auto* sgd = dynamic_cast<torch::optim::SGDParamState*>(s)) {
        out = {sgd->momentum_buffer()};
      } else if (auto* adam = dynamic_cast<torch::optim::AdamParamState*>(s)) {
        out = {adam->exp_avg(), adam->exp_avg_sq()};
        EXPECT_FALSE(adam->max_exp_avg_sq().defined());  // amsgrad off: stays undefined
      } else if (auto* adamw = dynamic_cast<torch::optim::AdamWParamState*>(s)) {
        out = {adamw->exp_avg(), adamw->exp_avg_sq()};
        EXPECT_FALSE(adamw->max_exp_avg_sq().defined());
      } else if (auto* adagrad = dynamic_cast<torch::optim::AdagradParamState*>(s)) {
        out = {adagrad->sum()};
      }
      return out;
    };
    const std::vector<torch::Tensor> before = states(table);
    ASSERT_FALSE(before.empty()) << name;
    for (const auto& t : before) ASSERT_EQ(t.size(0), 3) << name;
    const torch::Tensor scalar_state = states(scalar)[0].clone();
    {
      torch::NoGradGuard g;
      table.set_data(torch::cat({table.detach(), torch::zeros({2, 2})}, 0));
    }
    GrowOptimizerState(*opt);
    const std::vector<torch::Tensor> after = states(table);
    ASSERT_EQ(after.size(), before.size());
    for (size_t k = 0; k < after.size(); ++k) {
      ASSERT_EQ(after[k].sizes(), (std::vector<int64_t>{5, 2})) << name << k;
      EXPECT_TRUE(torch::equal(after[k].slice(0, 0, 3), before[k])) << name << k;
      EXPECT_TRUE(torch::equal(after[k].slice(0, 3, 5), torch::zeros({2, 2}))) << name << k;
    }
    EXPECT_TRUE(torch::equal(states(scalar)[0], scalar_state)) << name;
    // Adagrad makes its state at construction; the others on the first step with a gradient.
    const bool adagrad = std::string(name) == "adagrad";
    EXPECT_EQ(opt->state().count(unused.unsafeGetTensorImpl()), adagrad ? 1u : 0u) << name;
    if (adagrad) {
      EXPECT_EQ(states(unused)[0].sizes(), (std::vector<int64_t>{2, 2}));
    }
    EXPECT_EQ(opt->state().size(), adagrad ? 3u : 2u) << name;
  }
}

}  // namespace
}  // namespace freshet
