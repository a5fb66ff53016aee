// parley: an interactive command-line Parley client.
//
//   parley [--host H] [--port P] [--wait S]
//
// Connects, says hello, then reads commands and text lines from stdin (see
// /help) while showing incoming messages as they arrive. Works from a pipe
// too: when stdin ends, it keeps showing incoming frames for --wait seconds,
// then exits. Exit status: 0 after /quit or end of input, 1 when the
// connection fails or the server closes it.

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include <poll.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "chat_session.hpp"
#include "transport/client.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Collects stdin bytes into lines; the loop hands out complete ones.
class line_reader {
public:
  /// Reads what is available on fd 0; false at end of input.
  bool read_some() {
    char buffer[4096];
    ssize_t n;
    do {
      n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      if (!pending_.empty()) // a last line without newline
        pending_.push_back('\n');
      return false;
    }
    pending_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  /// The next complete line (without '\n'), if any.
  bool next(std::string& line) {
    auto end = pending_.find('\n');
    if (end == std::string::npos)
      return false;
    line.assign(pending_, 0, end);
    pending_.erase(0, end + 1);
    return true;
  }

private:
  std::string pending_;
};

int run(const std::string& host, uint16_t port, double wait_s) {
  parley::transport::client client(host, port, milliseconds{5000});
  parley::cli::chat_session session(client, std::cout);
  session.hello();
  line_reader input;
  bool input_open = true;
  auto linger_until = clock_type::time_point::max();
  for (;;) {
    pollfd fds[2] = {{client.native_handle(), POLLIN, 0},
                     {STDIN_FILENO, POLLIN, 0}};
    auto wait = session.until_keep_alive();
    if (!input_open) {
      auto left = std::chrono::duration_cast<milliseconds>(linger_until
                                                           - clock_type::now());
      if (left.count() <= 0)
        return 0;
      wait = std::min(wait, left);
    }
    int ready =
      ::poll(fds, input_open ? 2 : 1, static_cast<int>(wait.count()) + 1);
    if (ready < 0 && errno != EINTR) {
      std::cerr << "parley: poll: " << std::strerror(errno) << std::endl;
      return 1;
    }
    if (ready > 0 && fds[0].revents != 0)
      client.pump();
    session.show_incoming();
    if (session.closed()) {
      std::cout << "connection closed by the server" << std::endl;
      return 1;
    }
    if (input_open && ready > 0 && fds[1].revents != 0) {
      input_open = input.read_some();
      std::string line;
      while (input.next(line)) {
        if (!session.execute(line))
          return 0;
      }
      if (!input_open) {
        linger_until = clock_type::now()
                       + std::chrono::duration_cast<clock_type::duration>(
                         std::chrono::duration<double>(wait_s));
      }
    }
    session.keep_alive();
  }
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"parley: an interactive Parley client (type /help)"};
  std::string host = "127.0.0.1";
  int port = 7500;
  double wait_s = 0;
  app.add_option("--host", host, "server host")->capture_default_str();
  app.add_option("--port", port, "server gateway port")
    ->check(CLI::Range(1, 65535))
    ->capture_default_str();
  app
    .add_option("--wait", wait_s,
                "after stdin ends, keep showing incoming messages this many "
                "seconds")
    ->check(CLI::NonNegativeNumber)
    ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return run(host, static_cast<uint16_t>(port), wait_s);
  } catch (const parley::transport::client_error& e) {
    std::cout << std::flush;
    std::cerr << "parley: " << e.what() << std::endl;
    return 1;
  }
}
