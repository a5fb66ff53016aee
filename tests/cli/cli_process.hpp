#pragma once

// Runs the parley CLI binary as a child process with its stdin and stdout on
// pipes, so a test can type lines and wait for what it prints.
//
// Contract: every wait is bounded; the destructor closes stdin, waits a
// little, then SIGKILLs. The child also dies with the test process
// (PR_SET_PDEATHSIG).

#include <cerrno>
#include <chrono>
#include <csignal>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PARLEY_PATH
#  error "PARLEY_PATH must name the parley CLI binary"
#endif

namespace parley::cli_test {

using namespace std::chrono_literals;

class cli_process {
public:
  /// Starts `parley --port PORT` plus `extra` arguments (at most two).
  explicit cli_process(uint16_t port, std::string extra1 = {},
                       std::string extra2 = {}) {
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2 failed");
    auto port_text = std::to_string(port);
    pid_ = ::fork();
    if (pid_ < 0)
      throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(in[0], STDIN_FILENO);
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(out[1], STDERR_FILENO);
      const char* argv[] = {PARLEY_PATH,
                            "--port",
                            port_text.c_str(),
                            extra1.empty() ? nullptr : extra1.c_str(),
                            extra2.empty() ? nullptr : extra2.c_str(),
                            nullptr};
      ::execv(PARLEY_PATH, const_cast<char* const*>(argv));
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }

  ~cli_process() {
    close_stdin();
    if (pid_ > 0 && !wait_exit(2s)) {
      ::kill(pid_, SIGKILL);
      wait_exit(5s);
    }
    if (stdout_ >= 0)
      ::close(stdout_);
  }

  cli_process(const cli_process&) = delete;
  cli_process& operator=(const cli_process&) = delete;

  /// Types one line (a newline is added).
  void type(const std::string& line) {
    std::string bytes = line + "\n";
    size_t done = 0;
    while (done < bytes.size()) {
      auto n = ::write(stdin_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        throw std::runtime_error("parley's stdin is closed");
      done += static_cast<size_t>(n);
    }
  }

  /// Ends the input, as ^D or the end of a piped file does.
  void close_stdin() {
    if (stdin_ >= 0) {
      ::close(stdin_);
      stdin_ = -1;
    }
  }

  /// Waits until the output so far contains `text`; true if it does in
  /// time. Everything printed stays available in output().
  bool wait_for(const std::string& text,
                std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (output_.find(text) == std::string::npos) {
      if (!read_some(deadline))
        return output_.find(text) != std::string::npos;
    }
    return true;
  }

  /// Waits for the process to exit; its exit status, or nothing if it is
  /// still running after `timeout`. Reads its remaining output.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      int status = 0;
      auto r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline)
        return std::nullopt;
      read_some(std::chrono::steady_clock::now() + 10ms);
    }
    while (read_some(std::chrono::steady_clock::now() + 10ms))
      ; // the rest of the output
    return exit_status_;
  }

  const std::string& output() const noexcept {
    return output_;
  }

private:
  /// Reads what comes before `deadline`; false at the deadline or at the
  /// end of the output.
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    if (stdout_ < 0)
      return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
    pollfd p{stdout_, POLLIN, 0};
    int ready = ::poll(&p, 1, left > 0 ? static_cast<int>(left) : 0);
    if (ready <= 0)
      return false;
    char buffer[4096];
    auto n = ::read(stdout_, buffer, sizeof buffer);
    if (n <= 0) {
      ::close(stdout_);
      stdout_ = -1;
      return false;
    }
    output_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string output_;
  std::optional<int> exit_status_;
};

} // namespace parley::cli_test
