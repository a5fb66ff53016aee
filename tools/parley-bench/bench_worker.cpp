#include "bench_worker.hpp"

#include <algorithm>
#include <cmath>

namespace parley::bench {

namespace asio = boost::asio;

namespace {

constexpr auto pace_tick = std::chrono::microseconds{500};
constexpr auto keep_alive_tick = std::chrono::milliseconds{25};

} // namespace

bench_worker::bench_worker(const bench_settings& settings)
    : settings_(settings), guard_(asio::make_work_guard(context_)) {
  // nop
}

bench_worker::~bench_worker() {
  stop();
  clients_.clear(); // sockets go before their io_context
}

void bench_worker::start() {
  asio::post(context_, [this] { keep_alive(); });
  thread_ = std::thread([this] { context_.run(); });
}

void bench_worker::keep_alive() {
  auto now = now_ns();
  for (auto& c : clients_)
    c->keep_alive(now);
  keep_alive_timer_.expires_after(keep_alive_tick);
  keep_alive_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec)
      keep_alive();
  });
}

void bench_worker::stop() {
  if (!thread_.joinable())
    return;
  guard_.reset();
  context_.stop();
  thread_.join();
}

uint64_t bench_worker::now_ns() const {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now() - settings_.epoch)
      .count());
}

bench_client& bench_worker::add_client(std::string user, std::string partner) {
  clients_.push_back(
    std::make_unique<bench_client>(*this, std::move(user), std::move(partner)));
  return *clients_.back();
}

group_tracker& bench_worker::add_group(uint32_t index, uint32_t members) {
  groups_.push_back(std::make_unique<group_tracker>(index, members));
  return *groups_.back();
}

group_check bench_worker::check_groups() const {
  group_check r;
  for (auto& g : groups_)
    r += g->check();
  return r;
}

size_t bench_worker::sender_count() const {
  return static_cast<size_t>(std::count_if(
    clients_.begin(), clients_.end(), [](auto& c) { return c->sender(); }));
}

void bench_worker::connect_all(const asio::ip::tcp::endpoint& server,
                               const std::vector<asio::ip::address>& sources,
                               uint32_t limit) {
  server_ = server;
  sources_ = sources;
  connect_next_ = 0;
  connect_limit_ = std::max<uint32_t>(limit, 1);
  start_connects();
}

void bench_worker::start_connects() {
  while (connect_inflight_ < connect_limit_
         && connect_next_ < clients_.size()) {
    auto i = connect_next_++;
    std::optional<asio::ip::address> local;
    if (!sources_.empty())
      local = sources_[i % sources_.size()];
    ++connect_inflight_;
    clients_[i]->connect(server_, local);
  }
}

void bench_worker::on_connect_done(bench_client&, bool ok) {
  if (ok)
    counters.connected.fetch_add(1, std::memory_order_relaxed);
  else
    counters.connect_failed.fetch_add(1, std::memory_order_relaxed);
  if (connect_inflight_ > 0)
    --connect_inflight_;
  start_connects();
}

void bench_worker::login_all(uint32_t limit) {
  login_limit_ = std::max<uint32_t>(limit, 1);
  for (auto& c : clients_)
    login_queue_.push_back(c.get());
  start_logins();
}

void bench_worker::start_logins() {
  while (login_inflight_ < login_limit_ && !login_queue_.empty()) {
    ++login_inflight_;
    auto c = login_queue_.front();
    login_queue_.pop_front();
    c->login();
  }
}

void bench_worker::on_login_done(bench_client&, bool ok) {
  if (ok)
    counters.logged_in.fetch_add(1, std::memory_order_relaxed);
  else
    counters.login_failed.fetch_add(1, std::memory_order_relaxed);
  if (login_inflight_ > 0)
    --login_inflight_;
  start_logins();
}

void bench_worker::on_group_created(bench_client& c, std::string conv) {
  auto g = c.group();
  if (conv.empty() || g == nullptr) {
    counters.group_create_failed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  for (auto& member : clients_)
    if (member->group() == g)
      member->set_conv(conv);
  g->set_conv(std::move(conv));
  counters.groups_created.fetch_add(1, std::memory_order_relaxed);
}

void bench_worker::on_delivery(uint64_t sent_ns, uint64_t now_ns) {
  counters.delivered.fetch_add(1, std::memory_order_relaxed);
  if (!recording_)
    return;
  counters.delivered_window.fetch_add(1, std::memory_order_relaxed);
  if (sent_ns == 0 || now_ns < sent_ns)
    return;
  auto us = (now_ns - sent_ns) / 1000;
  samples.delivery_us.push_back(static_cast<uint32_t>(us));
  if (us > counters.max_delivery_us.load(std::memory_order_relaxed))
    counters.max_delivery_us.store(us, std::memory_order_relaxed);
}

void bench_worker::on_group_delivery(group_tracker& g, uint64_t seq,
                                     uint64_t sent_ns, uint64_t now_ns) {
  auto last = g.on_delivery(seq, sent_ns, now_ns);
  if (last && recording_)
    samples.last_member_us.push_back(static_cast<uint32_t>(*last / 1000));
}

void bench_worker::count_error(std::string_view code) {
  ++samples.errors[std::string{code.empty() ? "(no code)" : code}];
}

void bench_worker::start_traffic(double rate) {
  traffic_ = true;
  rate_ = rate;
  senders_.clear();
  for (auto& c : clients_)
    if (c->sender())
      senders_.push_back(c.get());
  if (rate_ == 0) {
    for (auto c : senders_)
      for (uint32_t i = 0; i < settings_.window; ++i)
        c->send_message();
    return;
  }
  paced_issued_ = 0;
  pace_start_ = std::chrono::steady_clock::now();
  pace();
}

void bench_worker::pace() {
  if (!traffic_ || senders_.empty())
    return;
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                               - pace_start_)
                   .count();
  auto due = static_cast<uint64_t>(std::floor(rate_ * elapsed));
  for (; paced_issued_ < due; ++paced_issued_) {
    auto& c = *senders_[pace_next_];
    pace_next_ = (pace_next_ + 1) % senders_.size();
    if (c.online() && c.outstanding() < settings_.max_outstanding)
      c.send_message();
    else
      counters.skipped.fetch_add(1, std::memory_order_relaxed);
  }
  pace_timer_.expires_after(pace_tick);
  pace_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec)
      pace();
  });
}

void bench_worker::stop_traffic() {
  traffic_ = false;
  pace_timer_.cancel();
}

void bench_worker::ping_all() {
  for (auto& c : clients_)
    c->ping();
}

void bench_worker::close_all() {
  stop_traffic();
  keep_alive_timer_.cancel();
  for (auto& c : clients_)
    c->close();
}

void bench_worker::at(std::chrono::steady_clock::time_point when,
                      std::function<void()> f) {
  auto timer = std::make_shared<asio::steady_timer>(context_, when);
  timer->async_wait(
    [timer, f = std::move(f)](const boost::system::error_code& ec) {
      if (!ec)
        f();
    });
}

void bench_worker::on_check_done(const std::string& problem) {
  if (problem.empty()) {
    counters.checks_ok.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  counters.checks_failed.fetch_add(1, std::memory_order_relaxed);
  count_error(problem);
}

worker_samples bench_worker::take_samples() {
  worker_samples out;
  std::swap(out, samples);
  return out;
}

} // namespace parley::bench
