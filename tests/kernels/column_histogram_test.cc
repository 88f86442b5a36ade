#include "kernels/column_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "kernels/device_vector.h"

namespace freshet::kernels {
namespace {

// numpy.histogram's rule read off its definition, with open outer bins: bin k holds
// e[k] <= x < e[k+1], the last bin also holds x == e.back(), below e[0] is bin 0 and above
// e.back() the last bin.
int32_t NaiveBin(const std::vector<double>& e, double x) {
  const int32_t last = static_cast<int32_t>(e.size()) - 2;
  if (x < e.front()) return 0;
  if (x >= e.back()) return last;
  for (int32_t k = 0; k <= last; ++k) {
    if (e[k] <= x && x < e[k + 1]) return k;
  }
  ADD_FAILURE() << "no bin for " << x;
  return -1;
}

// Every edge, its neighbours either side, the infinities and a few random values in and around the
// range.
std::vector<double> Probes(const std::vector<double>& e, std::mt19937* rng) {
  std::vector<double> xs = {-INFINITY, INFINITY, -std::numeric_limits<double>::max(),
                            std::numeric_limits<double>::max()};
  for (double v : e) {
    xs.push_back(v);
    xs.push_back(std::nextafter(v, -INFINITY));
    xs.push_back(std::nextafter(v, INFINITY));
  }
  const double span = std::max(1.0, e.back() - e.front());
  std::uniform_real_distribution<double> u(e.front() - span, e.back() + span);
  for (int i = 0; i < 200; ++i) xs.push_back(u(*rng));
  return xs;
}

void ExpectBinsMatch(const std::vector<double>& e, std::mt19937* rng) {
  for (double x : Probes(e, rng)) {
    EXPECT_EQ(HistogramBin(e.data(), static_cast<int32_t>(e.size()), x), NaiveBin(e, x))
        << "x = " << x << " among " << e.size() << " edges from " << e.front();
  }
}

TEST(HistogramBin, MatchesNumpyRuleOnHandPickedEdges) {
  std::mt19937 rng(11);
  const std::vector<std::vector<double>> cases = {
      {0.0, 1.0},                                // two edges: one bin
      {2.0, 2.0},                                // two equal edges: one bin of one point
      {-1.0, 0.0, 0.0, 0.0, 2.5, 3.0, 3.0},      // duplicates inside and at the top
      {5.0, 5.0, 5.0, 6.0},                      // duplicates at the bottom
      {-1e300, -1.0, 0.0, 1e-300, 1.0, 1e300}};  // wide range
  for (const auto& e : cases) ExpectBinsMatch(e, &rng);
}

TEST(HistogramBin, HandPickedValues) {
  const std::vector<double> e = {0.0, 1.0, 1.0, 2.0};
  const auto bin = [&](double x) { return HistogramBin(e.data(), 4, x); };
  EXPECT_EQ(bin(-5.0), 0);  // below the range: first bin
  EXPECT_EQ(bin(0.0), 0);
  EXPECT_EQ(bin(0.5), 0);
  EXPECT_EQ(bin(1.0), 2);  // [1, 1) is empty: 1 belongs to [1, 2]
  EXPECT_EQ(bin(1.5), 2);
  EXPECT_EQ(bin(2.0), 2);  // the last bin is closed
  EXPECT_EQ(bin(7.0), 2);  // above the range: last bin
  const std::vector<double> two = {3.0, 4.0};
  for (double x : {-HUGE_VAL, 3.0, 3.5, 4.0, HUGE_VAL}) {
    EXPECT_EQ(HistogramBin(two.data(), 2, x), 0) << x;
  }
}

TEST(HistogramBin, MatchesNumpyRuleOnRandomEdgesWithDuplicates) {
  std::mt19937 rng(12);
  std::uniform_int_distribution<int> count(2, 40), grid(-10, 10);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<double> e(static_cast<size_t>(count(rng)));
    for (double& v : e) v = 0.5 * grid(rng);  // a coarse grid, so duplicates are common
    std::sort(e.begin(), e.end());
    ExpectBinsMatch(e, &rng);
  }
}

// One input column of any type: its raw bytes, its valid mask (empty = none) and, for the
// reference, its values as LoadNumeric reads them (NaN where missing).
struct Column {
  int32_t type = kInF64;
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> valid;
  std::vector<double> ref;
  std::vector<double> edges;
};

template <typename T>
void Append(Column* c, T v) {
  const size_t at = c->bytes.size();
  c->bytes.resize(at + sizeof(T));
  std::memcpy(c->bytes.data() + at, &v, sizeof(T));
}

// n rows of `type` (5% NaN in float columns, 3% invalid when `masked`) and `nedges` edges at
// quantiles of the first present values, so some values sit exactly on edges, some outside the
// range and integer columns get duplicate edges.
Column RandomColumn(int32_t type, size_t n, bool masked, int32_t nedges, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, 3.0);
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int32_t> small(-50, 50);
  std::uniform_int_distribution<int64_t> big(-(int64_t{1} << 40), int64_t{1} << 40);
  Column c;
  c.type = type;
  for (size_t i = 0; i < n; ++i) {
    const bool nan = u(rng) < 0.05;
    double x = 0;
    switch (type) {
      case kInF32: {
        const float f = nan ? std::nanf("") : static_cast<float>(g(rng));
        Append(&c, f);
        x = f;
        break;
      }
      case kInF64: {
        const double d = nan ? std::nan("") : 1e9 + g(rng);
        Append(&c, d);
        x = d;
        break;
      }
      case kInI32: {
        const int32_t v = small(rng);
        Append(&c, v);
        x = v;
        break;
      }
      default: {
        const int64_t v = big(rng);
        Append(&c, v);
        x = static_cast<double>(v);
        break;
      }
    }
    const bool ok = !masked || u(rng) >= 0.03;
    if (masked) c.valid.push_back(ok ? 1 : 0);
    c.ref.push_back(ok ? x : std::nan(""));
  }
  std::vector<double> present;
  for (size_t i = 0; i < n && present.size() < 2000; ++i) {
    if (!std::isnan(c.ref[i])) present.push_back(c.ref[i]);
  }
  if (present.empty()) present = {-1.0, 1.0};
  std::sort(present.begin(), present.end());
  // Quantiles of the middle 90%, so values fall below and above the range too.
  for (int32_t k = 0; k < nedges; ++k) {
    const double q = 0.05 + 0.9 * k / (nedges - 1);
    c.edges.push_back(present[static_cast<size_t>(q * (present.size() - 1))]);
  }
  return c;
}

