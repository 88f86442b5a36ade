#include "kernels/hash.h"

#include <xxhash.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "freshet/error.hpp"
#include "kernels/device_vector.h"

namespace freshet::kernels {
namespace {

constexpr int64_t kSentinel = -7;

// A column of strings in Arrow layout: bytes, n + 1 offsets, and a validity mask.
struct StringColumn {
  std::string bytes;
  std::vector<int64_t> offsets{0};
  std::vector<uint8_t> valid;

  void Add(const std::string& s, bool is_valid = true) {
    bytes += s;
    offsets.push_back(static_cast<int64_t>(bytes.size()));
    valid.push_back(is_valid ? 1 : 0);
  }
  int64_t size() const { return static_cast<int64_t>(valid.size()); }
};

// Random bytes (most of them invalid UTF-8), mostly short, some up to 300 bytes and a few long;
// about 1 row in 10 empty and 1 in 8 marked invalid.
StringColumn RandomStrings(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  StringColumn col;
  col.bytes.reserve(static_cast<size_t>(n) * 24);
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t r = rng();
    size_t len = r % 40;
    if (r % 10 == 0) len = 0;
    if (r % 97 == 1) len = 41 + (r >> 20) % 260;
    if (r % 50021 == 2) len = 5000 + (r >> 20) % 3000;
    std::string s(len, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    col.Add(s, (r >> 8) % 8 != 0);
  }
  return col;
}

int64_t Expected(const void* p, size_t len, bool present, HashBucketOp op) {
  if (!present || len == 0) return 0;
  return 2 + static_cast<int64_t>(XXH64(p, len, op.seed) % static_cast<uint64_t>(op.buckets));
}

TEST(HashBucketOp, MissingIsZeroPresentInBucketRange) {
  std::mt19937_64 rng(3);
  for (int64_t buckets : {int64_t{1}, int64_t{2}, int64_t{7}, int64_t{1000}, int64_t{1} << 40}) {
    const HashBucketOp op{rng(), buckets};
    for (int i = 0; i < 2000; ++i) {
      const std::string s(1 + rng() % 50, static_cast<char>(rng()));
      const uint64_t v = rng();
      EXPECT_EQ(op(s.data(), s.size(), false), 0);
      EXPECT_EQ(op(v, false), 0);
      const int64_t a = op(s.data(), s.size(), true);
      const int64_t b = op(v, true);
      EXPECT_GE(a, 2);
      EXPECT_LT(a, buckets + 2);
      EXPECT_GE(b, 2);
      EXPECT_LT(b, buckets + 2);
      EXPECT_EQ(a, Expected(s.data(), s.size(), true, op));
      EXPECT_EQ(b, op(&v, 8, true));  // x86-64 is little-endian
      if (buckets == 1) {
        EXPECT_EQ(a, 2);
      }
    }
  }
}

TEST(HashBucketOp, SpreadsOverBuckets) {
  const HashBucketOp op{42, 16};
  std::vector<int> counts(18, 0);
  for (uint64_t v = 0; v < 16000; ++v) ++counts[static_cast<size_t>(op(v, true))];
  EXPECT_EQ(counts[0] + counts[1], 0);
  for (int b = 2; b < 18; ++b) EXPECT_NEAR(counts[b], 1000, 150) << "bucket " << b;
}

TEST(HashStringsCpu, HandComputedValues) {
  StringColumn col;
  col.Add("apple");
  col.Add("");                               // empty: missing
  col.Add("pear", /*is_valid=*/false);       // masked: missing
  col.Add("\xff\xfe\x80\xc3(", true);        // invalid UTF-8 is hashed as bytes
  col.Add(std::string("a\0b", 3));           // embedded NUL
  col.Add(std::string(1 << 20, 'x') + "y");  // very long
  col.Add("apple");
  const HashBucketOp op{12345, 1000};
  std::vector<int64_t> out(col.size(), kSentinel);
  cpu_impl::HashStrings(col.bytes.data(), col.offsets.data(), col.valid.data(), col.size(), op,
                        out.data(), 1);
  const char* b = col.bytes.data();
  const std::vector<int64_t> want = {
      Expected(b + col.offsets[0], 5, true, op),
      0,
      0,
      Expected(b + col.offsets[3], 5, true, op),
      Expected(b + col.offsets[4], 3, true, op),
      Expected(b + col.offsets[5], (1 << 20) + 1, true, op),
      Expected(b + col.offsets[0], 5, true, op),
  };
  EXPECT_EQ(out, want);
  EXPECT_EQ(out[0], out[6]);
  EXPECT_NE(out[3], 0);
}

TEST(HashStringsCpu, NoMaskStridedAndDispatched) {
  const StringColumn col = RandomStrings(300001, 5);
  const HashBucketOp op{99, 1 << 20};
  const int64_t stride = 3;
  std::vector<int64_t> out(col.size() * stride, kSentinel);
  HashStrings(Device{}, col.bytes.data(), col.offsets.data(), nullptr, col.size(), op, out.data(),
              stride, nullptr);
  for (int64_t i = 0; i < col.size(); ++i) {
    const size_t len = static_cast<size_t>(col.offsets[i + 1] - col.offsets[i]);
    ASSERT_EQ(out[i * stride], Expected(col.bytes.data() + col.offsets[i], len, true, op)) << i;
    ASSERT_EQ(out[i * stride + 1], kSentinel);
    ASSERT_EQ(out[i * stride + 2], kSentinel);
  }
}

TEST(HashStringsCpu, EmptyInputWritesNothing) {
  int64_t out = kSentinel;
  const int64_t offsets[1] = {0};
  cpu_impl::HashStrings("", offsets, nullptr, 0, HashBucketOp{1, 10}, &out, 1);
  EXPECT_EQ(out, kSentinel);
}

TEST(HashStringsCpu, RejectsBadArguments) {
  int64_t out = 0;
  const int64_t offsets[2] = {0, 1};
  EXPECT_THROW(cpu_impl::HashStrings("a", offsets, nullptr, 1, HashBucketOp{1, 0}, &out, 1), Error);
  EXPECT_THROW(cpu_impl::HashStrings("a", offsets, nullptr, 1, HashBucketOp{1, 5}, &out, 0), Error);
  EXPECT_THROW(cpu_impl::HashStrings("a", offsets, nullptr, -1, HashBucketOp{1, 5}, &out, 1),
               Error);
}

TEST(HashInt64Cpu, HandComputedValues) {
  std::vector<int64_t> values = {0,
                                 -1,
                                 1,
                                 std::numeric_limits<int64_t>::min(),
                                 std::numeric_limits<int64_t>::max(),
                                 1234567890123};
  std::mt19937_64 rng(9);
  for (int i = 0; i < 100000; ++i) values.push_back(static_cast<int64_t>(rng()));
  std::vector<uint8_t> valid(values.size());
  for (size_t i = 0; i < valid.size(); ++i) valid[i] = (i == 2 || rng() % 7 == 0) ? 0 : 1;
  const HashBucketOp op{rng(), 977};
  const int64_t stride = 2;
  std::vector<int64_t> out(values.size() * stride, kSentinel);
  HashInt64(Device{}, values.data(), valid.data(), static_cast<int64_t>(values.size()), op,
            out.data(), stride, nullptr);
  for (size_t i = 0; i < values.size(); ++i) {
    unsigned char le[8];
    const auto u = static_cast<uint64_t>(values[i]);
    for (int b = 0; b < 8; ++b) le[b] = static_cast<unsigned char>(u >> (8 * b));
    ASSERT_EQ(out[i * stride], Expected(le, 8, valid[i] != 0, op)) << i;
    ASSERT_EQ(out[i * stride + 1], kSentinel);
  }
  EXPECT_EQ(out[2 * stride], 0);
}

// GPU parity: the CPU loop is the oracle and hashes must match exactly (integer results).
class HashCuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  }
};

