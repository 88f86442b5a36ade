// The LibTorch online learner (MakeOnlineModel), the export of online learners as a version's model
// files (ExportOnlineModel) and ReadLinearWeights.
#include "train/online_torch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "freshet/trainer.hpp"
#include "io/test_util.h"
#include "train/checkpoint.h"
#include "train/train_util.h"

namespace freshet {
namespace {

namespace fs = std::filesystem;
using testing::MakeConfig;
using testing::MakeTable;
using testing::MessageOf;
using testing::TempDir;

// A table's rows transformed by a state, and its labels, for feeding a learner.
struct Stream {
  Table table;
  FeatureState state;
  int64_t n = 0, d = 0, c = 0;
  std::vector<float> dense;
  std::vector<int64_t> cats;
  std::vector<double> labels;

  FeatureRows Rows(int64_t begin, int64_t end) const {
    FeatureRows r;
    r.rows = end - begin;
    r.dense_dim = d;
    r.cat_dim = c;
    r.dense = dense.data() + begin * d;
    r.cats = cats.data() + begin * c;
    return r;
  }
};

Stream MakeStream(const Config& config, const Table& table, const FeatureState& state) {
  Stream s;
  s.table = table;
  s.state = state;
  s.n = table.rows();
  s.d = state.dense_dim();
  s.c = state.categorical_dim();
  s.dense.resize(static_cast<size_t>(s.n * s.d));
  s.cats.resize(static_cast<size_t>(s.n * s.c));
  TransformFeatures(table, state, Device{}, s.dense.data(), s.cats.data(), nullptr);
  const double* y = table.Find(config.data.label)->values<double>();
  s.labels.assign(y, y + s.n);
  return s;
}

Stream MakeStream(const Config& config, int64_t rows, uint64_t seed) {
  const Table t = MakeTable(config.task, rows, seed);
  return MakeStream(config, t, FitFeatures(t, config.features));
}

TorchOnlineLearner& AsTorch(OnlineLearner& l) { return dynamic_cast<TorchOnlineLearner&>(l); }

std::vector<double> PredictAll(OnlineLearner& l, const Stream& s, int64_t begin, int64_t end) {
  std::vector<double> out(static_cast<size_t>((end - begin) * l.outputs()));
  l.Predict(s.Rows(begin, end), out.data());
  return out;
}

void TrainBatches(OnlineLearner& l, const Stream& s, int64_t first, int64_t last, int64_t batch) {
  for (int64_t b = first; b < last; ++b) {
    l.Train(s.Rows(b * batch, (b + 1) * batch), s.labels.data() + b * batch);
  }
}

double LogLoss(const std::vector<double>& p, const double* y) {
  double sum = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double q = std::clamp(p[i], 1e-15, 1 - 1e-15);
    sum -= y[i] > 0.5 ? std::log(q) : std::log(1 - q);
  }
  return sum / static_cast<double>(p.size());
}

TEST(OnlineTorch, LearnsASeparableStream) {
  for (const char* kind : {"linear", "mlp", "wide_deep"}) {
    SCOPED_TRACE(kind);
    const Config c = MakeConfig(Task::kBinary, kind);
    const Stream s = MakeStream(c, 6400, 11);
    std::unique_ptr<OnlineLearner> l = MakeOnlineModel(c, s.state, Device{}, nullptr);
    EXPECT_EQ(l->Name(), kind);
    EXPECT_EQ(l->outputs(), 1);
    EXPECT_GT(l->parameters(), 0);
    EXPECT_EQ(l->Linear(), nullptr);
    EXPECT_FALSE(AsTorch(*l).started_from_champion());
    const int64_t batch = 64, batches = s.n / batch;
    double first = 0, last = 0;
    for (int64_t b = 0; b < batches; ++b) {
      // Prequential: each batch is scored before it is learnt from.
      const double loss =
          LogLoss(PredictAll(*l, s, b * batch, (b + 1) * batch), s.labels.data() + b * batch);
      if (b < 10) first += loss / 10;
      if (b >= batches - 10) last += loss / 10;
      l->Train(s.Rows(b * batch, (b + 1) * batch), s.labels.data() + b * batch);
    }
    EXPECT_LT(last, 0.6 * first);
    EXPECT_LT(last, 0.3);
    EXPECT_EQ(AsTorch(*l).steps(), batches);
    const std::string msg = MessageOf<ConfigError>([&] { l->SetLinear(LinearWeights{}); });
    EXPECT_NE(msg.find("online.learner: model"), std::string::npos) << msg;
  }
}

TEST(OnlineTorch, MulticlassAndRegressionLearn) {
  Config mc = MakeConfig(Task::kMulticlass, "wide_deep");
  const Stream s = MakeStream(mc, 3200, 12);
  const std::string msg =
      MessageOf<ConfigError>([&] { MakeOnlineModel(mc, s.state, Device{}, nullptr); });
  EXPECT_NE(msg.find("model_spec.num_classes"), std::string::npos) << msg;
  mc.model_spec.num_classes = 3;
  std::unique_ptr<OnlineLearner> l = MakeOnlineModel(mc, s.state, Device{}, nullptr);
  ASSERT_EQ(l->outputs(), 3);
  TrainBatches(*l, s, 0, 40, 64);
  const std::vector<double> p = PredictAll(*l, s, 2560, 3200);
  int64_t right = 0;
  for (int64_t i = 0; i < 640; ++i) {
    EXPECT_NEAR(p[3 * i] + p[3 * i + 1] + p[3 * i + 2], 1.0, 1e-5);
    const auto best = std::max_element(p.begin() + 3 * i, p.begin() + 3 * i + 3) - p.begin();
    right += (best - 3 * i) == static_cast<int64_t>(s.labels[2560 + i]);
  }
  EXPECT_GT(right, 640 * 0.75);
  std::vector<double> bad(64, 0.0);
  bad[5] = 3.0;  // no class 3
  const std::string label = MessageOf<DataError>([&] { l->Train(s.Rows(0, 64), bad.data()); });
  EXPECT_NE(label.find("row 5"), std::string::npos) << label;

  const Config rc = MakeConfig(Task::kRegression, "mlp");
  const Stream r = MakeStream(rc, 3200, 13);
  std::unique_ptr<OnlineLearner> reg = MakeOnlineModel(rc, r.state, Device{}, nullptr);
  const auto mse = [&](int64_t begin, int64_t end) {
    const std::vector<double> q = PredictAll(*reg, r, begin, end);
    double sum = 0;
    for (int64_t i = begin; i < end; ++i) sum += std::pow(q[i - begin] - r.labels[i], 2);
    return sum / static_cast<double>(end - begin);
  };
  const double before = mse(2560, 3200);
  TrainBatches(*reg, r, 0, 40, 64);
  EXPECT_LT(mse(2560, 3200), 0.2 * before);
}

// Restore(Save()) then training equals training on, bit for bit, for every optimiser, dropout
// included (the learner's own random streams), whatever the default generators do meanwhile.
TEST(OnlineTorch, SaveRestoreContinuesBitExactly) {
  struct Case {
    const char* kind;
    const char* optimizer;
    double dropout;
    const char* norm;
  };
  for (const Case& k :
       {Case{"mlp", "adam", 0.3, "batch"}, Case{"wide_deep", "sgd", 0.2, "none"},
        Case{"linear", "adagrad", 0.0, "none"}, Case{"wide_deep", "adamw", 0.0, "layer"}}) {
    SCOPED_TRACE(std::string(k.kind) + " " + k.optimizer);
    Config c = MakeConfig(Task::kBinary, k.kind);
    c.train.optimizer = k.optimizer;
    c.model_spec.dropout = k.dropout;
    c.model_spec.norm = k.norm;
    const Stream s = MakeStream(c, 1280, 14);
    std::unique_ptr<OnlineLearner> a = MakeOnlineModel(c, s.state, Device{}, nullptr);
    TrainBatches(*a, s, 0, 5, 64);
    a->SetLearningRateFactor(3.0);
    TrainBatches(*a, s, 5, 7, 64);
    const std::string bytes = a->Save();

    c.train.seed = 99;  // the restored learner's own start does not matter
    std::unique_ptr<OnlineLearner> b = MakeOnlineModel(c, s.state, Device{}, nullptr);
    TrainBatches(*b, s, 0, 2, 64);
    b->Restore(bytes, "saved");
    EXPECT_EQ(AsTorch(*b).steps(), 7);
    (void)torch::rand({100});  // the default generator moves; the learners' streams do not
    TrainBatches(*a, s, 7, 15, 64);
    torch::manual_seed(1234);
    TrainBatches(*b, s, 7, 15, 64);
    EXPECT_TRUE(testing::SameWeights(AsTorch(*a).model(), AsTorch(*b).model()));
    const std::vector<double> pa = PredictAll(*a, s, 960, 1280), pb = PredictAll(*b, s, 960, 1280);
    EXPECT_EQ(0, std::memcmp(pa.data(), pb.data(), pa.size() * sizeof(double)));
    // The factor came back with the state: 1 again on both gives the same steps again.
    a->SetLearningRateFactor(1.0);
    b->SetLearningRateFactor(1.0);
    TrainBatches(*a, s, 15, 17, 64);
    TrainBatches(*b, s, 15, 17, 64);
    EXPECT_TRUE(testing::SameWeights(AsTorch(*a).model(), AsTorch(*b).model()));
  }
}

TEST(OnlineTorch, RestoreRefusesOtherBytes) {
  Config c = MakeConfig(Task::kBinary, "mlp");
  const Stream s = MakeStream(c, 256, 15);
  std::unique_ptr<OnlineLearner> l = MakeOnlineModel(c, s.state, Device{}, nullptr);
  TrainBatches(*l, s, 0, 2, 64);
  const std::vector<double> before = PredictAll(*l, s, 0, 256);
  const std::string garbage =
      MessageOf<ArtifactError>([&] { l->Restore("not a learner", "online/learner.bin"); });
  EXPECT_NE(garbage.find("online/learner.bin"), std::string::npos) << garbage;

  Config other = c;
  other.model_spec.hidden = {8};
  std::unique_ptr<OnlineLearner> o = MakeOnlineModel(other, s.state, Device{}, nullptr);
  const std::string arch = MessageOf<ArtifactError>([&] { l->Restore(o->Save(), "x.bin"); });
  EXPECT_NE(arch.find("another architecture"), std::string::npos) << arch;

  other = c;
  other.train.optimizer = "sgd";
  o = MakeOnlineModel(other, s.state, Device{}, nullptr);
  const std::string opt = MessageOf<ArtifactError>([&] { l->Restore(o->Save(), "x.bin"); });
  EXPECT_NE(opt.find("optimiser sgd"), std::string::npos) << opt;

  const std::string saved = l->Save();
  const std::string cut = MessageOf<ArtifactError>(
      [&] { l->Restore(std::string_view(saved).substr(0, saved.size() / 2), "x.bin"); });
  EXPECT_NE(cut.find("x.bin"), std::string::npos) << cut;
  EXPECT_EQ(PredictAll(*l, s, 0, 256), before);  // untouched by the refused bytes
}

// A copy of `state` whose first categorical output gained `extra` categories.
FeatureState Grown(FeatureState state, int extra) {
  for (int i = 0; i < extra; ++i) state.categorical[0].vocab.push_back("new" + std::to_string(i));
  return state;
}

TEST(OnlineTorch, GrowKeepsOldWeights) {
  Config c = MakeConfig(Task::kBinary, "wide_deep");
  c.model_spec.embedding_dim = 4;
  const Stream s = MakeStream(c, 1280, 16);
  std::unique_ptr<OnlineLearner> a = MakeOnlineModel(c, s.state, Device{}, nullptr);
  std::unique_ptr<OnlineLearner> twin = MakeOnlineModel(c, s.state, Device{}, nullptr);
  TrainBatches(*a, s, 0, 5, 64);
  TrainBatches(*twin, s, 0, 5, 64);
  const NamedTensors old = CopyWeights(AsTorch(*a).model());
  const std::vector<double> before = PredictAll(*a, s, 0, 1280);
  const int64_t params = a->parameters();
  const FeatureState grown = Grown(s.state, 3);
  const int64_t card = s.state.cardinalities()[0];
  a->Grow(grown.cardinalities());
  twin->Grow(grown.cardinalities());
  EXPECT_EQ(a->parameters(), params + 3 * (1 + 4));
  EXPECT_EQ(AsTorch(*a).model()->arch.categorical[0].cardinality, card + 3);
  const auto now = StateDict(*AsTorch(*a).model());
  ASSERT_EQ(now.size(), old.size());
  for (size_t i = 0; i < old.size(); ++i) {
    SCOPED_TRACE(old[i].first);
    const torch::Tensor& t = now[i].second;
    if (t.sizes() == old[i].second.sizes()) {
      EXPECT_TRUE(torch::equal(t, old[i].second));
      continue;
    }
    EXPECT_TRUE(torch::equal(t.slice(0, 0, card), old[i].second));
    const torch::Tensor added = t.slice(0, card);
    if (old[i].first.rfind("wide.", 0) == 0) {
      EXPECT_TRUE(torch::equal(added, torch::zeros_like(added)));
    } else {
      EXPECT_GT(added.abs().sum().item<double>(), 0.0);
    }
  }
  EXPECT_EQ(PredictAll(*a, s, 0, 1280), before);
  EXPECT_TRUE(testing::SameWeights(AsTorch(*a).model(), AsTorch(*twin).model()));

  // The new categories are learnt (the optimiser's state grew with the tables), and a learner of
  // the grown state takes the grown learner's bytes.
  Stream g = s;
  g.state = grown;
  for (int64_t i = 0; i < g.n; i += 2) g.cats[i * g.c] = card + 1;
  TrainBatches(*a, g, 0, 5, 64);
  const torch::Tensor wide =
      AsTorch(*a).model()->wide->embeddings[0]->as<torch::nn::Embedding>()->weight;
  EXPECT_NE(wide[card + 1].item<float>(), 0.0f);
  std::unique_ptr<OnlineLearner> b = MakeOnlineModel(c, grown, Device{}, nullptr);
  b->Restore(a->Save(), "grown");
  TrainBatches(*a, g, 5, 10, 64);
  TrainBatches(*b, g, 5, 10, 64);
  EXPECT_TRUE(testing::SameWeights(AsTorch(*a).model(), AsTorch(*b).model()));
}

// On a CUDA device the learner follows the CPU's (the oracle) to rounding, and its saved state
// restores on either device. Skipped where no CUDA device is visible.
TEST(OnlineTorch, FollowsTheCpu_CUDA) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible";
  const Device cuda{DeviceKind::kCuda, 0};
  for (double dropout : {0.0, 0.2}) {
    SCOPED_TRACE(dropout);
    Config c = MakeConfig(Task::kBinary, "wide_deep");
    c.model_spec.dropout = dropout;
    const Stream s = MakeStream(c, 1280, 25);
    std::unique_ptr<OnlineLearner> gpu = MakeOnlineModel(c, s.state, cuda, nullptr);
    std::unique_ptr<OnlineLearner> cpu = MakeOnlineModel(c, s.state, Device{}, nullptr);
    TrainBatches(*gpu, s, 0, 10, 64);
    TrainBatches(*cpu, s, 0, 10, 64);
    const std::vector<double> pg = PredictAll(*gpu, s, 0, 1280);
    if (dropout == 0.0) {
      const std::vector<double> pc = PredictAll(*cpu, s, 0, 1280);
      for (size_t i = 0; i < pg.size(); ++i) EXPECT_NEAR(pg[i], pc[i], 1e-4) << i;
    }
    cpu->Restore(gpu->Save(), "gpu");
    const std::vector<double> back = PredictAll(*cpu, s, 0, 1280);
    for (size_t i = 0; i < pg.size(); ++i) EXPECT_NEAR(pg[i], back[i], 1e-5) << i;
    std::unique_ptr<OnlineLearner> again = MakeOnlineModel(c, s.state, cuda, nullptr);
    again->Restore(gpu->Save(), "gpu");
    TrainBatches(*gpu, s, 10, 15, 64);
    TrainBatches(*again, s, 10, 15, 64);
    const std::vector<double> pa = PredictAll(*again, s, 0, 1280),
                              pb = PredictAll(*gpu, s, 0, 1280);
    for (size_t i = 0; i < pa.size(); ++i) EXPECT_NEAR(pa[i], pb[i], 1e-5) << i;
    TempDir dir;
    FolderArtifacts out(dir.path());
    ExportOnlineModel(*gpu, c, s.state, out);
    const VersionScores scores = ScoreVersion(out, s.state, s.table, Device{}, false);
    ASSERT_EQ(scores.main.size(), pb.size());
    for (size_t i = 0; i < pb.size(); ++i) EXPECT_NEAR(pb[i], scores.main[i], 1e-5) << i;
  }
}

