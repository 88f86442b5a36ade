// The native online linear learners of online_learner.hpp: FTRL-Proximal, AdaGrad and SGD, one
// update per row over the row's sparse view.
//
// State. Coordinate i keeps Rule::kStride doubles at state_[i * kStride], interleaved so that a
// touched coordinate costs one cache line: FTRL {z, n, sqrt(n), w}, AdaGrad {w, G}, SGD {w}.
// Coordinates are the dense outputs, then each categorical output's block, then the bias. FTRL's
// sqrt(n) and w are caches, recomputed when z and n change (so that scoring is a plain dot
// product) and after Restore; sqrt and division are correctly rounded, so the recomputed values
// have the same bits, and Save leaves them out.
//
// Save format (native byte order, which is little-endian on every platform freshet builds for):
//   "freshet.online_linear/1", uint32 kind (0 ftrl, 1 adagrad, 2 sgd), uint32 task,
//   int64 dense_dim, int64 categorical outputs, int64 cardinality per output,
//   int64 scalars, double per scalar (learning-rate factor; SGD: rows learnt),
//   int64 coordinates, then Rule::kSaved doubles per coordinate.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifdef __linux__
#include <sys/mman.h>
#endif

#include "freshet/error.hpp"
#include "freshet/online_learner.hpp"
#include "online/linear_rules.h"

namespace freshet {
namespace {

using linear_rules::AdagradRule;
using linear_rules::FtrlRule;
using linear_rules::Hyper;
using linear_rules::SgdRule;
using linear_rules::Truncate;

constexpr std::string_view kMagic = "freshet.online_linear/1";
constexpr const char* kKindNames[] = {"ftrl", "adagrad", "sgd"};  // by Rule::kKind

// Zeroed doubles, 64-byte aligned so that a coordinate never straddles two cache lines, and on
// transparent huge pages where the kernel gives them on request: with hashed columns the weights
// outgrow what the TLB maps with small pages, and every row touches random pages.
class StateBuffer {
 public:
  explicit StateBuffer(size_t n = 0) : n_(n) {
    if (n == 0) return;
    constexpr size_t kHuge = size_t{2} << 20;
    const size_t align = n * sizeof(double) >= kHuge ? kHuge : 64;
    const size_t bytes = (n * sizeof(double) + align - 1) / align * align;
    p_.reset(static_cast<double*>(std::aligned_alloc(align, bytes)));
    if (!p_) throw std::bad_alloc();
#ifdef __linux__
    if (align == kHuge) madvise(p_.get(), bytes, MADV_HUGEPAGE);
#endif
    std::memset(p_.get(), 0, bytes);
  }
  double* data() { return p_.get(); }
  const double* data() const { return p_.get(); }
  size_t size() const { return n_; }

