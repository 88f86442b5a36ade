// The fused categorical transform kernel: HashValue / CategoricalIndex against libxxhash by hand
// (hash, vocabulary lookup, crosses), the threaded CPU loop against a serial loop, the launcher's
// checks, and the CUDA kernel against the CPU loop on the same seeded input.
#include "kernels/categorical_transform.h"

#include <stdlib.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/scoped_threads.h"
#include "freshet/error.hpp"
#include "kernels/device_vector.h"

namespace freshet::kernels {
namespace {

constexpr int64_t kSentinel = -7;

using testing::ScopedThreads;

// Strings in Arrow layout.
struct StringColumn {
  std::string bytes;
  std::vector<int64_t> offsets{0};
  std::vector<uint8_t> valid;

  void Add(const std::string& s, bool is_valid = true) {
    bytes += s;
    offsets.push_back(static_cast<int64_t>(bytes.size()));
    valid.push_back(is_valid ? 1 : 0);
  }
  std::string At(int64_t i) const { return bytes.substr(offsets[i], offsets[i + 1] - offsets[i]); }
};

CategoricalInputView StringView(const char* bytes, const int64_t* offsets, const uint8_t* valid) {
  CategoricalInputView v;
  v.type = kInString;
  v.bytes = bytes;
  v.offsets = offsets;
  v.valid = valid;
  return v;
}

CategoricalInputView CodeView(int32_t type, const void* values, const uint8_t* valid) {
  CategoricalInputView v;
  v.type = type;
  v.values = values;
  v.valid = valid;
  return v;
}

uint64_t Le8Hash(int64_t code, uint64_t seed) {
  unsigned char le[8];
  for (int b = 0; b < 8; ++b)
    le[b] = static_cast<unsigned char>(static_cast<uint64_t>(code) >> (8 * b));
  return XXH64(le, 8, seed);
}

// XXH64 over the 8-byte little-endian forms of `parts`, with `seed`.
uint64_t CrossHash(const std::vector<uint64_t>& parts, uint64_t seed) {
  std::string buf;
  for (uint64_t h : parts) {
    for (int b = 0; b < 8; ++b) buf.push_back(static_cast<char>(h >> (8 * b)));
  }
  return XXH64(buf.data(), buf.size(), seed);
}

TEST(CategoricalTransformElement, HashValueOfStringsAndCodes) {
  StringColumn s;
  s.Add("oslo");
  s.Add("");
  s.Add("rome", false);
  s.Add(std::string("\xff\x00\xfe", 3));
  const CategoricalInputView sv = StringView(s.bytes.data(), s.offsets.data(), s.valid.data());
  uint64_t h = 0;
  ASSERT_TRUE(HashValue(sv, 0, 17, &h));
  EXPECT_EQ(h, XXH64("oslo", 4, 17));
  EXPECT_FALSE(HashValue(sv, 1, 17, &h));  // empty
  EXPECT_FALSE(HashValue(sv, 2, 17, &h));  // masked
  ASSERT_TRUE(HashValue(sv, 3, 0, &h));
  EXPECT_EQ(h, XXH64("\xff\x00\xfe", 3, 0));

  const std::vector<int32_t> c32 = {-1, 0, INT32_MIN};
  const std::vector<int64_t> c64 = {-1, INT64_MAX, 5};
  const std::vector<uint8_t> mask = {1, 1, 0};
  const CategoricalInputView v32 = CodeView(kInCodeI32, c32.data(), nullptr);
  const CategoricalInputView v64 = CodeView(kInCodeI64, c64.data(), mask.data());
  ASSERT_TRUE(HashValue(v32, 0, 3, &h));
  EXPECT_EQ(h, Le8Hash(-1, 3));  // sign-extended to int64
  ASSERT_TRUE(HashValue(v32, 1, 3, &h));
  EXPECT_EQ(h, Le8Hash(0, 3));  // a zero code is a value, not missing
  ASSERT_TRUE(HashValue(v32, 2, 3, &h));
  EXPECT_EQ(h, Le8Hash(INT32_MIN, 3));
  ASSERT_TRUE(HashValue(v64, 0, 3, &h));
  EXPECT_EQ(h, Le8Hash(-1, 3));
  ASSERT_TRUE(HashValue(v64, 1, 0, &h));
  EXPECT_EQ(h, Le8Hash(INT64_MAX, 0));
  EXPECT_FALSE(HashValue(v64, 2, 0, &h));
}

TEST(CategoricalTransformElement, CategoricalIndexHashVocabAndCross) {
  StringColumn s;
  s.Add("oslo");
  s.Add("lima");
  s.Add("");
  s.Add("rome");
  const std::vector<int64_t> codes = {4, 4, 4, -9};
  const std::vector<uint8_t> code_valid = {1, 1, 1, 0};
  const CategoricalInputView inputs[2] = {StringView(s.bytes.data(), s.offsets.data(), nullptr),
                                          CodeView(kInCodeI64, codes.data(), code_valid.data())};

  CategoricalOutputView hash;
  hash.inputs[0] = 0;
  hash.seed = 99;
  hash.buckets = 10;
  EXPECT_EQ(CategoricalIndex(inputs, hash, 0), 2 + static_cast<int64_t>(XXH64("oslo", 4, 99) % 10));
  EXPECT_EQ(CategoricalIndex(inputs, hash, 2), 0);
  hash.buckets = 1;
  EXPECT_EQ(CategoricalIndex(inputs, hash, 1), 2);

  // Vocabulary {rome: 2, oslo: 3}, keys sorted ascending.
  std::vector<std::pair<uint64_t, int64_t>> table = {{XXH64("rome", 4, 0), 2},
                                                     {XXH64("oslo", 4, 0), 3}};
  std::sort(table.begin(), table.end());
  std::vector<uint64_t> keys;
  std::vector<int64_t> index;
  for (const auto& [k, v] : table) keys.push_back(k), index.push_back(v);
  CategoricalOutputView vocab;
  vocab.encoding = kEncodeVocab;
  vocab.inputs[0] = 0;
  vocab.seed = 12345;  // ignored: vocabularies key on XXH64(value, 0)
  vocab.vocab_keys = keys.data();
  vocab.vocab_index = index.data();
  vocab.vocab_size = 2;
  EXPECT_EQ(CategoricalIndex(inputs, vocab, 0), 3);
  EXPECT_EQ(CategoricalIndex(inputs, vocab, 1), 1);  // out of vocabulary
  EXPECT_EQ(CategoricalIndex(inputs, vocab, 2), 0);  // missing
  EXPECT_EQ(CategoricalIndex(inputs, vocab, 3), 2);
  vocab.vocab_size = 0;
  EXPECT_EQ(CategoricalIndex(inputs, vocab, 0), 1);

  CategoricalOutputView cross;
  cross.n_inputs = 2;
  cross.inputs[0] = 1;
  cross.inputs[1] = 0;
  cross.seed = 5;
  cross.buckets = 1000;
  EXPECT_EQ(CategoricalIndex(inputs, cross, 0),
            2 + static_cast<int64_t>(CrossHash({Le8Hash(4, 0), XXH64("oslo", 4, 0)}, 5) % 1000));
  EXPECT_EQ(CategoricalIndex(inputs, cross, 2), 0);  // empty string
  EXPECT_EQ(CategoricalIndex(inputs, cross, 3), 0);  // masked code
}

// A random case: two string columns (one with empties, masks, invalid bytes and a few long
// values) and two code columns, six outputs written to scattered output columns with two gaps.
struct CategoricalCase {
  int64_t rows = 0;
  StringColumn s, t;
  std::vector<int32_t> c32;
  std::vector<int64_t> c64;
  std::vector<uint8_t> c32_valid;
  std::vector<uint64_t> s_keys, c64_keys;  // vocabularies, sorted keys
  std::vector<int64_t> s_index, c64_index;
  std::map<uint64_t, int64_t> s_vocab, c64_vocab;
  uint64_t seed = 0;
  static constexpr int64_t kCats = 8;
  static constexpr int32_t kOut[6] = {3, 0, 5, 1, 6, 2};  // columns 4 and 7 stay untouched

