#include "bench_visit.hpp"

namespace parley::bench {

visit_totals visit(const bench_options& o, const bench_settings& settings,
                   const boost::asio::ip::tcp::endpoint& server,
                   const std::vector<std::string>& users, size_t lo,
                   size_t hi, const visit_plan& plan) {
  visit_totals t;
  worker_pool pool(settings, o.threads);
  auto threads = pool.workers.size();
  // Per worker, its clients and their indexes in `users`.
  std::vector<std::vector<std::pair<bench_client*, size_t>>> mine(threads);
  for (size_t i = lo; i < hi; ++i) {
    auto w = (i - lo) % threads;
    auto& c = pool.workers[w]->add_client(users[i], users[i ^ 1u]);
    if (plan.prepare)
      plan.prepare(c, i);
    mine[w].emplace_back(&c, i);
  }
  pool.start();
  t.connect = connect_clients(o, pool, server);
  t.login = login_clients(o, pool);
  for (size_t w = 0; w < threads; ++w)
    pool.workers[w]->run_on([&plan, &clients = mine[w]] {
      for (auto& [c, i] : clients)
        plan.start(*c, i);
    });
  t.finished = wait_until([&] { return plan.finished(pool); }, o.drain_s);
  pool.each([](bench_worker& w) { w.close_all(); });
  auto n = [&](counter_field f) { return pool.sum(f); };
  t.sends = n(&worker_counters::sends);
  t.send_ok = n(&worker_counters::send_ok);
  t.send_err = n(&worker_counters::send_err);
  t.delivered = n(&worker_counters::delivered);
  t.expected = n(&worker_counters::expected);
  t.checks_ok = n(&worker_counters::checks_ok);
  t.checks_failed = n(&worker_counters::checks_failed);
  t.lost = n(&worker_counters::closed);
  t.errors = pool.take_samples().errors;
  return t;
}

} // namespace parley::bench