 private:
  struct Free {
    void operator()(double* p) const { std::free(p); }
  };
  std::unique_ptr<double, Free> p_;
  size_t n_ = 0;
};

std::string TaskName(Task task) {
  switch (task) {
    case Task::kBinary:
      return "binary";
    case Task::kMulticlass:
      return "multiclass";
    case Task::kRegression:
      return "regression";
  }
  return "?";
}

std::string ShapeString(int64_t dense_dim, const std::vector<int64_t>& cards) {
  std::string s = "dense " + std::to_string(dense_dim) + ", cardinalities [";
  for (size_t k = 0; k < cards.size(); ++k) s += (k ? ", " : "") + std::to_string(cards[k]);
  return s + "]";
}

[[noreturn]] void BadIndex(int64_t k, int64_t index, int64_t cardinality) {
  throw Error(ErrorKind::kInternal, "online learner: categorical output " + std::to_string(k) +
                                        " has index " + std::to_string(index) +
                                        ", outside its cardinality " + std::to_string(cardinality));
}

// Appends raw bytes; reads them back with a bounds check that names the source.
class Writer {
 public:
  template <class T>
  void Put(const T& v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void PutDoubles(const double* v, size_t n) {
    out_.append(reinterpret_cast<const char*>(v), n * sizeof(double));
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  Reader(std::string_view bytes, const std::string& source) : in_(bytes), source_(source) {}
  template <class T>
  T Get() {
    T v;
    std::memcpy(&v, Take(sizeof(T)), sizeof(T));
    return v;
  }
  const char* Take(size_t n) {
    if (in_.size() - pos_ < n) Fail("truncated at byte " + std::to_string(in_.size()));
    const char* p = in_.data() + pos_;
    pos_ += n;
    return p;
  }
  bool done() const { return pos_ == in_.size(); }
  [[noreturn]] void Fail(const std::string& why) const {
    throw ArtifactError(source_ + ": not a saved online linear learner of this shape: " + why);
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  const std::string& source_;
};

template <class Rule>
class LinearLearner final : public OnlineLearner {
 public:
  LinearLearner(Rule rule, Task task, int64_t dense_dim, std::vector<int64_t> cardinalities)
      : task_(task), logistic_(task == Task::kBinary), dense_dim_(dense_dim), rule_(rule) {
    rule_.SetFactor(1.0);
    Layout(std::move(cardinalities));
    state_ = StateBuffer(static_cast<size_t>(coords_ * Rule::kStride));
  }

  int64_t outputs() const override { return 1; }

  void Predict(const FeatureRows& rows, double* out) override {
    CheckDims(rows);
    for (int64_t r = 0; r < rows.rows; ++r) {
      Prefetch<0>(rows, r + kPrefetchRows);
      out[r] = Link(Margin(rows, r));
    }
  }

  void Train(const FeatureRows& rows, const double* labels) override {
    CheckDims(rows);
    const int64_t cat_dim = static_cast<int64_t>(cards_.size());
    for (int64_t r = 0; r < rows.rows; ++r) {
      Prefetch<1>(rows, r + kPrefetchRows);
      const double g = Link(Margin(rows, r)) - labels[r];
      rule_.BeginRow();
      const int64_t* cats = rows.cats + r * cat_dim;
      for (int64_t k = 0; k < cat_dim; ++k) {
        rule_.template Update<true>(Coord(offsets_[k] + cats[k]), g);
      }
      const float* dense = rows.dense + r * dense_dim_;
      for (int64_t j = 0; j < dense_dim_; ++j) {
        if (dense[j] != 0.0f) rule_.template Update<true>(Coord(j), g * dense[j]);
      }
      rule_.template Update<false>(Coord(coords_ - 1), g);
      rule_.EndRow();
    }
  }

  void SetLearningRateFactor(double factor) override {
    if (factor == factor_) return;
    factor_ = factor;
    rule_.SetFactor(factor);
    if (Rule::kRateInWeights) DeriveAll();
  }

  void Grow(const std::vector<int64_t>& cardinalities) override {
    FRESHET_CHECK(cardinalities.size() == cards_.size(),
                  "Grow: categorical outputs changed from " + std::to_string(cards_.size()) +
                      " to " + std::to_string(cardinalities.size()));
    for (size_t k = 0; k < cards_.size(); ++k) {
      FRESHET_CHECK(cardinalities[k] >= cards_[k],
                    "Grow: cardinality of output " + std::to_string(k) + " shrinks");
    }
    const std::vector<int64_t> old_offsets = offsets_;
    const std::vector<int64_t> old_cards = cards_;
    const int64_t old_coords = coords_;
    const StateBuffer old = std::move(state_);
    Layout(cardinalities);
    state_ = StateBuffer(static_cast<size_t>(coords_ * Rule::kStride));
    auto move_block = [&](int64_t from, int64_t to, int64_t count) {
      std::copy_n(old.data() + from * Rule::kStride, count * Rule::kStride,
                  state_.data() + to * Rule::kStride);
    };
    move_block(0, 0, dense_dim_);
    for (size_t k = 0; k < cards_.size(); ++k) {
      move_block(old_offsets[k], offsets_[k], old_cards[k]);
    }
    move_block(old_coords - 1, coords_ - 1, 1);
  }

  std::string Save() const override {
    Writer w;
    w.str().reserve(kMagic.size() + 64 + cards_.size() * sizeof(int64_t) +
                    static_cast<size_t>(coords_) * Rule::kSaved * sizeof(double));
    w.str().append(kMagic.data(), kMagic.size());
    w.Put(Rule::kKind);
    w.Put(static_cast<uint32_t>(task_));
    w.Put(dense_dim_);
    w.Put(static_cast<int64_t>(cards_.size()));
    for (int64_t c : cards_) w.Put(c);
    std::vector<double> scalars = rule_.Scalars();
    scalars.insert(scalars.begin(), factor_);
    w.Put(static_cast<int64_t>(scalars.size()));
    w.PutDoubles(scalars.data(), scalars.size());
    w.Put(coords_);
    for (int64_t i = 0; i < coords_; ++i) w.PutDoubles(Coord(i), Rule::kSaved);
    return std::move(w.str());
  }

  void Restore(std::string_view bytes, const std::string& source) override {
    Reader in(bytes, source);
    if (bytes.substr(0, kMagic.size()) != kMagic) in.Fail("no \"freshet.online_linear/1\" magic");
    in.Take(kMagic.size());
    const auto kind = in.Get<uint32_t>();
    if (kind != Rule::kKind) {
      in.Fail(std::string("saved by learner ") + (kind < 3 ? kKindNames[kind] : "?") +
              ", this learner is " + Rule::kName);
    }
    const auto task = in.Get<uint32_t>();
    if (task != static_cast<uint32_t>(task_)) {
      in.Fail("saved for task " + std::to_string(task) + ", this learner is " + TaskName(task_));
    }
    const auto dense_dim = in.Get<int64_t>();
    const auto cats = in.Get<int64_t>();
    if (cats < 0 || cats > 1 << 20) in.Fail("bad categorical output count");
    std::vector<int64_t> cards;
    for (int64_t k = 0; k < cats; ++k) cards.push_back(in.Get<int64_t>());
    if (dense_dim != dense_dim_ || cards != cards_) {
      in.Fail("saved with " + ShapeString(dense_dim, cards) + ", this learner has " +
              ShapeString(dense_dim_, cards_));
    }
    const size_t want_scalars = rule_.Scalars().size() + 1;
    if (in.Get<int64_t>() != static_cast<int64_t>(want_scalars)) in.Fail("bad scalar count");
    std::vector<double> scalars(want_scalars);
    std::memcpy(scalars.data(), in.Take(want_scalars * sizeof(double)),
                want_scalars * sizeof(double));
    if (in.Get<int64_t>() != coords_) in.Fail("bad coordinate count");
    const char* raw = in.Take(static_cast<size_t>(coords_) * Rule::kSaved * sizeof(double));
    if (!in.done()) in.Fail("trailing bytes after the state");
    factor_ = scalars[0];
    rule_.SetFactor(factor_);
    rule_.SetScalars(scalars.data() + 1);
    for (int64_t i = 0; i < coords_; ++i) {
      std::memcpy(Coord(i), raw + i * Rule::kSaved * sizeof(double), Rule::kSaved * sizeof(double));
    }
    DeriveAll();
  }

  int64_t parameters() const override { return coords_; }
  std::string Name() const override { return Rule::kName; }

  const LinearWeights* Linear() override {
    linear_.outputs = 1;
    linear_.dense_dim = dense_dim_;
    linear_.cardinalities = cards_;
    linear_.dense.resize(dense_dim_);
    for (int64_t j = 0; j < dense_dim_; ++j) linear_.dense[j] = WeightOf(j);
    linear_.bias.assign(1, WeightOf(coords_ - 1));
    linear_.tables.resize(cards_.size());
    for (size_t k = 0; k < cards_.size(); ++k) {
      linear_.tables[k].resize(cards_[k]);
      for (int64_t c = 0; c < cards_[k]; ++c) linear_.tables[k][c] = WeightOf(offsets_[k] + c);
    }
    return &linear_;
  }

  void SetLinear(const LinearWeights& w) override {
    bool ok = w.outputs == 1 && w.dense_dim == dense_dim_ && w.cardinalities == cards_ &&
              static_cast<int64_t>(w.dense.size()) == dense_dim_ && w.bias.size() == 1 &&
              w.tables.size() == cards_.size();
    for (size_t k = 0; ok && k < cards_.size(); ++k) {
      ok = static_cast<int64_t>(w.tables[k].size()) == cards_[k];
    }
    if (!ok) {
      throw ArtifactError("online learner: the linear weights to start from have " +
                          std::to_string(w.outputs) + " output(s), " +
                          ShapeString(w.dense_dim, w.cardinalities) + "; the learner has 1, " +
                          ShapeString(dense_dim_, cards_));
    }
    for (int64_t j = 0; j < dense_dim_; ++j) rule_.template Load<true>(Coord(j), w.dense[j]);
    for (size_t k = 0; k < cards_.size(); ++k) {
      for (int64_t c = 0; c < cards_[k]; ++c) {
        rule_.template Load<true>(Coord(offsets_[k] + c), w.tables[k][c]);
      }
    }
    rule_.template Load<false>(Coord(coords_ - 1), w.bias[0]);
    rule_.ResetSteps();
  }

 private:
  // Rows ahead whose hashed coordinates are fetched into cache while this one is worked on: a
  // hashed column's weights are far bigger than the cache, and a row touches one at random.
  static constexpr int64_t kPrefetchRows = 8;

  void DeriveAll() {
    for (int64_t i = 0; i + 1 < coords_; ++i) rule_.template Derive<true>(Coord(i));
    rule_.template Derive<false>(Coord(coords_ - 1));
  }

  template <int Write>
  void Prefetch(const FeatureRows& rows, int64_t r) const {
    if (r >= rows.rows) return;
    const int64_t cat_dim = static_cast<int64_t>(cards_.size());
    const int64_t* cats = rows.cats + r * cat_dim;
    for (int64_t k = 0; k < cat_dim; ++k) {
      if (static_cast<uint64_t>(cats[k]) < static_cast<uint64_t>(cards_[k])) {
        __builtin_prefetch(Coord(offsets_[k] + cats[k]), Write);
      }
    }
  }

  void Layout(std::vector<int64_t> cardinalities) {
    cards_ = std::move(cardinalities);
    offsets_.resize(cards_.size());
    int64_t next = dense_dim_;
    for (size_t k = 0; k < cards_.size(); ++k) {
      FRESHET_CHECK(cards_[k] >= 0, "negative cardinality");
      offsets_[k] = next;
      next += cards_[k];
    }
    coords_ = next + 1;
  }

  void CheckDims(const FeatureRows& rows) const {
    FRESHET_CHECK(
        rows.dense_dim == dense_dim_ && rows.cat_dim == static_cast<int64_t>(cards_.size()),
        "rows of " + std::to_string(rows.dense_dim) + " dense and " + std::to_string(rows.cat_dim) +
            " categorical outputs for a learner of " + ShapeString(dense_dim_, cards_));
  }

  // The margin of row r: its coordinates' weights times their values (dense values that are
  // exactly 0 left out, as the sparse view of the row has them), plus the bias.
  double Margin(const FeatureRows& rows, int64_t r) const {
    const int64_t cat_dim = static_cast<int64_t>(cards_.size());
    const int64_t* cats = rows.cats + r * cat_dim;
    double m = Coord(coords_ - 1)[Rule::kWeight];
    for (int64_t k = 0; k < cat_dim; ++k) {
      const int64_t c = cats[k];
      if (static_cast<uint64_t>(c) >= static_cast<uint64_t>(cards_[k])) BadIndex(k, c, cards_[k]);
      m += Coord(offsets_[k] + c)[Rule::kWeight];
    }
    const float* dense = rows.dense + r * dense_dim_;
    for (int64_t j = 0; j < dense_dim_; ++j) {
      const double x = dense[j];
      m += x != 0.0 ? Coord(j)[Rule::kWeight] * x : 0.0;
    }
    return m;
  }

  double Link(double m) const { return logistic_ ? 1.0 / (1.0 + std::exp(-m)) : m; }
  double* Coord(int64_t i) { return state_.data() + i * Rule::kStride; }
  const double* Coord(int64_t i) const { return state_.data() + i * Rule::kStride; }
  float WeightOf(int64_t i) const { return static_cast<float>(Coord(i)[Rule::kWeight]); }

  Task task_;
  bool logistic_;
  int64_t dense_dim_;
  std::vector<int64_t> cards_, offsets_;
  int64_t coords_ = 0;  // dense + every categorical block + the bias (last)
  StateBuffer state_;
  Rule rule_;
  double factor_ = 1.0;
  LinearWeights linear_;
};

void CheckHyper(const OnlineConfig& c) {
  auto require = [](bool ok, const std::string& key, double v, const char* what) {
    if (!ok)
      throw ConfigError("online." + key + ": must be " + what + ", got " + std::to_string(v));
  };
  if (c.learner == "ftrl") {
    require(c.alpha > 0, "alpha", c.alpha, "> 0");
    require(c.beta > 0, "beta", c.beta, "> 0");
  } else {
    require(c.lr > 0, "lr", c.lr, "> 0");
    require(c.power_t >= 0 || c.learner != "sgd", "power_t", c.power_t, ">= 0");
  }
  require(c.l1 >= 0, "l1", c.l1, ">= 0");
  require(c.l2 >= 0, "l2", c.l2, ">= 0");
}

}  // namespace

std::unique_ptr<OnlineLearner> MakeLinearLearner(const OnlineConfig& config, Task task,
                                                 int64_t dense_dim,
                                                 const std::vector<int64_t>& cardinalities) {
  const std::string& name = config.learner;
  if (name != "ftrl" && name != "adagrad" && name != "sgd") {
    throw ConfigError("online.learner: \"" + name + "\" is not a native linear learner " +
                      "(ftrl, adagrad, sgd)");
  }
  if (task == Task::kMulticlass) {
    throw ConfigError("online.learner: " + name + " supports binary and regression tasks");
  }
  CheckHyper(config);
  FRESHET_CHECK(dense_dim >= 0, "negative dense_dim");
  const Hyper h{config.alpha, config.beta, config.lr, config.power_t, config.l1, config.l2};
  if (name == "ftrl") {
    return std::make_unique<LinearLearner<FtrlRule>>(FtrlRule{h}, task, dense_dim, cardinalities);
  }
  if (name == "adagrad") {
    return std::make_unique<LinearLearner<AdagradRule>>(AdagradRule{h}, task, dense_dim,
                                                        cardinalities);
  }
  return std::make_unique<LinearLearner<SgdRule>>(SgdRule{h}, task, dense_dim, cardinalities);
}

}  // namespace freshet
