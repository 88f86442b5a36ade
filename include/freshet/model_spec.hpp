// The config's `task:`, `model_spec:`, `train:` and `predict:` sections.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace freshet {

struct Config;

// binary: label 0/1, one logit, P(1) = sigmoid. multiclass: label holds class ids 0..K-1, K
// logits, probabilities = softmax. regression: a real label, one output, the prediction itself.
enum class Task { kBinary, kMulticlass, kRegression };

struct ModelSpec {
  // linear: logistic / softmax / linear regression over the dense features and one-hot
  // categories. mlp: embeddings + dense → hidden layers → output. wide_deep (the default): the
  // sum of both; on a cold start its linear part starts from the fitted fallback's dense
  // weights and bias (per-category tables at zero) and its deep part's output from zero.
  std::string kind = "wide_deep";
  std::vector<int64_t> hidden = {64, 32};
  std::string activation = "relu";  // relu | gelu | tanh
  std::string norm = "none";        // none | layer | batch, after each hidden Linear
  double dropout = 0.0;             // after each hidden activation, in [0, 1)
  // Embedding width of every categorical output; 0 = "auto": min(64, round(1.6 * card^0.56))
  // per column. On warm start an auto width is inherited from the previous version, so a grown
  // vocabulary never changes the architecture.
  int64_t embedding_dim = 8;
  std::map<std::string, int64_t> embedding_dims;  // per categorical output name, overrides
  int64_t num_classes = 0;  // multiclass: K; 0 = inferred from the training labels (max + 1)
};

// `train.lr_schedule`: the learning rate of step s (0-based, over the whole run) is
// lr * warmup(s) * decay(s): warmup ramps linearly from lr/warmup_steps to lr over the first
// warmup_steps steps; constant: 1; step: gamma^floor(epoch / step_epochs); cosine: from 1 down to
// min_lr/lr over the steps after the warm-up.
struct LrSchedule {
  std::string kind = "constant";  // constant | step | cosine
  int64_t warmup_steps = 0;
  int step_epochs = 1;  // step
  double gamma = 0.1;   // step
  double min_lr = 0.0;  // cosine
};

// `train.early_stopping`: stop when the validation metric has not improved by more than
// min_delta for `patience` epochs, and keep the weights of the best epoch (or the starting
// weights, when no epoch beat them). patience 0 = off. On by default with `epochs: auto`, off
// with a fixed epoch count unless configured.
struct EarlyStopping {
  int patience = 10;
  // auto (the task's loss) | loss | log_loss | auc | accuracy | macro_f1 | rmse | mae | r2
  std::string metric = "auto";
  double min_delta = 0.0;
};

// `train.fallback`: the linear fallback, fit to convergence by full-batch L-BFGS (every
// evaluation a pass over all training rows, in chunks when they are streamed) on the objective
//   (1/S) Σ s_i loss_i + (λ / 2S) ||W||²      (S = Σ s_i, the row weights; biases unpenalised)
// with λ = 1/C for logistic / softmax regression (scikit-learn's LogisticRegression(C)) and
// λ = 2·alpha with squared error for ridge regression (Ridge(alpha)).
struct FallbackConfig {
  bool enabled = true;
  double c = 1.0;      // `C`: binary, multiclass
  double alpha = 1.0;  // regression
  int64_t max_iter = 100;
  double tol = 1e-4;  // converged when max |∂objective/∂θ| <= tol
};

// The training length when `epochs` and `batch_size` are auto (0), for N training rows:
//   batch_size = clamp(2^floor(log2(N / 16)), 32, 1024), never above N;
//   epochs     = clamp(ceil(min_steps / steps per epoch), 1, max_epochs),
// with early stopping on the validation draw (validation_fraction of the rows, patience 10).
struct TrainConfig {
  int epochs = 0;          // 0 = auto
  int64_t batch_size = 0;  // 0 = auto
  int64_t min_steps = 2000;
  int max_epochs = 1000;
  double lr = 1e-3;
  double weight_decay = 0.0;
  std::string optimizer = "adamw";  // sgd | adam | adamw | adagrad
  double momentum = 0.9;            // sgd
  // bce (binary) | cross_entropy (multiclass) | mse | huber (regression); "auto" picks the first
  // that fits the task.
  std::string loss = "auto";
  double huber_delta = 1.0;
  std::string weight_column;  // optional non-negative per-row weights; "" = none
  LrSchedule lr_schedule;
  double clip_grad_norm = 0.0;  // max global L2 norm of the gradients; 0 = off
  // Fraction of the training rows (a seeded draw) held out from the main model as the validation
  // set of early stopping and the per-epoch validation metric; 0 = none. Default 0.1 when early
  // stopping is on, else 0. The fallback fits on every training row.
  double validation_fraction = 0.1;
  EarlyStopping early_stopping;
  uint64_t seed = 42;
  bool deterministic = false;      // deterministic kernels (cuDNN, cuBLAS, scatter-adds)
  std::string precision = "fp32";  // fp32 | bf16 (autocast on CUDA; CPU trains in fp32)
  // Device memory the training features may take, in MiB (fractions allowed); 0 = auto: half
  // the free memory of a CUDA device, unbounded on the CPU. Past it, features stay in host memory
  // and are streamed to the device in chunks.
  double device_memory_budget_mb = 0;
  bool warm_start = true;
  // Regression: train on the label standardised with the training rows' mean and std (saved in
  // model.json, predictions mapped back).
  bool standardize_label = true;
  FallbackConfig fallback;      // also fit and publish the linear model on the same features
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
};

// `predict:`: guards applied by `freshet predict` to the main model's outputs.
struct PredictConfig {
  bool clamp = false;  // clamp the score (binary) or prediction (regression) to [lo, hi]
  double clamp_lo = 0.0;
  double clamp_hi = 0.0;
  // A non-finite main prediction, or a main model that cannot be loaded or run, is replaced by
  // the fallback model's prediction. false: such rows are an error.
  bool use_fallback = true;
};

// Checks the task/model_spec/train keys against each other, which the section parsers cannot do
// alone (a loss or an early-stopping metric that does not fit the task, num_classes outside a
// multiclass task). Throws ConfigError starting with the config file and the key path.
void CheckModelConfig(const Config& config);

// The loss `train.loss` resolves to for `task` ("auto" → bce, cross_entropy or mse).
std::string ResolvedLoss(const TrainConfig& train, Task task);

// The batch size and epoch count for `rows` training rows: the configured ones, or the auto rule
// above. The batch is never above `rows` (at least 1).
int64_t ResolvedBatchSize(const TrainConfig& train, int64_t rows);
int ResolvedEpochs(const TrainConfig& train, int64_t rows);

}  // namespace freshet