TEST_F(HashCuda, StringsMatchCpu_CUDA) {
  const Device gpu{DeviceKind::kCuda, 0};
  for (int64_t n : {int64_t{1}, int64_t{255}, int64_t{1000003}}) {
    for (int64_t stride : {int64_t{1}, int64_t{3}}) {
      for (bool masked : {true, false}) {
        const StringColumn col = RandomStrings(n, 1000 + n + stride);
        const HashBucketOp op{static_cast<uint64_t>(n * 31 + stride), 100003};
        const uint8_t* valid_host = masked ? col.valid.data() : nullptr;
        std::vector<int64_t> want(n * stride, kSentinel);
        cpu_impl::HashStrings(col.bytes.data(), col.offsets.data(), valid_host, n, op, want.data(),
                              stride);

        const std::vector<char> bytes(col.bytes.begin(), col.bytes.end());
        test_util::DeviceVector<char> d_bytes(bytes);
        test_util::DeviceVector<int64_t> d_offsets(col.offsets);
        test_util::DeviceVector<uint8_t> d_valid(col.valid);
        test_util::DeviceVector<int64_t> d_out(std::vector<int64_t>(n * stride, kSentinel));
        HashStrings(gpu, d_bytes.data(), d_offsets.data(), masked ? d_valid.data() : nullptr, n, op,
                    d_out.data(), stride, nullptr);
        const std::vector<int64_t> got = d_out.ToHost();
        ASSERT_EQ(got, want) << "n " << n << " stride " << stride << " masked " << masked;
      }
    }
  }
}

TEST_F(HashCuda, Int64MatchCpu_CUDA) {
  for (int64_t n : {int64_t{1}, int64_t{255}, int64_t{1000003}}) {
    std::mt19937_64 rng(77 + n);
    std::vector<int64_t> values(n);
    std::vector<uint8_t> valid(n);
    for (int64_t i = 0; i < n; ++i) {
      values[i] = static_cast<int64_t>(i % 5 == 0 ? rng() % 100 : rng());
      valid[i] = rng() % 9 != 0;
    }
    const HashBucketOp op{rng(), 4099};
    const int64_t stride = 2;
    std::vector<int64_t> want(n * stride, kSentinel);
    cpu_impl::HashInt64(values.data(), valid.data(), n, op, want.data(), stride);

    test_util::DeviceVector<int64_t> d_values(values);
    test_util::DeviceVector<uint8_t> d_valid(valid);
    test_util::DeviceVector<int64_t> d_out(std::vector<int64_t>(n * stride, kSentinel));
    cuda_impl::HashInt64(d_values.data(), d_valid.data(), n, op, d_out.data(), stride, nullptr);
    ASSERT_EQ(d_out.ToHost(), want) << "n " << n;
  }
}

TEST_F(HashCuda, EmptyInputLaunchesNothing_CUDA) {
  test_util::DeviceVector<int64_t> d_out(std::vector<int64_t>{kSentinel});
  cuda_impl::HashInt64(nullptr, nullptr, 0, HashBucketOp{1, 3}, d_out.data(), 1, nullptr);
  EXPECT_EQ(d_out.ToHost()[0], kSentinel);
}

}  // namespace
}  // namespace freshet::kernels
