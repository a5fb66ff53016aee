#pragma once

// The end-to-end fixture: runs the real parleyd binary as a child process on
// 127.0.0.1 with `--port 0`, a fresh temporary data directory and a
// cluster.conf written here, and hands out connected clients.
//
// Contract: a `parleyd_process` never outlives its object: the destructor
// sends SIGTERM, waits (bounded), then SIGKILLs. The child also gets SIGKILL
// if the test process dies first (PR_SET_PDEATHSIG). Every wait is bounded.

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "transport/client.hpp"

#ifndef PARLEYD_PATH
#  error "PARLEYD_PATH must name the parleyd binary"
#endif

namespace parley::e2e {

using json = nlohmann::json;
using transport::client;
using namespace std::chrono_literals;

/// A directory under $TMPDIR (or /tmp), removed with its contents on
/// destruction.
class temp_dir {
public:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
      std::string{base && *base ? base : "/tmp"} + "/parley-e2e-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp: " + std::string{std::strerror(errno)});
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const noexcept {
    return path_;
  }

private:
  std::string path_;
};

/// The `[server]` settings a test may change; defaults keep tests fast.
struct server_options {
  uint32_t heartbeat_s = 30;
  uint64_t max_output = 1 << 20;
  double rate = 10000;
  double rate_burst = 20000;
  uint32_t max_body = 16384;
  uint32_t max_frame = 65536;
  uint32_t max_group = 100;
  uint32_t receipt_coalesce_ms = 200;
  uint32_t presence_grace_ms = 1000;
  /// Supervision: more crashes than this within the period stop the node.
  uint32_t restart_intensity = 100;
  uint32_t restart_period_s = 10;
  /// Serves the test-only `fault` request.
  bool fault_injection = false;
  std::string node = "n1";

  std::string config_text(const std::string& data_dir) const {
    std::ostringstream out;
    out << "[cluster]\nshards = 16\n\n[server]\n"
        << "durability = \"wal\"\n"
        << "max_frame = " << max_frame << "\n"
        << "max_body = " << max_body << "\n"
        << "max_output = " << max_output << "\n"
        << "heartbeat_s = " << heartbeat_s << "\n"
        << "rate = " << std::to_string(rate) << "\n"
        << "rate_burst = " << std::to_string(rate_burst) << "\n"
        << "pwhash = \"minimal\"\n"
        << "max_group = " << max_group << "\n"
        << "receipt_coalesce_ms = " << receipt_coalesce_ms << "\n"
        << "presence_grace_ms = " << presence_grace_ms << "\n"
        << "restart_intensity = " << restart_intensity << "\n"
        << "restart_period_s = " << restart_period_s << "\n"
        << "fault_injection = " << (fault_injection ? "true" : "false")
        << "\n"
        << "passivate_s = 60\n"
        << "workers = 2\n"
        << "gateway_threads = 1\n\n"
        << "[[node]]\nname = \"" << node << "\"\nhost = \"127.0.0.1\"\n"
        << "cluster_port = 0\ngateway_port = 0\nhttp_port = 0\n"
        << "data = \"" << data_dir << "\"\n";
    return out.str();
  }
};

/// One running parleyd child process.
class parleyd_process {
public:
  /// Starts parleyd and waits (at most `timeout`) for its
  /// "listening on HOST:PORT" line. Throws std::runtime_error (with the
  /// child's stderr) if it does not come.
  parleyd_process(const std::string& config, const std::string& data,
                  const std::string& log_file,
                  std::chrono::milliseconds timeout = 15s)
      : log_file_(log_file) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2 failed");
    pid_ = ::fork();
    if (pid_ < 0) {
      ::close(out[0]);
      ::close(out[1]);
      throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
      // Child: only async-signal-safe calls until exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(out[1], STDOUT_FILENO);
      int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (log >= 0)
        ::dup2(log, STDERR_FILENO);
      const char* argv[] = {PARLEYD_PATH, "--config", config.c_str(), "--port",
                            "0",          "--data",   data.c_str(),   nullptr};
      ::execv(PARLEYD_PATH, const_cast<char* const*>(argv));
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    bool ok = read_line(out[0], timeout, line);
    ::close(out[0]); // parleyd prints nothing else on stdout
    static const std::string prefix = "listening on ";
    auto colon = line.rfind(':');
    if (!ok || line.compare(0, prefix.size(), prefix) != 0
        || colon == std::string::npos) {
      stop();
      throw std::runtime_error("parleyd did not start (stdout: '" + line
                               + "'); its stderr:\n" + log());
    }
    host_ = line.substr(prefix.size(), colon - prefix.size());
    port_ = static_cast<uint16_t>(std::stoi(line.substr(colon + 1)));
  }

