#include "kernels/value_counts.h"

#include <algorithm>

#include "freshet/error.hpp"
#include "kernels/flat_counter.h"

namespace freshet::kernels {

std::vector<ValueCount> CountValues(const Device& dev, const CategoricalInputView& input,
                                    int64_t rows, void* stream) {
  FRESHET_CHECK(rows >= 0, "negative size");
  if (rows == 0) return {};
  return dev.Dispatch([&] { return cpu_impl::CountValues(input, rows); },
                      [&] { return cuda_impl::CountValues(input, rows, stream); });
}

std::vector<ValueCount> MergeCounts(const std::vector<ValueCount>& a,
                                    const std::vector<ValueCount>& b, int64_t b_row_offset) {
  std::vector<ValueCount> out;
  out.reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].key < b[j].key)) {
      out.push_back(a[i++]);
    } else {
      ValueCount v = b[j++];
      v.first_row += b_row_offset;
      if (i < a.size() && a[i].key == v.key) {
        v.count += a[i].count;
        v.first_row = std::min(v.first_row, a[i].first_row);
        ++i;
      }
      out.push_back(v);
    }
  }
  return out;
}

namespace cpu_impl {

std::vector<ValueCount> CountValues(const CategoricalInputView& input, int64_t rows) {
  FlatCounter counts;
  for (int64_t i = 0; i < rows; ++i) {
    uint64_t h;
    if (HashValue(input, i, 0, &h)) counts.Add(h, i);
  }
  std::vector<ValueCount> out;
  out.reserve(static_cast<size_t>(counts.size()));
  counts.ForEach([&](const FlatCounter::Slot& s) { out.push_back({s.key, s.count, s.first_row}); });
  std::sort(out.begin(), out.end(),
            [](const ValueCount& a, const ValueCount& b) { return a.key < b.key; });
  return out;
}

}  // namespace cpu_impl
}  // namespace freshet::kernels
