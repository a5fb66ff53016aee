#include "bench_client.hpp"

#include <cstring>
#include <functional>

#include <netinet/in.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include "bench_worker.hpp"
#include "group_tracker.hpp"

namespace parley::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

/// Lets the kernel pick the source port at connect time, per destination,
/// so many sockets bound to one source address do not share one port pool.
using bind_address_no_port =
  asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;

constexpr size_t initial_read_buffer = 8 * 1024;
constexpr uint32_t max_frame = 16 * 1024 * 1024;

uint32_t read_be32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8)
         | uint32_t{u[3]};
}

} // namespace

bench_client::bench_client(bench_worker& worker, std::string user,
                           std::string partner)
    : worker_(worker), socket_(worker.context()), user_(std::move(user)),
      target_(std::move(partner)), ack_timer_(worker.context()) {
  // nop
}

void bench_client::join_group(group_tracker& group, bool sender) {
  group_ = &group;
  sender_ = sender;
  target_.clear();
  target_kind_ = send_target::conv;
}

void bench_client::set_conv(std::string conv) {
  target_ = std::move(conv);
  target_kind_ = send_target::conv;
}

void bench_client::create_group(std::string_view name,
                                const std::vector<std::string>& members) {
  if (state_ != state::online) {
    worker_.on_group_created(*this, {});
    return;
  }
  append_group_create(out_, make_id(request_kind::group_create, 0, ++serial_),
                      name, members);
  flush();
}

void bench_client::connect(const tcp::endpoint& server,
                           const std::optional<asio::ip::address>& local) {
  state_ = state::connecting;
  boost::system::error_code ec;
  socket_.open(server.protocol(), ec);
  if (!ec && local) {
    socket_.set_option(bind_address_no_port(true), ec);
    socket_.bind(tcp::endpoint(*local, 0), ec);
  }
  if (ec) {
    fail("socket");
    return;
  }
  socket_.async_connect(server, [this](const boost::system::error_code& ec) {
    if (silent())
      return;
    if (ec) {
      fail("connect");
      return;
    }
    socket_.set_option(tcp::no_delay(true));
    state_ = state::hello;
    in_.resize(initial_read_buffer);
    read_more();
    append_hello(out_, make_id(request_kind::hello, 0, ++serial_));
    flush();
  });
}

void bench_client::register_batch(std::vector<std::string> users,
                                  uint32_t window) {
  to_register_ = std::move(users);
  register_next_ = 0;
  for (uint32_t i = 0; i < window; ++i)
    next_register();
  flush();
}

void bench_client::next_register() {
  if (register_next_ >= to_register_.size())
    return;
  ++register_inflight_;
  append_register(out_, make_id(request_kind::register_user, 0, ++serial_),
                  to_register_[register_next_++], worker_.settings().password);
}

void bench_client::login() {
  if (state_ != state::ready) {
    worker_.on_login_done(*this, false);
    return;
  }
  state_ = state::logging_in;
  append_login(out_, make_id(request_kind::login, 0, ++serial_), user_,
               worker_.settings().password, "bench");
  flush();
}

void bench_client::send_message() {
  if (state_ != state::online || target_.empty())
    return;
  auto now = worker_.now_ns();
  std::string body;
  make_body(body, now, worker_.settings().body_size);
  char cmid[48];
  std::snprintf(cmid, sizeof cmid, "%s-%llu",
                worker_.settings().run_tag.c_str(),
                static_cast<unsigned long long>(++cmid_counter_));
  append_send(out_, make_id(request_kind::send, now / 1000, ++serial_),
              target_kind_, target_, body, cmid);
  if (track_ == track_mode::record)
    record_->sent_ns = now; // what body_sent_ns reads back from the body
  ++outstanding_;
  worker_.counters.sends.fetch_add(1, std::memory_order_relaxed);
  flush();
}

void bench_client::ping() {
  if (silent() || state_ == state::connecting)
    return;
  append_ping(out_, make_id(request_kind::ping, 0, ++serial_));
  flush();
}

void bench_client::close() {
  if (state_ == state::closed)
    return;
  state_ = state::closed;
  ack_timer_.cancel();
  boost::system::error_code ec;
  socket_.close(ec);
}

void bench_client::fail(const char* /*why*/) {
  auto before = state_;
  close();
  if (before == state::connecting || before == state::hello) {
    worker_.on_connect_done(*this, false);
  } else {
    worker_.counters.closed.fetch_add(1, std::memory_order_relaxed);
    if (before == state::logging_in)
      worker_.on_login_done(*this, false);
  }
}

void bench_client::flush() {
  if (write_busy_ || out_.empty() || silent())
    return;
  write_busy_ = true;
  last_write_ns_ = worker_.now_ns();
  writing_.swap(out_);
  out_.clear();
  asio::async_write(socket_, asio::buffer(writing_),
                    [this](const boost::system::error_code& ec, size_t) {
                      write_busy_ = false;
                      writing_.clear();
                      if (silent())
                        return;
                      if (ec) {
                        fail("write");
                        return;
                      }
                      if (vanishing_ && out_.empty()) {
                        vanish_now();
                        return;
                      }
                      flush();
                    });
}

void bench_client::read_more() {
  if (in_.size() - in_size_ < 1024)
    in_.resize(in_.size() * 2);
  socket_.async_read_some(
    asio::buffer(in_.data() + in_size_, in_.size() - in_size_),
    [this](const boost::system::error_code& ec, size_t n) {
      if (silent() || vanishing_)
        return; // a vanishing device reads nothing more
      if (ec) {
        fail("read");
        return;
      }
      in_size_ += n;
      on_bytes();
      if (silent())
        return;
      maybe_ack();
      flush();
      read_more();
    });
}

