// ADWIN's adaptive window, ported from River 0.26.1's rust_src/adwin.rs. Every expression keeps
// River's operand order (a * b * c / d is ((a * b) * c) / d there and here), so the doubles, and
// with them the cut points, are bit-identical; tests/e2e/drift_detectors_test.sh checks it. That
// needs a build without fused multiply-add contraction (x86-64's default target has no FMA; a
// -march=native or AArch64 build would need -ffp-contract=off), as does drift_detectors.cc.
#include "online/adwin.h"

#include <cmath>
#include <cstddef>
#include <string>

namespace freshet::drift_internal {
namespace {

// 2^row, the number of values a summary of that row stands for (exact).
double RowSize(size_t row) { return std::ldexp(1.0, static_cast<int>(row)); }

void Append(AdwinRow* row, double total, double variance) {
  row->totals.push_back(total);
  row->variances.push_back(variance);
}

void DropOldest(AdwinRow* row, size_t n) {
  row->totals.erase(row->totals.begin(), row->totals.begin() + n);
  row->variances.erase(row->variances.begin(), row->variances.begin() + n);
}

// A row that reached max_buckets + 1 summaries merges its two oldest into one of the next row,
// which may overflow in turn.
void Compress(const AdwinParams& p, AdwinWindow* w) {
  const size_t full = static_cast<size_t>(p.max_buckets) + 1;
  for (size_t row = 0; w->rows[row].totals.size() == full; ++row) {
    const AdwinRow& r = w->rows[row];
    const double n1 = RowSize(row);
    const double t0 = r.totals[0], t1 = r.totals[1];
    const double v0 = r.variances[0], v1 = r.variances[1];
    const double mu1 = t0 / n1;
    const double mu2 = t1 / n1;
    const double total12 = t0 + t1;
    const double temp = n1 * 0.5 * (mu1 - mu2) * (mu1 - mu2);
    const double v12 = v0 + v1 + temp;
    if (row + 1 >= w->rows.size()) w->rows.emplace_back();
    Append(&w->rows[row + 1], total12, v12);
    DropOldest(&w->rows[row], 2);
    if (w->rows[row + 1].totals.size() <= static_cast<size_t>(p.max_buckets)) break;
  }
}

void Insert(const AdwinParams& p, AdwinWindow* w, double value) {
  Append(&w->rows[0], value, 0.0);
  w->width += 1.0;
  double incremental_variance = 0.0;
  if (w->width > 1.0) {
    const double delta_v = value - w->total / (w->width - 1.0);
    incremental_variance = (w->width - 1.0) * delta_v * delta_v / w->width;
  }
  w->variance += incremental_variance;
  w->total += value;
  Compress(p, w);
}

// Drops the oldest summary (of the last row) from the window.
void DeleteOldest(AdwinWindow* w) {
  const size_t last = w->rows.size() - 1;
  const double n = RowSize(last);
  const double u = w->rows[last].totals[0];
  const double v = w->rows[last].variances[0];
  const double mu = u / n;
  w->width -= n;
  w->total -= u;
  const double mu_window = w->total / w->width;
  const double inc = v + n * w->width * (mu - mu_window) * (mu - mu_window) / (n + w->width);
  w->variance -= inc;
  DropOldest(&w->rows[last], 1);
  if (w->rows[last].totals.empty()) w->rows.pop_back();
}

// Hoeffding-style bound on the difference of the two parts' means (River's evaluate_cut).
bool CutHolds(const AdwinParams& p, const AdwinWindow& w, double n0, double n1, double delta_mean) {
  const double min_len = static_cast<double>(p.min_window_length);
  const double delta_prime = std::log(2.0 * std::log(w.width) / p.delta);
  const double m_recip = 1.0 / (n0 - min_len + 1.0) + 1.0 / (n1 - min_len + 1.0);
  const double epsilon = std::sqrt(2.0 * m_recip * (w.variance / w.width) * delta_prime) +
                         2.0 / 3.0 * delta_prime * m_recip;
  return std::fabs(delta_mean) > epsilon;
}

}  // namespace

bool AdwinUpdate(const AdwinParams& p, AdwinWindow* w, double x) {
  Insert(p, w, x);
  bool change_detected = false;
  ++w->tick;
  if (w->tick % p.clock != 0 || !(w->width > static_cast<double>(p.grace_period))) return false;
  const double min_len = static_cast<double>(p.min_window_length);
  bool reduce_width = true;
  while (reduce_width) {
    reduce_width = false;
    bool done = false;
    double n0 = 0.0, n1 = w->width, u0 = 0.0, u1 = w->total;
    // Cuts from the oldest summary to the newest: W0 = everything up to it, W1 = the rest.
    for (size_t row = w->rows.size(); row-- > 0 && !done;) {
      const double size = RowSize(row);
      const size_t count = w->rows[row].totals.size();
      for (size_t k = 0; k < count; ++k) {
        n0 += size;
        n1 -= size;
        const double total_at = w->rows[row].totals[k];
        u0 += total_at;
        u1 -= total_at;
        if (row == 0 && k == count - 1) {
          done = true;
          break;
        }
        const double delta_mean = (u0 / n0) - (u1 / n1);
        if (n1 >= min_len && n0 >= min_len && CutHolds(p, *w, n0, n1, delta_mean)) {
          reduce_width = true;
          change_detected = true;
          if (w->width > 0.0) {
            DeleteOldest(w);
            done = true;
            break;
          }
        }
      }
    }
  }
  return change_detected;
}

std::string AdwinCheck(const AdwinParams& p, const AdwinWindow& w) {
  if (w.rows.empty()) return "rows: empty (the newest row always exists)";
  if (w.rows.size() > 64) return "rows: " + std::to_string(w.rows.size()) + " rows";
  double width = 0.0;
  for (size_t row = 0; row < w.rows.size(); ++row) {
    const AdwinRow& r = w.rows[row];
    const std::string name = "rows[" + std::to_string(row) + "]";
    if (r.totals.size() != r.variances.size()) {
      return name + ": " + std::to_string(r.totals.size()) + " totals but " +
             std::to_string(r.variances.size()) + " variances";
    }
    if (r.totals.size() > static_cast<size_t>(p.max_buckets)) {
      return name + ": " + std::to_string(r.totals.size()) + " summaries, more than max_buckets " +
             std::to_string(p.max_buckets);
    }
    if (r.totals.empty() && row > 0 && row + 1 == w.rows.size()) {
      return name + ": the oldest row is empty";
    }
    width += static_cast<double>(r.totals.size()) * RowSize(row);
  }
  if (width != w.width) {
    return "width: " + std::to_string(w.width) + " but the rows hold " + std::to_string(width) +
           " values";
  }
  if (w.tick < 0) return "tick: negative";
  return "";
}

}  // namespace freshet::drift_internal
