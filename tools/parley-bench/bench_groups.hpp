#pragma once

// The group scenario (issue 3's benchmark): `groups` groups of `members`
// users, one connection per member, posting into their group.

#include <string>
#include <vector>

#include "bench_phases.hpp"

namespace parley::bench {

/// Adds the clients of every group to `pool` (before it starts): group g
/// is users[g * members .. (g + 1) * members), its member 0 the owner, all
/// of it on worker g % threads (so a group's tracker lives on one thread).
/// Members are added round robin over the groups, so paced sends spread
/// evenly over them.
void add_group_clients(const bench_options& o, worker_pool& pool,
                       const std::vector<std::string>& users);

/// Has every owner create its group with all the members; prints the
/// time it took. True if every group exists.
bool create_groups(const bench_options& o, worker_pool& pool,
                   const std::vector<std::string>& users);

/// Prints the figures of a group traffic window and checks every delivery
/// of the run (call after the drain). Returns 0, or 3 if the check failed.
int report_groups(const bench_options& o, worker_pool& pool,
                  traffic_figures& t);

} // namespace parley::bench
