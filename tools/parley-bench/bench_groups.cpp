#include "bench_groups.hpp"

#include <algorithm>
#include <cstdio>

namespace parley::bench {

using clock_type = std::chrono::steady_clock;

namespace {

bench_worker& worker_of(worker_pool& pool, uint32_t group) {
  return *pool.workers[group % pool.workers.size()];
}

uint32_t senders_per_group(const bench_options& o) {
  return o.senders == 0 ? o.members : std::min(o.senders, o.members);
}

} // namespace

void add_group_clients(const bench_options& o, worker_pool& pool,
                       const std::vector<std::string>& users) {
  std::vector<group_tracker*> trackers;
  for (uint32_t g = 0; g < o.groups; ++g)
    trackers.push_back(&worker_of(pool, g).add_group(g, o.members));
  auto senders = senders_per_group(o);
  for (uint32_t m = 0; m < o.members; ++m)
    for (uint32_t g = 0; g < o.groups; ++g)
      worker_of(pool, g)
        .add_client(users[g * o.members + m], {})
        .join_group(*trackers[g], m < senders);
}

bool create_groups(const bench_options& o, worker_pool& pool,
                   const std::vector<std::string>& users) {
  auto start = clock_type::now();
  pool.each([&](bench_worker& w) {
    for (auto& c : w.clients()) {
      auto g = c->group();
      auto first = users.begin() + g->index() * o.members;
      if (c->user() != *first)
        continue; // not the owner
      c->create_group("bench group " + std::to_string(g->index()),
                      std::vector<std::string>(first, first + o.members));
    }
  });
  bool done = wait_until(
    [&] {
      return pool.sum(&worker_counters::groups_created)
               + pool.sum(&worker_counters::group_create_failed)
             >= o.groups;
    },
    o.phase_timeout_s);
  auto created = pool.sum(&worker_counters::groups_created);
  std::printf("group_create: %llu of %u groups of %u members in %.2f s%s\n",
              static_cast<unsigned long long>(created), o.groups, o.members,
              seconds_since(start), done ? "" : "  TIMEOUT");
  // Let the creation pushes (a `group` and a `member` msg to every member)
  // and their acks pass before the measurement.
  sleep_s(o.settle_s);
  return created == o.groups;
}

int report_groups(const bench_options& o, worker_pool& pool,
                  traffic_figures& t) {
  auto senders = senders_per_group(o);
  std::string load =
    o.rate > 0
      ? "paced at " + std::to_string(static_cast<long>(o.rate)) + " posts/s"
      : "flat out, " + std::to_string(o.window) + " posts in flight per sender";
  std::printf("\nGROUPS: %u groups x %u members (%u connections), %u "
              "sender(s) per group, %s, %u-byte bodies, acks %s, window "
              "%.2f s (after %.1f s warm-up)\n",
              o.groups, o.members, o.groups * o.members, senders, load.c_str(),
              o.body_size, o.ack ? "on" : "off", t.window_s, o.warmup_s);
  auto per_s = [&](uint64_t n) { return static_cast<double>(n) / t.window_s; };
  std::printf("  deliveries: %llu = %.0f deliveries/s   (posts ok: %.0f/s "
              "x %u = %.0f/s expected)\n",
              static_cast<unsigned long long>(t.delivered), per_s(t.delivered),
              per_s(t.sends_ok), o.members - 1,
              per_s(t.sends_ok) * (o.members - 1));
  std::string acks =
    !o.ack ? "off"
    : o.ack_delay_ms == 0
      ? "one per read"
      : "at most one per " + std::to_string(o.ack_delay_ms) + " ms per member";
  std::printf("  acks sent: %.0f/s (%s), receipt frames received: %.0f/s\n",
              per_s(t.acks), acks.c_str(), per_s(t.receipts));
  print_totals(pool, t.drained);
  print_latency("send -> last member:", t.samples.last_member_us);
  print_latency("send -> each delivery:", t.samples.delivery_us);
  print_latency("send -> ok (durable):", t.samples.reply_us);
  print_cpu(t, t.delivered, "delivery");
  std::printf("  server RSS after traffic: %s\n",
              kib_text(t.rss_after).c_str());

  group_check c;
  for (auto& w : pool.workers)
    c += w->run_on([&w] { return w->check_groups(); });
  std::printf("  check: %llu posts, each to %u other members: missing %llu, "
              "extra %llu, seqs without ok %llu, out of order %llu, own "
              "posts echoed %llu\n",
              static_cast<unsigned long long>(c.posts), o.members - 1,
              static_cast<unsigned long long>(c.missing),
              static_cast<unsigned long long>(c.extra),
              static_cast<unsigned long long>(c.unacked),
              static_cast<unsigned long long>(c.out_of_order),
              static_cast<unsigned long long>(c.own_echo));
  if (c.ok() && t.drained)
    return 0;
  std::fflush(stdout);
  std::fprintf(stderr,
               "parley-bench: GROUP CHECK FAILED: %s%llu deliveries missing, "
               "%llu extra, %llu seqs without ok, %llu out of order, %llu "
               "own posts echoed\n",
               t.drained ? "" : "not drained within --drain; ",
               static_cast<unsigned long long>(c.missing),
               static_cast<unsigned long long>(c.extra),
               static_cast<unsigned long long>(c.unacked),
               static_cast<unsigned long long>(c.out_of_order),
               static_cast<unsigned long long>(c.own_echo));
  return 3;
}

} // namespace parley::bench
