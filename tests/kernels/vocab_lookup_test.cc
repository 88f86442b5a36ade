// The CPU's vocabulary lookups: the hash table and the direct index against the binary search of
// the sorted keys (VocabSearch, the reference), alone and inside the CPU categorical loop, on
// random codes and strings with missing rows, absent keys and keys that share their low bits.
#include "kernels/vocab_lookup.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/scoped_threads.h"
#include "freshet/error.hpp"
#include "kernels/categorical_transform.h"

namespace freshet::kernels {
namespace {

// A vocabulary as the plan holds it: keys ascending, index = 2 + position in the vocabulary.
struct Vocab {
  std::vector<uint64_t> keys;
  std::vector<int64_t> index;
  std::vector<int64_t> codes;  // the codes, in vocabulary order (integer vocabularies)

  static Vocab OfKeys(std::vector<uint64_t> raw) {
    Vocab v;
    std::vector<std::pair<uint64_t, int64_t>> kv;
    for (size_t k = 0; k < raw.size(); ++k) kv.push_back({raw[k], static_cast<int64_t>(k) + 2});
    std::sort(kv.begin(), kv.end());
    for (const auto& [k, x] : kv) v.keys.push_back(k), v.index.push_back(x);
    return v;
  }
  static Vocab OfCodes(const std::vector<int64_t>& codes) {
    std::vector<uint64_t> raw;
    for (int64_t c : codes) raw.push_back(Xxh64U64(static_cast<uint64_t>(c), 0));
    Vocab v = OfKeys(raw);
    v.codes = codes;
    return v;
  }
  CategoricalOutputView Output(int32_t input) const {
    CategoricalOutputView o;
    o.encoding = kEncodeVocab;
    o.inputs[0] = input;
    o.vocab_keys = keys.data();
    o.vocab_index = index.data();
    o.vocab_size = static_cast<int64_t>(keys.size());
    return o;
  }
};

TEST(VocabSlots, FindEqualsBinarySearch) {
  std::mt19937_64 rng(3);
  for (int64_t n : {0, 1, 7, 8, 9, 1000, 65536}) {
    std::set<uint64_t> distinct;
    while (static_cast<int64_t>(distinct.size()) < n) {
      // Half of the keys share their low 16 bits: long probe sequences.
      const uint64_t r = rng();
      distinct.insert(distinct.size() % 2 ? r : (r & ~uint64_t{0xffff}) | 0x1234);
    }
    const Vocab v = Vocab::OfKeys({distinct.begin(), distinct.end()});
    uint64_t mask = 0;
    const std::vector<VocabSlot> slots = BuildVocabSlots(v.keys.data(), v.index.data(), n, &mask);
    ASSERT_EQ(slots.size(), mask + 1);
    EXPECT_GE(slots.size(), static_cast<size_t>(2 * n));
    EXPECT_EQ(mask & (mask + 1), 0u);
    const CategoricalOutputView o = v.Output(0);
    for (int64_t k = 0; k < n; ++k) {
      ASSERT_EQ(FindVocabSlot(slots.data(), mask, v.keys[k]), v.index[k]);
    }
    for (int t = 0; t < 2000; ++t) {
      const uint64_t key = t % 2 ? rng() : (rng() & ~uint64_t{0xffff}) | 0x1234;
      ASSERT_EQ(FindVocabSlot(slots.data(), mask, key), VocabSearch(o, key)) << key;
    }
    EXPECT_EQ(FindVocabSlot(slots.data(), mask, 0), VocabSearch(o, 0));  // the empty slot's key
  }
}

TEST(VocabSlots, RejectsDuplicatesAndBadIndices) {
  const std::vector<uint64_t> keys = {5, 5};
  const std::vector<int64_t> index = {2, 3};
  uint64_t mask = 0;
  EXPECT_THROW(BuildVocabSlots(keys.data(), index.data(), 2, &mask), Error);
  const std::vector<int64_t> low = {1, 3};
  const std::vector<uint64_t> distinct = {5, 6};
  EXPECT_THROW(BuildVocabSlots(distinct.data(), low.data(), 2, &mask), Error);
}

TEST(VocabDirect, BuiltOnlyForDenseRanges) {
  int64_t lo = 99;
  const std::vector<int64_t> index = {2, 3, 4};
  EXPECT_TRUE(BuildVocabDirect(nullptr, nullptr, 0, &lo).empty());
  const std::vector<int64_t> dense = {-3, 10, 4};
  const std::vector<int32_t> d = BuildVocabDirect(dense.data(), index.data(), 3, &lo);
  ASSERT_EQ(d.size(), 14u);
  EXPECT_EQ(lo, -3);
  EXPECT_EQ(FindVocabDirect(d.data(), lo, 14, -3), 2);
  EXPECT_EQ(FindVocabDirect(d.data(), lo, 14, 10), 3);
  EXPECT_EQ(FindVocabDirect(d.data(), lo, 14, 4), 4);
  EXPECT_EQ(FindVocabDirect(d.data(), lo, 14, 5), 1);
  EXPECT_EQ(FindVocabDirect(d.data(), lo, 14, -4), 1);
  EXPECT_EQ(FindVocabDirect(d.data(), lo, 14, 11), 1);
  EXPECT_EQ(FindVocabDirect(d.data(), lo, 14, std::numeric_limits<int64_t>::min()), 1);
  EXPECT_EQ(FindVocabDirect(d.data(), lo, 14, std::numeric_limits<int64_t>::max()), 1);

  const std::vector<int64_t> extremes = {std::numeric_limits<int64_t>::min(), 0,
                                         std::numeric_limits<int64_t>::max()};
  EXPECT_TRUE(BuildVocabDirect(extremes.data(), index.data(), 3, &lo).empty());
  const std::vector<int64_t> sparse = {0, 1, 1 << 20};
  EXPECT_TRUE(BuildVocabDirect(sparse.data(), index.data(), 3, &lo).empty());
  const std::vector<int64_t> big_index = {2, int64_t{1} << 40, 4};
  EXPECT_TRUE(BuildVocabDirect(dense.data(), big_index.data(), 3, &lo).empty());
  const std::vector<int64_t> dup = {1, 2, 1};
  EXPECT_THROW(BuildVocabDirect(dup.data(), index.data(), 3, &lo), Error);
}

// The CPU loop with the lookups set gives the reference's indices: string and code vocabularies
// through the hash table, code vocabularies through the direct index, masked and missing rows,
// codes outside the direct index's range, and a cross that shares its inputs' hashes with them.
TEST(VocabLookupCpu, LoopWithLookupsEqualsReference) {
  const int64_t n = 50001;
  std::mt19937_64 rng(11);
  std::string bytes;
  std::vector<int64_t> offsets{0};
  std::vector<uint8_t> s_valid(n), c_valid(n);
  std::vector<int32_t> c32(n);
  std::vector<int64_t> c64(n);
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t r = rng();
    if (r % 13 != 0) bytes += "v" + std::to_string(r % 300);  // else empty: missing
    offsets.push_back(static_cast<int64_t>(bytes.size()));
    s_valid[i] = (r >> 8) % 11 != 0;
    c_valid[i] = (r >> 16) % 9 != 0;
    c32[i] = static_cast<int32_t>((r >> 24) % 400) - 200;
    c64[i] = (r >> 40) % 3 == 0 ? static_cast<int64_t>(rng()) : 1000 + static_cast<int64_t>(r % 97);
  }
  std::vector<uint64_t> s_raw;
  for (int k = 0; k < 200; k += 2) {
    const std::string tok = "v" + std::to_string(k);
    s_raw.push_back(Xxh64(tok.data(), tok.size(), 0));
  }
  std::vector<int64_t> c32_codes, c64_codes;
  for (int k = -150; k < 150; k += 3) c32_codes.push_back(k);
  for (int k = 0; k < 90; ++k) c64_codes.push_back(1000 + (k * 7) % 97);
  std::sort(c64_codes.begin(), c64_codes.end());
  c64_codes.erase(std::unique(c64_codes.begin(), c64_codes.end()), c64_codes.end());
  const Vocab sv = Vocab::OfKeys(s_raw), cv32 = Vocab::OfCodes(c32_codes),
              cv64 = Vocab::OfCodes(c64_codes);