  CategoricalCase(int64_t n, uint64_t rng_seed, bool huge_string) : rows(n) {
    std::mt19937_64 rng(rng_seed);
    seed = rng();
    c32.resize(n);
    c64.resize(n);
    c32_valid.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t r = rng();
      std::string v;
      if (r % 10 == 0) {
        v = "";
      } else if (r % 17 == 0) {
        v.assign(1 + (r >> 8) % 60, '\0');
        for (auto& ch : v) ch = static_cast<char>(rng());
      } else if (r % 4999 == 1) {
        v.assign(5000 + (r >> 16) % 3000, static_cast<char>('a' + r % 26));
      } else {
        v = "city-" + std::to_string((r >> 8) % 80);
      }
      if (huge_string && i == n / 2) v.assign(1 << 20, 'q');
      s.Add(v, (r >> 4) % 9 != 0);
      t.Add("\xe2\x82" + std::to_string(rng() % 5));
      c32[i] = static_cast<int32_t>(rng() % 100) - 50;
      c64[i] = static_cast<int64_t>(rng() % 200) * (int64_t{1} << 40);
      c32_valid[i] = rng() % 8 != 0;
    }
    // Vocabularies: the first 40 cities (one unseen) and 120 of the codes.
    std::vector<std::pair<uint64_t, int64_t>> sv, cv;
    for (int k = 0; k < 40; ++k) {
      const std::string tok = "city-" + std::to_string(k * 2 + 1);
      sv.push_back({XXH64(tok.data(), tok.size(), 0), 2 + k});
    }
    sv.push_back({XXH64("never", 5, 0), 42});
    for (int k = 0; k < 120; ++k)
      cv.push_back({Le8Hash(int64_t{k} * (int64_t{1} << 40), 0), 2 + k});
    for (auto* v : {&sv, &cv}) std::sort(v->begin(), v->end());
    for (const auto& [k, x] : sv) s_keys.push_back(k), s_index.push_back(x), s_vocab[k] = x;
    for (const auto& [k, x] : cv) c64_keys.push_back(k), c64_index.push_back(x), c64_vocab[k] = x;
  }