  ~parleyd_process() {
    stop();
  }
  parleyd_process(const parleyd_process&) = delete;
  parleyd_process& operator=(const parleyd_process&) = delete;

  uint16_t port() const noexcept {
    return port_;
  }
  const std::string& host() const noexcept {
    return host_;
  }
  pid_t pid() const noexcept {
    return pid_;
  }

  /// SIGTERM, wait up to `grace`, then SIGKILL. Returns the wait status
  /// (see waitpid), or nothing if the process was already reaped.
  std::optional<int> stop(std::chrono::milliseconds grace = 10s) {
    if (pid_ <= 0)
      return std::nullopt;
    ::kill(pid_, SIGTERM);
    auto status = wait_for_exit(grace);
    if (!status) {
      ::kill(pid_, SIGKILL);
      status = wait_for_exit(10s);
    }
    pid_ = -1;
    return status;
  }

  /// Waits (at most `timeout`) for the process to exit by itself, without
  /// signalling it. Returns the wait status, or nothing if it still runs.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    if (pid_ <= 0)
      return std::nullopt;
    auto status = wait_for_exit(timeout);
    if (status)
      pid_ = -1;
    return status;
  }

  /// SIGKILL (a crash): no clean shutdown. Returns the wait status.
  std::optional<int> kill() {
    if (pid_ <= 0)
      return std::nullopt;
    ::kill(pid_, SIGKILL);
    auto status = wait_for_exit(10s);
    pid_ = -1;
    return status;
  }

  /// The child's stderr so far.
  std::string log() const {
    std::ifstream in(log_file_);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

private:
  static bool read_line(int fd, std::chrono::milliseconds timeout,
                        std::string& line) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
      if (left <= 0)
        return false;
      pollfd p{fd, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(left));
      if (ready < 0 && errno == EINTR)
        continue;
      if (ready <= 0)
        return false;
      char c;
      auto n = ::read(fd, &c, 1);
      if (n <= 0)
        return false; // the child exited (or closed stdout) first
      if (c == '\n')
        return true;
      line.push_back(c);
    }
  }

  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      auto r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_)
        return status;
      if (r < 0 && errno != EINTR)
        return 0; // not our child any more: nothing to wait for
      if (std::chrono::steady_clock::now() >= deadline)
        return std::nullopt;
      std::this_thread::sleep_for(5ms);
    }
  }

  std::string log_file_;
  pid_t pid_ = -1;
  std::string host_;
  uint16_t port_ = 0;
};

/// A logged-in device: its client, user, device name and token.
struct device {
  std::unique_ptr<client> c;
  std::string user;
  std::string name;
  std::string token;

  client* operator->() const {
    return c.get();
  }
};

/// Owns a temporary directory (data + cluster.conf + log) and one parleyd
/// serving from it; `restart` runs a fresh process on the same data.
class parleyd_fixture {
public:
  explicit parleyd_fixture(server_options opts = {}) : opts_(std::move(opts)) {
    data_ = dir_.path() + "/data";
    config_ = dir_.path() + "/cluster.conf";
    std::ofstream(config_) << opts_.config_text(data_);
    start();
  }

  parleyd_process& server() {
    return *proc_;
  }
  uint16_t port() const {
    return proc_->port();
  }
  const server_options& options() const {
    return opts_;
  }

  void start() {
    proc_ = std::make_unique<parleyd_process>(config_, data_,
                                              dir_.path() + "/parleyd.log");
  }

  /// Stops parleyd with SIGTERM; returns the wait status.
  std::optional<int> stop() {
    auto status = proc_->stop();
    return status;
  }

  /// Kills parleyd with SIGKILL (a crash); returns the wait status.
  std::optional<int> crash() {
    return proc_->kill();
  }

  void restart() {
    stop();
    start();
  }

