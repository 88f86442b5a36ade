#include "kernels/value_counts.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernels/device_vector.h"

namespace freshet::kernels {
namespace {

struct Strings {
  std::string bytes;
  std::vector<int64_t> offsets{0};
  std::vector<uint8_t> valid;
};

Strings RandomStrings(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, 40), miss(0, 19);
  Strings s;
  for (size_t i = 0; i < n; ++i) {
    const int k = pick(rng);
    // Some empty strings (missing) and some rows marked invalid.
    const std::string v = k == 0 ? "" : "cat-" + std::to_string(k * k);
    s.bytes += v;
    s.offsets.push_back(static_cast<int64_t>(s.bytes.size()));
    s.valid.push_back(miss(rng) == 0 ? 0 : 1);
  }
  return s;
}

CategoricalInputView View(const Strings& s) {
  CategoricalInputView v;
  v.type = kInString;
  v.bytes = s.bytes.data();
  v.offsets = s.offsets.data();
  v.valid = s.valid.data();
  return v;
}

TEST(CountValues, CountsDistinctPresentValuesWithTheirFirstRow) {
  const Strings s = RandomStrings(5000, 1);
  std::map<uint64_t, std::pair<int64_t, int64_t>> expect;  // key → (count, first row)
  for (int64_t i = 0; i < 5000; ++i) {
    const int64_t lo = s.offsets[i], len = s.offsets[i + 1] - lo;
    if (!s.valid[i] || len == 0) continue;
    const uint64_t key = Xxh64(s.bytes.data() + lo, static_cast<size_t>(len), 0);
    auto [it, inserted] = expect.try_emplace(key, 0, i);
    ++it->second.first;
  }
  const auto got = CountValues(Device{}, View(s), 5000, nullptr);
  ASSERT_EQ(got.size(), expect.size());
  size_t k = 0;
  for (const auto& [key, cf] : expect) {
    EXPECT_EQ(got[k].key, key);
    EXPECT_EQ(got[k].count, cf.first);
    EXPECT_EQ(got[k].first_row, cf.second);
    ++k;
  }
}

TEST(CountValues, IntegerCodesHashTheirBytes) {
  const std::vector<int64_t> codes = {7, -1, 7, 1LL << 40, -1, 7};
  CategoricalInputView v;
  v.type = kInCodeI64;
  v.values = codes.data();
  const auto got = CountValues(Device{}, v, 6, nullptr);
  ASSERT_EQ(got.size(), 3u);
  for (const auto& c : got) {
    if (c.key == Xxh64U64(7, 0)) {
      EXPECT_EQ(c.count, 3);
      EXPECT_EQ(c.first_row, 0);
    } else if (c.key == Xxh64U64(static_cast<uint64_t>(-1), 0)) {
      EXPECT_EQ(c.count, 2);
      EXPECT_EQ(c.first_row, 1);
    } else {
      EXPECT_EQ(c.key, Xxh64U64(1ULL << 40, 0));
      EXPECT_EQ(c.count, 1);
    }
  }
}

TEST(MergeCounts, EqualsCountingTheWhole) {
  const Strings s = RandomStrings(3001, 2);
  const auto whole = CountValues(Device{}, View(s), 3001, nullptr);
  Strings tail;
  const int64_t split = 1234, base = s.offsets[split];
  tail.bytes = s.bytes.substr(static_cast<size_t>(base));
  tail.offsets.clear();
  for (int64_t i = split; i <= 3001; ++i) tail.offsets.push_back(s.offsets[i] - base);
  tail.valid.assign(s.valid.begin() + split, s.valid.end());
  const auto merged = MergeCounts(CountValues(Device{}, View(s), split, nullptr),
                                  CountValues(Device{}, View(tail), 3001 - split, nullptr), split);
  ASSERT_EQ(merged.size(), whole.size());
  for (size_t k = 0; k < whole.size(); ++k) {
    EXPECT_EQ(merged[k].key, whole[k].key);
    EXPECT_EQ(merged[k].count, whole[k].count);
    EXPECT_EQ(merged[k].first_row, whole[k].first_row);
  }
}

TEST(CountValuesCuda, MatchesCpu_CUDA) {
  if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  for (size_t n : {size_t{1}, size_t{255}, size_t{1000003}}) {
    const Strings s = RandomStrings(n, 3);
    const std::vector<char> bytes(s.bytes.begin(), s.bytes.end());
    test_util::DeviceVector<char> db(bytes.empty() ? std::vector<char>{0} : bytes);
    test_util::DeviceVector<int64_t> doff(s.offsets);
    test_util::DeviceVector<uint8_t> dval(s.valid);
    CategoricalInputView v = View(s);
    v.bytes = db.data();
    v.offsets = doff.data();
    v.valid = dval.data();
    const auto cpu = CountValues(Device{}, View(s), static_cast<int64_t>(n), nullptr);
    const auto gpu = CountValues(Device{DeviceKind::kCuda, 0}, v, static_cast<int64_t>(n), nullptr);
    ASSERT_EQ(gpu.size(), cpu.size());
    for (size_t k = 0; k < cpu.size(); ++k) {
      EXPECT_EQ(gpu[k].key, cpu[k].key);
      EXPECT_EQ(gpu[k].count, cpu[k].count);
      EXPECT_EQ(gpu[k].first_row, cpu[k].first_row);
    }
  }
}

}  // namespace
}  // namespace freshet::kernels