  // Inputs: 0 s, 1 t, 2 c32, 3 c64, from the given arrays.
  static std::vector<CategoricalInputView> Inputs(const char* sb, const int64_t* so,
                                                  const uint8_t* sv, const char* tb,
                                                  const int64_t* to, const int32_t* c32,
                                                  const uint8_t* c32v, const int64_t* c64) {
    return {StringView(sb, so, sv), StringView(tb, to, nullptr), CodeView(kInCodeI32, c32, c32v),
            CodeView(kInCodeI64, c64, nullptr)};
  }
  std::vector<CategoricalInputView> HostInputs() const {
    return Inputs(s.bytes.data(), s.offsets.data(), s.valid.data(), t.bytes.data(),
                  t.offsets.data(), c32.data(), c32_valid.data(), c64.data());
  }
  std::vector<CategoricalOutputView> Outputs(const uint64_t* sk, const int64_t* si,
                                             const uint64_t* ck, const int64_t* ci) const {
    std::vector<CategoricalOutputView> o(6);
    o[0].inputs[0] = 0;  // hash s
    o[0].buckets = 1000;
    o[1].inputs[0] = 2;  // hash c32
    o[1].seed = 99;
    o[1].buckets = 7;
    o[2].encoding = kEncodeVocab;  // vocab s
    o[2].inputs[0] = 0;
    o[2].vocab_keys = sk;
    o[2].vocab_index = si;
    o[2].vocab_size = static_cast<int64_t>(s_keys.size());
    o[3].encoding = kEncodeVocab;  // vocab c64
    o[3].inputs[0] = 3;
    o[3].vocab_keys = ck;
    o[3].vocab_index = ci;
    o[3].vocab_size = static_cast<int64_t>(c64_keys.size());
    o[4].n_inputs = 2;  // cross s × c64
    o[4].inputs[0] = 0;
    o[4].inputs[1] = 3;
    o[4].seed = 5;
    o[4].buckets = int64_t{1} << 20;
    o[5].n_inputs = 4;  // cross t × c32 × s × c64
    o[5].inputs[0] = 1;
    o[5].inputs[1] = 2;
    o[5].inputs[2] = 0;
    o[5].inputs[3] = 3;
    o[5].seed = seed;
    o[5].buckets = 3;
    for (int k = 0; k < 6; ++k) o[k].cat_out = kOut[k];
    return o;
  }
  std::vector<CategoricalOutputView> HostOutputs() const {
    return Outputs(s_keys.data(), s_index.data(), c64_keys.data(), c64_index.data());
  }

