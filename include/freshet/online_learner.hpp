// The learners of `freshet online` and the prequential (test-then-train) metrics.
//
// A learner sees micro-batches of transformed features (the FeatureState's outputs, laid out as
// in features.hpp) and is asked first to predict each row, then to learn from it. The native
// linear learners (FTRL-Proximal, AdaGrad, SGD) work on the sparse view of a row: every dense
// output j is coordinate j with value dense[j]; categorical output k with index c is coordinate
// offset_k + c with value 1 (so a hashed column costs one weight per bucket, as in VW and River);
// plus a bias. They update row by row, so their weights after a stream do not depend on how it
// was cut into micro-batches, and on one thread they are a pure function of the rows.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/features.hpp"
#include "freshet/model_spec.hpp"
#include "freshet/online_spec.hpp"

namespace freshet {

// Rows of transformed features, row-major: dense [rows, dense_dim], cats [rows, cat_dim].
struct FeatureRows {
  int64_t rows = 0;
  int64_t dense_dim = 0, cat_dim = 0;
  const float* dense = nullptr;
  const int64_t* cats = nullptr;
};

// The weights of a linear model in the layout of ModelSpec kind "linear" (tabular_net.h):
// dense [outputs, dense_dim], bias [outputs], one table [cardinality_k, outputs] per categorical
// output. Exported by the linear learners so that the registry's model files (model.pt,
// model.safetensors, model.json) are the same as a batch-trained linear model's.
struct LinearWeights {
  int64_t outputs = 1;
  int64_t dense_dim = 0;
  std::vector<float> dense;
  std::vector<float> bias;
  std::vector<std::vector<float>> tables;
  std::vector<int64_t> cardinalities;
};

class OnlineLearner {
 public:
  virtual ~OnlineLearner() = default;
  // Values per row Predict writes: 1 (binary: P(1); regression: the prediction), or K.
  virtual int64_t outputs() const = 0;
  // Scores every row with the current weights; writes rows * outputs() values to `out`.
  virtual void Predict(const FeatureRows& rows, double* out) = 0;
  // Learns from the rows, in order: labels 0/1 (binary), class ids (multiclass) or real values.
  virtual void Train(const FeatureRows& rows, const double* labels) = 0;
  // The learning rate is multiplied by `factor` from now on (1 = back to normal).
  virtual void SetLearningRateFactor(double factor) = 0;
  // The FeatureState's categorical cardinalities grew (vocabularies appended): new weights start
  // at zero, existing ones keep their values. REQUIRES: no cardinality shrinks, dims unchanged.
  virtual void Grow(const std::vector<int64_t>& cardinalities) = 0;
  // Every number the learner's future depends on (weights, accumulators, step counts), as bytes;
  // Restore(Save()) gives a learner whose predictions and updates are bit-identical.
  virtual std::string Save() const = 0;
  // Throws ArtifactError naming `source` for bytes that are not a Save() of this kind and shape.
  virtual void Restore(std::string_view bytes, const std::string& source) = 0;
  virtual int64_t parameters() const = 0;
  // "ftrl", "adagrad", "sgd", or the model_spec kind.
  virtual std::string Name() const = 0;
  // The linear learners' weights (null for the LibTorch families).
  virtual const LinearWeights* Linear() { return nullptr; }
  // Linear learners: start again from `weights` (a champion's), accumulators and step counts
  // reset. Throws ArtifactError when the shapes differ from the learner's. Others: ConfigError.
  virtual void SetLinear(const LinearWeights& weights) = 0;
};

// A native linear learner for `task` (binary: logistic loss; regression: squared loss; multiclass
// is refused with ConfigError "online.learner: ftrl supports binary and regression tasks") over
// `dense_dim` dense outputs and the categorical outputs' `cardinalities`.
//   ftrl     z, n per coordinate; w_i = 0 if |z_i| <= l1, else
//            -(z_i - sign(z_i) l1) / ((beta + sqrt(n_i)) / alpha + l2)
//   adagrad  w_i -= lr g_i / sqrt(G_i + 1e-10), G_i += g_i^2 first; l2 adds l2 * w_i to g_i
//   sgd      w_i -= lr (1 + t)^-power_t (g_i + l2 w_i), t = rows learnt so far
// (l1 for adagrad and sgd: truncated gradient, w_i moved toward 0 by lr_i * l1, not past it.)
std::unique_ptr<OnlineLearner> MakeLinearLearner(const OnlineConfig& config, Task task,
                                                 int64_t dense_dim,
                                                 const std::vector<int64_t>& cardinalities);

// Prequential metrics: each row is scored before it is learnt from. Kept two ways: over the last
// `window` rows (exact, by a ring buffer) and exponentially faded with factor `alpha`
// (Gama et al. 2013: S_t = L_t + alpha S_{t-1}, N_t = 1 + alpha N_{t-1}, metric = S_t / N_t),
// plus totals since the start. Binary: log_loss (probabilities clipped to [1e-15, 1 - 1e-15]),
// accuracy (threshold 0.5), auc (the window only: exact, ties averaged, null when the window
// has one class). Multiclass: log_loss, accuracy. Regression: mae, rmse (faded: sqrt of the faded
// squared error).
class PrequentialMetrics {
 public:
  PrequentialMetrics(Task task, int64_t outputs, int64_t window, double alpha);
  // Adds rows: `scores` as Predict wrote them, `labels` as given to Train.
  void Add(const double* scores, const double* labels, int64_t rows);
  int64_t rows() const;
  // {"window": {...}, "faded": {...}, "total": {...}, "rows": n}; a metric with no value is null.
  nlohmann::json ToJson() const;
  // The window's value of `metric` (log_loss, accuracy, auc, mae, rmse); NaN when it has none.
  double Window(const std::string& metric) const;
  // The 0/1 error (binary, multiclass) or absolute error (regression) of one scored row, and its
  // loss: what the drift detectors read.
  double RowError(const double* score, double label) const;
  double RowLoss(const double* score, double label) const;
  // Exact state, restored bit for bit.
  nlohmann::json Save() const;
  void Restore(const nlohmann::json& state);

 private:
  void Push(double x, double y);
  void Resum();
  int64_t Slot(int64_t i) const;  // the ring index of the window's i-th oldest row

  Task task_;
  int64_t outputs_, window_;
  double alpha_;
  // The window's rows, oldest at (head_ - filled_) mod window_: binary (p, label), regression
  // (prediction, label), multiclass (log loss, 1 if right). Enough to evict a row exactly and,
  // for binary, to compute the AUC.
  std::vector<double> ring_x_, ring_y_;
  int64_t head_ = 0, filled_ = 0;
  // Per row two numbers are summed: classification (log loss, 1 if right), regression (absolute
  // error, squared error). The window's running sums are recomputed from the ring every
  // `window` rows, so that rounding cannot build up.
  int64_t since_resum_ = 0;
  double window_a_ = 0, window_b_ = 0;
  double faded_n_ = 0, faded_a_ = 0, faded_b_ = 0;
  int64_t rows_ = 0;
  double total_a_ = 0, total_b_ = 0;
};

}  // namespace freshet