struct Version {
  FeatureState state;
  TrainOutcome out;
};

Version TrainVersion(const Config& c, const Table& train, const Table& eval, const std::string& dir,
                     const ArtifactSource* warm = nullptr) {
  fs::create_directories(dir);
  Version v;
  v.state = FitFeatures(train, c.features);
  FolderArtifacts out(dir);
  TrainOptions o;
  o.out = &out;
  o.warm_start = warm;
  v.out = TrainModel(c, v.state, train, eval, Device{}, o);
  return v;
}

TEST(OnlineTorch, StartsFromTheChampion) {
  TempDir dir;
  const Config c = MakeConfig(Task::kBinary, "wide_deep");
  const Table train = MakeTable(Task::kBinary, 1500, 17), eval = MakeTable(Task::kBinary, 300, 18);
  const Version v = TrainVersion(c, train, eval, dir / "v1");
  FolderArtifacts champion(dir / "v1");
  const Stream s = MakeStream(c, eval, v.state);
  std::unique_ptr<OnlineLearner> l = MakeOnlineModel(c, v.state, Device{}, &champion);
  EXPECT_TRUE(AsTorch(*l).started_from_champion());
  EXPECT_FALSE(AsTorch(*l).optimizer().state().empty());  // the champion's AdamW moments
  const VersionScores scores = ScoreVersion(champion, v.state, eval, Device{}, false);
  const std::vector<double> p = PredictAll(*l, s, 0, s.n);
  ASSERT_EQ(scores.main.size(), p.size());
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(p[i], scores.main[i], 1e-6) << i;

  // A grown vocabulary still starts from the champion, its old rows kept.
  const FeatureState grown = Grown(v.state, 2);
  l = MakeOnlineModel(c, grown, Device{}, &champion);
  EXPECT_TRUE(AsTorch(*l).started_from_champion());
  const std::vector<double> q = PredictAll(*l, s, 0, s.n);
  for (size_t i = 0; i < q.size(); ++i) EXPECT_NEAR(q[i], scores.main[i], 1e-6) << i;

  Config other = c;
  other.model_spec.hidden = {8};
  l = MakeOnlineModel(other, v.state, Device{}, &champion);
  EXPECT_FALSE(AsTorch(*l).started_from_champion());
}

