// The two-sample statistics, after SciPy's implementations (scipy/stats/_stats_py.py,
// scipy/spatial/distance.py) and Evidently's tests (evidently/legacy/calculations/stattests).
#include "freshet/drift_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace freshet::stats {
namespace {

// The proportion of lattice paths that leave the band |x - y| < h, for n = m (Hodges).
double ProbOutsideSquare(int64_t n, int64_t h) {
  double p = 0.0;
  for (int64_t k = n / h; k >= 0; --k) {
    double p1 = 1.0;
    for (int64_t j = 0; j < h; ++j) {
      p1 = static_cast<double>(n - k * h - j) * p1 / static_cast<double>(n + k * h + j + 1);
    }
    p = p1 * (1.0 - p);
  }
  return 2 * p;
}

// The proportion of lattice paths from (0, 0) to (m, n) that leave |n x / g - m y / g| < h
// (SciPy's _compute_outer_prob_inside_method): one sliding column of the probabilities that a path
// to (i, j) has left the band, 1 outside it, each cell the mean of its two predecessors weighted
// by the number of paths through them.
double OuterProbInside(int64_t m, int64_t n, int64_t g, int64_t h) {
  if (m < n) std::swap(m, n);
  const int64_t mg = m / g, ng = n / g;
  int64_t minj = 0;
  int64_t maxj =
      std::min<int64_t>(static_cast<int64_t>(std::ceil(static_cast<double>(h) / mg)), n + 1);
  int64_t curlen = maxj - minj;
  const int64_t len = std::min(2 * maxj + 2, n + 1);
  std::vector<double> a(static_cast<size_t>(len), 1.0);
  for (int64_t j = minj; j < maxj; ++j) a[j] = 0.0;  // straight up, inside the band
  for (int64_t i = 1; i <= m; ++i) {
    const int64_t lastminj = minj, lastlen = curlen;
    minj = std::max<int64_t>(
        static_cast<int64_t>(std::floor(static_cast<double>(ng * i - h) / mg)) + 1, 0);
    minj = std::min(minj, n);
    maxj = std::min<int64_t>(static_cast<int64_t>(std::ceil(static_cast<double>(ng * i + h) / mg)),
                             n + 1);
    if (maxj <= minj) return 1.0;
    double val = minj == 0 ? 0.0 : 1.0;
    for (int64_t jj = 0; jj < maxj - minj; ++jj) {
      const int64_t j = jj + minj;
      val = (a[jj + minj - lastminj] * static_cast<double>(i) + val * static_cast<double>(j)) /
            static_cast<double>(i + j);
      a[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) {
      for (int64_t k = maxj - minj; k < maxj - minj + (lastlen - curlen); ++k) a[k] = 1.0;
    }
  }
  return a[maxj - minj - 1];
}

// Kolmogorov's limiting distribution, P(K > x).
double KolmogorovSf(double x) {
  if (x <= 0) return 1.0;
  double s = 0.0;
  for (int k = 1; k < 100; ++k) {
    const double t = std::exp(-2.0 * k * k * x * x);
    s += (k % 2 ? 1.0 : -1.0) * t;
    if (t < 1e-17) break;
  }
  return std::clamp(2.0 * s, 0.0, 1.0);
}

// Regularised lower incomplete gamma P(a, x) by its series (x < a + 1).
double GammaPSeries(double a, double x) {
  double sum = 1.0 / a, term = sum;
  for (int n = 1; n < 100000; ++n) {
    term *= x / (a + n);
    sum += term;
    if (std::abs(term) < std::abs(sum) * 1e-17) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Regularised upper incomplete gamma Q(a, x) by its continued fraction (x >= a + 1; Lentz).
double GammaQFraction(double a, double x) {
  constexpr double kTiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / kTiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::abs(del - 1.0) < 1e-16) break;
  }
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

std::vector<double> Shares(const std::vector<double>& v) {
  const double total = std::accumulate(v.begin(), v.end(), 0.0);
  std::vector<double> out(v.size(), 0.0);
  if (total > 0) {
    for (size_t i = 0; i < v.size(); ++i) out[i] = v[i] / total;
  }
  return out;
}

void FillZeroes(std::vector<double>* s) {
  double min_nonzero = std::numeric_limits<double>::infinity();
  for (double x : *s) {
    if (x != 0) min_nonzero = std::min(min_nonzero, x);
  }
  if (!std::isfinite(min_nonzero)) return;
  const double fill = min_nonzero <= 0.0001 ? min_nonzero / 1e6 : 0.0001;
  for (double& x : *s) {
    if (x == 0) x = fill;
  }
}

double RelEntr(double x, double y) {
  if (x > 0 && y > 0) return x * std::log(x / y);
  if (x == 0 && y >= 0) return 0.0;
  return std::numeric_limits<double>::infinity();
}

}  // namespace

double ChiSquaredSf(double x, double dof) {
  if (!(x > 0)) return 1.0;
  if (std::isinf(x)) return 0.0;
  const double a = dof / 2.0, z = x / 2.0;
  if (z < a + 1.0) return 1.0 - GammaPSeries(a, z);
  return GammaQFraction(a, z);
}

TestResult KsTwoSample(const std::vector<double>& a, const std::vector<double>& b) {
  const auto na = static_cast<int64_t>(a.size()), nb = static_cast<int64_t>(b.size());
  double d = 0.0;
  int64_t i = 0, j = 0;
  while (i < na || j < nb) {
    const double x = j >= nb || (i < na && a[i] <= b[j]) ? a[i] : b[j];
    while (i < na && a[i] <= x) ++i;
    while (j < nb && b[j] <= x) ++j;
    d = std::max(d, std::abs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  TestResult r;
  r.statistic = d;
  if (std::max(na, nb) <= 10000) {
    const int64_t g = std::gcd(na, nb);
    const double lcm = static_cast<double>(na / g) * static_cast<double>(nb);
    const auto h = static_cast<int64_t>(std::nearbyint(d * lcm));
    r.statistic = static_cast<double>(h) / lcm;
    if (h == 0) {
      r.p_value = 1.0;
      return r;
    }
    const double p = na == nb ? ProbOutsideSquare(na, h) : OuterProbInside(na, nb, g, h);
    if (p >= 0 && p <= 1) {
      r.p_value = p;
      return r;
    }
  }
  r.exact = false;
  const double en = static_cast<double>(na) * nb / static_cast<double>(na + nb);
  r.p_value = KolmogorovSf(std::sqrt(en) * d);
  return r;
}

double Wasserstein(const std::vector<double>& a, const std::vector<double>& b) {
  const auto na = static_cast<int64_t>(a.size()), nb = static_cast<int64_t>(b.size());
  // Walk the merged values; between consecutive ones the two CDFs are constant.
  int64_t i = 0, j = 0;
  double total = 0.0;
  const auto next = [&]() { return j >= nb || (i < na && a[i] <= b[j]) ? a[i] : b[j]; };
  double x = next();
  while (i < na || j < nb) {
    // Step past one value (the smaller head), as a merge does.
    if (j >= nb || (i < na && a[i] <= b[j])) {
      ++i;
    } else {
      ++j;
    }
    if (i >= na && j >= nb) break;
    const double y = next();
    total += std::abs(static_cast<double>(i) / na - static_cast<double>(j) / nb) * (y - x);
    x = y;
  }
  return total;
}

double JensenShannon(const std::vector<double>& p, const std::vector<double>& q) {
  const std::vector<double> ps = Shares(p), qs = Shares(q);
  double js = 0.0;
  for (size_t i = 0; i < ps.size(); ++i) {
    const double m = (ps[i] + qs[i]) / 2.0;
    js += RelEntr(ps[i], m) + RelEntr(qs[i], m);
  }
  return std::sqrt(std::max(0.0, js / 2.0));
}

double Psi(const std::vector<double>& p, const std::vector<double>& q) {
  std::vector<double> ps = Shares(p), qs = Shares(q);
  FillZeroes(&ps);
  FillZeroes(&qs);
  double psi = 0.0;
  for (size_t i = 0; i < ps.size(); ++i) psi += (ps[i] - qs[i]) * std::log(ps[i] / qs[i]);
  return psi;
}

double LInfinity(const std::vector<double>& p, const std::vector<double>& q) {
  const std::vector<double> ps = Shares(p), qs = Shares(q);
  double m = 0.0;
  for (size_t i = 0; i < ps.size(); ++i) m = std::max(m, std::abs(ps[i] - qs[i]));
  return m;
}

TestResult ChiSquaredContingency(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> ra, rb;
  for (size_t k = 0; k < a.size(); ++k) {
    if (a[k] + b[k] > 0) {
      ra.push_back(a[k]);
      rb.push_back(b[k]);
    }
  }
  TestResult r;
  const double sa = std::accumulate(ra.begin(), ra.end(), 0.0);
  const double sb = std::accumulate(rb.begin(), rb.end(), 0.0);
  const double total = sa + sb;
  r.dof = static_cast<int64_t>(ra.size()) - 1;
  if (r.dof <= 0 || sa == 0 || sb == 0) {
    r.dof = std::max<int64_t>(r.dof, 0);
    return r;
  }
  double chi2 = 0.0;
  for (size_t k = 0; k < ra.size(); ++k) {
    const double col = ra[k] + rb[k];
    for (int row = 0; row < 2; ++row) {
      double o = row == 0 ? ra[k] : rb[k];
      const double e = (row == 0 ? sa : sb) * col / total;
      if (r.dof == 1) {
        const double diff = e - o;
        o += std::min(0.5, std::abs(diff)) * (diff > 0 ? 1.0 : (diff < 0 ? -1.0 : 0.0));
      }
      chi2 += (o - e) * (o - e) / e;
    }
  }
  r.statistic = chi2;
  r.p_value = ChiSquaredSf(chi2, static_cast<double>(r.dof));
  return r;
}

TestResult ChiSquareGoodnessOfFit(const std::vector<double>& observed,
                                  const std::vector<double>& reference) {
  const double so = std::accumulate(observed.begin(), observed.end(), 0.0);
  const double sr = std::accumulate(reference.begin(), reference.end(), 0.0);
  TestResult r;
  r.dof = static_cast<int64_t>(observed.size()) - 1;
  if (r.dof <= 0 || sr == 0) return r;
  double chi2 = 0.0;
  for (size_t k = 0; k < observed.size(); ++k) {
    const double e = reference[k] * (so / sr);
    if (e == 0) {
      if (observed[k] > 0) chi2 = std::numeric_limits<double>::infinity();
      continue;
    }
    chi2 += (observed[k] - e) * (observed[k] - e) / e;
  }
  r.statistic = chi2;
  r.p_value = ChiSquaredSf(chi2, static_cast<double>(r.dof));
  return r;
}

TestResult ProportionZTest(double ref_hits, double ref_n, double cur_hits, double cur_n) {
  TestResult r;
  const double p1 = ref_hits / ref_n, p2 = cur_hits / cur_n;
  if ((p1 == 0 || p1 == 1) && p1 == p2) return r;  // one value, the same, on both sides
  const double pooled = (p1 * ref_n + p2 * cur_n) / (ref_n + cur_n);
  const double z = (p1 - p2) / std::sqrt(pooled * (1 - pooled) * (1.0 / ref_n + 1.0 / cur_n));
  r.statistic = z;
  r.p_value = 2 * (1 - 0.5 * std::erfc(-std::abs(z) / std::sqrt(2.0)));
  return r;
}

}  // namespace freshet::stats
