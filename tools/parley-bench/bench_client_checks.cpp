// bench_client's parts for the entities and presence scenarios: recording
// and checking a pair's exchange across passivation, watching the partner,
// disappearing, keep-alive pings.

#include "bench_client.hpp"

#include "bench_worker.hpp"

namespace parley::bench {

namespace {

/// A message of the pair's conversation sent after the two recorded ones.
bool follows_the_pair(uint64_t seq) {
  return seq == 3 || seq == 4;
}

} // namespace

void bench_client::keep_alive(uint64_t now_ns) {
  if (heartbeat_ns_ == 0 || vanishing_
      || (state_ != state::ready && state_ != state::online))
    return;
  // Half-heartbeat slots, shifted by a phase of this client's own: clients
  // that logged in together do not ping together. At most one ping per
  // slot, none if something was written during the last half heartbeat:
  // silence stays below a heartbeat (plus a tick), the server allows two.
  auto half = heartbeat_ns_ / 2;
  auto slot = (now_ns + ping_phase_) / half;
  if (slot == ping_slot_)
    return;
  ping_slot_ = slot;
  if (now_ns - last_write_ns_ >= half)
    ping();
}

void bench_client::record_into(user_record& mine) {
  track_ = track_mode::record;
  record_ = &mine;
}

void bench_client::check_history(const user_record& mine,
                                 const user_record& theirs) {
  track_ = track_mode::verify;
  mine_ = &mine;
  theirs_ = &theirs;
  if (state_ != state::online || mine.conv.empty()) {
    end_check(state_ != state::online ? "check: not logged in"
                                      : "check: conversation unknown");
    return;
  }
  // Below seq 3: the partner's own check may have sent seq 3 already.
  append_history(out_, make_id(request_kind::history, 0, ++serial_),
                 mine.conv, 3, 10);
  flush();
}

void bench_client::on_history(const incoming& in, bool ok) {
  if (track_ != track_mode::verify)
    return;
  if (!ok) {
    end_check("history: err " + std::string{in.code});
    return;
  }
  auto problem = bench::check_history(user_, *mine_, target_, *theirs_,
                                      in.msgs);
  if (!problem.empty()) {
    end_check(problem);
    return;
  }
  send_message(); // the conversation must go on after its seq 2
}

void bench_client::on_send_result(const incoming& in, bool ok) {
  if (track_ == track_mode::record && ok) {
    record_->conv.assign(in.conv);
    record_->sent_seq = in.seq;
  } else if (track_ == track_mode::verify) {
    if (!ok)
      end_check("send after passivation: err " + std::string{in.code});
    else if (!follows_the_pair(in.seq))
      end_check("send after passivation: seq " + std::to_string(in.seq)
                + ", not 3 or 4");
    else
      end_check({});
  }
}

void bench_client::end_check(const std::string& problem) {
  track_ = track_mode::off;
  worker_.on_check_done(problem);
}

void bench_client::watch_partner() {
  if (state_ != state::online)
    return;
  append_watch(out_, make_id(request_kind::watch, 0, ++serial_), {target_});
  flush();
}

void bench_client::on_presence(const incoming& in) {
  if (in.user != target_)
    return;
  auto& c = worker_.counters;
  if (in.online) {
    ++presence_.online;
    c.presence_online.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (presence_.offline++ == 0)
    presence_.first_offline_ns = worker_.now_ns();
  c.presence_offline.fetch_add(1, std::memory_order_relaxed);
}

void bench_client::disappear(bool clean) {
  if (silent() || vanishing_)
    return;
  if (clean) {
    gone_ns_ = worker_.now_ns();
    close();
    return;
  }
  vanishing_ = true;
  append_ping(out_, make_id(request_kind::ping, 0, ++serial_));
  flush(); // its completion calls vanish_now
}

void bench_client::vanish_now() {
  state_ = state::vanished;
  gone_ns_ = worker_.now_ns();
  ack_timer_.cancel();
  boost::system::error_code ec;
  socket_.cancel(ec); // the pending read ends; the socket stays open
}

} // namespace parley::bench
