#include "kernels/xxhash64.h"

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace freshet::kernels {
namespace {

TEST(Xxh64, KnownVectors) {
  // Published XXH64 values (xxhash's sanity checks): the empty input and "abc" with seed 0.
  EXPECT_EQ(Xxh64("", 0, 0), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(Xxh64(nullptr, 0, 0), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(Xxh64("abc", 3, 0), 0x44BC2CF5AD770999ULL);
}

TEST(Xxh64, MatchesLibxxhashOnRandomBytesAndSeeds) {
  std::mt19937_64 rng(20240611);
  std::vector<unsigned char> buf(300 + 16);
  for (int trial = 0; trial < 4; ++trial) {
    for (auto& b : buf) b = static_cast<unsigned char>(rng());
    for (size_t len = 0; len <= 300; ++len) {
      // Every start offset 0..7 puts the 8- and 4-byte lane reads on every alignment.
      for (size_t shift = 0; shift < 8; ++shift) {
        const uint64_t seed = (trial == 0) ? 0 : rng();
        const unsigned char* p = buf.data() + shift;
        ASSERT_EQ(Xxh64(p, len, seed), XXH64(p, len, seed))
            << "len " << len << " shift " << shift << " seed " << seed;
      }
    }
  }
}

TEST(Xxh64, MatchesLibxxhashOnLongInput) {
  std::mt19937_64 rng(7);
  std::vector<unsigned char> buf(1 << 20);
  for (auto& b : buf) b = static_cast<unsigned char>(rng());
  for (size_t len : {size_t{1000}, size_t{4097}, buf.size() - 3}) {
    const uint64_t seed = rng();
    EXPECT_EQ(Xxh64(buf.data() + 3, len, seed), XXH64(buf.data() + 3, len, seed)) << len;
  }
}

TEST(Xxh64U64, EqualsHashOfLittleEndianBytes) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = (i < 3) ? static_cast<uint64_t>(i) - 1 : rng();
    const uint64_t seed = rng();
    unsigned char le[8];
    for (int b = 0; b < 8; ++b) le[b] = static_cast<unsigned char>(v >> (8 * b));
    ASSERT_EQ(Xxh64U64(v, seed), XXH64(le, 8, seed)) << v;
  }
}

}  // namespace
}  // namespace freshet::kernels
