#pragma once

// The presence scenario (issue 4's benchmark): how long after a device
// disappears its watchers get the `presence` push saying it is offline.

#include <string>
#include <vector>

#include "bench_phases.hpp"

namespace parley::bench {

/// Runs the scenario on registered `users` (pairs: user 2k watches user
/// 2k+1) and prints its figures:
///
/// 1. all log in; each watcher sends its partner one message (so they share
///    a direct conversation and may see each other's presence), then
///    `watch`es it and must get one push saying it is online;
/// 2. after --settle, the watched devices disappear (o.disappear: close
///    the connection, or vanish: a last ping, then silence with the socket
///    left open), spread evenly over o.spread_s seconds;
/// 3. each watcher must get exactly one push saying its partner is offline,
///    within spread + 3 x heartbeat_s + presence_grace_ms + 5 s (o.server);
///    the distribution of disappearance -> push is printed, with the
///    grace (and, for vanishing devices, two heartbeats) taken off.
///
/// Every client pings when silent for half the heartbeat, so with a small
/// heartbeat_s nobody but the vanished devices is closed as idle. Returns
/// the exit status: 0, 1 (a login failed), or 3 (a push missing, or one
/// that should not have come).
int run_presence(const bench_options& o, const bench_settings& settings,
                 const boost::asio::ip::tcp::endpoint& server,
                 const std::vector<std::string>& users, const rss_probe& rss);

} // namespace parley::bench
