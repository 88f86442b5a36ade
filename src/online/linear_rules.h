// The per-coordinate update rules of the native online linear learners (linear_learner.cc):
// FTRL-Proximal, AdaGrad and SGD, each over a coordinate's state held in a flat array.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace freshet::linear_rules {

struct Hyper {
  double alpha, beta, lr, power_t, l1, l2;
};

// Moves w toward 0 by `amount`, not past it (the truncated gradient of Langford et al. 2009).
// Branch-free: the sign of a weight is a coin toss to the branch predictor.
inline double Truncate(double w, double amount) {
  return std::copysign(std::max(std::fabs(w) - amount, 0.0), w);
}

// Each rule keeps the current weight of a coordinate at s[kWeight], so that scoring is a dot
// product. Update<penalised>(s, g) is one step with gradient g; Load<penalised>(s, w) the
// state of a fresh coordinate of weight w; Derive<penalised>(s) recomputes what is not saved
// (after Restore, Load, or a new learning rate). The bias is the only coordinate that is not
// penalised.
struct FtrlRule {
  static constexpr uint32_t kKind = 0;
  static constexpr int kStride = 4, kSaved = 2, kWeight = 3;  // z, n, sqrt(n), w
  static constexpr bool kRateInWeights = true;                // a new alpha changes every weight
  static constexpr const char* kName = "ftrl";
  Hyper h;
  double alpha = 1.0, inv_alpha = 1.0;  // h.alpha times the learning-rate factor

  void SetFactor(double factor) {
    alpha = h.alpha * factor;
    inv_alpha = 1.0 / alpha;
  }
  void BeginRow() {}
  void EndRow() {}
  void ResetSteps() {}
  std::vector<double> Scalars() const { return {}; }
  void SetScalars(const double*) {}

  // w = -(z - sign(z) l1) / ((beta + sqrt n) / alpha + l2), 0 when |z| <= l1; the bias has
  // neither l1 nor l2. Written as -sign(z) max(|z| - l1, 0) / ..., which is the same number.
  template <bool Penalised>
  void SetWeight(double* s) const {
    const double z = s[0];
    if (Penalised) {
      s[3] = -std::copysign(std::max(std::fabs(z) - h.l1, 0.0), z) /
             ((h.beta + s[2]) * inv_alpha + h.l2);
    } else {
      s[3] = -z / ((h.beta + s[2]) * inv_alpha);
    }
  }
  template <bool Penalised>
  void Update(double* s, double g) const {
    const double n = s[1] + g * g;
    const double root = std::sqrt(n);
    s[0] += g - (root - s[2]) * inv_alpha * s[3];
    s[1] = n;
    s[2] = root;
    SetWeight<Penalised>(s);
  }
  // With n = 0 the weight is -(z - sign(z) l1) / (beta / alpha + l2): solved for z.
  template <bool Penalised>
  void Load(double* s, double w) const {
    s[1] = 0.0;
    if (w == 0.0) {
      s[0] = 0.0;
    } else if (Penalised) {
      s[0] = -w * (h.beta * inv_alpha + h.l2) - std::copysign(h.l1, w);
    } else {
      s[0] = -w * (h.beta * inv_alpha);
    }
    Derive<Penalised>(s);
  }
  template <bool Penalised>
  void Derive(double* s) const {
    s[2] = std::sqrt(s[1]);
    SetWeight<Penalised>(s);
  }
};

struct AdagradRule {
  static constexpr uint32_t kKind = 1;
  static constexpr int kStride = 2, kSaved = 2, kWeight = 0;  // w, G
  static constexpr bool kRateInWeights = false;
  static constexpr const char* kName = "adagrad";
  Hyper h;
  double lr = 1.0;

  void SetFactor(double factor) { lr = h.lr * factor; }
  void BeginRow() {}
  void EndRow() {}
  void ResetSteps() {}
  std::vector<double> Scalars() const { return {}; }
  void SetScalars(const double*) {}

  template <bool Penalised>
  void Update(double* s, double g) const {
    double w = s[0];
    if (Penalised) g += h.l2 * w;
    const double big_g = s[1] + g * g;
    const double rate = lr / std::sqrt(big_g + 1e-10);
    w -= rate * g;
    if (Penalised && h.l1 > 0.0) w = Truncate(w, rate * h.l1);
    s[0] = w;
    s[1] = big_g;
  }
  template <bool Penalised>
  void Load(double* s, double w) const {
    s[0] = w;
    s[1] = 0.0;
  }
  template <bool Penalised>
  void Derive(double*) const {}
};

struct SgdRule {
  static constexpr uint32_t kKind = 2;
  static constexpr int kStride = 1, kSaved = 1, kWeight = 0;  // w
  static constexpr bool kRateInWeights = false;
  static constexpr const char* kName = "sgd";
  Hyper h;
  double lr = 1.0;
  double t = 0.0;    // rows learnt so far (a double: saved with the state, exact below 2^53)
  double eta = 0.0;  // this row's rate

  void SetFactor(double factor) { lr = h.lr * factor; }
  void BeginRow() {
    if (h.power_t == 0.0) {
      eta = lr;
    } else if (h.power_t == 0.5) {
      eta = lr / std::sqrt(1.0 + t);
    } else {
      eta = lr * std::pow(1.0 + t, -h.power_t);
    }
  }
  void EndRow() { t += 1.0; }
  void ResetSteps() { t = 0.0; }
  std::vector<double> Scalars() const { return {t}; }
  void SetScalars(const double* v) { t = v[0]; }

  template <bool Penalised>
  void Update(double* s, double g) const {
    double w = s[0];
    if (Penalised) g += h.l2 * w;
    w -= eta * g;
    if (Penalised && h.l1 > 0.0) w = Truncate(w, eta * h.l1);
    s[0] = w;
  }
  template <bool Penalised>
  void Load(double* s, double w) const {
    s[0] = w;
  }
  template <bool Penalised>
  void Derive(double*) const {}
};

}  // namespace freshet::linear_rules
