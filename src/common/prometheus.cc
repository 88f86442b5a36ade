// Prometheus text exposition 0.0.4: rendering, node_exporter textfiles, and a loopback /metrics
// server built on plain sockets (no HTTP library: one request line, one answer, close).
#include "freshet/prometheus.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>

#include "freshet/env.hpp"
#include "freshet/error.hpp"

namespace freshet {
namespace {

bool IsNameChar(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

// Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*. Label names: the same without ':'.
bool IsValidName(const std::string& name, bool colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, colon)) return false;
  }
  return true;
}

void AppendEscaped(std::string& out, const std::string& text, bool quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void AppendValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::trunc(v) && std::fabs(v) <= 9007199254740992.0) {
    // Every integer up to 2^53 is exact: written in full, never as 1e+06.
    out += std::to_string(static_cast<int64_t>(v));
  } else {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip
    out.append(buf, r.ptr);
  }
}

}  // namespace

std::string RenderMetrics(const std::vector<MetricFamily>& families) {
  std::string out;
  std::set<std::string> seen;
  for (const auto& f : families) {
    FRESHET_CHECK(IsValidName(f.name, true), "invalid metric name \"" + f.name + "\"");
    FRESHET_CHECK(f.type == "counter" || f.type == "gauge",
                  f.name + ": metric type must be counter or gauge, got \"" + f.type + "\"");
    FRESHET_CHECK(seen.insert(f.name).second, "metric family \"" + f.name + "\" given twice");
    out += "# HELP " + f.name;
    if (!f.help.empty()) {
      out += ' ';
      AppendEscaped(out, f.help, false);
    }
    out += "\n# TYPE " + f.name + " " + f.type + "\n";
    for (const auto& [labels, value] : f.samples) {
      out += f.name;
      if (!labels.empty()) {
        out += '{';
        bool first = true;
        for (const auto& [key, val] : labels) {
          FRESHET_CHECK(IsValidName(key, false) && key.rfind("__", 0) != 0,
                        f.name + ": invalid label name \"" + key + "\"");
          if (!first) out += ',';
          first = false;
          out += key + "=\"";
          AppendEscaped(out, val, true);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      AppendValue(out, value);
      out += '\n';
    }
  }
  return out;
}

void WriteMetricsTextfile(const std::string& path, const std::string& text) {
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty()) throw IoError(path + ": write metrics textfile: not a file name");
  // Hidden and not ending in .prom, so that node_exporter never reads a half-written file; the
  // pid and a counter keep concurrent writers of the same path apart.
  static std::atomic<uint64_t> counter{0};
  const std::string tmp = (dir == "/" ? "" : dir) + "/." + base + "." + std::to_string(::getpid()) +
                          "." + std::to_string(counter++) + ".tmp";
  Env* env = Env::Default();
  try {
    env->WriteFile(tmp, text);
    env->Rename(tmp, path);
    env->SyncDir(dir);
  } catch (const IoError& e) {
    try {
      env->RemoveAll(tmp);
    } catch (const IoError&) {
      // Best effort: the write error below is the one worth reporting.
    }
    throw IoError(path + ": write metrics textfile: " + e.what());
  }
}

namespace {

constexpr int kPollMs = 100;                              // how soon the thread sees stop_
constexpr auto kClientTimeout = std::chrono::seconds(2);  // a stalled client is dropped
constexpr size_t kMaxRequest = 16 * 1024;                 // request line and headers

using Clock = std::chrono::steady_clock;

// Waits until `fd` is ready for `events`; false on timeout, stop or error.
bool WaitFor(int fd, short events, Clock::time_point deadline, const std::atomic<bool>& stop) {
  for (;;) {
    if (stop.load()) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, kPollMs)));
    if (rc < 0 && errno != EINTR) return false;
    if (rc > 0) return true;
  }
}

