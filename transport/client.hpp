#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "transport/frame_codec.hpp"

namespace parley::transport {

/// Thrown by `client` when the connection fails, times out or closes.
class client_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A blocking Parley client over one TCP connection, written from
/// protocol.md alone (it shares no code with the server beyond the frame
/// length codec). Frames are nlohmann::json objects; MessagePack bin values
/// are json binary values.
///
/// Used by tests, tools and the CLI. Not thread-safe: one thread drives it.
/// Pushes that arrive while waiting for a reply are queued in order and
/// handed out by `next_push`.
class client {
public:
  using ms = std::chrono::milliseconds;
  using json = nlohmann::json;

  /// Connects to host:port. Throws client_error on failure.
  client(const std::string& host, uint16_t port, ms timeout = ms{5000});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends `req` with a fresh `id` (overwriting any) and returns the id.
  uint64_t send(json req);

  /// Sends `req` without touching it (no id added), e.g. `ack`, `typing`.
  void send_no_id(const json& req);

  /// Sends `req` with a fresh id and waits for the reply with that id
  /// (`ok` or `err`). Pushes and other replies seen meanwhile are queued.
  json call(json req, ms timeout = ms{5000});

  /// Waits for the reply to request `id`.
  json wait_reply(uint64_t id, ms timeout = ms{5000});

  /// The next frame without an `id` (a push, or an `err` without id), or
  /// nothing when `timeout` passes first.
  std::optional<json> next_push(ms timeout = ms{5000});

  /// The next frame of any kind, queued ones first.
  std::optional<json> next_frame(ms timeout = ms{5000});

  /// Writes raw bytes (for malformed-input tests). Waits at most the
  /// constructor's timeout for the server to take them; throws client_error
  /// on timeout or when the connection is gone.
  void send_raw(const std::string& bytes);

  /// True once the server has closed the connection (after reading all that
  /// it sent).
  bool closed() const noexcept { return closed_; }

  /// Waits until the server closes the connection; true if it did.
  bool wait_closed(ms timeout = ms{5000});

  /// Half-closes nothing, closes the socket now.
  void disconnect();

  /// The socket, for poll() in interactive tools.
  int native_handle() const noexcept { return fd_; }

  /// Reads whatever is available without blocking and queues the frames.
  void pump();

  // Convenience wrappers: each `call`s and returns the reply frame.
  json hello();
  json register_user(const std::string& user, const std::string& password);
  json login(const std::string& user, const std::string& password,
             const std::string& device);

  /// Encodes `frame` as one MessagePack frame with length prefix.
  static std::string encode(const json& frame);

private:
  /// Reads until one more frame is queued or the deadline passes.
  bool read_one(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  ms timeout_;            ///< Bounds connect and each blocking write.
  bool closed_ = false;
  uint64_t next_id_ = 1;
  frame_decoder decoder_{16 * 1024 * 1024};
  std::deque<json> inbox_;
};

} // namespace parley::transport