TEST(OnlineExport, TorchLearnerReadsBackAsABatchModel) {
  TempDir dir;
  const Config c = MakeConfig(Task::kBinary, "wide_deep");
  const Stream s = MakeStream(c, 1280, 19);
  std::unique_ptr<OnlineLearner> l = MakeOnlineModel(c, s.state, Device{}, nullptr);
  TrainBatches(*l, s, 0, 10, 64);
  fs::create_directories(dir / "v1");
  FolderArtifacts out(dir / "v1");
  ExportOnlineModel(*l, c, s.state, out);
  const VersionScores scores = ScoreVersion(out, s.state, s.table, Device{}, false);
  ASSERT_TRUE(scores.main_error.empty()) << scores.main_error;
  const std::vector<double> p = PredictAll(*l, s, 0, s.n);
  ASSERT_EQ(scores.main.size(), p.size());
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(p[i], scores.main[i], 1e-6) << i;
  const ModelPt pt = ModelPt::Read(dir / "v1/model.pt", torch::kCPU);
  EXPECT_EQ(pt.optimizer_name, "adamw");
  EXPECT_EQ(pt.progress.step, 10);
  EXPECT_TRUE(pt.progress.finished);
  EXPECT_EQ(pt.arch.kind, "wide_deep");

  // A batch retrain warm-starts from it (weights and AdamW state), and so does an online model.
  const Version v2 = TrainVersion(c, s.table, MakeTable(Task::kBinary, 200, 20), dir / "v2", &out);
  EXPECT_TRUE(v2.out.main.warm_started);
  l = MakeOnlineModel(c, s.state, Device{}, &out);
  EXPECT_TRUE(AsTorch(*l).started_from_champion());
}

