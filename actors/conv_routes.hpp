#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/message_id.hpp>

namespace parley::actors {

/// A session's routes to conversation actors: conv id -> the actor last
/// resolved for it (a bounded cache), and, per actor, the requests the
/// session has in flight there. The session monitors every actor this
/// tracks, so that when one ends it can fail over the requests the actor
/// will never answer (a crashed actor drops what it held) instead of
/// waiting forever: requests carry no timeout (a timer per request costs
/// too much on the hot path).
///
/// Bounds: at most `capacity` cached convs, plus the actors of requests in
/// flight (bounded by the session's own in-flight limit). Tracked actors are
/// those cached or with a request in flight. Owned by one session actor;
/// not thread-safe. No allocation per request once the per-actor vectors
/// have grown.
class conv_routes {
public:
  /// Identifies a tracked actor (never dereferenced).
  using target_key = const caf::actor_control_block*;

  explicit conv_routes(size_t capacity = 256) : capacity_(capacity) {
    // nop
  }

  static target_key key_of(const caf::actor& target) noexcept;

  /// The actor last resolved for `conv`, or null.
  const caf::actor* find(const std::string& conv) const;

  /// Caches `target` as the actor of `conv`. A full cache first drops its
  /// entries with no request in flight. Actors no longer tracked after that
  /// are appended to `release` (the session demonitors them). Returns true
  /// if `target` was not tracked before: the session must monitor it.
  bool insert(const std::string& conv, const caf::actor& target,
              std::vector<caf::actor_addr>& release);

  /// A request went to `target`; `id` is the id of its response. Returns
  /// true if `target` was not tracked before (monitor it).
  bool sent(const caf::actor& target, caf::message_id id);

  /// The request `id` to `target` is over (answered or failed). Returns
  /// true, with its address in `release`, if `target` is tracked no longer.
  bool done(target_key target, caf::message_id id, caf::actor_addr& release);

  /// A request to `target` found it gone: forget the cache entry of `conv`
  /// if it still names `target`. Returns true, with its address in
  /// `release`, if `target` is tracked no longer.
  bool forget(const std::string& conv, target_key target,
              caf::actor_addr& release);

  /// `who` ended. Returns false if it was not tracked; otherwise forgets it
  /// (and the cache entry naming it) and appends the response ids of its
  /// requests in flight to `failed`.
  bool down(const caf::actor_addr& who, std::vector<caf::message_id>& failed);

  /// Forgets everything (the session ends): appends every tracked actor to
  /// `release`.
  void clear(std::vector<caf::actor_addr>& release);

  size_t cached() const noexcept {
    return cache_.size();
  }
  size_t tracked() const noexcept {
    return targets_.size();
  }
  /// Requests in flight to `target`.
  size_t inflight(target_key target) const;

private:
  struct target {
    caf::actor_addr addr;
    std::string conv; ///< Its cache entry, while `cached`.
    bool cached = false;
    std::vector<caf::message_id> inflight;
  };
  using target_map = std::unordered_map<target_key, target>;

  /// Tracks `t` (if new); returns its entry and whether it is new.
  std::pair<target_map::iterator, bool> track(const caf::actor& t);
  /// Drops `i` if it is neither cached nor busy; true if dropped.
  bool release_if_unused(target_map::iterator i, caf::actor_addr& release);

  size_t capacity_;
  std::unordered_map<std::string, caf::actor> cache_;
  target_map targets_;
};

} // namespace parley::actors