void bench_client::maybe_ack() {
  auto& settings = worker_.settings();
  if (!settings.ack || ack_seq_ <= acked_seq_ || ack_timer_armed_)
    return;
  if (settings.ack_delay.count() == 0) {
    send_ack(); // one cumulative ack per read
    return;
  }
  ack_timer_armed_ = true;
  ack_timer_.expires_after(settings.ack_delay);
  ack_timer_.async_wait([this](const boost::system::error_code& ec) {
    ack_timer_armed_ = false;
    if (ec || silent())
      return;
    send_ack();
    flush();
  });
}

void bench_client::send_ack() {
  append_ack(out_, conv_, ack_seq_);
  acked_seq_ = ack_seq_;
  worker_.counters.acks.fetch_add(1, std::memory_order_relaxed);
}

void bench_client::on_bytes() {
  size_t pos = 0;
  while (in_size_ - pos >= 4 && !silent()) {
    auto size = read_be32(in_.data() + pos);
    if (size == 0 || size > max_frame) {
      fail("bad frame length");
      return;
    }
    if (in_size_ - pos - 4 < size) {
      if (in_.size() < size + 4)
        in_.resize(size + 4 + initial_read_buffer);
      break;
    }
    incoming in;
    if (!decode(in_.data() + pos + 4, size, worker_.zone, in)) {
      worker_.count_error("(undecodable frame)");
    } else {
      on_frame(in);
    }
    pos += 4 + size;
  }
  if (pos > 0) {
    std::memmove(in_.data(), in_.data() + pos, in_size_ - pos);
    in_size_ -= pos;
  }
}

void bench_client::on_frame(const incoming& in) {
  if (in.has_id && (in.t == "ok" || in.t == "err")) {
    on_reply(in);
    return;
  }
  auto& c = worker_.counters;
  if (in.t == "msg") {
    on_msg(in);
  } else if (in.t == "receipt") {
    c.receipts.fetch_add(1, std::memory_order_relaxed);
  } else if (in.t == "presence") {
    on_presence(in);
  } else if (in.t == "synced") {
    c.synced.fetch_add(1, std::memory_order_relaxed);
  } else if (in.t == "bye") {
    worker_.count_error("bye " + std::string{in.code});
  } else if (in.t == "err") {
    worker_.count_error(in.code);
  }
}

void bench_client::on_msg(const incoming& in) {
  bool in_order = in.seq > ack_seq_;
  if (in_order) {
    ack_seq_ = in.seq;
    if (conv_.empty()) // one conversation: the pair's or the group's
      conv_.assign(in.conv);
  }
  if (in.kind == "member")
    return; // a group's creation: setup, not traffic (acked all the same)
  if (track_ == track_mode::record && in.from == target_)
    record_->got_seq = in.seq;
  auto sent = body_sent_ns(in.body);
  auto now = worker_.now_ns();
  if (group_ != nullptr) {
    if (in.from == user_) { // one device per user: this is the sender
      group_->on_own_echo();
      return;
    }
    if (!in_order)
      group_->on_out_of_order();
    worker_.on_group_delivery(*group_, in.seq, sent, now);
  }
  worker_.on_delivery(sent, now);
}

void bench_client::on_reply(const incoming& in) {
  bool ok = in.t == "ok";
  if (!ok)
    worker_.count_error(in.code);
  auto& c = worker_.counters;
  switch (kind_of(in.id)) {
  case request_kind::hello:
    if (ok) {
      state_ = state::ready;
      heartbeat_ns_ = in.heartbeat_s * 1000000000ull;
      if (heartbeat_ns_ > 0) // the keep-alive phase of this client
        ping_phase_ = std::hash<std::string>{}(user_) % (heartbeat_ns_ / 2);
    } else {
      close();
    }
    worker_.on_connect_done(*this, ok);
    break;
  case request_kind::register_user:
    --register_inflight_;
    if (ok || in.code == "user_exists")
      c.registered.fetch_add(1, std::memory_order_relaxed);
    else
      c.register_failed.fetch_add(1, std::memory_order_relaxed);
    next_register();
    break;
  case request_kind::login:
    state_ = ok ? state::online : state::ready;
    worker_.on_login_done(*this, ok);
    break;
  case request_kind::send: {
    if (outstanding_ > 0)
      --outstanding_;
    if (ok) {
      c.send_ok.fetch_add(1, std::memory_order_relaxed);
      c.expected.fetch_add(group_ ? group_->fanout() : 1,
                           std::memory_order_relaxed);
      if (group_ != nullptr)
        group_->on_post_ok(in.seq);
    } else {
      c.send_err.fetch_add(1, std::memory_order_relaxed);
    }
    if (worker_.recording() && ok) {
      auto now_us = worker_.now_ns() / 1000;
      auto sent_us = sent_us_of(in.id);
      if (now_us >= sent_us)
        worker_.samples.reply_us.push_back(
          static_cast<uint32_t>(now_us - sent_us));
    }
    on_send_result(in, ok);
    if (worker_.flat_out())
      send_message();
    break;
  }
  case request_kind::group_create:
    worker_.on_group_created(*this, ok ? std::string{in.conv} : std::string{});
    break;
  case request_kind::history:
    on_history(in, ok);
    break;
  case request_kind::watch:
  case request_kind::ping:
    break;
  }
}

} // namespace parley::bench