  // The expected row, from libxxhash and std::map, independent of the kernel's code.
  std::vector<int64_t> ExpectedRow(int64_t i) const {
    const std::string sv = s.At(i);
    const bool s_ok = s.valid[i] && !sv.empty();
    const bool c32_ok = c32_valid[i] != 0;
    const uint64_t hs = XXH64(sv.data(), sv.size(), 0),
                   ht = XXH64(t.At(i).data(), t.At(i).size(), 0);
    const uint64_t h32 = Le8Hash(c32[i], 0), h64 = Le8Hash(c64[i], 0);
    std::vector<int64_t> out(kCats, kSentinel);
    out[kOut[0]] = s_ok ? 2 + static_cast<int64_t>(XXH64(sv.data(), sv.size(), 0) % 1000) : 0;
    out[kOut[1]] = c32_ok ? 2 + static_cast<int64_t>(Le8Hash(c32[i], 99) % 7) : 0;
    out[kOut[2]] = !s_ok ? 0 : s_vocab.count(hs) ? s_vocab.at(hs) : 1;
    out[kOut[3]] = c64_vocab.count(h64) ? c64_vocab.at(h64) : 1;
    out[kOut[4]] =
        s_ok ? 2 + static_cast<int64_t>(CrossHash({hs, h64}, 5) % (uint64_t{1} << 20)) : 0;
    out[kOut[5]] =
        s_ok && c32_ok ? 2 + static_cast<int64_t>(CrossHash({ht, h32, hs, h64}, seed) % 3) : 0;
    return out;
  }
};

std::vector<int64_t> SerialRows(const CategoricalCase& c) {
  const auto inputs = c.HostInputs();
  const auto outputs = c.HostOutputs();
  std::vector<int64_t> cats(c.rows * CategoricalCase::kCats, kSentinel);
  for (int64_t i = 0; i < c.rows; ++i) {
    for (int k = 0; k < 6; ++k) {
      cats[i * CategoricalCase::kCats + outputs[k].cat_out] =
          CategoricalIndex(inputs.data(), outputs[k], i);
    }
  }
  return cats;
}

TEST(CategoricalTransformCpu, RowsMatchLibxxhashByHand) {
  const CategoricalCase c(20000, 1, /*huge_string=*/true);
  const std::vector<int64_t> got = SerialRows(c);
  int64_t in_vocab = 0, oov = 0, missing = 0;
  for (int64_t i = 0; i < c.rows; ++i) {
    const std::vector<int64_t> want = c.ExpectedRow(i);
    for (int k = 0; k < CategoricalCase::kCats; ++k) {
      ASSERT_EQ(got[i * CategoricalCase::kCats + k], want[k]) << "row " << i << " column " << k;
    }
    const int64_t v = want[CategoricalCase::kOut[2]];
    in_vocab += v >= 2;
    oov += v == 1;
    missing += v == 0;
  }
  // The case exercises every branch.
  EXPECT_GT(in_vocab, 1000);
  EXPECT_GT(oov, 1000);
  EXPECT_GT(missing, 1000);
}

TEST(CategoricalTransformCpu, ThreadedLoopEqualsSerialLoop) {
  const CategoricalCase c(100003, 2, false);
  const std::vector<int64_t> want = SerialRows(c);
  const auto inputs = c.HostInputs();
  const auto outputs = c.HostOutputs();
  for (int threads : {1, 2, 7}) {
    ScopedThreads scoped(threads);
    std::vector<int64_t> cats(want.size(), kSentinel);
    cpu_impl::TransformCategoricalColumns(inputs.data(), outputs.data(), 6, c.rows, cats.data(),
                                          CategoricalCase::kCats);
    ASSERT_EQ(cats, want) << threads << " threads";
    std::vector<int64_t> cats2(want.size(), kSentinel);
    TransformCategoricalColumns(Device{}, inputs.data(), 4, outputs.data(), 6, c.rows, cats2.data(),
                                CategoricalCase::kCats, nullptr);
    ASSERT_EQ(cats2, want) << threads << " threads, dispatched";
  }
}

TEST(CategoricalTransformCpu, LauncherChecksItsArguments) {
  const CategoricalCase c(4, 3, false);
  const auto inputs = c.HostInputs();
  std::vector<int64_t> cats(4 * CategoricalCase::kCats, kSentinel);
  const auto expect_internal = [&](std::vector<CategoricalOutputView> o, int32_t ninputs,
                                   int64_t rows, const std::string& why) {
    try {
      TransformCategoricalColumns(Device{}, inputs.data(), ninputs, o.data(),
                                  static_cast<int32_t>(o.size()), rows, cats.data(),
                                  CategoricalCase::kCats, nullptr);
      ADD_FAILURE() << why << ": accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInternal) << why;
    }
  };
  auto o = c.HostOutputs();
  o[5].n_inputs = 5;
  expect_internal(o, 4, 4, "five cross inputs");
  o = c.HostOutputs();
  o[0].n_inputs = 0;
  expect_internal(o, 4, 4, "no input");
  o = c.HostOutputs();
  o[4].inputs[1] = 4;
  expect_internal(o, 4, 4, "input index out of range");
  o = c.HostOutputs();
  o[1].buckets = 0;
  expect_internal(o, 4, 4, "zero buckets");
  o = c.HostOutputs();
  o[2].cat_out = CategoricalCase::kCats;
  expect_internal(o, 4, 4, "output column out of range");
  expect_internal(c.HostOutputs(), 4, -1, "negative rows");
  EXPECT_EQ(cats, std::vector<int64_t>(cats.size(), kSentinel));
  // Zero rows: nothing written, no error.
  TransformCategoricalColumns(Device{}, inputs.data(), 4, c.HostOutputs().data(), 6, 0, cats.data(),
                              CategoricalCase::kCats, nullptr);
  EXPECT_EQ(cats, std::vector<int64_t>(cats.size(), kSentinel));
}

// ---------------------------------------------------------------------------------------------
// CUDA against the CPU: every index must be identical (integer hashing, no tolerance).

class CategoricalTransformCuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  }
};

