// DiscoverPartitions, SelectInputs, ReadPartition, Sha256File and Sha256.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <random>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

using testing::DataPath;
using testing::MessageOf;
using testing::TempDir;
using testing::WriteFile;

TEST(Sha256FileTest, KnownDigests) {
  TempDir dir;
  WriteFile(dir / "abc", "abc");
  EXPECT_EQ(Sha256File(dir / "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  WriteFile(dir / "empty", "");
  EXPECT_EQ(Sha256File(dir / "empty"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256FileTest, LargeFileMatchesOneShotDigest) {
  TempDir dir;
  std::mt19937 rng(3);
  std::string bytes(3 * (1 << 20) + 123, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  WriteFile(dir / "big", bytes);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr), 1);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", digest[i]);
    hex += buf;
  }
  EXPECT_EQ(Sha256File(dir / "big"), hex);
}

TEST(Sha256FileTest, MissingFileIsAnIoError) {
  TempDir dir;
  const std::string path = dir / "nope";
  const std::string msg = MessageOf<IoError>([&] { Sha256File(path); });
  EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
  EXPECT_FALSE(MessageOf<IoError>([&] { Sha256File(dir.path()); }).empty());
}

TEST(DiscoverPartitionsTest, SortedMatchesWithoutHiddenFilesOrFolders) {
  TempDir dir;
  for (const char* name : {"day-0010.h5", "day-0002.h5", "day-0001.h5", ".day-0000.h5",
                           "day-0003.csv", "notes.txt", "day-0004.h5.tmp-12"}) {
    WriteFile(dir / name, "x");
  }
  ASSERT_EQ(mkdir((dir / "day-0005.h5").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir / ".hidden").c_str(), 0755), 0);
  WriteFile(dir / ".hidden/day-0006.h5", "x");
  EXPECT_EQ(
      DiscoverPartitions(dir.path(), "*.h5"),
      (std::vector<std::string>{dir / "day-0001.h5", dir / "day-0002.h5", dir / "day-0010.h5"}));
  EXPECT_EQ(
      DiscoverPartitions(dir.path() + "/", "day-000[1-3].*"),
      (std::vector<std::string>{dir / "day-0001.h5", dir / "day-0002.h5", dir / "day-0003.csv"}));
  EXPECT_EQ(DiscoverPartitions(dir.path(), "*").size(), 6u);
  EXPECT_TRUE(DiscoverPartitions(dir.path(), "*.parquet").empty());
}

TEST(DiscoverPartitionsTest, MissingFolderIsAnIoError) {
  TempDir dir;
  const std::string path = dir / "nope";
  const std::string msg = MessageOf<IoError>([&] { DiscoverPartitions(path, "*.h5"); });
  EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
  WriteFile(dir / "file", "x");
  EXPECT_FALSE(MessageOf<IoError>([&] { DiscoverPartitions(dir / "file", "*"); }).empty());
}

TEST(ReadPartitionTest, DispatchesOnExtension) {
  TempDir dir;
  WriteFile(dir / "p.CSV", "x\n1\n2\n");
  EXPECT_EQ(ReadPartition(dir / "p.CSV", {{"x", ColumnKind::kNumeric}}).rows(), 2);
  EXPECT_EQ(
      ReadPartition(DataPath("h5py_numeric.h5"), {{"x", ColumnKind::kNumeric}}, "/sub").rows(), 5);
  WriteFile(dir / "p.parquet", "x");
  const std::string msg = MessageOf<DataError>([&] {
    ReadPartition(dir / "p.parquet", {{"x", ColumnKind::kNumeric}});
  });
  EXPECT_EQ(msg, dir / "p.parquet" +
                     ": unknown partition format \".parquet\" (expected .h5, "
                     ".hdf5, .hdf or .csv)");
}

TEST(Sha256Test, BytesMatchTheFileDigest) {
  TempDir dir;
  WriteFile(dir / "abc", "abc");
  EXPECT_EQ(Sha256("abc"), Sha256File(dir / "abc"));
  EXPECT_EQ(Sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SelectInputsTest, NewestEvalHeldOutAndTrainWindowBeforeIt) {
  TempDir dir;
  for (const char* name : {"day-03.h5", "day-01.h5", "day-04.h5", "day-02.h5", "other.csv"}) {
    WriteFile(dir / name, name);
  }
  std::string why;
  const auto in = SelectInputs(dir.path(), "day-*.h5", 2, 1, &why);
  ASSERT_EQ(in.size(), 3u);
  EXPECT_EQ(in[0].path, dir / "day-02.h5");
  EXPECT_EQ(in[1].path, dir / "day-03.h5");
  EXPECT_EQ(in[2].path, dir / "day-04.h5");
  EXPECT_EQ(in[0].role, "train");
  EXPECT_EQ(in[1].role, "train");
  EXPECT_EQ(in[2].role, "eval");
  EXPECT_EQ(in[2].sha256, Sha256("day-04.h5"));
  EXPECT_EQ(in[0].rows, -1);
  EXPECT_TRUE(why.empty());

  // Two eval partitions, a train window wider than what exists.
  const auto wide = SelectInputs(dir.path(), "day-*.h5", 10, 2, &why);
  ASSERT_EQ(wide.size(), 4u);
  EXPECT_EQ(wide[1].role, "train");
  EXPECT_EQ(wide[2].role, "eval");
  EXPECT_EQ(wide[3].role, "eval");
}

TEST(SelectInputsTest, AKnownDigestOfAnUnchangedFileIsReusedAndAChangedFileIsHashed) {
  TempDir dir;
  WriteFile(dir / "day-01.h5", "one");
  WriteFile(dir / "day-02.h5", "two");
  std::string why;
  const auto first = SelectInputs(dir.path(), "day-*.h5", 1, 1, &why);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].bytes, 3);
  EXPECT_GT(first[0].ctime_ns, 0);
  EXPECT_GT(first[0].inode, 0);
  // What a registry would answer: the digest recorded for exactly this path and stat.
  const KnownSha256 known = [&first](const InputFile& in) {
    for (const auto& f : first) {
      if (f.path == in.path && f.bytes == in.bytes && f.mtime_ns == in.mtime_ns &&
          f.ctime_ns == in.ctime_ns && f.inode == in.inode) {
        return std::string("cached-") + f.sha256.substr(0, 4);
      }
    }
    return std::string();
  };
  auto again = SelectInputs(dir.path(), "day-*.h5", 1, 1, &why, known);
  EXPECT_EQ(again[0].sha256, "cached-" + Sha256("one").substr(0, 4));
  // Rewritten with the same size: the change time moves, so it is hashed again.
  WriteFile(dir / "day-01.h5", "ONE");
  again = SelectInputs(dir.path(), "day-*.h5", 1, 1, &why, known);
  EXPECT_EQ(again[0].sha256, Sha256("ONE"));
  EXPECT_EQ(again[1].sha256, "cached-" + Sha256("two").substr(0, 4));
}

TEST(SelectInputsTest, TooFewPartitionsSaysWhy) {
  TempDir dir;
  WriteFile(dir / "day-01.h5", "x");
  std::string why;
  EXPECT_TRUE(SelectInputs(dir.path(), "day-*.h5", 3, 1, &why).empty());
  EXPECT_NE(why.find("1 partition(s) matching day-*.h5 in " + dir.path()), std::string::npos)
      << why;
  EXPECT_NE(why.find("at least 2"), std::string::npos) << why;
  EXPECT_THROW(SelectInputs(dir / "missing", "*.h5", 3, 1, &why), IoError);
}

}  // namespace
}  // namespace freshet
