#pragma once

// The scenario's named in-process nodes (actors::node), each with its own
// data directory under the run's temporary folder and its own loopback
// port, kept across restarts.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace parley::actors {
class node;
}

namespace parley::scenario {

class node_set {
public:
  /// `root`: the folder holding every node's data directory.
  explicit node_set(std::string root);
  ~node_set();

  /// Sets a [server] setting (cluster.conf syntax: numbers and booleans as
  /// is, anything else quoted) for nodes started from now on.
  void set(const std::string& key, const std::string& value);

  /// Starts node `name` (a new one, or a stopped one on its data and port).
  /// Returns false and sets `error` on failure.
  bool start(const std::string& name, std::string& error);
  /// Graceful stop (node::stop).
  bool stop(const std::string& name, std::string& error);
  /// Abrupt stop (node::kill).
  bool kill(const std::string& name, std::string& error);

  bool known(const std::string& name) const { return nodes_.count(name) > 0; }
  bool running(const std::string& name) const;
  /// The running node (null if stopped or unknown).
  actors::node* find(const std::string& name);
  /// The gateway port (kept across restarts).
  uint16_t port(const std::string& name) const;
  /// Names of every node, started or stopped.
  std::vector<std::string> names() const;

  /// Stops every node gracefully.
  void stop_all();

private:
  struct slot {
    uint16_t port = 0;
    std::unique_ptr<actors::node> running;
  };
  std::string config_text(const std::string& name) const;

  std::string root_;
  std::map<std::string, std::string> settings_;
  std::map<std::string, slot> nodes_;
};

} // namespace parley::scenario