TEST_F(CategoricalTransformCuda, MatchesCpu_CUDA) {
  const Device gpu{DeviceKind::kCuda, 0};
  constexpr int64_t kPad = 2;
  for (int64_t n : {int64_t{1}, int64_t{255}, int64_t{257}, int64_t{1000003}}) {
    SCOPED_TRACE("rows = " + std::to_string(n));
    const CategoricalCase c(n, 2000 + n, /*huge_string=*/n > 1000);
    std::vector<int64_t> want(static_cast<size_t>((n + kPad) * CategoricalCase::kCats), kSentinel);
    {
      ScopedThreads threads(4);
      const auto inputs = c.HostInputs();
      const auto outputs = c.HostOutputs();
      cpu_impl::TransformCategoricalColumns(inputs.data(), outputs.data(), 6, n, want.data(),
                                            CategoricalCase::kCats);
    }
    test_util::DeviceVector<char> sb(std::vector<char>(c.s.bytes.begin(), c.s.bytes.end()));
    test_util::DeviceVector<char> tb(std::vector<char>(c.t.bytes.begin(), c.t.bytes.end()));
    test_util::DeviceVector<int64_t> so(c.s.offsets), to(c.t.offsets), c64(c.c64);
    test_util::DeviceVector<uint8_t> sv(c.s.valid), c32v(c.c32_valid);
    test_util::DeviceVector<int32_t> c32(c.c32);
    test_util::DeviceVector<uint64_t> sk(c.s_keys), ck(c.c64_keys);
    test_util::DeviceVector<int64_t> si(c.s_index), ci(c.c64_index);
    test_util::DeviceVector<int64_t> cats(std::vector<int64_t>(want.size(), kSentinel));
    const auto inputs = CategoricalCase::Inputs(sb.data(), so.data(), sv.data(), tb.data(),
                                                to.data(), c32.data(), c32v.data(), c64.data());
    const auto outputs = c.Outputs(sk.data(), si.data(), ck.data(), ci.data());
    TransformCategoricalColumns(gpu, inputs.data(), 4, outputs.data(), 6, n, cats.data(),
                                CategoricalCase::kCats, nullptr);
    SynchronizeStream(nullptr);
    const std::vector<int64_t> got = cats.ToHost();
    int64_t bad = 0;
    for (size_t k = 0; k < got.size(); ++k) {
      if (got[k] != want[k] && bad++ < 10) {
        ADD_FAILURE() << "cats[" << k / CategoricalCase::kCats << ", " << k % CategoricalCase::kCats
                      << "]: gpu " << got[k] << " cpu " << want[k];
      }
    }
    EXPECT_EQ(bad, 0);
    std::printf("[categorical_transform rows=%lld] mismatches = %lld\n", static_cast<long long>(n),
                static_cast<long long>(bad));
  }
}

