#pragma once

// The state a running scenario shares between its steps: nodes, users,
// named conversations, devices, what was acknowledged, the seed.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "delivery_checker.hpp"
#include "scenario_device.hpp"
#include "scenario_nodes.hpp"
#include "scenario_steps.hpp"

namespace parley::scenario {

/// Thrown by a step that fails: what it expected and what happened.
struct step_failure : std::runtime_error {
  step_failure(std::string expected, std::string got, std::string device = {})
    : std::runtime_error(got),
      expected(std::move(expected)),
      got(std::move(got)),
      device(std::move(device)) {
    // nop
  }
  std::string expected;
  std::string got;
  std::string device; ///< Whose last frames to show ("alice/phone").
};

/// How a run is set up (from the command line).
struct run_options {
  uint64_t seed = 0;
  std::string target_host; ///< Non-empty: --target (no in-process nodes).
  uint16_t target_port = 0;
  bool keep = false;       ///< Keep the data directories.
  bool verbose = false;    ///< Print each step as it runs.
};

class scenario_world {
public:
  scenario_world(run_options opts, std::string root);
  ~scenario_world();

  run_options opts;
  std::string root; ///< Temporary folder (node data).
  std::unique_ptr<node_set> nodes; ///< Null with --target.
  std::vector<std::string> node_order; ///< As declared by `nodes`.
  std::map<std::string, std::string> passwords;
  std::map<std::string, std::string> convs; ///< name -> conv id
  std::map<std::string, std::set<std::string>> direct_members;
  std::map<std::string, std::unique_ptr<device>> devices;
  std::map<std::string, std::string> device_node;
  std::vector<acked_send> acked;
  std::mt19937_64 rng;
  uint64_t cmids = 0;
  std::ostream* log = nullptr; ///< Progress lines (seeds of random steps).

  bool targeted() const { return !opts.target_host.empty(); }

  /// The device named `label` ("alice/phone"); fails the step if unknown.
  device& dev(const std::string& label);
  /// The device, created if new (for `connect`).
  device& dev_or_new(const std::string& label);

  /// The address of node `name` ("" = the first node); fails if stopped.
  std::pair<std::string, uint16_t> address(const std::string& name);
  /// The node to use when a step names none.
  std::string default_node() const;

  /// Resolves a conversation: a bound name, `conversation(a,b)`,
  /// `conv(NAME)`, or an id (`d.`/`g.` prefix). Fails the step if unknown.
  std::string conv_id(const std::string& name);
  /// As conv_id but returns the text unchanged when unknown.
  std::string conv_or_text(const std::string& name) const;
  /// Records the direct conversation of `a` and `b`.
  void bind_direct(const std::string& a, const std::string& b,
                   const std::string& conv);
  /// `${NAME}` -> conv id, in `text`.
  std::string substitute(const std::string& text) const;

  /// A fresh cmid for `d`.
  std::string next_cmid(const device& d);

  /// Reads every connected device once (and pings where due).
  void pump_all();
  /// Pumps every device until `done()` or `timeout`; returns done().
  bool wait_until(std::chrono::milliseconds timeout,
                  const std::function<bool()>& done);
  /// Waits for the reply to `id` on `d`; fails the step on timeout.
  json await_reply(device& d, uint64_t id, std::chrono::milliseconds within,
                   const std::string& what);
  /// Learns direct conversations from devices' replies.
  void learn_from_devices();
};

/// `conversation(alice,bob)` -> "conversation(alice,bob)" with the names
/// sorted, or "" if `text` is not that form.
std::string direct_key(const std::string& text);

} // namespace parley::scenario
