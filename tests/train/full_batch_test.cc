// The fallback's full-batch fit (L-BFGS to convergence on the scikit-learn objectives), the
// regression label scaler, the output prior and the start from the fitted linear model.
#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "freshet/metrics.hpp"
#include "train/train_util.h"

namespace freshet {
namespace {

using testing::Arch;
using testing::MakeStore;
using testing::Options;
using testing::Outputs;

SessionOptions FullBatch(Task task) {
  SessionOptions o = Options(task);
  o.full_batch = true;
  if (task == Task::kRegression) o.loss = "mse";
  return o;
}

// Dense-only data: the ridge solution has a closed form to compare with.
FeatureStore DenseOnly(Task task, int64_t n, uint64_t seed) {
  FeatureStore s = MakeStore(task, n, seed);
  s.cats = torch::zeros({n, 0}, torch::kInt64);
  return s;
}

TEST(FullBatch, RidgeMatchesTheClosedForm) {
  const int64_t n = 400;
  FeatureStore s = DenseOnly(Task::kRegression, n, 3);
  s.labels = s.labels * 1000.0f + 10000.0f;  // an unscaled label
  ModelArch arch = Arch("linear", Task::kRegression, 1, 3, {});
  const double mean = s.labels.to(torch::kFloat64).mean().item<double>();
  const double sd = s.labels.to(torch::kFloat64).std(/*unbiased=*/false).item<double>();
  arch.label_mean = mean;
  arch.label_std = sd;
  SessionOptions o = FullBatch(Task::kRegression);
  o.train.fallback.alpha = 5.0;
  o.train.fallback.tol = 1e-6;
  TrainSession session(arch, o);
  session.SetOutputPrior({0.0f});
  session.Train(s, {}, {});
  EXPECT_TRUE(session.solver()["converged"].get<bool>()) << session.solver();
  // Ridge(alpha) on the raw label: centre X and y, solve (Xc'Xc + alpha I) w = Xc'yc; the
  // standardised fit is the same model (ridge is equivariant to an affine map of the label).
  const torch::Tensor x = s.dense.to(torch::kFloat64), y = s.labels.to(torch::kFloat64);
  const torch::Tensor xc = x - x.mean(0), yc = y - y.mean();
  const torch::Tensor w = torch::linalg_solve(
      xc.t().matmul(xc) + 5.0 * torch::eye(3, torch::kFloat64), xc.t().matmul(yc).unsqueeze(1));
  const torch::Tensor expected = (x - x.mean(0)).matmul(w).squeeze(1) + y.mean();
  const torch::Tensor got = session.Predict(s).to(torch::kFloat64);
  EXPECT_LT((got - expected).abs().max().item<double>(), 1e-2 * sd)
      << (got - expected).abs().max().item<double>();
  // Predictions are in the label's own units.
  EXPECT_NEAR(got.mean().item<double>(), mean, 1e-3 * sd);
}

TEST(FullBatch, LogisticReachesTheToleranceAndZeroGradient) {
  for (Task task : {Task::kBinary, Task::kMulticlass}) {
    const FeatureStore s = MakeStore(task, 600, 4);
    const ModelArch arch = Arch("linear", task, Outputs(task), 3, {6, 6});
    SessionOptions o = FullBatch(task);
    o.train.fallback.c = 0.5;
    TrainSession session(arch, o);
    session.SetOutputPrior(std::vector<float>(static_cast<size_t>(Outputs(task)), 0.0f));
    session.Train(s, {}, {});
    const nlohmann::json& r = session.solver();
    EXPECT_TRUE(r["converged"].get<bool>()) << r;
    EXPECT_EQ(r["stop"], "gradient");
    EXPECT_LE(r["gradient_max_abs"].get<double>(), 1e-4);
    EXPECT_GT(r["iterations"].get<int64_t>(), 1);
    EXPECT_EQ(r["C"], 0.5);
    EXPECT_EQ(session.progress().step, r["iterations"].get<int64_t>());
    // The objective's gradient, recomputed here in float64, is zero at the solution: the mean
    // log loss plus (1 / 2 C n) ||W||^2 (biases free).
    TabularNet& m = session.model();
    m->to(torch::kFloat64);
    torch::Tensor z = m->forward(s.dense.to(torch::kFloat64), s.cats);
    torch::Tensor loss =
        task == Task::kBinary
            ? torch::binary_cross_entropy_with_logits(z.select(1, 0), s.labels.to(torch::kFloat64))
            : torch::nn::functional::cross_entropy(z, s.labels.to(torch::kInt64));
    for (const auto& p : m->named_parameters()) {
      if (p.key().find("bias") == std::string::npos) {
        loss = loss + p.value().pow(2).sum() / (2.0 * 0.5 * 600);
      }
    }
    loss.backward();
    for (const auto& p : m->parameters()) {
      EXPECT_LT(p.grad().abs().max().item<double>(), 2e-4) << TaskName(task);
    }
    m->to(torch::kFloat32);
  }
}

TEST(FullBatch, AnIterationCapReportsNotConverged) {
  const FeatureStore s = MakeStore(Task::kMulticlass, 600, 5);
  SessionOptions o = FullBatch(Task::kMulticlass);
  o.train.fallback.max_iter = 2;
  o.train.fallback.c = 1e4;
  TrainSession session(Arch("linear", Task::kMulticlass, 3, 3, {6, 6}), o);
  session.SetOutputPrior({0.0f, 0.0f, 0.0f});
  session.Train(s, {}, {});
  EXPECT_FALSE(session.solver()["converged"].get<bool>()) << session.solver();
  EXPECT_EQ(session.solver()["stop"], "max_iter");
  EXPECT_EQ(session.solver()["iterations"], 2);
}

TEST(FullBatch, StreamedAndWeightedRowsGiveTheSameFit) {
  FeatureStore s = MakeStore(Task::kBinary, 500, 6);
  s.weights = torch::arange(500, torch::kFloat32).remainder(3) + 1.0f;
  const ModelArch arch = Arch("linear", Task::kBinary, 1, 3, {6, 6});
  SessionOptions o = FullBatch(Task::kBinary);
  o.train.fallback.tol = 1e-7;
  TrainSession resident(arch, o);
  resident.SetOutputPrior({0.0f});
  resident.Train(s, {}, {});
  FeatureStore streamed = s;
  streamed.resident = false;
  SessionOptions so = o;
  so.chunk_rows = 64;  // eight chunks a pass
  TrainSession chunks(arch, so);
  chunks.SetOutputPrior({0.0f});
  chunks.Train(streamed, {}, {});
  EXPECT_LT((resident.Predict(s) - chunks.Predict(streamed)).abs().max().item<float>(), 1e-4f);
  // Integer weights equal repeated rows.
  const torch::Tensor rep =
      torch::repeat_interleave(torch::arange(500), s.weights.to(torch::kInt64));
  FeatureStore repeated;
  repeated.dense = s.dense.index_select(0, rep);
  repeated.cats = s.cats.index_select(0, rep);
  repeated.labels = s.labels.index_select(0, rep);
  TrainSession unweighted(arch, o);
  unweighted.SetOutputPrior({0.0f});
  unweighted.Train(repeated, {}, {});
  EXPECT_LT((resident.Predict(s) - unweighted.Predict(s)).abs().max().item<float>(), 1e-4f);
}

TEST(OutputPrior, FullBatchStartsAtTheBiasAlone) {
  const FeatureStore s = MakeStore(Task::kBinary, 100, 7);
  TrainSession session(Arch("linear", Task::kBinary, 1, 3, {6, 6}), FullBatch(Task::kBinary));
  session.SetOutputPrior({std::log(0.25f / 0.75f)});
  const torch::Tensor p = session.Predict(s);
  EXPECT_LT((p - 0.25f).abs().max().item<float>(), 1e-6f);
}

TEST(OutputPrior, SetsTheOutputLayerBias) {
  for (const std::string kind : {"mlp", "wide_deep", "linear"}) {
    TrainSession session(Arch(kind, Task::kMulticlass, 3, 3, {6}), Options(Task::kMulticlass));
    session.SetOutputPrior({-1.0f, 0.5f, 2.0f});
    TabularNet& m = session.model();
    const torch::Tensor b =
        m->wide ? (m->wide->linear ? m->wide->linear->bias : m->wide->bias) : m->deep->out->bias;
    EXPECT_TRUE(torch::allclose(b, torch::tensor({-1.0f, 0.5f, 2.0f}))) << kind;
    if (m->wide && m->deep) {
      EXPECT_EQ(m->deep->out->bias.abs().sum().item<float>(), 0.0f);
    }
  }
}

TEST(StartFromLinear, AWideDeepModelStartsWithTheLinearPredictions) {
  const FeatureStore s = MakeStore(Task::kBinary, 300, 8);
  TrainSession linear(Arch("linear", Task::kBinary, 1, 3, {6, 6}), FullBatch(Task::kBinary));
  linear.SetOutputPrior({0.0f});
  linear.Train(s, {}, {});
  TrainSession wd(Arch("wide_deep", Task::kBinary, 1, 3, {6, 6}), Options(Task::kBinary));
  wd.StartFromLinear(linear.model());
  EXPECT_LT((wd.Predict(s) - linear.Predict(s)).abs().max().item<float>(), 1e-6f);
  // Without the per-category weights: the linear part's tables start at zero, the rest copied.
  TrainSession dense_only(Arch("wide_deep", Task::kBinary, 1, 3, {6, 6}), Options(Task::kBinary));
  dense_only.StartFromLinear(linear.model(), /*with_categorical=*/false);
  TabularNet& m = dense_only.model();
  for (const auto& [name, t] : StateDict(*m->wide)) {
    if (name.rfind("embeddings.", 0) == 0) {
      EXPECT_EQ(t.abs().sum().item<float>(), 0.0f) << name;
    } else {
      EXPECT_TRUE(torch::equal(t, linear.model()->named_parameters()[name])) << name;
    }
  }
  EXPECT_EQ(m->deep->out->weight.abs().sum().item<float>(), 0.0f);
}

TEST(EarlyStopping, KeepsTheStartWhenNoEpochBeatsIt) {
  // Labels that are pure noise: no epoch can beat a start at the prior on fresh rows by more
  // than noise, so the starting weights come back.
  FeatureStore s = MakeStore(Task::kBinary, 400, 9);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  s.labels = (torch::rand({400}, gen) < 0.5).to(torch::kFloat32);
  SessionOptions o = Options(Task::kBinary, 30);
  o.train.early_stopping.patience = 3;
  o.train.lr = 0.05;
  TrainSession session(Arch("mlp", Task::kBinary, 1, 3, {6, 6}), o);
  session.SetOutputPrior({0.0f});
  const torch::Tensor before = session.Predict(s);
  session.Train(s, torch::arange(0, 300), torch::arange(300, 400));
  EXPECT_EQ(session.progress().best_epoch, 0);
  EXPECT_TRUE(torch::equal(session.Predict(s), before));
  EXPECT_EQ(session.history()[0]["epoch"], 0);
}

TEST(LabelScaler, ModelJsonRoundTripsAndOldFormatStaysReadable) {
  ModelArch a = Arch("mlp", Task::kRegression, 1, 3, {6});
  const nlohmann::json plain = a.ToJson();
  EXPECT_EQ(plain["format"], "freshet.model/1");
  EXPECT_FALSE(plain.contains("label_scaler"));
  a.label_mean = 1e4;
  a.label_std = 1e3;
  const nlohmann::json j = a.ToJson();
  EXPECT_EQ(j["format"], "freshet.model/2");
  const ModelArch b = ModelArch::FromJson(j, "model.json");
  EXPECT_EQ(b.label_mean, 1e4);
  EXPECT_EQ(b.label_std, 1e3);
  nlohmann::json bad = j;
  bad["label_scaler"]["std"] = 0.0;
  EXPECT_THROW(ModelArch::FromJson(bad, "model.json"), IoError);
  bad = j;
  bad["task"] = "binary";
  EXPECT_THROW(ModelArch::FromJson(bad, "model.json"), IoError);
  // Output transform: z * std + mean.
  const torch::Tensor z = torch::tensor({{0.0f}, {1.5f}});
  EXPECT_TRUE(torch::allclose(OutputTransform(b, z), torch::tensor({1e4f, 11500.0f})));
}

}  // namespace
}  // namespace freshet
