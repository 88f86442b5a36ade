// RenderMetrics, WriteMetricsTextfile and MetricsServer (src/common/prometheus.cc).
#include "freshet/prometheus.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "freshet/env.hpp"
#include "freshet/error.hpp"
#include "io/test_util.h"

namespace freshet {
namespace {

using testing::MessageOf;
using testing::ReadFile;
using testing::TempDir;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The value written on the one sample line of a family named "v".
std::string ValueText(double v) {
  const std::string text = RenderMetrics({{"v", "gauge", "", {{{}, v}}}});
  const std::string prefix = "# HELP v\n# TYPE v gauge\nv ";
  EXPECT_EQ(text.substr(0, prefix.size()), prefix) << text;
  return text.substr(prefix.size(), text.size() - prefix.size() - 1);
}

TEST(PrometheusRenderTest, WritesHelpTypeLabelsAndEscapes) {
  const std::vector<MetricFamily> families = {
      {"freshet_rows_total",
       "counter",
       "Rows read.\nBackslash \\ and \"quotes\" stay.",
       {{{{"model", "churn"}, {"split", "train"}}, 12345},
        {{{"model", "a\\b\"c\nd"}, {"split", ""}}, 0}}},
      {"freshet:last_loss", "gauge", "", {{{}, 0.25}, {{{"k", "v"}}, -3}}},
      {"freshet_empty_seconds", "gauge", "No samples yet.", {}},
  };
  EXPECT_EQ(RenderMetrics(families),
            "# HELP freshet_rows_total Rows read.\\nBackslash \\\\ and \"quotes\" stay.\n"
            "# TYPE freshet_rows_total counter\n"
            "freshet_rows_total{model=\"churn\",split=\"train\"} 12345\n"
            "freshet_rows_total{model=\"a\\\\b\\\"c\\nd\",split=\"\"} 0\n"
            "# HELP freshet:last_loss\n"
            "# TYPE freshet:last_loss gauge\n"
            "freshet:last_loss 0.25\n"
            "freshet:last_loss{k=\"v\"} -3\n"
            "# HELP freshet_empty_seconds No samples yet.\n"
            "# TYPE freshet_empty_seconds gauge\n");
  EXPECT_EQ(RenderMetrics({}), "");
}

TEST(PrometheusRenderTest, WritesValuesAsPrometheusDoes) {
  EXPECT_EQ(ValueText(kNaN), "NaN");
  EXPECT_EQ(ValueText(kInf), "+Inf");
  EXPECT_EQ(ValueText(-kInf), "-Inf");
  EXPECT_EQ(ValueText(0.0), "0");
  EXPECT_EQ(ValueText(-0.0), "0");
  EXPECT_EQ(ValueText(1e6), "1000000");
  EXPECT_EQ(ValueText(-42), "-42");
  EXPECT_EQ(ValueText(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(ValueText(1e20), "1e+20");
  EXPECT_EQ(ValueText(0.1), "0.1");
  EXPECT_EQ(ValueText(1e-7), "1e-07");
  EXPECT_EQ(ValueText(1.5e300), "1.5e+300");
  EXPECT_EQ(ValueText(std::numeric_limits<double>::denorm_min()), "5e-324");
}

TEST(PrometheusRenderTest, ValuesRoundTrip) {
  std::mt19937_64 rng(20260101);
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-1070, 1023);
  std::uniform_int_distribution<int64_t> integer(-(int64_t{1} << 53), int64_t{1} << 53);
  for (int i = 0; i < 2000; ++i) {
    const double v = i % 2 ? std::ldexp(mantissa(rng), exponent(rng))
                           : static_cast<double>(integer(rng)) / (i % 4 ? 1 : 1024);
    const std::string text = ValueText(v);
    EXPECT_EQ(text.find_first_of(" \n"), std::string::npos) << text;
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
    if (v == std::trunc(v) && std::fabs(v) < 1e15) {
      EXPECT_EQ(text.find_first_of("e."), std::string::npos) << text;
    }
  }
}

TEST(PrometheusRenderTest, RejectsInvalidNamesAndTypes) {
  const auto kind_of = [](const MetricFamily& f) {
    try {
      RenderMetrics({f});
    } catch (const Error& e) {
      return e.kind();
    }
    ADD_FAILURE() << "accepted " << f.name << " " << f.type;
    return ErrorKind::kUsage;
  };
  for (const std::string name : {"", "1rows", "rows-total", "rows total", "é"}) {
    EXPECT_EQ(kind_of({name, "gauge", "", {}}), ErrorKind::kInternal) << name;
  }
  for (const std::string label : {"", "1a", "a:b", "a-b", "__name__"}) {
    EXPECT_EQ(kind_of({"ok", "gauge", "", {{{{label, "x"}}, 1}}}), ErrorKind::kInternal) << label;
  }
  EXPECT_EQ(kind_of({"ok", "histogram", "", {}}), ErrorKind::kInternal);
  EXPECT_EQ(kind_of({"ok", "", "", {}}), ErrorKind::kInternal);
  EXPECT_THROW(RenderMetrics({{"ok", "gauge", "", {}}, {"ok", "gauge", "", {}}}), Error);
  EXPECT_NO_THROW(RenderMetrics({{"_ok:a1", "gauge", "", {{{{"_a1", "x"}}, 1}}}}));
}

TEST(PrometheusTextfileTest, ReplacesTheFileAndLeavesNoTemporary) {
  TempDir dir;
  const std::string path = dir / "freshet.prom";
  WriteMetricsTextfile(path, "a 1\n");
  EXPECT_EQ(ReadFile(path), "a 1\n");
  WriteMetricsTextfile(path, "a 2\nb 3\n");
  EXPECT_EQ(ReadFile(path), "a 2\nb 3\n");
  EXPECT_EQ(Env::Default()->ListDir(dir.path()), std::vector<std::string>{"freshet.prom"});
}

TEST(PrometheusTextfileTest, WritesARelativePath) {
  TempDir dir;
  char old[4096];
  ASSERT_NE(::getcwd(old, sizeof(old)), nullptr);
  ASSERT_EQ(::chdir(dir.path().c_str()), 0);
  WriteMetricsTextfile("m.prom", "x 1\n");
  ASSERT_EQ(::chdir(old), 0);
  EXPECT_EQ(ReadFile(dir / "m.prom"), "x 1\n");
  EXPECT_EQ(Env::Default()->ListDir(dir.path()), std::vector<std::string>{"m.prom"});
}

TEST(PrometheusTextfileTest, FailuresNameThePathAndLeaveNoTemporary) {
  TempDir dir;
  // A missing folder (root may write anywhere, so no permission bits are used).
  const std::string missing = dir / "nope/freshet.prom";
  const std::string msg = MessageOf<IoError>([&] { WriteMetricsTextfile(missing, "a 1\n"); });
  EXPECT_EQ(msg.rfind(missing + ": ", 0), 0u) << msg;
  // A folder where the file should be: the temporary is written, the rename fails.
  Env::Default()->CreateDir(dir / "taken.prom");
  const std::string taken = dir / "taken.prom";
  const std::string msg2 = MessageOf<IoError>([&] { WriteMetricsTextfile(taken, "a 1\n"); });
  EXPECT_EQ(msg2.rfind(taken + ": ", 0), 0u) << msg2;
  EXPECT_NE(msg2.find("rename"), std::string::npos) << msg2;
  EXPECT_EQ(Env::Default()->ListDir(dir.path()), std::vector<std::string>{"taken.prom"});
}

struct HttpResponse {
  std::string status, head, body;
};

// Connects to 127.0.0.1:port, sends `request` (in two halves, to exercise partial reads) and
// reads the answer until the server closes the connection.
HttpResponse Fetch(int port, const std::string& request) {
  HttpResponse out;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ADD_FAILURE() << "connect: " << std::strerror(errno);
    ::close(fd);
    return out;
  }
  const size_t half = request.size() / 2;
  ::send(fd, request.data(), half, MSG_NOSIGNAL);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::send(fd, request.data() + half, request.size() - half, MSG_NOSIGNAL);
  std::string all;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) all.append(buf, n);
  ::close(fd);
  const size_t end = all.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos) << all;
  if (end == std::string::npos) return out;
  out.head = all.substr(0, end + 2);
  out.status = out.head.substr(0, out.head.find("\r\n"));
  out.body = all.substr(end + 4);
  return out;
}

