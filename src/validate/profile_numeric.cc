#include "validate/profile_numeric.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "features/vocab.h"
#include "kernels/column_histogram.h"
#include "kernels/column_moments.h"
#include "kernels/parallel.h"
#include "kernels/xxhash64.h"
#include "validate/mt19937_block.h"

namespace freshet::profile_internal {
namespace {

// An unsigned key in the order of the doubles (-0 and +0 alike). REQUIRES: x is not NaN.
uint64_t OrderKey(double x) {
  if (x == 0) x = 0.0;
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return (b >> 63) ? ~b : (b | (uint64_t{1} << 63));
}

// Places the elements of ranks [rb, re) (ascending, relative to `base`) of [first, last) where a
// full sort would: a recursive multi-select, O(n log k) for k ranks.
void MultiSelect(double* first, double* last, const int64_t* rb, const int64_t* re, int64_t base) {
  if (rb >= re || first >= last) return;
  const int64_t* mid = rb + (re - rb) / 2;
  double* nth = first + (*mid - base);
  std::nth_element(first, nth, last);
  MultiSelect(first, nth, rb, mid, base);
  MultiSelect(nth + 1, last, mid + 1, re, *mid + 1);
}

// The inverse of OrderKey.
double FromKey(uint64_t k) {
  const uint64_t b = (k >> 63) ? (k & ~(uint64_t{1} << 63)) : ~k;
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

// Values grouped by their order key's bits below the top bits all of them share: 2^16 buckets at
// most, each holding a range of keys, in order; start[b] counts the values of the buckets before b.
struct KeyBuckets {
  static constexpr size_t kBuckets = size_t{1} << 16;
  uint64_t lo = ~uint64_t{0}, hi = 0, base = 0;
  int shift = 0;
  std::vector<int64_t> start;

  // REQUIRES: values non-empty, `min` and `max` the smallest and the largest of them.
  KeyBuckets(const std::vector<double>& values, double min, double max)
      : lo(OrderKey(min)), hi(OrderKey(max)) {
    while ((hi >> shift) - (lo >> shift) >= kBuckets) ++shift;
    base = lo >> shift;
    start.assign(kBuckets + 1, 0);
    for (double x : values) ++start[Of(x) + 1];
    for (size_t b = 0; b < kBuckets; ++b) start[b + 1] += start[b];
  }

  size_t Of(double x) const { return static_cast<size_t>((OrderKey(x) >> shift) - base); }

  // The smallest and the largest value bucket b can hold (within the values' range).
  double First(size_t b) const { return FromKey(std::max(lo, (base + b) << shift)); }
  double Last(size_t b) const { return FromKey(std::min(hi, ((base + b + 1) << shift) - 1)); }
};

// The values at `ranks` (ascending, distinct, each < values.size()) of the sorted values.
std::vector<double> ValuesAtRanks(const std::vector<double>& values, const KeyBuckets& buckets,
                                  const std::vector<int64_t>& ranks) {
  constexpr size_t kBuckets = KeyBuckets::kBuckets;
  const std::vector<int64_t>& start = buckets.start;
  const auto bucket = [&](double x) { return buckets.Of(x); };
  // The buckets that hold a wanted rank, each with its slot.
  std::vector<int16_t> slot(kBuckets, -1);
  std::vector<size_t> wanted;
  std::vector<int16_t> slot_of_rank(ranks.size());
  size_t b = 0;
  for (size_t r = 0; r < ranks.size(); ++r) {
    while (start[b + 1] <= ranks[r]) ++b;
    if (slot[b] < 0) {
      slot[b] = static_cast<int16_t>(wanted.size());
      wanted.push_back(b);
    }
    slot_of_rank[r] = slot[b];
  }
  std::vector<std::vector<double>> members(wanted.size());
  for (size_t s = 0; s < wanted.size(); ++s) {
    members[s].reserve(static_cast<size_t>(start[wanted[s] + 1] - start[wanted[s]]));
  }
  for (double x : values) {
    const int16_t s = slot[bucket(x)];
    if (s >= 0) members[static_cast<size_t>(s)].push_back(x);
  }
  std::vector<double> out(ranks.size());
  for (size_t s = 0; s < wanted.size(); ++s) {
    std::vector<int64_t> local;
    for (size_t r = 0; r < ranks.size(); ++r) {
      if (slot_of_rank[r] == static_cast<int16_t>(s)) local.push_back(ranks[r] - start[wanted[s]]);
    }
    std::vector<double>& m = members[s];
    MultiSelect(m.data(), m.data() + m.size(), local.data(), local.data() + local.size(), 0);
    for (size_t r = 0; r < ranks.size(); ++r) {
      if (slot_of_rank[r] == static_cast<int16_t>(s)) out[r] = m[ranks[r] - start[wanted[s]]];
    }
  }
  return out;
}

// The finite values per bin of kernels::HistogramBin over `edges` (nedges >= 2): whole buckets
// whose range falls in one bin at once, the values of the others one by one.
std::vector<int64_t> Histogram(const std::vector<double>& values, const KeyBuckets& buckets,
                               const std::vector<double>& edges) {
  const auto nedges = static_cast<int32_t>(edges.size());
  std::vector<int64_t> hist(edges.size() - 1, 0);
  if (values.empty()) return hist;
  std::vector<int32_t> bin_of(KeyBuckets::kBuckets, -1);
  for (size_t b = 0; b < KeyBuckets::kBuckets; ++b) {
    const int64_t count = buckets.start[b + 1] - buckets.start[b];
    if (count == 0) continue;
    const int32_t first = kernels::HistogramBin(edges.data(), nedges, buckets.First(b));
    if (first != kernels::HistogramBin(edges.data(), nedges, buckets.Last(b))) continue;
    bin_of[b] = first;
    hist[static_cast<size_t>(first)] += count;
  }
  for (double x : values) {
    if (bin_of[buckets.Of(x)] < 0) ++hist[kernels::HistogramBin(edges.data(), nedges, x)];
  }
  return hist;
}

// Counts the distinct values of a column while there are at most kDistinctCap: a small
// open-addressing table of their order keys, the first value seen of each kept.
class DistinctCounter {
 public:
  bool many() const { return many_; }

  void Add(double x) {
    const uint64_t key = OrderKey(x);
    size_t h = static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> 57);
    while (true) {
      Entry& e = table_[h];
      if (e.count == 0) {
        if (++size_ > kDistinctCap) {
          many_ = true;
          return;
        }
        e = {key, x, 1};
        return;
      }
      if (e.key == key) {
        ++e.count;
        return;
      }
      h = (h + 1) & (kSlots - 1);
    }
  }

  // The values and their counts, ascending; empty when there are more than kDistinctCap.
  std::vector<std::pair<double, int64_t>> Values() const {
    std::vector<std::pair<double, int64_t>> out;
    if (many_) return out;
    for (const Entry& e : table_) {
      if (e.count > 0) out.emplace_back(e.value, e.count);
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return OrderKey(a.first) < OrderKey(b.first); });
    return out;
  }