  /// A connected client (no hello yet).
  std::unique_ptr<client> connect(std::chrono::milliseconds timeout = 5s) {
    return std::make_unique<client>("127.0.0.1", proc_->port(), timeout);
  }

  /// A client after a successful `hello`.
  std::unique_ptr<client> connect_hello() {
    auto c = connect();
    auto r = c->hello();
    if (r.value("t", "") != "ok")
      throw std::runtime_error("hello failed: " + r.dump());
    return c;
  }

  /// Registers `user` (password `password_of(user)`); throws unless ok.
  void register_user(const std::string& user) {
    auto c = connect_hello();
    auto r = c->register_user(user, password_of(user));
    if (r.value("t", "") != "ok")
      throw std::runtime_error("register " + user + " failed: " + r.dump());
  }

  /// Connects, says hello and logs `user` in on `dev`. With `wait_synced`
  /// the login replay is consumed up to `synced` (its frames are dropped).
  device login(const std::string& user, const std::string& dev,
               bool wait_synced = true) {
    device d{connect_hello(), user, dev, {}};
    auto r = d->login(user, password_of(user), dev);
    if (r.value("t", "") != "ok")
      throw std::runtime_error("login " + user + " failed: " + r.dump());
    d.token = r.at("token").get<std::string>();
    if (wait_synced)
      drain_until_synced(*d.c);
    return d;
  }

  /// Connects, says hello and resumes with `token` on `dev`; returns the
  /// device with the replay still unread.
  device resume(const std::string& user, const std::string& dev,
                const std::string& token) {
    device d{connect_hello(), user, dev, token};
    auto r = d->call({{"t", "resume"}, {"token", token}, {"device", dev}});
    if (r.value("t", "") != "ok")
      throw std::runtime_error("resume " + user + " failed: " + r.dump());
    return d;
  }

  static std::string password_of(const std::string& user) {
    return "pw-" + user + "-secret";
  }

  /// Reads pushes until `synced`; throws if it does not come in time.
  static void drain_until_synced(client& c, std::chrono::milliseconds t = 5s) {
    for (;;) {
      auto p = c.next_push(t);
      if (!p)
        throw std::runtime_error("no 'synced' push");
      if (p->value("t", "") == "synced")
        return;
    }
  }

private:
  server_options opts_;
  temp_dir dir_;
  std::string data_;
  std::string config_;
  std::unique_ptr<parleyd_process> proc_;
};

// -- helpers for assertions ---------------------------------------------------

/// A `send` request to a user.
inline json send_to(const std::string& to, json body, const std::string& cmid) {
  return {{"t", "send"}, {"to", to}, {"body", std::move(body)}, {"cmid", cmid}};
}

/// A `send` request to a conversation.
inline json send_conv(const std::string& conv, json body,
                      const std::string& cmid) {
  return {
    {"t", "send"}, {"conv", conv}, {"body", std::move(body)}, {"cmid", cmid}};
}

/// The next push of type `t`, skipping none: returns whatever push comes
/// next (or nothing after `timeout`).
inline std::optional<json> next_push(client& c,
                                     std::chrono::milliseconds timeout = 5s) {
  return c.next_push(timeout);
}

/// The next push of type `t`, skipping pushes of other types.
inline std::optional<json> next_push_of(
  client& c, const std::string& t, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::nullopt;
    auto p = c.next_push(left);
    if (!p)
      return std::nullopt;
    if (p->value("t", "") == t)
      return p;
  }
}

/// True if no push at all arrives within `quiet`.
inline bool no_push(client& c, std::chrono::milliseconds quiet = 200ms) {
  return !c.next_push(quiet).has_value();
}

/// The bytes of a bin value.
inline std::vector<std::uint8_t> bytes_of(const json& j) {
  const auto& b = j.get_binary();
  return {b.begin(), b.end()};
}

/// Drops every push that arrives until none has for `quiet`.
inline void drain(client& c, std::chrono::milliseconds quiet = 50ms) {
  while (c.next_push(quiet))
    ; // dropped
}

/// A binary body as the client library represents MessagePack bin.
inline json bin(std::vector<std::uint8_t> bytes) {
  return json::binary(std::move(bytes));
}

} // namespace parley::e2e
