// ComputeProfile: the data gate's statistics of a batch, in one pass per kind of statistic.
#include "freshet/profile.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "features/vocab.h"
#include "freshet/error.hpp"
#include "kernels/column_histogram.h"
#include "kernels/column_moments.h"
#include "kernels/parallel.h"
#include "kernels/value_counts.h"
#include "kernels/xxhash64.h"
#include "validate/profile_numeric.h"

namespace freshet {
namespace {

using kernels::ColumnMoments;

// Moments and infinities of the finite values of a column holding +-Inf (rare: a CPU loop).
kernels::Moments FiniteMoments(const Column& col, int64_t* inf) {
  kernels::Moments m;
  *inf = 0;
  profile_internal::ForEachFinite(NumericView(col), 0, col.size(), inf,
                                  [&m](double x) { m.Add(x); });
  return m;
}

size_t ElementSize(const Column& c) {
  return c.dtype == DType::kF32 || c.dtype == DType::kI32 ? 4 : 8;
}

// The moments and histograms of the numeric columns on a GPU, in chunks.
void NumericPass(const std::vector<const Column*>& cols, std::vector<NumericProfile*> out,
                 const Device& device) {
  if (cols.empty()) return;
  const int64_t rows = cols.front()->size();
  const auto ncols = static_cast<int32_t>(cols.size());
  std::vector<kernels::NumericColumnView> views;
  std::vector<kernels::HistogramColumn> hcols;
  std::vector<double> edges;
  int64_t bins = 0;
  std::vector<int32_t> hist_of(cols.size(), -1);
  for (size_t j = 0; j < cols.size(); ++j) {
    views.push_back(NumericView(*cols[j]));
    if (out[j]->edges.size() < 2) continue;
    kernels::HistogramColumn h;
    h.input = views.back();
    h.edges_begin = static_cast<int32_t>(edges.size());
    h.edges_count = static_cast<int32_t>(out[j]->edges.size());
    h.counts_begin = bins;
    edges.insert(edges.end(), out[j]->edges.begin(), out[j]->edges.end());
    bins += h.edges_count - 1;
    hist_of[j] = static_cast<int32_t>(hcols.size());
    hcols.push_back(h);
  }
  std::vector<ColumnMoments> moments(cols.size());
  std::vector<int64_t> counts(static_cast<size_t>(bins), 0);
  std::vector<int64_t> missing(hcols.size(), 0);
  const auto hist = [&](const std::vector<kernels::HistogramColumn>& h, int64_t n, int64_t* c,
                        int64_t* miss) {
    kernels::NumericColumnHistograms(device, h.data(), static_cast<int32_t>(h.size()), edges.data(),
                                     static_cast<int32_t>(edges.size()), n, c, bins, miss, nullptr);
  };
  constexpr int64_t kChunk = int64_t{1} << 22;
  std::vector<ColumnMoments> part(cols.size());
  std::vector<int64_t> part_counts(counts.size()), part_missing(missing.size());
  for (int64_t r0 = 0; r0 < rows; r0 += kChunk) {
    const int64_t r1 = std::min(rows, r0 + kChunk), n = r1 - r0;
    std::vector<DeviceBuffer> buffers;
    auto chunk = views;
    for (size_t j = 0; j < cols.size(); ++j) {
      const Column& c = *cols[j];
      const size_t es = ElementSize(c);
      buffers.emplace_back(static_cast<size_t>(n) * es, nullptr);
      CopyToDevice(buffers.back().data(), c.data.data() + r0 * es, n * es, nullptr);
      chunk[j].values = buffers.back().data();
      if (!c.valid.empty()) {
        buffers.emplace_back(static_cast<size_t>(n), nullptr);
        CopyToDevice(buffers.back().data(), c.valid.data() + r0, n, nullptr);
        chunk[j].valid = buffers.back().as<uint8_t>();
      }
    }
    auto hchunk = hcols;
    for (size_t j = 0; j < cols.size(); ++j) {
      if (hist_of[j] >= 0) hchunk[hist_of[j]].input = chunk[j];
    }
    kernels::NumericColumnMoments(device, chunk.data(), ncols, n, part.data(), nullptr);
    hist(hchunk, n, part_counts.data(), part_missing.data());
    for (size_t j = 0; j < cols.size(); ++j) moments[j].raw.Merge(part[j].raw);
    for (size_t k = 0; k < counts.size(); ++k) counts[k] += part_counts[k];
  }
  for (size_t j = 0; j < cols.size(); ++j) {
    NumericProfile& p = *out[j];
    kernels::Moments m = moments[j].raw;
    if (m.n > 0 && (std::isinf(m.min) || std::isinf(m.max))) m = FiniteMoments(*cols[j], &p.inf);
    p.count = m.n;
    p.nan = rows - m.n - p.inf;
    p.mean = m.n ? m.mean : 0.0;
    p.std = m.n ? std::sqrt(m.m2 / static_cast<double>(m.n)) : 0.0;
    p.min = m.n ? m.min : 0.0;
    p.max = m.n ? m.max : 0.0;
    if (hist_of[j] < 0) continue;
    const kernels::HistogramColumn& h = hcols[hist_of[j]];
    p.hist.assign(counts.begin() + h.counts_begin,
                  counts.begin() + h.counts_begin + h.edges_count - 1);
    // Infinities are not finite values: the histogram counted them in its outer bins.
    if (p.inf > 0) {
      const kernels::NumericColumnView v = NumericView(*cols[j]);
      for (int64_t i = 0; i < rows; ++i) {
        bool miss;
        const double x = kernels::LoadNumeric(v, i, &miss);
        if (!miss && std::isinf(x)) {
          --p.hist[kernels::HistogramBin(p.edges.data(), h.edges_count, x)];
        }
      }
    }
  }
}

void ProfileCategorical(const Column& col, int top_k, const Device& device, CategoricalProfile* p) {
  const kernels::CategoricalInputView v = CategoricalView(col);
  // Counting runs on the CPU: a batch's categorical columns are profiled one per thread.
  (void)device;
  std::vector<kernels::ValueCount> counts = kernels::cpu_impl::CountValues(v, col.size());
  std::vector<std::pair<std::string, int64_t>> all;
  all.reserve(counts.size());
  p->count = 0;
  for (const auto& c : counts) {
    all.emplace_back(Token(col, c.first_row), c.count);
    p->count += c.count;
  }
  p->missing = col.size() - p->count;
  p->distinct = static_cast<int64_t>(all.size());
  const auto by_count = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  const size_t keep = std::min(all.size(), static_cast<size_t>(top_k));
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                    by_count);
  p->top.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep));
  p->other = 0;
  for (size_t k = keep; k < all.size(); ++k) p->other += all[k].second;
}