 private:
  static constexpr size_t kSlots = 128;  // a power of two, more than twice kDistinctCap
  static_assert(kSlots > 2 * kDistinctCap, "the table must stay sparse");
  struct Entry {
    uint64_t key = 0;
    double value = 0;
    int64_t count = 0;
  };
  Entry table_[kSlots];
  int size_ = 0;
  bool many_ = false;
};

// A column's moments, part by part (the chains of FillMoments).
struct MomentChains {
  const FiniteValues* col;
  std::vector<size_t> bounds;
  std::vector<kernels::Moments> parts;
};

// Advances every part of every column together, so that their division chains overlap.
void RunChains(std::vector<MomentChains>* chains) {
  size_t longest = 0;
  for (auto& c : *chains) {
    c.parts.assign(c.bounds.size() - 1, kernels::Moments());
    for (size_t p = 0; p + 1 < c.bounds.size(); ++p) {
      longest = std::max(longest, c.bounds[p + 1] - c.bounds[p]);
    }
  }
  for (size_t i = 0; i < longest; ++i) {
    for (auto& c : *chains) {
      const double* v = c.col->values.data();
      for (size_t p = 0; p < c.parts.size(); ++p) {
        if (c.bounds[p] + i < c.bounds[p + 1]) c.parts[p].Add(v[c.bounds[p] + i]);
      }
    }
  }
}

// numpy's linear quantile at each of `qs` of n > 0 sorted values, value(rank) the one at a rank.
template <typename ValueAt>
std::vector<double> Interpolate(const std::vector<double>& qs, int64_t n, ValueAt&& value) {
  std::vector<double> out(qs.size());
  for (size_t k = 0; k < qs.size(); ++k) {
    const double pos = qs[k] * static_cast<double>(n - 1);
    const auto lo = static_cast<int64_t>(std::floor(pos));
    const int64_t hi = std::min(lo + 1, n - 1);
    out[k] = value(lo) + (pos - static_cast<double>(lo)) * (value(hi) - value(lo));
  }
  return out;
}

// Quantiles of a few-valued column from its distinct values and their counts (ascending): the
// same values as Quantiles, without reading the values again.
std::vector<double> DistinctQuantiles(const std::vector<std::pair<double, int64_t>>& distinct,
                                      const std::vector<double>& qs) {
  int64_t n = 0;
  for (const auto& d : distinct) n += d.second;
  if (n == 0) return std::vector<double>(qs.size(), 0.0);
  const auto value = [&](int64_t rank) {
    int64_t below = 0;
    for (const auto& d : distinct) {
      below += d.second;
      if (rank < below) return d.first;
    }
    return distinct.back().first;
  };
  return Interpolate(qs, n, value);
}

// std::uniform_real_distribution<double>(0, 1)(rng) as libstdc++ computes it for this engine
// (generate_canonical<double, 53> takes one 64-bit output: double(x) / 2^64, kept below 1), without
// its long double arithmetic.
double Uniform01(Mt19937Block& rng) {
  // double(x) without the branch on its top bit that an unsigned conversion takes: two exact
  // halves, one rounding in their sum, as in the conversion itself.
  const uint64_t x = rng();
  const double whole = static_cast<double>(static_cast<int64_t>(x >> 32)) * 0x1p32 +
                       static_cast<double>(static_cast<int64_t>(x & 0xFFFFFFFFu));
  const double u = whole * 0x1p-64;
  return u >= 1.0 ? std::nextafter(1.0, 0.0) : u;
}

// The sample: every finite value, or sample_size of them chosen by selection sampling (Knuth's
// algorithm S) with a generator seeded from the seed and the column's name.
std::vector<double> Sample(const std::vector<double>& finite, const ProfileOptions& o,
                           const std::string& name) {
  const auto n = static_cast<int64_t>(finite.size());
  std::vector<double> sample;
  if (n <= o.sample_size) {
    sample = finite;
  } else {
    Mt19937Block rng(o.seed ^ kernels::Xxh64(name.data(), name.size(), 0));
    sample.reserve(static_cast<size_t>(o.sample_size));
    int64_t need = o.sample_size;
    for (int64_t i = 0; i < n && need > 0; ++i) {
      if (Uniform01(rng) * static_cast<double>(n - i) < static_cast<double>(need)) {
        sample.push_back(finite[i]);
        --need;
      }
    }
  }
  std::sort(sample.begin(), sample.end());
  return sample;
}

}  // namespace

