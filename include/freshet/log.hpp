// Logging set-up and stage timing. Logs go to stderr (stdout is for a command's results).
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace freshet {

enum class LogFormat { kText, kJson };

// Configures the default spdlog logger: human-readable lines, or one JSON object per line
// ({"time", "level", "msg"}) for log collectors. verbosity: -1 quiet (warnings and errors only),
// 0 normal (info), 1 verbose (debug).
void SetupLogging(LogFormat format, int verbosity);

// Logs one already-formatted line at info level. For translation units that must not include
// spdlog (those that see LibTorch, whose bundled fmt clashes with the system's).
void LogInfo(const std::string& line);
// The same at warning level (shown with -q too).
void LogWarn(const std::string& line);

// printf-style formatting into a std::string.
std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Measures named stages and records their durations in seconds, keyed by stage (a JSON object,
// whose keys are sorted).
class StageTimer {
 public:
  // Starts timing `stage`, ending the previous one.
  void Start(const std::string& stage);
  // Ends the current stage and logs its duration.
  void Stop();
  const nlohmann::json& timings() const { return timings_; }

 private:
  std::string current_;
  std::chrono::steady_clock::time_point start_;
  nlohmann::json timings_ = nlohmann::json::object();
};

// The current UTC time as ISO 8601 ("2026-11-26T12:00:00Z").
std::string UtcNow();

}  // namespace freshet