// A native linear learner stand-in: it holds the weights it is given.
class FakeLinear final : public OnlineLearner {
 public:
  explicit FakeLinear(LinearWeights w) : w_(std::move(w)) {}
  int64_t outputs() const override { return w_.outputs; }
  void Predict(const FeatureRows&, double*) override {}
  void Train(const FeatureRows&, const double*) override {}
  void SetLearningRateFactor(double) override {}
  void Grow(const std::vector<int64_t>&) override {}
  std::string Save() const override { return ""; }
  void Restore(std::string_view, const std::string&) override {}
  int64_t parameters() const override { return 0; }
  std::string Name() const override { return "ftrl"; }
  const LinearWeights* Linear() override { return &w_; }
  void SetLinear(const LinearWeights& w) override { w_ = w; }

 private:
  LinearWeights w_;
};

// Random weights for `state`'s outputs; the tables cover `short_by` fewer rows than the state's.
LinearWeights RandomWeights(const FeatureState& state, uint64_t seed, int64_t short_by = 0) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<float> normal(0.0f, 0.7f);
  LinearWeights w;
  w.dense_dim = state.dense_dim();
  for (int64_t j = 0; j < w.dense_dim; ++j) w.dense.push_back(normal(gen));
  w.bias = {normal(gen)};
  for (int64_t card : state.cardinalities()) {
    w.cardinalities.push_back(card - short_by);
    std::vector<float> t;
    for (int64_t i = 0; i < card - short_by; ++i) t.push_back(normal(gen));
    w.tables.push_back(t);
  }
  return w;
}