void FillMoments(const std::vector<const FiniteValues*>& cols, int64_t rows,
                 const std::vector<NumericProfile*>& out) {
  std::vector<MomentChains> chains(cols.size());
  for (size_t j = 0; j < cols.size(); ++j) {
    // With an infinity, the kernel's moments are replaced by the finite values' in one part.
    const FiniteValues& c = *cols[j];
    chains[j].col = &c;
    chains[j].bounds = c.inf > 0 ? std::vector<size_t>{0, c.values.size()} : c.bounds;
  }
  const int threads =
      std::max(1, std::min<int>(kernels::ParallelThreads(), static_cast<int>(cols.size())));
  kernels::ParallelForThreads(threads, 1, threads, [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; ++t) {
      std::vector<MomentChains> mine;
      for (size_t j = static_cast<size_t>(t); j < chains.size(); j += threads) {
        mine.push_back(std::move(chains[j]));
      }
      RunChains(&mine);
      size_t k = 0;
      for (size_t j = static_cast<size_t>(t); j < chains.size(); j += threads) {
        chains[j] = std::move(mine[k++]);
      }
    }
  });
  for (size_t j = 0; j < cols.size(); ++j) {
    kernels::Moments m;
    for (const auto& part : chains[j].parts) m.Merge(part);
    NumericProfile* p = out[j];
    p->inf = cols[j]->inf;
    p->count = m.n;
    p->nan = rows - m.n - p->inf;
    p->mean = m.n ? m.mean : 0.0;
    p->std = m.n ? std::sqrt(m.m2 / static_cast<double>(m.n)) : 0.0;
    p->min = m.n ? m.min : 0.0;
    p->max = m.n ? m.max : 0.0;
  }
}

