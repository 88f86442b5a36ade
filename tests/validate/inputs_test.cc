// ReadInputs (src/validate/inputs.cc): read, check and split a run's partitions by role.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "freshet/config.hpp"
#include "freshet/error.hpp"
#include "freshet/validate.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

using testing::TempDir;

// Features x (numeric) and city (categorical); label y.
Config TestConfig() {
  Config c;
  c.model = "m";
  c.data.label = "y";
  c.features.resize(2);
  c.features[0].column = "x";
  c.features[0].ops = {FeatureOp{}};
  c.features[1].column = "city";
  c.features[1].type = ColumnKind::kCategorical;
  return c;
}

class ReadInputsTest : public ::testing::Test {
 protected:
  InputFile Csv(const std::string& name, const std::string& role, const std::string& text) {
    InputFile in;
    in.path = dir_ / name;
    in.role = role;
    testing::WriteFile(in.path, text);
    return in;
  }

  // Expects a DataError and returns its message.
  std::string DataMessage(std::vector<InputFile>* inputs, const Config& config = TestConfig()) {
    try {
      ReadInputs(config, inputs);
    } catch (const DataError& e) {
      return e.what();
    }
    ADD_FAILURE() << "ReadInputs accepted the inputs";
    return "";
  }

  TempDir dir_;
};

std::vector<double> Doubles(const Column& c) {
  std::vector<double> out;
  for (int64_t i = 0; i < c.rows; ++i) out.push_back(c.as_double(i));
  return out;
}

TEST_F(ReadInputsTest, SplitsByRoleInInputOrderAndRecordsRows) {
  std::vector<InputFile> inputs = {
      Csv("e.csv", "eval", "x,city,y\n9,oslo,1\n"),
      Csv("a.csv", "train", "y,x,city,extra\n0,1,rome,z\n1,2,oslo,z\n"),
      Csv("b.csv", "train", "x,city,y\n3,,0\n,paris,1\n4,rome,0\n"),
  };
  const RunTables t = ReadInputs(TestConfig(), &inputs);
  EXPECT_EQ(inputs[0].rows, 1);
  EXPECT_EQ(inputs[1].rows, 2);
  EXPECT_EQ(inputs[2].rows, 3);

  // Columns in config.Columns() order: features, then the label.
  ASSERT_EQ(t.train.columns.size(), 3u);
  EXPECT_EQ(t.train.columns[0].name, "x");
  EXPECT_EQ(t.train.columns[1].name, "city");
  EXPECT_EQ(t.train.columns[2].name, "y");
  EXPECT_EQ(t.train.rows(), 5);
  const std::vector<double> x = Doubles(t.train.columns[0]);
  EXPECT_EQ(x[0], 1);
  EXPECT_EQ(x[2], 3);
  EXPECT_TRUE(std::isnan(x[3]));
  EXPECT_EQ(x[4], 4);
  EXPECT_EQ(Doubles(t.train.columns[2]), (std::vector<double>{0, 1, 0, 1, 0}));
  EXPECT_FALSE(t.train.columns[1].is_valid(2));

  EXPECT_EQ(t.eval.rows(), 1);
  EXPECT_EQ(Doubles(t.eval.columns[0]), std::vector<double>{9});
  EXPECT_EQ(Doubles(t.eval.columns[2]), std::vector<double>{1});
}

