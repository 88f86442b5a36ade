// SetupLogging, LogInfo, Format, StageTimer and UtcNow (src/common/log.cc).
#include "freshet/log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <iomanip>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace freshet {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Restores the logger the test binary started with, so that other tests log as before.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = spdlog::default_logger(); }
  void TearDown() override { spdlog::set_default_logger(saved_); }

  // Runs `f` with the JSON logger at `verbosity` and returns what it wrote to stderr.
  template <typename F>
  std::string JsonLogOf(int verbosity, F&& f) {
    SetupLogging(LogFormat::kJson, verbosity);
    ::testing::internal::CaptureStderr();
    f();
    spdlog::default_logger()->flush();
    return ::testing::internal::GetCapturedStderr();
  }

  std::shared_ptr<spdlog::logger> saved_;
};

TEST_F(LogTest, JsonLinesCarryTimeLevelAndEscapedMessage) {
  const std::string text = JsonLogOf(0, [] {
    LogInfo("hello \"world\"\nsecond line");
    spdlog::warn("careful {}", 7);
  });
  const auto lines = Lines(text);
  ASSERT_EQ(lines.size(), 2u) << text;
  const auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first.size(), 3u);
  EXPECT_EQ(first.at("level"), "info");
  EXPECT_EQ(first.at("msg"), "hello \"world\"\nsecond line");
  const std::regex stamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  EXPECT_TRUE(std::regex_match(first.at("time").get<std::string>(), stamp)) << first.at("time");
  const auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second.at("level"), "warning");
  EXPECT_EQ(second.at("msg"), "careful 7");
}

TEST_F(LogTest, JsonReplacesInvalidUtf8) {
  const auto lines = Lines(JsonLogOf(0, [] { LogInfo("bad \xff byte"); }));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines[0]).at("msg"), "bad \xEF\xBF\xBD byte");
}

TEST_F(LogTest, VerbositySetsTheLevel) {
  const auto log_all = [] {
    spdlog::debug("d");
    spdlog::info("i");
    spdlog::warn("w");
    spdlog::error("e");
  };
  const auto levels = [&](int verbosity) {
    std::vector<std::string> out;
    for (const auto& line : Lines(JsonLogOf(verbosity, log_all))) {
      out.push_back(nlohmann::json::parse(line).at("msg"));
    }
    return out;
  };
  EXPECT_EQ(levels(-1), (std::vector<std::string>{"w", "e"}));
  EXPECT_EQ(levels(0), (std::vector<std::string>{"i", "w", "e"}));
  EXPECT_EQ(levels(1), (std::vector<std::string>{"d", "i", "w", "e"}));
  EXPECT_EQ(levels(-5), (std::vector<std::string>{"w", "e"}));
  EXPECT_EQ(levels(3), (std::vector<std::string>{"d", "i", "w", "e"}));
}

TEST_F(LogTest, TextLinesHaveTimeLevelAndMessage) {
  // Captured before the set-up, so that the sink sees no terminal and writes no colours.
  ::testing::internal::CaptureStderr();
  SetupLogging(LogFormat::kText, 0);
  LogInfo("plain text");
  spdlog::debug("hidden");
  spdlog::default_logger()->flush();
  const std::string text = ::testing::internal::GetCapturedStderr();
  const std::regex line(R"(\d\d:\d\d:\d\d info  plain text\n)");
  EXPECT_TRUE(std::regex_match(text, line)) << text;
}

// A second set-up (a test, a long-running service re-reading its flags) replaces the first.
TEST_F(LogTest, TextLoggingCanBeSetUpTwice) {
  SetupLogging(LogFormat::kText, 0);
  EXPECT_NO_THROW(SetupLogging(LogFormat::kText, 1));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
}

TEST(FormatTest, FormatsLikePrintf) {
  EXPECT_EQ(Format("%d-%s-%.2f%%", 42, "x", 3.14159), "42-x-3.14%");
  EXPECT_EQ(Format("%s", ""), "");
  EXPECT_EQ(Format("no args"), "no args");
  const std::string big(5000, 'z');
  EXPECT_EQ(Format("[%s]", big.c_str()), "[" + big + "]");
  EXPECT_EQ(Format("%05lld", static_cast<long long>(-42)), "-0042");
}

TEST_F(LogTest, StageTimerRecordsEachStage) {
  StageTimer timer;
  EXPECT_TRUE(timer.timings().is_object());
  EXPECT_TRUE(timer.timings().empty());
  const std::string text = JsonLogOf(0, [&] {
    timer.Stop();  // nothing started: a no-op
    timer.Start("read");
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    timer.Start("fit");  // ends "read"
    timer.Stop();
    timer.Stop();  // already stopped
  });
  const auto& t = timer.timings();
  ASSERT_EQ(t.size(), 2u) << t.dump();
  EXPECT_GE(t.at("read").get<double>(), 0.025);
  EXPECT_LT(t.at("read").get<double>(), 10.0);
  EXPECT_GE(t.at("fit").get<double>(), 0.0);
  EXPECT_LT(t.at("fit").get<double>(), t.at("read").get<double>());
  const auto lines = Lines(text);
  ASSERT_EQ(lines.size(), 2u) << text;
  const std::regex done(R"(stage read done in \d+\.\d\d s)");
  EXPECT_TRUE(std::regex_match(nlohmann::json::parse(lines[0]).at("msg").get<std::string>(), done))
      << lines[0];
  EXPECT_EQ(nlohmann::json::parse(lines[1]).at("msg").get<std::string>().rfind("stage fit", 0), 0u);
}

TEST_F(LogTest, StageTimerRestartedStageKeepsTheLatestDuration) {
  StageTimer timer;
  JsonLogOf(-1, [&] {
    timer.Start("a");
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    timer.Start("a");
    timer.Stop();
  });
  ASSERT_EQ(timer.timings().size(), 1u);
  EXPECT_LT(timer.timings().at("a").get<double>(), 0.04);
}

TEST(UtcNowTest, IsIso8601UtcAndCurrent) {
  const std::time_t before = std::time(nullptr);
  const std::string now = UtcNow();
  const std::time_t after = std::time(nullptr);
  ASSERT_TRUE(std::regex_match(now, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << now;
  std::tm tm{};
  std::istringstream in(now);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  ASSERT_FALSE(in.fail()) << now;
  const std::time_t parsed = timegm(&tm);
  EXPECT_GE(parsed, before);
  EXPECT_LE(parsed, after);
}

}  // namespace
}  // namespace freshet
