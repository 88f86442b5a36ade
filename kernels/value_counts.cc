#include "kernels/value_counts.h"

#include <algorithm>
#include <unordered_map>

#include "freshet/error.hpp"

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
  std::unordered_map<uint64_t, ValueCount> counts;
  for (int64_t i = 0; i < rows; ++i) {
    uint64_t h;
    if (!HashValue(input, i, 0, &h)) continue;
    auto [it, inserted] = counts.try_emplace(h, ValueCount{h, 0, i});
    ++it->second.count;
  }
  std::vector<ValueCount> out;
  out.reserve(counts.size());
  for (const auto& kv : counts) out.push_back(kv.second);
  std::sort(out.begin(), out.end(),
            [](const ValueCount& a, const ValueCount& b) { return a.key < b.key; });
  return out;
}

}  // namespace cpu_impl
}  // namespace freshet::kernels
