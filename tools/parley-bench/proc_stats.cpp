#include "proc_stats.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

namespace parley::bench {

std::optional<uint64_t> rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      uint64_t kib = 0;
      if (fields >> kib)
        return kib;
    }
  }
  return std::nullopt;
}

std::optional<double> cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text))
    return std::nullopt;
  // Field 2 (comm) may hold spaces: count fields after its closing ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) // fields 3..13
    fields >> skip;
  unsigned long long utime = 0, stime = 0;
  if (!(fields >> utime >> stime))
    return std::nullopt;
  return static_cast<double>(utime + stime)
         / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double self_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

std::optional<machine_cpu> machine_cpu_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0,
                     irq = 0, softirq = 0, steal = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq
        >> steal)
      || cpu != "cpu")
    return std::nullopt;
  auto tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  machine_cpu m;
  m.busy =
    static_cast<double>(user + nice + system + irq + softirq + steal) / tick;
  m.total = m.busy + static_cast<double>(idle + iowait) / tick;
  return m;
}

cpu_meter::cpu_meter(pid_t server)
    : server_(server), start_(std::chrono::steady_clock::now()),
      server0_(server ? cpu_seconds(server) : std::nullopt),
      self0_(self_cpu_seconds()), machine0_(machine_cpu_seconds()) {
  // nop
}

cpu_window cpu_meter::take() const {
  cpu_window w;
  w.window_s = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                             - start_)
                 .count();
  w.bench_cpu_s = self_cpu_seconds() - self0_;
  if (auto server1 = server_ ? cpu_seconds(server_) : std::nullopt;
      server0_ && server1)
    w.server_cpu_s = *server1 - *server0_;
  if (auto machine1 = machine_cpu_seconds(); machine0_ && machine1) {
    w.machine_busy_s = machine1->busy - machine0_->busy;
    w.machine_cores = static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN));
  }
  return w;
}

std::optional<uint64_t> wal_bytes(const std::string& data) {
  namespace fs = std::filesystem;
  std::error_code ec;
  uint64_t total = 0;
  for (auto& e : fs::directory_iterator(fs::path(data) / "history", ec)) {
    auto name = e.path().filename().string();
    if (e.path().extension() == ".log" && !name.empty() && name[0] >= '0'
        && name[0] <= '9')
      total += e.file_size(ec);
  }
  if (ec)
    return std::nullopt;
  return total;
}

uint64_t raise_fd_limit() {
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
    ::getrlimit(RLIMIT_NOFILE, &r);
  }
  return static_cast<uint64_t>(r.rlim_cur);
}

} // namespace parley::bench
