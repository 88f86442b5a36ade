// Training data as tensors: the feature store's layout and label/weight checks, its size, and the
// batches of a resident and of a streamed store, which must be the same.
#include "train/data.h"

#include <gtest/gtest.h>

#include <limits>

#include "freshet/error.hpp"
#include "io/test_util.h"
#include "train/train_util.h"

namespace freshet {
namespace {

using testing::MakeStore;
using testing::MessageOf;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// x0 filled with 9 and given a missing indicator, x1 as it is, city through a vocabulary c0, c1.
FeatureState SmallState() {
  FeatureState s;
  NumericState x0, x1;
  x0.column = "x0";
  x0.fill_value = 9.0;
  x0.indicator = true;
  x1.column = "x1";
  s.numeric = {x0, x1};
  CategoricalState city;
  city.column = "city";
  city.encoding = "vocab";
  city.vocab = {"c0", "c1"};
  s.categorical = {city};
  return s;
}

// Four rows: x0 missing in row 1, city OOV in row 2 and missing in row 3.
Table SmallTable(std::vector<double> y = {0, 2, 1, 1}, std::vector<double> w = {1, 0, 2.5, 1}) {
  Table t;
  t.columns = {NumericColumn<double>("x0", DType::kF64, {1.5, kNan, -2, 0.25}),
               NumericColumn<float>("x1", DType::kF32, {10, 20, 30, 40}),
               StringColumn("city", {"c1", "c0", "zz", ""}, {1, 1, 1, 0}),
               NumericColumn<double>("y", DType::kF64, y),
               NumericColumn<double>("w", DType::kF64, w),
               NumericColumn<int64_t>("k", DType::kI64, {3, 1, 0, 2})};
  return t;
}

std::vector<float> Floats(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

std::vector<int64_t> Ints(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

TEST(BuildFeatureStore, ShapesDtypesAndValues) {
  for (bool resident : {true, false}) {
    const FeatureStore s =
        BuildFeatureStore(SmallTable(), SmallState(), "y", "w", Device{}, resident);
    EXPECT_EQ(s.resident, resident);
    EXPECT_EQ(s.rows(), 4);
    EXPECT_EQ(s.dense.sizes(), (std::vector<int64_t>{4, 3}));
    EXPECT_EQ(s.cats.sizes(), (std::vector<int64_t>{4, 1}));
    EXPECT_EQ(s.dense.scalar_type(), torch::kFloat32);
    EXPECT_EQ(s.cats.scalar_type(), torch::kInt64);
    EXPECT_EQ(s.labels.scalar_type(), torch::kFloat32);
    EXPECT_EQ(s.weights.scalar_type(), torch::kFloat32);
    EXPECT_TRUE(s.dense.device().is_cpu());
    EXPECT_EQ(Floats(s.dense),
              (std::vector<float>{1.5f, 0, 10, 9, 1, 20, -2, 0, 30, 0.25f, 0, 40}));
    EXPECT_EQ(Ints(s.cats), (std::vector<int64_t>{3, 2, 1, 0}));
    EXPECT_EQ(Floats(s.labels), (std::vector<float>{0, 2, 1, 1}));
    EXPECT_EQ(Floats(s.weights), (std::vector<float>{1, 0, 2.5f, 1}));
  }
  // Integer label columns are read too; no label and no weight leave the tensors undefined.
  EXPECT_EQ(Floats(BuildFeatureStore(SmallTable(), SmallState(), "k", "", Device{}, true).labels),
            (std::vector<float>{3, 1, 0, 2}));
  const FeatureStore bare = BuildFeatureStore(SmallTable(), SmallState(), "", "", Device{}, true);
  EXPECT_FALSE(bare.labels.defined());
  EXPECT_FALSE(bare.weights.defined());
  EXPECT_EQ(bare.rows(), 4);
}

TEST(BuildFeatureStore, EmptyTableGivesEmptyTensors) {
  Table t;
  t.columns = {NumericColumn<double>("x0", DType::kF64, {}),
               NumericColumn<float>("x1", DType::kF32, {}), StringColumn("city", {}),
               NumericColumn<double>("y", DType::kF64, {})};
  const FeatureStore s = BuildFeatureStore(t, SmallState(), "y", "", Device{}, true);
  EXPECT_EQ(s.dense.sizes(), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(s.cats.sizes(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(s.labels.sizes(), (std::vector<int64_t>{0}));
}

std::string BuildError(const Table& t, const std::string& label, const std::string& weight) {
  return MessageOf<DataError>(
      [&] { BuildFeatureStore(t, SmallState(), label, weight, Device{}, true); });
}

TEST(BuildFeatureStore, BadLabelsAndWeightsNameColumnAndRow) {
  EXPECT_EQ(BuildError(SmallTable({0, 1, kNan, 1}), "y", ""),
            "label column \"y\", row 2: expected a finite number, got a missing value");
  Table masked = SmallTable();
  masked.columns[3].valid = {1, 0, 1, 1};
  EXPECT_EQ(BuildError(masked, "y", ""),
            "label column \"y\", row 1: expected a finite number, got a missing value");
  const std::string inf = BuildError(SmallTable({0, 1, 1, kInf}), "y", "");
  EXPECT_EQ(inf.rfind("label column \"y\", row 3: expected a finite number, got ", 0), 0u) << inf;
  EXPECT_NE(inf.find("inf"), std::string::npos) << inf;
  EXPECT_EQ(BuildError(SmallTable(), "label", ""), "the label column \"label\" was not read");
  EXPECT_EQ(BuildError(SmallTable(), "city", ""),
            "label column \"city\": expected numbers, got strings");

  EXPECT_EQ(BuildError(SmallTable({0, 1, 1, 1}, {1, -2, 1, 1}), "y", "w"),
            "weight column \"w\", row 1: expected a finite non-negative number, got -2.000000");
  EXPECT_EQ(
      BuildError(SmallTable({0, 1, 1, 1}, {1, 1, 1, kNan}), "y", "w"),
      "weight column \"w\", row 3: expected a finite non-negative number, got a missing value");
  EXPECT_NE(BuildError(SmallTable({0, 1, 1, 1}, {kInf, 1, 1, 1}), "y", "w").find("row 0"),
            std::string::npos);
  EXPECT_EQ(BuildError(SmallTable(), "y", "weight"), "the weight column \"weight\" was not read");
  // A negative label is fine (regression); only weights must be non-negative.
  EXPECT_NO_THROW(
      BuildFeatureStore(SmallTable({-1, 0, 1, 2}), SmallState(), "y", "w", Device{}, true));
}

TEST(FeatureBytes, CountsEveryColumnAndMatchesTheStore) {
  const FeatureState st = SmallState();  // 3 dense, 1 categorical
  EXPECT_EQ(FeatureBytes(st, 10, false), 10 * (3 * 4 + 8 + 4));
  EXPECT_EQ(FeatureBytes(st, 10, true), 10 * (3 * 4 + 8 + 4 + 4));
  EXPECT_EQ(FeatureBytes(st, 0, true), 0);
  const FeatureStore s = BuildFeatureStore(SmallTable(), st, "y", "w", Device{}, true);
  EXPECT_EQ(FeatureBytes(st, 4, true),
            static_cast<int64_t>(s.dense.nbytes() + s.cats.nbytes() + s.labels.nbytes() +
                                 s.weights.nbytes()));
}

TEST(TorchDevice, MapsKindAndIndex) {
  EXPECT_EQ(TorchDevice(Device{}), torch::Device(torch::kCPU));
  EXPECT_EQ(TorchDevice(Device{DeviceKind::kCpu, 3}), torch::Device(torch::kCPU));
  EXPECT_EQ(TorchDevice(Device{DeviceKind::kCuda, 0}), torch::Device(torch::kCUDA, 0));
  EXPECT_EQ(TorchDevice(Device{DeviceKind::kCuda, 2}), torch::Device(torch::kCUDA, 2));
}

// Every batch of a stream, copied out as it comes (a streamed batch is a view of a reused buffer).
std::vector<Batch> Drain(BatchStream& stream) {
  std::vector<Batch> out;
  Batch b;
  while (stream.Next(&b)) {
    const auto copy = [](const torch::Tensor& t) { return t.defined() ? t.clone() : t; };
    out.push_back({copy(b.dense), copy(b.cats), copy(b.labels), copy(b.weights)});
  }
  EXPECT_FALSE(stream.Next(&b));  // stays exhausted
  return out;
}

bool SameTensor(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.defined() != b.defined()) return false;
  return !a.defined() || (a.dtype() == b.dtype() && torch::equal(a, b));
}

struct StreamCase {
  int64_t rows, index_rows;  // index_rows < 0: no index
  int64_t batch, chunk_rows;
  bool weighted, labelled;
};

class Streams : public ::testing::TestWithParam<StreamCase> {};

TEST_P(Streams, StreamedEqualsResidentInIndexOrder) {
  const StreamCase c = GetParam();
  FeatureStore resident = MakeStore(Task::kRegression, c.rows, 3);
  if (c.weighted) resident.weights = torch::rand({c.rows});
  if (!c.labelled) resident.labels = torch::Tensor();
  FeatureStore streamed = resident;
  streamed.resident = false;
  torch::Tensor index;
  if (c.index_rows >= 0) index = torch::randperm(c.rows, torch::kInt64).slice(0, 0, c.index_rows);
  const torch::Tensor rows = index.defined() ? index : torch::arange(c.rows, torch::kInt64);

  BatchStream rs(resident, index, c.batch, torch::kCPU, c.chunk_rows);
  BatchStream ss(streamed, index, c.batch, torch::kCPU, c.chunk_rows);
  const std::vector<Batch> a = Drain(rs), b = Drain(ss);
  const int64_t n = rows.size(0);
  ASSERT_EQ(static_cast<int64_t>(a.size()), (n + c.batch - 1) / c.batch);
  ASSERT_EQ(a.size(), b.size());
  int64_t pos = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].rows(), std::min(c.batch, n - pos)) << i;
    const torch::Tensor idx = rows.slice(0, pos, pos + a[i].rows());
    const auto want = [&](const torch::Tensor& t) {
      return t.defined() ? t.index_select(0, idx) : t;
    };
    EXPECT_TRUE(SameTensor(a[i].dense, want(resident.dense))) << i;
    EXPECT_TRUE(SameTensor(a[i].cats, want(resident.cats))) << i;
    EXPECT_TRUE(SameTensor(a[i].labels, want(resident.labels))) << i;
    EXPECT_TRUE(SameTensor(a[i].weights, want(resident.weights))) << i;
    EXPECT_TRUE(SameTensor(b[i].dense, a[i].dense)) << i;
    EXPECT_TRUE(SameTensor(b[i].cats, a[i].cats)) << i;
    EXPECT_TRUE(SameTensor(b[i].labels, a[i].labels)) << i;
    EXPECT_TRUE(SameTensor(b[i].weights, a[i].weights)) << i;
    pos += a[i].rows();
  }
  EXPECT_EQ(pos, n);
}

INSTANTIATE_TEST_SUITE_P(
    BatchStream, Streams,
    ::testing::Values(StreamCase{700, -1, 64, 150, true, true},    // chunk = 2 batches, short last
                      StreamCase{700, 500, 64, 150, true, true},   // an index subset, permuted
                      StreamCase{700, 700, 50, 100, false, true},  // chunks of whole batches
                      StreamCase{300, -1, 64, 10, false, false},   // chunk below one batch
                      StreamCase{300, 300, 64, 100000, true, true},  // one chunk holds all
                      StreamCase{20, -1, 64, 150, true, true},       // n < batch
                      StreamCase{20, 7, 64, 150, true, false},       // index shorter than batch
                      StreamCase{0, -1, 64, 150, true, true},        // an empty store
                      StreamCase{50, 0, 16, 32, true, true},         // an empty index
                      StreamCase{129, -1, 1, 3, true, true}));       // batches of one row

TEST(BatchStream, NonPositiveBatchMeansOneRow) {
  const FeatureStore s = MakeStore(Task::kBinary, 5, 1);
  BatchStream stream(s, torch::Tensor(), 0, torch::kCPU, 0);
  EXPECT_EQ(Drain(stream).size(), 5u);
}

}  // namespace
}  // namespace freshet