namespace {

std::vector<double> QuantilesOf(const std::vector<double>& values, const KeyBuckets& buckets,
                                const std::vector<double>& qs) {
  const int64_t n = static_cast<int64_t>(values.size());
  if (n == 0) return std::vector<double>(qs.size(), 0.0);
  std::vector<int64_t> ranks;
  for (double q : qs) {
    const double pos = q * static_cast<double>(n - 1);
    const auto lo = static_cast<int64_t>(std::floor(pos));
    ranks.push_back(lo);
    ranks.push_back(std::min(lo + 1, n - 1));
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  const std::vector<double> at = ValuesAtRanks(values, buckets, ranks);
  const auto value = [&](int64_t rank) {
    return at[static_cast<size_t>(std::lower_bound(ranks.begin(), ranks.end(), rank) -
                                  ranks.begin())];
  };
  return Interpolate(qs, n, value);
}

}  // namespace

std::vector<double> Quantiles(const std::vector<double>& values, const std::vector<double>& qs) {
  if (values.empty()) return std::vector<double>(qs.size(), 0.0);
  const auto [min, max] = std::minmax_element(values.begin(), values.end());
  return QuantilesOf(values, KeyBuckets(values, *min, *max), qs);
}

void NumericCounts(const Column& col, NumericProfile* p) {
  const int64_t rows = col.size();
  int64_t count = 0, inf = 0;
  double min = INFINITY, max = -INFINITY;
  ForEachFinite(NumericView(col), 0, rows, &inf, [&](double x) {
    ++count;
    min = x < min ? x : min;
    max = x > max ? x : max;
  });
  p->count = count;
  p->inf = inf;
  p->nan = rows - count - inf;
  p->min = count ? min : 0.0;
  p->max = count ? max : 0.0;
}

void HostNumeric(const Column& col, const ProfileOptions& o, bool want_edges, bool histogram,
                 int moment_parts, NumericProfile* p, FiniteValues* out) {
  const kernels::NumericColumnView v = NumericView(col);
  const int64_t rows = col.size();
  std::vector<double>& finite = out->values;
  finite.clear();
  finite.reserve(static_cast<size_t>(rows));
  DistinctCounter distinct;
  int64_t& inf = out->inf;
  inf = 0;
  const int parts = std::max(moment_parts, 1);
  std::vector<size_t>& bounds = out->bounds;
  bounds.clear();
  double min = INFINITY, max = -INFINITY;
  for (int part = 0; part < parts; ++part) {
    bounds.push_back(finite.size());
    const int64_t end = rows * (part + 1) / parts;
    ForEachFinite(v, rows * part / parts, end, &inf, [&](double x) {
      finite.push_back(x);
      min = x < min ? x : min;
      max = x > max ? x : max;
      if (!distinct.many()) distinct.Add(x);
    });
  }
  bounds.push_back(finite.size());
  p->distinct = distinct.Values();
  p->many = distinct.many();
  p->sample = Sample(finite, o, col.name);
  std::vector<double> qs(std::begin(kProfileQuantiles), std::end(kProfileQuantiles));
  const size_t nq = qs.size();
  if (want_edges) {
    for (int k = 0; k <= o.bins; ++k) qs.push_back(static_cast<double>(k) / o.bins);
  }
  std::optional<KeyBuckets> buckets;
  if (!finite.empty() && (p->many || histogram)) buckets.emplace(finite, min, max);
  const std::vector<double> all =
      p->many ? QuantilesOf(finite, *buckets, qs) : DistinctQuantiles(p->distinct, qs);
  p->quantiles.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(nq));
  if (want_edges && !finite.empty()) {
    p->edges.assign(all.begin() + static_cast<std::ptrdiff_t>(nq), all.end());
    p->edges.erase(std::unique(p->edges.begin(), p->edges.end()), p->edges.end());
    if (p->edges.size() == 1) p->edges.push_back(p->edges.front());
  }
  if (histogram && p->edges.size() >= 2) {
    p->hist = buckets ? Histogram(finite, *buckets, p->edges)
                      : std::vector<int64_t>(p->edges.size() - 1, 0);
  }
}

}  // namespace freshet::profile_internal