// The columns of the pass tests: every type, with and without a mask, different edge counts, and
// one wider than the CUDA kernel's shared-memory histogram (4096 bins).
std::vector<Column> RandomColumns(size_t n, uint32_t seed) {
  std::vector<Column> cols;
  cols.push_back(RandomColumn(kInF32, n, true, 11, seed + 1));
  cols.push_back(RandomColumn(kInF64, n, false, 2, seed + 2));
  cols.push_back(RandomColumn(kInI32, n, true, 21, seed + 3));
  cols.push_back(RandomColumn(kInI64, n, true, 101, seed + 4));
  cols.push_back(RandomColumn(kInF64, n, true, 5001, seed + 5));
  return cols;
}

// The pass's arguments for some columns: edges and counts laid out column after column.
struct Pass {
  std::vector<HistogramColumn> cols;
  std::vector<double> edges;
  int64_t total_bins = 0;
};

// The layout of `cols`, reading the host copies unless `values` and `valid` (device copies) are
// given.
Pass Layout(const std::vector<Column>& cols, const std::vector<const void*>& values = {},
            const std::vector<const uint8_t*>& valid = {}) {
  Pass p;
  for (size_t j = 0; j < cols.size(); ++j) {
    HistogramColumn h;
    h.input.type = cols[j].type;
    h.input.values = values.empty() ? cols[j].bytes.data() : values[j];
    h.input.valid =
        valid.empty() ? (cols[j].valid.empty() ? nullptr : cols[j].valid.data()) : valid[j];
    h.edges_begin = static_cast<int32_t>(p.edges.size());
    h.edges_count = static_cast<int32_t>(cols[j].edges.size());
    h.counts_begin = p.total_bins;
    p.edges.insert(p.edges.end(), cols[j].edges.begin(), cols[j].edges.end());
    p.total_bins += h.edges_count - 1;
    p.cols.push_back(h);
  }
  return p;
}

struct Result {
  std::vector<int64_t> counts, missing;
};

Result RunPass(const Device& dev, const Pass& p, int64_t rows) {
  // Filled with garbage: the pass must overwrite every entry.
  Result r{std::vector<int64_t>(static_cast<size_t>(p.total_bins), -7),
           std::vector<int64_t>(p.cols.size(), -7)};
  NumericColumnHistograms(dev, p.cols.data(), static_cast<int32_t>(p.cols.size()), p.edges.data(),
                          static_cast<int32_t>(p.edges.size()), rows, r.counts.data(), p.total_bins,
                          r.missing.data(), nullptr);
  return r;
}

