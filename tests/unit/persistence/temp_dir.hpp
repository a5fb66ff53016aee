#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace parley::test {

/// A fresh directory under the system's temp directory, removed (with
/// everything in it) on destruction. Unique per process and instance.
class temp_dir {
public:
  explicit temp_dir(const std::string& tag = "parley") {
    static std::atomic<unsigned> counter{0};
    auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = std::filesystem::temp_directory_path()
            / (tag + "-" + std::to_string(::getpid()) + "-"
               + std::to_string(stamp) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::filesystem::path& path() const noexcept { return path_; }

  /// A path inside the directory (not created).
  std::string operator/(const std::string& name) const {
    return (path_ / name).string();
  }

private:
  std::filesystem::path path_;
};

} // namespace parley::test