HttpResponse Get(int port, const std::string& target) {
  return Fetch(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n");
}

TEST(MetricsServerTest, ServesTheLatestText) {
  MetricsServer server(0);
  ASSERT_GT(server.port(), 0);
  const std::string text = RenderMetrics({{"freshet_up", "gauge", "Up.", {{{}, 1}}}});
  server.Set(text);
  const HttpResponse r = Get(server.port(), "/metrics");
  EXPECT_EQ(r.status, "HTTP/1.0 200 OK");
  EXPECT_NE(r.head.find("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos)
      << r.head;
  EXPECT_NE(r.head.find("\r\nContent-Length: " + std::to_string(text.size()) + "\r\n"),
            std::string::npos)
      << r.head;
  EXPECT_NE(r.head.find("\r\nConnection: close\r\n"), std::string::npos) << r.head;
  EXPECT_EQ(r.body, text);

  server.Set("freshet_up 0\n");
  EXPECT_EQ(Get(server.port(), "/metrics?name[]=freshet_up").body, "freshet_up 0\n");
  // An HTTP/1.0 client that sends no headers, with bare newlines.
  EXPECT_EQ(Fetch(server.port(), "GET /metrics HTTP/1.0\n\n").body, "freshet_up 0\n");
}

TEST(MetricsServerTest, AnswersOtherPathsAndMethods) {
  MetricsServer server(0);
  server.Set("a 1\n");
  EXPECT_EQ(Get(server.port(), "/").status, "HTTP/1.0 404 Not Found");
  EXPECT_EQ(Get(server.port(), "/metricsx").status, "HTTP/1.0 404 Not Found");
  const HttpResponse post =
      Fetch(server.port(), "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(post.status, "HTTP/1.0 405 Method Not Allowed");
  EXPECT_NE(post.head.find("\r\nAllow: GET\r\n"), std::string::npos) << post.head;
  EXPECT_EQ(Fetch(server.port(), "garbage\r\n\r\n").status, "HTTP/1.0 400 Bad Request");
  EXPECT_EQ(Get(server.port(), "/metrics").body, "a 1\n");
}

TEST(MetricsServerTest, DropsAStalledClientAndServesTheNext) {
  MetricsServer server(0);
  server.Set("a 1\n");
  const int idle = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(idle, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::send(idle, "GET /met", 8, MSG_NOSIGNAL), 8);  // and then nothing
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Get(server.port(), "/metrics").body, "a 1\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  ::close(idle);
}

TEST(MetricsServerTest, ASecondServerOnThePortFails) {
  MetricsServer first(0);
  const std::string where = "127.0.0.1:" + std::to_string(first.port());
  const std::string msg = MessageOf<IoError>([&] { MetricsServer second(first.port()); });
  EXPECT_EQ(msg.rfind(where + ": bind: ", 0), 0u) << msg;
  EXPECT_THROW(MetricsServer(-1), IoError);
  EXPECT_THROW(MetricsServer(65536), IoError);
}

TEST(MetricsServerTest, StopsPromptlyEvenWithAClientConnected) {
  auto server = std::make_unique<MetricsServer>(0);
  const int port = server->port();
  const int idle = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(idle, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the server is reading from it
  const auto start = std::chrono::steady_clock::now();
  server.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  ::close(idle);
  // The port is free again once the server is gone.
  EXPECT_NO_THROW(MetricsServer{port});
}

}  // namespace
}  // namespace freshet
