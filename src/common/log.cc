#include "freshet/log.hpp"

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace freshet {
namespace {

// One JSON object per line, with the message escaped properly.
class JsonSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const auto t = std::chrono::system_clock::to_time_t(msg.time);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[64];
    std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    const auto level = spdlog::level::to_string_view(msg.level);
    nlohmann::json line = {{"time", stamp},
                           {"level", std::string(level.data(), level.size())},
                           {"msg", std::string(msg.payload.data(), msg.payload.size())}};
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

void SetupLogging(LogFormat format, int verbosity) {
  std::shared_ptr<spdlog::logger> logger;
  if (format == LogFormat::kJson) {
    logger = std::make_shared<spdlog::logger>("freshet", std::make_shared<JsonSink>());
  } else {
    spdlog::drop("freshet");  // a second set-up replaces the first
    logger = spdlog::stderr_color_mt("freshet");
    logger->set_pattern("%H:%M:%S %^%-5l%$ %v");
  }
  logger->set_level(verbosity < 0   ? spdlog::level::warn
                    : verbosity > 0 ? spdlog::level::debug
                                    : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void LogInfo(const std::string& line) { spdlog::info("{}", line); }

void LogWarn(const std::string& line) { spdlog::warn("{}", line); }

std::string Format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string out(n > 0 ? n : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, fmt, args);
  va_end(args);
  return out;
}

void StageTimer::Start(const std::string& stage) {
  Stop();
  current_ = stage;
  start_ = std::chrono::steady_clock::now();
}

void StageTimer::Stop() {
  if (current_.empty()) return;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  timings_[current_] = s;
  spdlog::info("stage {} done in {:.2f} s", current_, s);
  current_.clear();
}

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace freshet
