// The pure pieces of data-parallel ranks (include/freshet/dist.hpp): ranks from the launcher's
// environment, partition and batch stripes, table bytes, and the global table from the shares.
#include <cmath>
#include <map>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "freshet/dist.hpp"
#include "freshet/error.hpp"

namespace freshet {
namespace {

RankInfo Ranks(const std::map<std::string, std::string>& env) {
  return DetectRanks([&env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(DistTest, RanksFromTheLauncher) {
  EXPECT_EQ(Ranks({}).size, 1);
  const RankInfo ompi = Ranks({{"OMPI_COMM_WORLD_SIZE", "4"},
                               {"OMPI_COMM_WORLD_RANK", "3"},
                               {"OMPI_COMM_WORLD_LOCAL_RANK", "1"}});
  EXPECT_EQ(ompi.size, 4);
  EXPECT_EQ(ompi.rank, 3);
  EXPECT_EQ(ompi.local_rank, 1);
  EXPECT_EQ(ompi.launcher, "mpirun");
  const RankInfo srun =
      Ranks({{"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "8"}});
  EXPECT_EQ(srun.size, 2);
  EXPECT_EQ(srun.rank, 1);
  EXPECT_EQ(srun.launcher, "srun");
  // A batch script's own process, or an array task: one process whatever the allocation holds.
  EXPECT_EQ(Ranks({{"SLURM_NTASKS", "8"}, {"SLURM_PROCID", "0"}}).size, 1);
  EXPECT_EQ(Ranks({{"PMIX_RANK", "1"}, {"SLURM_NTASKS", "2"}}).rank, 1);
  EXPECT_EQ(Ranks({{"OMPI_COMM_WORLD_SIZE", "4"},
                   {"OMPI_COMM_WORLD_RANK", "3"},
                   {"FRESHET_DATA_PARALLEL", "0"}})
                .size,
            1);
  EXPECT_THROW(Ranks({{"OMPI_COMM_WORLD_SIZE", "2"}, {"OMPI_COMM_WORLD_RANK", "2"}}), ConfigError);
  EXPECT_THROW(Ranks({{"OMPI_COMM_WORLD_SIZE", "x"}, {"OMPI_COMM_WORLD_RANK", "0"}}), ConfigError);
}

TEST(DistTest, PartitionsAndStripes) {
  EXPECT_EQ(PartitionsOfRank(5, 0, 2), (std::vector<size_t>{0, 2, 4}));
  EXPECT_EQ(PartitionsOfRank(5, 1, 2), (std::vector<size_t>{1, 3}));
  EXPECT_EQ(PartitionsOfRank(2, 2, 3), (std::vector<size_t>{}));
  EXPECT_EQ(PartitionsOfRank(0, 0, 1), (std::vector<size_t>{}));
  for (int size = 1; size <= 5; ++size) {
    for (int64_t rows = 0; rows <= 13; ++rows) {
      int64_t total = 0;
      for (int r = 0; r < size; ++r) {
        int64_t mine = 0;
        for (int64_t j = 0; j < rows; ++j) mine += j % size == r;
        EXPECT_EQ(StripeRows(rows, r, size), mine) << rows << " rows, rank " << r << "/" << size;
        total += StripeRows(rows, r, size);
      }
      EXPECT_EQ(total, rows);
    }
  }
}

// A partition of `rows` random rows: f64 with NaN and missing, i32 codes, strings with missing.
Table Partition(std::mt19937& gen, int64_t rows, DType number = DType::kF64) {
  std::uniform_real_distribution<double> u(-5, 5);
  std::vector<double> x;
  std::vector<float> xf;
  std::vector<int32_t> code;
  std::vector<std::string> s;
  std::vector<uint8_t> valid, svalid;
  for (int64_t i = 0; i < rows; ++i) {
    const double v = i % 7 == 3 ? NAN : u(gen);
    x.push_back(v);
    xf.push_back(static_cast<float>(v));
    valid.push_back(i % 5 != 1);
    code.push_back(static_cast<int32_t>(gen() % 100));
    s.push_back(i % 4 == 2 ? "" : "c" + std::to_string(gen() % 9));
    svalid.push_back(i % 4 != 2);
  }
  Table t;
  t.columns.push_back(number == DType::kF32 ? NumericColumn("x", DType::kF32, xf, valid)
                                            : NumericColumn("x", DType::kF64, x, valid));
  t.columns.push_back(NumericColumn("code", DType::kI32, code));
  t.columns.push_back(StringColumn("s", s, svalid));
  return t;
}

void ExpectSame(const Table& a, const Table& b) {
  ASSERT_EQ(a.columns.size(), b.columns.size());
  ASSERT_EQ(a.rows(), b.rows());
  for (size_t j = 0; j < a.columns.size(); ++j) {
    const Column& x = a.columns[j];
    const Column& y = b.columns[j];
    EXPECT_EQ(x.name, y.name);
    ASSERT_EQ(x.dtype, y.dtype) << x.name;
    for (int64_t i = 0; i < x.rows; ++i) {
      ASSERT_EQ(x.is_valid(i), y.is_valid(i)) << x.name << " row " << i;
      if (x.is_string()) {
        const std::string u(x.bytes.data() + x.offsets[i], x.bytes.data() + x.offsets[i + 1]);
        const std::string v(y.bytes.data() + y.offsets[i], y.bytes.data() + y.offsets[i + 1]);
        ASSERT_EQ(u, v) << x.name << " row " << i;
      } else {
        const double u = x.as_double(i), v = y.as_double(i);
        ASSERT_TRUE(u == v || (std::isnan(u) && std::isnan(v))) << x.name << " row " << i;
      }
    }
  }
}

TEST(DistTest, TableBytesRoundTrip) {
  std::mt19937 gen(3);
  for (int64_t rows : {0, 1, 17}) {
    const Table t = Partition(gen, rows);
    ExpectSame(ParseTable(SerializeTable(t)), t);
  }
  EXPECT_EQ(ParseTable(SerializeTable(Table())).columns.size(), 0u);
  std::string bytes = SerializeTable(Partition(gen, 5));
  EXPECT_THROW(ParseTable(bytes.substr(0, bytes.size() - 3)), DataError);
  EXPECT_THROW(ParseTable(bytes + "x"), DataError);
  EXPECT_THROW(ParseTable("not a table at all"), DataError);
}

// The shares of `parts` for `size` ranks (partition k to rank owners[k]), through the bytes.
std::vector<TableShare> Shares(const std::vector<Table>& parts, const std::vector<int>& owners,
                               int size) {
  std::vector<TableShare> shares(static_cast<size_t>(size));
  for (size_t k = 0; k < parts.size(); ++k) {
    TableShare& s = shares[static_cast<size_t>(owners[k])];
    if (s.table.columns.empty()) {
      s.table = parts[k];
    } else {
      s.table.Append(parts[k]);
    }
    s.partition_rows.push_back(parts[k].rows());
  }
  for (auto& s : shares) s.table = ParseTable(SerializeTable(s.table));
  return shares;
}

TEST(DistTest, GlobalTableIsOneProcesssRead) {
  std::mt19937 gen(11);
  for (int size : {1, 2, 3, 7}) {
    std::vector<Table> parts;
    std::vector<int> owners;
    Table one;
    for (int k = 0; k < 5; ++k) {
      parts.push_back(Partition(gen, k == 2 ? 0 : 1 + static_cast<int64_t>(gen() % 40)));
      owners.push_back(k % size);
      if (k == 0) {
        one = parts.back();
      } else {
        one.Append(parts.back());
      }
    }
    ExpectSame(AssembleGlobal(Shares(parts, owners, size), owners), one);
  }
  // No partitions of a role: an empty table.
  EXPECT_EQ(AssembleGlobal(std::vector<TableShare>(2), {}).rows(), 0);
}

TEST(DistTest, WidthsDifferingBetweenRanksAreWidened) {
  std::mt19937 gen(5);
  std::vector<Table> parts = {Partition(gen, 6, DType::kF32), Partition(gen, 4, DType::kF64)};
  const Table global = AssembleGlobal(Shares(parts, {0, 1}, 2), {0, 1});
  ASSERT_EQ(global.rows(), 10);
  EXPECT_EQ(global.columns[0].dtype, DType::kF64);
  EXPECT_EQ(global.columns[0].as_double(0),
            static_cast<double>(parts[0].columns[0].values<float>()[0]));
  EXPECT_EQ(global.columns[0].as_double(8), parts[1].columns[0].as_double(2));  // valid, not NaN
}

TEST(DistTest, SharesThatDoNotAddUpAreRefused) {
  std::mt19937 gen(9);
  std::vector<Table> parts = {Partition(gen, 6), Partition(gen, 4)};
  std::vector<TableShare> shares = Shares(parts, {0, 1}, 2);
  shares[1].partition_rows = {3};
  EXPECT_THROW(AssembleGlobal(shares, {0, 1}), DataError);
  shares = Shares(parts, {0, 1}, 2);
  EXPECT_THROW(AssembleGlobal(shares, {0, 0}), DataError);
  shares = Shares(parts, {0, 1}, 2);
  shares[1].table.columns[2] = NumericColumn("s", DType::kF64, std::vector<double>(4, 1.0));
  EXPECT_THROW(AssembleGlobal(shares, {0, 1}), DataError);
}

}  // namespace
}  // namespace freshet
