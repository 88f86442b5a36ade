// TrainSession::FitFullBatch: the fallback's deterministic full-batch L-BFGS fit (the objective is
// in FallbackConfig's comment, include/freshet/model_spec.hpp).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "freshet/log.hpp"
#include "train/dist_sync.h"
#include "train/linear_objective.h"
#include "train/session.h"

namespace freshet {

std::unique_ptr<torch::optim::Optimizer> MakeLbfgs(const FallbackConfig& fc,
                                                   const std::vector<torch::Tensor>& params) {
  // history 10 and a strong-Wolfe line search, as scipy's L-BFGS-B that scikit-learn calls.
  return std::make_unique<torch::optim::LBFGS>(params, torch::optim::LBFGSOptions(1.0)
                                                           .max_iter(fc.max_iter)
                                                           .max_eval(fc.max_iter * 5 / 4 + 1)
                                                           .tolerance_grad(fc.tol)
                                                           .tolerance_change(1e-12)
                                                           .history_size(10)
                                                           .line_search_fn("strong_wolfe"));
}

namespace {

// Rows a first stage fits on before the whole: from this many rows up, a seeded sample of this
// size gets the solver near the optimum at a fraction of a full pass per evaluation.
constexpr int64_t kSampleRows = int64_t{1} << 17;

bool IsBias(const std::string& name) {
  return name == "bias" || (name.size() > 5 && name.rfind(".bias") == name.size() - 5);
}

}  // namespace

void TrainSession::FitFullBatch(const FeatureStore& store, const torch::Tensor& rows) {
  const FallbackConfig& fc = opt_.train.fallback;
  const double lambda = model_->arch.task == Task::kRegression ? 2.0 * fc.alpha : 1.0 / fc.c;
  // Every evaluation is one pass over the rows, in chunks: the gradient of a sum is the sum of
  // the chunks' gradients, so a streamed store gets the same full-batch fit.
  const int64_t chunk = std::max<int64_t>(opt_.chunk_rows, 1);
  const auto start = std::chrono::steady_clock::now();
  model_->to(torch::kFloat64);
  model_->train();
  const auto opts = torch::dtype(torch::kFloat64).device(opt_.device);
  std::vector<torch::Tensor> penalised;
  for (const auto& p : model_->named_parameters()) {
    if (!IsBias(p.key())) penalised.push_back(p.value());  // biases are not penalised
  }
  const int64_t n = rows.defined() ? rows.size(0) : store.rows();
  const bool dist = opt_.comm != nullptr && opt_.comm->size() > 1;
  int64_t evaluations = 0, iterations = 0;
  nlohmann::json stages = nlohmann::json::array();
  double objective = 0, gmax = 0;
  // L-BFGS on the rows `subset` (undefined = all of `rows`) from the current weights; returns
  // the objective and sets gmax to the largest absolute gradient where it stopped.
  const auto fit = [&](const torch::Tensor& subset) {
    const torch::Tensor index = subset.defined() ? subset : rows;
    double sum_w = static_cast<double>(index.defined() ? index.size(0) : store.rows());
    if (store.weights.defined()) {
      sum_w = (index.defined() ? store.weights.index_select(0, index.to(store.weights.device()))
                               : store.weights)
                  .sum()
                  .item<double>();
    }
    sum_w = std::max(sum_w, 1e-12);
    // Ranks of a data-parallel job: each passes over its stripe of the rows (j % size == rank);
    // the objective and gradient of the data are summed over the ranks, the penalty added once.
    torch::Tensor local = index;
    if (dist) {
      const int64_t all = index.defined() ? index.size(0) : store.rows();
      if (!local.defined()) {
        local = torch::arange(
            all, torch::dtype(torch::kInt64).device(store.resident ? opt_.device : torch::kCPU));
      }
      local = StripeOf(local, *opt_.comm).contiguous();
    }
    const int64_t m = local.defined() ? local.size(0) : store.rows();
    // This fit's rows of a store tensor (undefined stays undefined).
    const auto take = [&local](const torch::Tensor& t) {
      return !t.defined() ? t : local.defined() ? t.index_select(0, local) : t;
    };
    // On the CPU, a linear model's passes are written out (train/linear_objective.h) and read the
    // store's rows where they are; a subset's rows are copied together once (when the copy is
    // small, 1 GiB), so that every pass reads them in order instead of missing the cache on each.
    std::optional<LinearObjective> written_out;
    FeatureStore packed;
    if (opt_.written_out_step && LinearObjectiveApplies(model_, opt_.loss, store)) {
      written_out.emplace(model_, opt_.loss);
      if (local.defined()) local = local.to(torch::kCPU).contiguous();
      const int64_t row_bytes = store.dense.size(1) * 4 + store.cats.size(1) * 8 + 8;
      if (local.defined() && m * row_bytes <= (int64_t{1} << 30)) {
        packed = {take(store.dense), take(store.cats), take(store.labels), take(store.weights),
                  true};
        local = torch::Tensor();
      }
    }
    const FeatureStore& pass_store = packed.dense.defined() ? packed : store;
    // Otherwise a resident store's rows are gathered and converted to float64 once for all
    // evaluations when that copy is small (1 GiB); else each chunk is converted as it passes.
    Batch cached;
    if (!written_out && store.resident &&
        m * (store.dense.size(1) * 8 + 16) <= (int64_t{1} << 30)) {
      cached.dense = take(store.dense).to(torch::kFloat64);
      cached.cats = take(store.cats);
      cached.labels = take(store.labels).to(torch::kFloat64);
      cached.weights = take(store.weights);
      if (cached.weights.defined()) cached.weights = cached.weights.to(torch::kFloat64);
    }
    int64_t evals = 0;
    auto closure = [&]() -> torch::Tensor {
      ++evals;
      optimizer_->zero_grad();
      torch::Tensor total = torch::zeros({}, opts);
      const auto add = [&](const torch::Tensor& dense, const torch::Tensor& cats,
                           const torch::Tensor& labels, const torch::Tensor& weights) {
        torch::Tensor out = model_->forward(dense.to(torch::kFloat64), cats);
        torch::Tensor per_row = RowLoss(out, labels.to(torch::kFloat64));
        torch::Tensor part =
            weights.defined() ? (per_row * weights.to(torch::kFloat64)).sum() : per_row.sum();
        part = part / sum_w;
        part.backward();
        total += part.detach();
      };
      if (written_out) {
        total += written_out->Evaluate(
            pass_store, local.defined() ? local.data_ptr<int64_t>() : nullptr, m, sum_w);
      } else if (cached.dense.defined()) {
        for (int64_t b = 0; b < m; b += chunk) {
          const int64_t e = std::min(m, b + chunk);
          add(cached.dense.slice(0, b, e), cached.cats.slice(0, b, e), cached.labels.slice(0, b, e),
              cached.weights.defined() ? cached.weights.slice(0, b, e) : torch::Tensor());
        }
      } else {
        BatchStream batches(store, local, chunk, opt_.device, chunk);
        Batch b;
        while (batches.Next(&b)) add(b.dense, b.cats, b.labels, b.weights);
      }
      if (dist) {
        AllReduceGradients(model_->parameters(), *opt_.comm);
        total.fill_(AllReduceScalar(total, *opt_.comm));
      }
      torch::Tensor penalty = torch::zeros({}, opts);
      for (const auto& p : penalised) penalty = penalty + p.pow(2).sum();
      penalty = penalty * (lambda / (2.0 * sum_w));
      penalty.backward();
      return total + penalty.detach();
    };
    optimizer_ = MakeLbfgs(fc, model_->parameters());
    optimizer_->step(closure);
    int64_t its = 0;
    for (const auto& [key, st] : optimizer_->state()) {
      (void)key;
      its = static_cast<torch::optim::LBFGSParamState&>(*st).n_iter();
    }
    // The gradient where the solver stopped (its last evaluation may be a rejected trial point).
    const double f = closure().item<double>();
    gmax = 0;
    for (const auto& p : model_->parameters()) {
      if (p.grad().defined()) gmax = std::max(gmax, p.grad().abs().max().item<double>());
    }
    optimizer_->zero_grad();
    iterations += its;
    evaluations += evals;
    stages.push_back({{"rows", subset.defined() ? subset.size(0) : n},
                      {"iterations", its},
                      {"evaluations", evals},
                      {"objective_value", f},
                      {"gradient_max_abs", gmax}});
    return f;
  };
  if (n >= 4 * kSampleRows) {
    // A seeded sample first (sorted, so a streamed store reads it in order), then every row.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(opt_.train.seed ^ 0xfa11bac4ULL);
    torch::Tensor pick =
        std::get<0>(torch::randperm(n, gen, torch::kInt64).slice(0, 0, kSampleRows).sort());
    if (rows.defined()) pick = rows.to(torch::kCPU).index_select(0, pick);
    if (store.resident) pick = pick.to(opt_.device);
    fit(pick);
  }
  objective = fit(torch::Tensor());
  model_->to(torch::kFloat32);
  // The solver's curvature pairs belong to this data; a later fit starts its own.
  optimizer_ = MakeLbfgs(fc, model_->parameters());
  const bool converged = gmax <= fc.tol;
  const int64_t last_its = stages.back()["iterations"].get<int64_t>();
  const char* stop = converged ? "gradient" : last_its >= fc.max_iter ? "max_iter" : "no_progress";
  progress_.step = iterations;
  progress_.epoch = evaluations;
  progress_.finished = true;
  last_train_loss_ = objective;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const bool ridge = model_->arch.task == Task::kRegression;
  solver_ = {{"name", "lbfgs"},
             {"objective", ridge ? "ridge" : "logistic"},
             {ridge ? "alpha" : "C", ridge ? fc.alpha : fc.c},
             {"tol", fc.tol},
             {"max_iter", fc.max_iter},
             {"iterations", iterations},
             {"evaluations", evaluations},
             {"objective_value", objective},
             {"gradient_max_abs", gmax},
             {"converged", converged},
             {"stop", stop},
             {"rows", n},
             {"resident", store.resident},
             {"stages", stages},
             {"seconds", seconds}};
  history_.push_back({{"iterations", iterations}, {"objective", objective}, {"seconds", seconds}});
  const std::string line = Format(
      "%sL-BFGS: %lld iterations, %lld passes over %lld rows%s, objective %.6g, max |gradient| "
      "%.2e (tol %.0e): %s (%.2f s)",
      opt_.log_prefix.c_str(), static_cast<long long>(iterations),
      static_cast<long long>(evaluations), static_cast<long long>(n),
      stages.size() > 1 ? Format(" (%lld on a sample of %lld first)",
                                 static_cast<long long>(stages[0]["evaluations"].get<int64_t>()),
                                 static_cast<long long>(kSampleRows))
                              .c_str()
                        : "",
      objective, gmax, fc.tol, converged ? "converged" : stop, seconds);
  if (converged) {
    LogInfo(line);
  } else {
    LogWarn(line + "; raise train.fallback.max_iter or check the features' scale");
  }
}

}  // namespace freshet