Result Naive(const std::vector<Column>& cols, int64_t rows) {
  Result r;
  for (const Column& c : cols) {
    std::vector<int64_t> h(c.edges.size() - 1, 0);
    int64_t miss = 0;
    for (int64_t i = 0; i < rows; ++i) {
      const double x = c.ref[static_cast<size_t>(i)];
      if (std::isnan(x)) {
        ++miss;
      } else {
        ++h[static_cast<size_t>(NaiveBin(c.edges, x))];
      }
    }
    r.counts.insert(r.counts.end(), h.begin(), h.end());
    r.missing.push_back(miss);
  }
  return r;
}

// Sets FRESHET_THREADS for its lifetime.
class ThreadsEnv {
 public:
  explicit ThreadsEnv(const char* value) {
    const char* old = std::getenv("FRESHET_THREADS");
    had_ = old != nullptr;
    if (had_) saved_ = old;
    setenv("FRESHET_THREADS", value, 1);
  }
  ~ThreadsEnv() {
    if (had_) {
      setenv("FRESHET_THREADS", saved_.c_str(), 1);
    } else {
      unsetenv("FRESHET_THREADS");
    }
  }

 private:
  bool had_ = false;
  std::string saved_;
};

TEST(NumericColumnHistograms, MatchesNaiveLoopForAnyThreadCount) {
  const std::vector<Column> cols = RandomColumns(100003, 20);
  const Pass p = Layout(cols);
  for (int64_t rows : {int64_t{0}, int64_t{1}, int64_t{70001}, int64_t{100003}}) {
    const Result want = Naive(cols, rows);
    Result one, three;
    {
      ThreadsEnv env("1");
      one = RunPass(Device{}, p, rows);
    }
    {
      ThreadsEnv env("3");
      three = RunPass(Device{}, p, rows);
    }
    EXPECT_EQ(one.counts, want.counts) << rows << " rows";
    EXPECT_EQ(one.missing, want.missing) << rows << " rows";
    EXPECT_EQ(three.counts, one.counts) << rows << " rows";
    EXPECT_EQ(three.missing, one.missing) << rows << " rows";
  }
}

TEST(NumericColumnHistograms, EveryRowCountedOnce) {
  std::vector<Column> cols = RandomColumns(4099, 30);
  cols.push_back(RandomColumn(kInI32, 4099, false, 7, 36));  // nothing missing
  const Pass p = Layout(cols);
  const Result r = RunPass(Device{}, p, 4099);
  for (size_t j = 0; j < cols.size(); ++j) {
    int64_t total = r.missing[j];
    for (int32_t k = 0; k + 1 < p.cols[j].edges_count; ++k) {
      total += r.counts[static_cast<size_t>(p.cols[j].counts_begin + k)];
    }
    EXPECT_EQ(total, 4099) << "column " << j;
    if (j + 1 < cols.size()) {
      EXPECT_GT(r.missing[j], 0) << "column " << j;  // NaN or the mask
    }
  }
  EXPECT_EQ(r.missing.back(), 0);
}

TEST(NumericColumnHistograms, ChecksItsLayout) {
  const std::vector<Column> cols = RandomColumns(10, 40);
  Pass p = Layout(cols);
  Pass bad = p;
  bad.cols[1].edges_count = 1;
  EXPECT_THROW(RunPass(Device{}, bad, 10), Error);
  bad = p;
  bad.cols.back().edges_begin += 1;
  EXPECT_THROW(RunPass(Device{}, bad, 10), Error);
  bad = p;
  bad.total_bins -= 1;
  EXPECT_THROW(RunPass(Device{}, bad, 10), Error);
}

// GPU vs CPU on the same seeded input: counts are integers, so they must be equal exactly.
TEST(NumericColumnHistogramsCuda, MatchesCpu_CUDA) {
  if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  for (size_t n : {size_t{1}, size_t{255}, size_t{1000003}}) {
    const std::vector<Column> cols = RandomColumns(n, 50);
    std::vector<test_util::DeviceVector<uint8_t>> dbytes, dvalid;
    std::vector<const void*> values;
    std::vector<const uint8_t*> valid;
    dbytes.reserve(cols.size());
    dvalid.reserve(cols.size());
    for (const Column& c : cols) {
      dbytes.emplace_back(c.bytes);
      values.push_back(dbytes.back().data());
      if (c.valid.empty()) {
        valid.push_back(nullptr);
      } else {
        dvalid.emplace_back(c.valid);
        valid.push_back(dvalid.back().data());
      }
    }
    const int64_t rows = static_cast<int64_t>(n);
    const Result cpu = RunPass(Device{}, Layout(cols), rows);
    const Result gpu = RunPass(Device{DeviceKind::kCuda, 0}, Layout(cols, values, valid), rows);
    EXPECT_EQ(gpu.counts, cpu.counts) << n << " rows";
    EXPECT_EQ(gpu.missing, cpu.missing) << n << " rows";
  }
}

}  // namespace
}  // namespace freshet::kernels