// A 64-bit finaliser (splitmix64's): mixes a row's running hash with each of its values.
inline uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr bool kLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

// Mixes the values of rows [b, e) of `c` into their hashes h[i]: numbers by the bits of their
// `Width` stored bytes, strings of up to 7 bytes packed with their length (XXH64 when longer),
// missing values as a constant.
template <size_t Width>
void MixColumn(const Column& c, int64_t b, int64_t e, uint64_t* h) {
  const bool masked = !c.valid.empty();
  for (int64_t i = b; i < e; ++i) {
    uint64_t x;
    if (masked && c.valid[static_cast<size_t>(i)] == 0) {
      x = 0x5bd1e995ULL;
    } else if constexpr (Width == 0) {
      const char* s = c.bytes.data() + c.offsets[i];
      const auto len = static_cast<size_t>(c.offsets[i + 1] - c.offsets[i]);
      if (len <= 7) {
        x = uint64_t{len} << 56;
        if (kLittleEndian && c.offsets[i] + 8 <= static_cast<int64_t>(c.bytes.size())) {
          // One 8-byte load, the bytes past the string masked off: what memcpy of len gives.
          uint64_t word;
          std::memcpy(&word, s, sizeof word);
          x |= word & ((uint64_t{1} << (8 * len)) - 1);
        } else {
          std::memcpy(&x, s, len);
        }
      } else {
        x = kernels::Xxh64(s, len, 1);
      }
    } else {
      uint64_t bits = 0;
      std::memcpy(&bits, c.data.data() + i * static_cast<int64_t>(Width), Width);
      x = bits;
    }
    h[i] = Mix(h[i] ^ Mix(x + Width));
  }
}

// Rows equal to an earlier row in every column: a 64-bit hash per row over its values, built
// column by column so each column is read once, in order.
int64_t DuplicateRows(const std::vector<const Column*>& cols, int64_t rows) {
  if (rows < 2 || cols.empty()) return 0;
  std::vector<uint64_t> h(static_cast<size_t>(rows), 0x9e3779b97f4a7c15ULL);
  kernels::ParallelFor(rows, 1 << 15, [&](int64_t b, int64_t e) {
    for (const Column* c : cols) {
      if (c->is_string()) {
        MixColumn<0>(*c, b, e, h.data());
      } else if (ElementSize(*c) == 4) {
        MixColumn<4>(*c, b, e, h.data());
      } else {
        MixColumn<8>(*c, b, e, h.data());
      }
    }
  });
  // Equal hashes share their top bits: scatter the hashes into buckets of a few hundred by their
  // top bits, then sort each bucket (in cache) and count equal neighbours, buckets split over the
  // threads.
  int bits = 0;
  while (bits < 16 && (int64_t{1} << (bits + 8)) < rows) ++bits;
  const size_t buckets = size_t{1} << bits;
  const auto bucket = [&](uint64_t x) { return bits == 0 ? size_t{0} : x >> (64 - bits); };
  std::vector<size_t> start(buckets + 1, 0);
  for (uint64_t x : h) ++start[bucket(x) + 1];
  for (size_t b = 0; b < buckets; ++b) start[b + 1] += start[b];
  std::vector<uint64_t> sorted(h.size());
  std::vector<size_t> next(start.begin(), start.end() - 1);
  for (uint64_t x : h) sorted[next[bucket(x)]++] = x;
  const int threads = std::max(1, kernels::ParallelThreads());
  std::vector<int64_t> dup(static_cast<size_t>(threads), 0);
  kernels::ParallelForThreads(threads, 1, threads, [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; ++t) {
      const size_t b0 = buckets * static_cast<size_t>(t) / static_cast<size_t>(threads);
      const size_t b1 = buckets * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
      for (size_t b = b0; b < b1; ++b) {
        uint64_t* first = sorted.data() + start[b];
        uint64_t* last = sorted.data() + start[b + 1];
        std::sort(first, last);
        for (uint64_t* x = first + (first != last); x < last; ++x) dup[t] += x[0] == x[-1];
      }
    }
  });
  int64_t total = 0;
  for (int64_t d : dup) total += d;
  return total;
}

}  // namespace