TEST_F(ReadInputsTest, ReadsHdf5PartitionsFromTheConfiguredGroup) {
  Table t;
  t.columns.push_back(NumericColumn<float>("x", DType::kF32, {0.5f, 1.5f}));
  t.columns.push_back(StringColumn("city", {"oslo", "rome"}));
  t.columns.push_back(NumericColumn<int32_t>("y", DType::kI32, {1, 0}));
  InputFile train;
  train.path = dir_ / "train.h5";
  train.role = "train";
  WriteHdf5(train.path, t);
  std::vector<InputFile> inputs = {train, Csv("e.csv", "eval", "x,city,y\n1,a,0\n")};
  const RunTables out = ReadInputs(TestConfig(), &inputs);
  EXPECT_EQ(inputs[0].rows, 2);
  EXPECT_EQ(Doubles(out.train.columns[0]), (std::vector<double>{0.5, 1.5}));

  Config other_group = TestConfig();
  other_group.data.hdf5_group = "/no_such_group";
  std::vector<InputFile> again = {train, inputs[1]};
  const std::string msg = DataMessage(&again, other_group);
  EXPECT_EQ(msg.rfind(train.path, 0), 0u) << msg;
}

TEST_F(ReadInputsTest, InvalidPartitionIsNamed) {
  std::vector<InputFile> inf = {Csv("a.csv", "train", "x,city,y\n1,a,0\n"),
                                Csv("b.csv", "train", "x,city,y\n1,a,0\ninf,b,1\n"),
                                Csv("e.csv", "eval", "x,city,y\n1,a,0\n")};
  EXPECT_EQ(DataMessage(&inf), inf[1].path + ": column \"x\", row 1: value inf is not finite");

  std::vector<InputFile> label = {Csv("a.csv", "train", "x,city,y\n1,a,0\n"),
                                  Csv("e.csv", "eval", "x,city,y\n1,a,2\n")};
  EXPECT_EQ(
      DataMessage(&label),
      label[1].path + ": label column \"y\", row 0: expected 0 or 1 for a binary task, got 2");
}

TEST_F(ReadInputsTest, UnreadablePartitionIsNamed) {
  InputFile gone;
  gone.path = dir_ / "gone.csv";
  gone.role = "train";
  std::vector<InputFile> missing_file = {gone};
  const std::string m1 = DataMessage(&missing_file);
  EXPECT_EQ(m1.rfind(gone.path + ": cannot open", 0), 0u) << m1;

  std::vector<InputFile> missing_column = {Csv("a.csv", "train", "x,y\n1,0\n")};
  EXPECT_EQ(DataMessage(&missing_column),
            missing_column[0].path + ": column \"city\": not found in the header row");
}

TEST_F(ReadInputsTest, EmptyTrainingRowsNameTheTrainingFiles) {
  std::vector<InputFile> inputs = {Csv("a.csv", "train", "x,city,y\n"),
                                   Csv("e.csv", "eval", "x,city,y\n1,a,0\n"),
                                   Csv("b.csv", "train", "x,city,y\n\n")};
  EXPECT_EQ(DataMessage(&inputs),
            inputs[0].path + ", " + inputs[2].path + ": the training partition(s) hold no rows");
  // Every file was read (and its rows recorded) before the check.
  EXPECT_EQ(inputs[0].rows, 0);
  EXPECT_EQ(inputs[1].rows, 1);
  EXPECT_EQ(inputs[2].rows, 0);
}

TEST_F(ReadInputsTest, EmptyEvaluationRowsNameTheEvaluationFiles) {
  std::vector<InputFile> inputs = {Csv("a.csv", "train", "x,city,y\n1,a,0\n"),
                                   Csv("e.csv", "eval", "x,city,y\n")};
  EXPECT_EQ(DataMessage(&inputs), inputs[1].path + ": the evaluation partition(s) hold no rows");
}

TEST_F(ReadInputsTest, NoInputsAtAllHaveNoTrainingRows) {
  std::vector<InputFile> none;
  const std::string msg = DataMessage(&none);
  EXPECT_NE(msg.find("the training partition(s) hold no rows"), std::string::npos) << msg;

  std::vector<InputFile> train_only = {Csv("a.csv", "train", "x,city,y\n1,a,0\n")};
  const std::string no_eval = DataMessage(&train_only);
  EXPECT_NE(no_eval.find("the evaluation partition(s) hold no rows"), std::string::npos) << no_eval;
}

}  // namespace
}  // namespace freshet
