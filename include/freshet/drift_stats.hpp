// The two-sample statistics of the data gate, each computed as SciPy (and Evidently, where it
// decides) computes it, so that values agree to 1e-6 on the same inputs. Pure functions.
#pragma once

#include <cstdint>
#include <vector>

namespace freshet::stats {

struct TestResult {
  double statistic = 0;
  double p_value = 1;
  int64_t dof = 0;
  bool exact = true;  // for KS: the exact distribution (false: the asymptotic one)
};

// scipy.stats.ks_2samp(a, b) with method "auto": the statistic and the two-sided p-value, exact
// when max(na, nb) <= 10000 (Hodges' lattice path counts), else Kolmogorov's asymptotic
// distribution at sqrt(na nb / (na + nb)) D. REQUIRES: both sorted and non-empty.
TestResult KsTwoSample(const std::vector<double>& a, const std::vector<double>& b);

// scipy.stats.wasserstein_distance(a, b): the first Wasserstein distance of the two empirical
// distributions. REQUIRES: both sorted and non-empty.
double Wasserstein(const std::vector<double>& a, const std::vector<double>& b);

// scipy.spatial.distance.jensenshannon(p, q) (natural logarithm): the square root of the
// Jensen-Shannon divergence of the two count vectors, each normalised to sum 1.
double JensenShannon(const std::vector<double>& p, const std::vector<double>& q);

// The population stability index of two count vectors: sum (q - p) ln(q / p) over the bins'
// shares, zero shares replaced as Evidently does (by 1e-4, or by the smallest non-zero share /
// 1e6 when that is below 1e-4).
double Psi(const std::vector<double>& p, const std::vector<double>& q);

// The L-infinity distance of the two count vectors' shares (TFDV's drift comparator).
double LInfinity(const std::vector<double>& p, const std::vector<double>& q);

// scipy.stats.chi2_contingency([a, b]) (Yates' correction when dof == 1): the chi-squared test of
// independence of the 2 x K table, K = the categories with a count in either row.
TestResult ChiSquaredContingency(const std::vector<double>& a, const std::vector<double>& b);

// Evidently's chi-squared test: scipy.stats.chisquare(observed, expected) with the expected counts
// the reference's scaled to the observed total. An observed count where the expected is 0 gives
// an infinite statistic and p = 0.
TestResult ChiSquareGoodnessOfFit(const std::vector<double>& observed,
                                  const std::vector<double>& reference);

// Evidently's two-proportion z-test: `ref_hits` of `ref_n` against `cur_hits` of `cur_n`,
// two-sided p-value. p = 1 when both samples hold the same single value.
TestResult ProportionZTest(double ref_hits, double ref_n, double cur_hits, double cur_n);

// The upper tail of the chi-squared distribution with `dof` degrees of freedom (scipy chi2.sf).
double ChiSquaredSf(double x, double dof);

}  // namespace freshet::stats