  CategoricalInputView in[3];
  in[0].type = kInString;
  in[0].bytes = bytes.data();
  in[0].offsets = offsets.data();
  in[0].valid = s_valid.data();
  in[1].type = kInCodeI32;
  in[1].values = c32.data();
  in[1].valid = c_valid.data();
  in[2].type = kInCodeI64;
  in[2].values = c64.data();
  // Outputs: each vocabulary through its binary search (the reference), the table, the direct
  // index where it exists.
  std::vector<CategoricalOutputView> ref = {sv.Output(0), cv32.Output(1), cv64.Output(2)};
  std::vector<CategoricalOutputView> fast = ref;
  std::vector<std::vector<VocabSlot>> slots(3);
  std::vector<std::vector<int32_t>> direct(3);
  const Vocab* vocabs[3] = {&sv, &cv32, &cv64};
  for (int k = 0; k < 3; ++k) {
    const Vocab& v = *vocabs[k];
    slots[k] = BuildVocabSlots(v.keys.data(), v.index.data(), static_cast<int64_t>(v.keys.size()),
                               &fast[k].vocab_slot_mask);
    fast[k].vocab_slots = slots[k].data();
    if (!v.codes.empty()) {
      std::vector<int64_t> index(v.codes.size());
      for (size_t j = 0; j < index.size(); ++j) index[j] = static_cast<int64_t>(j) + 2;
      direct[k] = BuildVocabDirect(v.codes.data(), index.data(),
                                   static_cast<int64_t>(v.codes.size()), &fast[k].vocab_direct_lo);
      ASSERT_FALSE(direct[k].empty()) << k;
      fast[k].vocab_direct = direct[k].data();
      fast[k].vocab_direct_count = static_cast<int64_t>(direct[k].size());
    }
  }
  // The same outputs again with the table only (no direct index).
  for (int k = 1; k < 3; ++k) {
    CategoricalOutputView o = fast[k];
    o.vocab_direct = nullptr;
    ref.push_back(ref[k]);
    fast.push_back(o);
  }
  // A cross of the string and the int64 codes: their hashes are shared with the vocabularies.
  CategoricalOutputView cross;
  cross.n_inputs = 2;
  cross.inputs[0] = 0;
  cross.inputs[1] = 2;
  cross.seed = 77;
  cross.buckets = 1000;
  ref.push_back(cross);
  fast.push_back(cross);
  const int32_t nout = static_cast<int32_t>(ref.size());
  for (int32_t k = 0; k < nout; ++k) ref[k].cat_out = fast[k].cat_out = k;
  std::vector<int64_t> want(n * nout);
  for (int64_t i = 0; i < n; ++i) {
    for (int32_t k = 0; k < nout; ++k) want[i * nout + k] = CategoricalIndex(in, ref[k], i);
  }
  int64_t counts[3] = {0, 0, 0};  // missing, out of vocabulary, in vocabulary
  for (int64_t v : want) ++counts[std::min<int64_t>(v, 2)];
  EXPECT_GT(counts[0], 1000);
  EXPECT_GT(counts[1], 1000);
  EXPECT_GT(counts[2], 1000);
  for (int threads : {1, 2}) {
    testing::ScopedThreads scoped(threads);
    std::vector<int64_t> got(want.size(), -7);
    TransformCategoricalColumns(Device{}, in, 3, fast.data(), nout, n, got.data(), nout, nullptr);
    ASSERT_EQ(got, want) << threads << " threads";
  }
}

}  // namespace
}  // namespace freshet::kernels
