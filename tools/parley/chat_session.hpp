#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "command_line.hpp"
#include "transport/client.hpp"

namespace parley::cli {

/// The state of one interactive session over one connection: who is logged
/// in, who the chat partner is, which conversations are known and what has
/// been shown. Turns typed lines into requests and frames into lines on
/// `out`.
///
/// Single-threaded: the caller's loop calls `execute` for each typed line,
/// `show_incoming` whenever the socket is readable, and `keep_alive`
/// periodically. Every method may throw transport::client_error when the
/// connection fails; the caller ends the session then.
class chat_session {
public:
  using json = nlohmann::json;

  chat_session(transport::client& client, std::ostream& out);

  /// Says hello and prints the server's greeting. Throws client_error when
  /// the server refuses.
  void hello();

  /// Carries out one typed line. Returns false for `/quit`.
  bool execute(const std::string& line);

  /// Prints every frame received so far that no request is waiting for:
  /// messages (acked as they are shown), receipts, typing, presence, ...
  void show_incoming();

  /// Sends a ping when nothing was sent for half the heartbeat period, so
  /// the server keeps an idle session.
  void keep_alive();

  /// How long the caller may sleep before `keep_alive` has work to do.
  std::chrono::milliseconds until_keep_alive() const;

  /// True once the server closed the connection (after a `bye`, say).
  bool closed() const noexcept {
    return client_.closed();
  }

private:
  /// What is known of one conversation.
  struct conv_info {
    bool group = false;
    std::string name; ///< Group name; the peer's name for a direct conv.
    uint64_t last_seq = 0;
  };

  // Commands.
  void cmd_register(const command_line& cmd);
  void cmd_login(const command_line& cmd);
  void cmd_to(const command_line& cmd);
  void cmd_send(const command_line& cmd);
  void cmd_history(const command_line& cmd);
  void cmd_convs();
  void cmd_read();
  void cmd_help();
  void cmd_group(const command_line& cmd);
  /// /add and /remove: `type` is group_add or group_remove.
  void cmd_members(const command_line& cmd, const char* type);
  void cmd_leave(const command_line& cmd);
  void cmd_info(const command_line& cmd);
  void send_text(const std::string& target, const std::string& text);

  /// Sends `req` with a fresh id and waits for its reply; prints frames
  /// queued meanwhile once the reply is in.
  json call(json req);

  /// Refreshes the conversation list (`convs`); returns the reply's list.
  json refresh_convs();

  /// The conv of `target`: a known conv id, else the direct conv with the
  /// user `target` (asking the server when not yet known). Empty if none.
  std::string resolve_conv(const std::string& target);

  /// The conv of the group `target`: its conv id or its name (the first
  /// group of that name). Empty if none.
  std::string resolve_group(const std::string& target);

  void show_frame(const json& frame);
  void show_message(const json& msg);
  void say(const std::string& line);
  std::string conv_label(const std::string& conv) const;
  std::string fresh_cmid();

  transport::client& client_;
  std::ostream& out_;
  std::string user_;
  std::string device_;
  std::string target_; ///< Chat partner: a user name or a conv id.
  std::map<std::string, conv_info> convs_;    ///< By conv id.
  std::map<std::string, std::string> direct_; ///< Peer user -> conv id.
  std::map<std::string, uint64_t> shown_;     ///< Conv -> highest seq.
  std::set<std::string> own_cmids_; ///< Sent from here: not shown again.
  std::chrono::seconds heartbeat_{30};
  std::chrono::steady_clock::time_point last_sent_;
  std::mt19937_64 random_;
  uint64_t cmid_counter_ = 0;
};

} // namespace parley::cli