// w·x + b + Σ_k table_k[c_k], by hand, for row i of `s`.
double LinearScore(const LinearWeights& w, const Stream& s, int64_t i) {
  double z = w.bias[0];
  for (int64_t j = 0; j < s.d; ++j) z += double{w.dense[j]} * s.dense[i * s.d + j];
  for (int64_t k = 0; k < s.c; ++k) {
    const int64_t v = s.cats[i * s.c + k];
    if (v < w.cardinalities[k]) z += w.tables[k][v];
  }
  return z;
}

TEST(OnlineExport, LinearWeightsReadBackAsALinearModel) {
  TempDir dir;
  for (Task task : {Task::kBinary, Task::kRegression}) {
    for (bool dense : {true, false}) {
      SCOPED_TRACE(std::string(TaskName(task)) + (dense ? " dense" : " no dense"));
      Config c = MakeConfig(task, "wide_deep");  // the config's family does not matter
      if (!dense) c.features.erase(c.features.begin(), c.features.begin() + 2);
      const Stream s = MakeStream(c, 500, 21);
      ASSERT_EQ(s.d, dense ? 2 : 0);
      const LinearWeights w = RandomWeights(s.state, 22, /*short_by=*/1);
      FakeLinear learner(w);
      const std::string v = dir / (std::string(TaskName(task)) + (dense ? "-d" : "-c"));
      fs::create_directories(v);
      FolderArtifacts out(v);
      ExportOnlineModel(learner, c, s.state, out);
      EXPECT_EQ(ReadModelJson(v + "/model.json").kind, "linear");
      const VersionScores scores = ScoreVersion(out, s.state, s.table, Device{}, false);
      ASSERT_TRUE(scores.main_error.empty()) << scores.main_error;
      PredictConfig guards;
      guards.use_fallback = false;
      const Prediction pred = PredictVersion(out, s.state, s.table, Device{}, guards, false);
      ASSERT_EQ(scores.main.size(), static_cast<size_t>(s.n));
      for (int64_t i = 0; i < s.n; ++i) {
        const double z = LinearScore(w, s, i);
        const double expect = task == Task::kBinary ? 1.0 / (1.0 + std::exp(-z)) : z;
        EXPECT_NEAR(scores.main[i], expect, 1e-5) << i;
        EXPECT_EQ(pred.values[i], scores.main[i]);
      }
      const ModelPt pt = ModelPt::Read(v + "/model.pt", torch::kCPU);
      EXPECT_EQ(pt.optimizer_name, "ftrl");
      EXPECT_EQ(pt.progress.step, 0);

      // Back as weights: the same numbers, the short tables padded with zeros.
      const LinearWeights back = ReadLinearWeights(out, s.state);
      EXPECT_EQ(back.outputs, 1);
      EXPECT_EQ(back.dense, w.dense);
      EXPECT_EQ(back.bias, w.bias);
      ASSERT_EQ(back.tables.size(), w.tables.size());
      for (size_t k = 0; k < w.tables.size(); ++k) {
        EXPECT_EQ(back.cardinalities[k], w.cardinalities[k] + 1);
        std::vector<float> padded = w.tables[k];
        padded.push_back(0.0f);
        EXPECT_EQ(back.tables[k], padded);
      }
    }
  }
  // A batch retrain of kind linear warm-starts from the exported weights (its own optimiser).
  Config c = MakeConfig(Task::kBinary, "linear");
  const Stream s = MakeStream(c, 500, 21);
  fs::create_directories(dir / "lin");
  FolderArtifacts out(dir / "lin");
  FakeLinear learner(RandomWeights(s.state, 23));
  ExportOnlineModel(learner, c, s.state, out);
  const Version v2 = TrainVersion(c, s.table, s.table, dir / "lin2", &out);
  EXPECT_TRUE(v2.out.main.warm_started);
}

