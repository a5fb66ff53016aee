#pragma once

// The entities scenario (issue 4's benchmark): the server's memory per
// active user and conversation actor, what passivation gives back, and a
// check that nothing sent before passivation was lost.

#include <string>
#include <vector>

#include "bench_phases.hpp"

namespace parley::bench {

/// Runs the scenario on registered `users` (pairs: user 2k and 2k+1),
/// o.batch of them online at a time, and prints its figures:
///
/// 1. activation: each user logs in, sends one message to its partner
///    (their direct conversation), receives the partner's, and leaves; so
///    every user actor and every pair's conversation actor is active;
/// 2. the server's RSS once all of them are (their count: users * 1.5),
///    which holds only if the activation took less than the server's
///    passivate_s (o.server; a warning says so otherwise);
/// 3. its RSS after 1.5 * passivate_s + presence_grace_ms of idleness, by
///    which time every one of them was passivated ("passivated"), and after
///    2 * passivate_s + presence_grace_ms, by which time CAF's clock
///    delivered their last idle tick and so let go of their actor objects
///    ("released"); then every second for o.hold_passivated_s more;
/// 4. the check: each user logs in again, reads the pair's `history`,
///    which must hold exactly the two messages (seq, sender, body), and
///    sends one more, whose seq must be 3 or 4.
///
/// Returns the exit status: 0, 1 (a login or send of the activation
/// failed), or 3 (a check failed or did not finish).
int run_entities(const bench_options& o, const bench_settings& settings,
                 const boost::asio::ip::tcp::endpoint& server,
                 const std::vector<std::string>& users, const rss_probe& rss);

} // namespace parley::bench