const ColumnProfile* Profile::Find(const std::string& name) const {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Profile ComputeProfile(const Table& table, const std::vector<ProfileColumn>& columns,
                       const ProfileOptions& options, const Profile* reference,
                       const Device& device) {
  Profile p;
  p.rows = table.rows();
  p.options = options;
  std::vector<const Column*> cols;
  for (const auto& pc : columns) {
    const Column* col = table.Find(pc.name);
    if (!col) throw DataError("column \"" + pc.name + "\" is not in the input");
    cols.push_back(col);
    ColumnProfile c;
    c.name = pc.name;
    c.kind = pc.kind;
    c.dtype = DTypeName(col->dtype);
    c.rows = col->size();
    if (pc.kind == ColumnKind::kNumeric) {
      NumericView(*col);  // refuses strings
      const ColumnProfile* ref = reference ? reference->Find(pc.name) : nullptr;
      if (ref && ref->kind == ColumnKind::kNumeric) c.numeric.edges = ref->numeric.edges;
    }
    p.columns.push_back(std::move(c));
  }
  // The host pass first: it finds a column's own bins when the reference has none. Columns are
  // handed out one at a time (categorical ones, the slowest, first), so the threads stay busy.
  std::vector<size_t> order(columns.size());
  for (size_t j = 0; j < order.size(); ++j) order[j] = j;
  std::stable_partition(order.begin(), order.end(),
                        [&](size_t j) { return p.columns[j].kind == ColumnKind::kCategorical; });
  // The moments' parts of kernels::NumericColumnMoments on the CPU, so that they are the same.
  const int moment_parts =
      device.is_cuda() ? 0
                       : static_cast<int>(std::max<int64_t>(
                             1, std::min<int64_t>(kernels::ParallelThreads(), p.rows >> 15)));
  std::vector<profile_internal::FiniteValues> finite(columns.size());
  std::atomic<size_t> next{0};
  const int threads =
      std::max(1, std::min<int>(kernels::ParallelThreads(), static_cast<int>(columns.size())));
  kernels::ParallelForThreads(threads, 1, threads, [&](int64_t, int64_t) {
    for (size_t k = next++; k < order.size(); k = next++) {
      const size_t j = order[k];
      ColumnProfile& c = p.columns[j];
      if (c.kind == ColumnKind::kNumeric && options.counts_only) {
        profile_internal::NumericCounts(*cols[j], &c.numeric);
      } else if (c.kind == ColumnKind::kNumeric) {
        profile_internal::HostNumeric(*cols[j], options, c.numeric.edges.empty(), !device.is_cuda(),
                                      std::max(moment_parts, 1), &c.numeric, &finite[j]);
      } else {
        ProfileCategorical(*cols[j], options.top_k, device, &c.categorical);
      }
    }
  });
  std::vector<const Column*> numeric_cols;
  std::vector<NumericProfile*> numeric_out;
  std::vector<const profile_internal::FiniteValues*> numeric_finite;
  for (size_t j = 0; j < columns.size(); ++j) {
    if (p.columns[j].kind != ColumnKind::kNumeric) continue;
    numeric_cols.push_back(cols[j]);
    numeric_out.push_back(&p.columns[j].numeric);
    numeric_finite.push_back(&finite[j]);
  }
  // The CPU took the moments and histograms from the host pass's values.
  if (options.counts_only) {
    // NumericCounts has filled what there is to fill.
  } else if (device.is_cuda()) {
    NumericPass(numeric_cols, numeric_out, device);
  } else {
    profile_internal::FillMoments(numeric_finite, p.rows, numeric_out);
  }
  finite.clear();
  p.duplicate_rows = DuplicateRows(cols, p.rows);
  return p;
}

}  // namespace freshet