TEST(OnlineLinearWeights, ReadsABatchModelAndRefusesOthers) {
  TempDir dir;
  // A batch-trained linear regression (label standardised): its weights predict as it does.
  Config c = MakeConfig(Task::kRegression, "linear");
  const Table train = MakeTable(Task::kRegression, 1500, 24);
  const Version v = TrainVersion(c, train, train, dir / "v1");
  FolderArtifacts v1(dir / "v1");
  ASSERT_TRUE(ReadModelJson(dir / "v1/model.json").has_label_scaler());
  const Stream s = MakeStream(c, train, v.state);
  const LinearWeights w = ReadLinearWeights(v1, v.state);
  const VersionScores scores = ScoreVersion(v1, v.state, train, Device{}, false);
  for (int64_t i = 0; i < 200; ++i) {
    EXPECT_NEAR(LinearScore(w, s, i), scores.main[i], 1e-4 * (1 + std::abs(scores.main[i])));
  }

  // A grown vocabulary: zero rows for the new categories.
  const FeatureState grown = Grown(v.state, 2);
  const LinearWeights g = ReadLinearWeights(v1, grown);
  EXPECT_EQ(g.cardinalities[0], v.state.cardinalities()[0] + 2);
  EXPECT_EQ(g.tables[0].back(), 0.0f);

  // Another feature set, a smaller vocabulary, another model kind: refused, naming model.json.
  Config fewer = c;
  fewer.features.pop_back();
  const FeatureState no_city = FitFeatures(train, fewer.features);
  std::string msg = MessageOf<ArtifactError>([&] { ReadLinearWeights(v1, no_city); });
  EXPECT_NE(msg.find(dir / "v1/model.json"), std::string::npos) << msg;
  FeatureState smaller = v.state;
  smaller.categorical[0].vocab.pop_back();
  msg = MessageOf<ArtifactError>([&] { ReadLinearWeights(v1, smaller); });
  EXPECT_NE(msg.find("rows"), std::string::npos) << msg;

  const Config deep = MakeConfig(Task::kRegression, "mlp");
  const Version v2 = TrainVersion(deep, train, train, dir / "v2");
  FolderArtifacts mlp(dir / "v2");
  msg = MessageOf<ArtifactError>([&] { ReadLinearWeights(mlp, v2.state); });
  EXPECT_NE(msg.find(dir / "v2/model.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not linear"), std::string::npos) << msg;
}

}  // namespace
}  // namespace freshet
