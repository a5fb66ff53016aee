#pragma once

// A scripted device: one user's installation, holding at most one
// connection at a time. It reads everything the server sends into its own
// inbox (pushes) and reply table, keeps the last frames for failure
// reports, answers the heartbeat with pings, and records what it saw for
// the checker.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "delivery_checker.hpp"

namespace parley::transport {
class client;
}

namespace parley::scenario {

using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

/// A send waiting for its reply (retried with the same cmid if needed).
struct pending_send {
  json request;      ///< Without `id`.
  std::string where; ///< Script file:line.
  int attempts = 1;
  clock_type::time_point sent;
  std::string failed; ///< The err code of its last reply, if it failed.
};

/// The content of a `msg` push or history entry.
msg_content content_of(const json& m);

/// Thrown by device operations when the connection is unusable.
struct device_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class device {
public:
  device(std::string user, std::string name, std::vector<acked_send>* acked);
  ~device();

  const std::string& user() const noexcept { return user_; }
  std::string label() const { return user_ + "/" + name_; }

  /// Connects, says hello and logs in (`token` empty) or resumes. Returns
  /// the login/resume reply (ok or err). Throws device_error when the
  /// connection fails.
  json connect(const std::string& host, uint16_t port,
               const std::string& password, bool resume,
               std::chrono::milliseconds timeout);

  /// Closes the connection now (no `bye` from us; the server sees EOF).
  void disconnect();

  /// Half-open: stops reading and writing, leaves the socket open.
  void vanish();

  bool connected() const;
  bool vanished() const noexcept { return vanished_; }

  /// Sends a request with a fresh id; returns the id.
  uint64_t request(json req);
  /// Sends a `send` request and tracks it for acknowledgement and retries.
  uint64_t send_message(json req, const std::string& where);
  /// Sends without an id.
  void notify(const json& req);
  /// Writes raw bytes.
  void raw(const std::string& bytes);

  /// Reads whatever arrived; sends a ping if the heartbeat asks for one.
  void pump();

  /// The reply to `id` if it came (removed from the table).
  std::optional<json> take_reply(uint64_t id);

  /// Sends still waiting for their reply.
  const std::map<uint64_t, pending_send>& pending() const { return pending_; }
  /// Resends with the same cmid (and a new id) every pending send that
  /// failed or is older than `age`; returns the new ids by old id.
  std::map<uint64_t, uint64_t> retry_pending(std::chrono::milliseconds age);
  /// Stops tracking send `id` (its failure was expected).
  void forget(uint64_t id) { pending_.erase(id); }

  /// Pushes not yet consumed by an expectation, oldest first.
  std::deque<json>& inbox() { return inbox_; }
  /// The last frames received (any kind), for failure reports.
  std::vector<std::string> recent_frames() const;

  /// The conversation this device last sent to or received from.
  std::string current_conv;
  /// (to, conv) learned from acknowledged sends `to` a user.
  std::vector<std::pair<std::string, std::string>> direct_found;
  /// Highest seq this device acked per conversation (any session).
  std::map<std::string, uint64_t> acked_upto;
  /// Highest seq seen per conversation (pushes and own sends).
  std::map<std::string, uint64_t> highest;

  /// Ends the current session record (closed or replaced).
  void end_session();
  /// Every session so far, the current one included.
  std::vector<session_record> sessions() const;

  const std::string& token() const noexcept { return token_; }
  int fd() const;

private:
  void handle(json frame);
  void send_ping_if_due();

  std::string user_;
  std::string name_;
  std::vector<acked_send>* acked_;
  std::unique_ptr<transport::client> client_;
  bool vanished_ = false;
  bool open_session_ = false;
  std::string token_;
  std::chrono::milliseconds ping_every_{15000};
  clock_type::time_point last_write_;
  std::set<uint64_t> auto_pings_;
  std::map<uint64_t, json> replies_;
  std::map<uint64_t, pending_send> pending_;
  std::deque<json> inbox_;
  std::deque<std::string> recent_;
  clock_type::time_point born_ = clock_type::now();
  std::vector<session_record> done_;
  session_record current_;
  std::set<std::pair<std::string, uint64_t>> seen_keys_;
};

} // namespace parley::scenario