// Reads until the end of the headers, kMaxRequest bytes, EOF or the deadline.
std::string ReadRequest(int fd, Clock::time_point deadline, const std::atomic<bool>& stop) {
  std::string req;
  char buf[4096];
  while (req.size() < kMaxRequest && req.find("\r\n\r\n") == std::string::npos &&
         req.find("\n\n") == std::string::npos) {
    if (!WaitFor(fd, POLLIN, deadline, stop)) break;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) break;
    req.append(buf, static_cast<size_t>(n));
  }
  return req;
}

void SendAll(int fd, const std::string& data, Clock::time_point deadline,
             const std::atomic<bool>& stop) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitFor(fd, POLLOUT, deadline, stop)) return;
      continue;
    }
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

std::string Response(const std::string& status, const std::string& content_type,
                     const std::string& extra_headers, const std::string& body) {
  return "HTTP/1.0 " + status + "\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers +
         "Connection: close\r\n\r\n" + body;
}

// The answer to one request, from its request line ("GET /metrics?x=1 HTTP/1.1").
std::string Answer(const std::string& req, const std::string& text) {
  const std::string plain = "text/plain; charset=utf-8";
  const size_t eol = req.find('\n');
  std::string line = req.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
  if (eol == std::string::npos || sp1 == std::string::npos || sp1 == 0 || sp2 == sp1 + 1) {
    return Response("400 Bad Request", plain, "", "bad request\n");
  }
  const std::string method = line.substr(0, sp1);
  const std::string target = line.substr(sp1 + 1, sp2 == std::string::npos ? sp2 : sp2 - sp1 - 1);
  if (method != "GET") {
    return Response("405 Method Not Allowed", plain, "Allow: GET\r\n", "method not allowed\n");
  }
  if (target.substr(0, target.find('?')) != "/metrics") {
    return Response("404 Not Found", plain, "", "not found\n");
  }
  return Response("200 OK", "text/plain; version=0.0.4; charset=utf-8", "", text);
}

[[noreturn]] void BindFail(int port, const std::string& op, int err) {
  throw IoError("127.0.0.1:" + std::to_string(port) + ": " + op + ": " + std::strerror(err));
}

}  // namespace

MetricsServer::MetricsServer(int port) {
  if (port < 0 || port > 65535) {
    throw IoError("127.0.0.1:" + std::to_string(port) + ": bind: port out of range 0-65535");
  }
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) BindFail(port, "socket", errno);
  const auto fail = [&](const std::string& op) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    BindFail(port, op, err);
  };
  const int one = 1;
  if (::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) fail("setsockopt");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) fail("bind");
  if (::listen(fd_, 16) != 0) fail("listen");
  socklen_t len = sizeof(addr);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) fail("getsockname");
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

MetricsServer::~MetricsServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

void MetricsServer::Set(std::string text) {
  std::lock_guard<std::mutex> lock(mu_);
  text_ = std::move(text);
}

void MetricsServer::Serve() {
  while (!stop_.load()) {
    pollfd p{fd_, POLLIN, 0};
    const int rc = ::poll(&p, 1, kPollMs);
    if (rc <= 0) continue;
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) {
      // EMFILE and the like leave the connection queued: back off instead of spinning on it.
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
        ::poll(nullptr, 0, kPollMs);
      }
      continue;
    }
    const auto deadline = Clock::now() + kClientTimeout;
    const std::string req = ReadRequest(client, deadline, stop_);
    if (!req.empty()) {
      std::string text;
      {
        std::lock_guard<std::mutex> lock(mu_);
        text = text_;
      }
      SendAll(client, Answer(req, text), deadline, stop_);
      ::shutdown(client, SHUT_WR);
      // Unread bytes at close() make the kernel send RST, which can cost the client our answer:
      // drop what has already arrived (a body, say) first.
      char buf[4096];
      for (int i = 0; i < 16 && ::recv(client, buf, sizeof(buf), MSG_DONTWAIT) > 0; ++i) {
      }
    }
    ::close(client);
  }
}

}  // namespace freshet