TEST_F(CategoricalTransformCuda, Xxh64OnTheDeviceMatchesLibxxhash_CUDA) {
  // Every length 0..300 at varied alignments, through a one-output hash kernel with
  // buckets = 2^40: the index pins 40 bits of each device hash.
  std::mt19937_64 rng(77);
  StringColumn col;
  std::vector<uint64_t> seeds;
  for (int len = 0; len <= 300; ++len) {
    std::string v(static_cast<size_t>(len), '\0');
    for (auto& ch : v) ch = static_cast<char>(rng());
    for (int shift = 0; shift < 8; ++shift) col.Add(v.substr(0, len));
    col.Add(std::string(1, 'x'));  // shifts the next value's alignment
  }
  const int64_t n = static_cast<int64_t>(col.valid.size());
  const uint64_t seed = rng();
  test_util::DeviceVector<char> b(std::vector<char>(col.bytes.begin(), col.bytes.end()));
  test_util::DeviceVector<int64_t> o(col.offsets);
  test_util::DeviceVector<int64_t> cats(std::vector<int64_t>(n, kSentinel));
  const CategoricalInputView in = StringView(b.data(), o.data(), nullptr);
  CategoricalOutputView out;
  out.seed = seed;
  out.buckets = int64_t{1} << 40;
  TransformCategoricalColumns(Device{DeviceKind::kCuda, 0}, &in, 1, &out, 1, n, cats.data(), 1,
                              nullptr);
  SynchronizeStream(nullptr);
  const std::vector<int64_t> got = cats.ToHost();
  for (int64_t i = 0; i < n; ++i) {
    const std::string v = col.At(i);
    const int64_t want =
        v.empty() ? 0
                  : 2 + static_cast<int64_t>(XXH64(v.data(), v.size(), seed) % (uint64_t{1} << 40));
    ASSERT_EQ(got[i], want) << "row " << i << " length " << v.size();
  }
}

}  // namespace
}  // namespace freshet::kernels
