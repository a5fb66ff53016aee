// End-to-end: the limits of protocol.md ("Limits and overload", heartbeat):
// slow consumers, idle connections, rate limiting.

#include <chrono>
#include <vector>

#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "e2e/parleyd_process.hpp"

using namespace parley::e2e;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

} // namespace

TEST_CASE("a slow consumer gets bye slow_consumer, loses nothing",
          "[e2e][limits]") {
  server_options opts;
  opts.max_output = 64 * 1024;
  parleyd_fixture f{opts};
  f.register_user("alice");
  f.register_user("bob");
  auto a = f.login("alice", "a1");
  // bob's "slow" device logs in and then does not read.
  auto slow = f.login("bob", "slow");
  // bob's other device reads everything.
  auto fast = f.login("bob", "fast");

  // Well more than the kernel buffers and max_output together hold (5 MB;
  // loopback buffers hold ~2 MB), sent in windows
  // of 4 (64 KiB) that the fast device reads in between. Not much more: the
  // slow device must start reading within the server's close grace (2 s)
  // after the cut to see the bye.
  const int total = 320;
  const int window = 4;
  const std::string body(16000, 'b');
  std::string conv;
  int fast_seen = 0;
  auto sending = clock_type::now();
  for (int start = 1; start <= total; start += window) {
    std::vector<uint64_t> ids;
    for (int i = start; i < start + window; ++i)
      ids.push_back(a->send(
        send_to("bob", body + std::to_string(i), "s" + std::to_string(i))));
    for (auto id : ids) {
      auto r = a->wait_reply(id);
      INFO(r.dump());
      REQUIRE(r.at("t") == "ok");
      conv = r.at("conv").get<std::string>();
    }
    // The fast device keeps up and sees every message in order.
    while (fast_seen < start + window - 1) {
      auto p = next_push_of(*fast.c, "msg");
      REQUIRE(p.has_value());
      REQUIRE(p->at("seq") == ++fast_seen);
    }
  }
  CHECK(fast_seen == total);
  auto sending_took = seconds_since(sending);
  CHECK(fast->call({{"t", "ping"}}).at("t") == "ok");

  // The slow device finds a gapless prefix of the messages, then `bye
  // slow_consumer` (the bye is best effort: a peer that does not read may
  // only see the close), then the close.
  uint64_t got = 0;
  std::optional<json> bye;
  auto start = clock_type::now();
  while (seconds_since(start) < 10) {
    auto frame = slow->next_frame(std::chrono::milliseconds(3000));
    if (!frame)
      break;
    if (frame->at("t") == "msg") {
      REQUIRE(frame->at("seq") == ++got);
      continue;
    }
    if (frame->at("t") == "bye") {
      bye = frame;
      break;
    }
  }
  INFO("the slow device got " << got << " messages before the close; "
                              << "sending took " << sending_took << " s");
  CHECK(got < static_cast<uint64_t>(total));
  REQUIRE(bye.has_value());
  CHECK(bye->at("code") == "slow_consumer");
  CHECK(bye->at("msg").is_string());
  CHECK(slow->wait_closed(std::chrono::milliseconds(3000)));

  // Nothing acknowledged is lost: on its next login the device gets all of
  // it (it acked nothing), then synced.
  auto again = f.resume("bob", "slow", slow.token);
  uint64_t replayed = 0;
  for (;;) {
    auto p = again->next_push();
    REQUIRE(p.has_value());
    if (p->at("t") == "synced")
      break;
    REQUIRE(p->at("t") == "msg");
    REQUIRE(p->at("seq") == ++replayed);
    REQUIRE(p->at("body") == body + std::to_string(replayed));
  }
  CHECK(replayed == static_cast<uint64_t>(total));
  // The node is fine: the live path works for the reconnected device.
  auto r = a->call(send_to("bob", "after", "s-after"));
  CHECK(r.at("seq") == total + 1);
  auto live = next_push_of(*again.c, "msg");
  REQUIRE(live.has_value());
  CHECK(live->at("seq") == total + 1);
}

TEST_CASE("a silent client is closed after 2 * heartbeat_s", "[e2e][limits]") {
  server_options opts;
  opts.heartbeat_s = 1;
  parleyd_fixture f{opts};
  f.register_user("alice");
  auto talker = f.login("alice", "talker");
  auto mute = f.connect_hello();
  auto start = clock_type::now(); // mute's last frame: the hello
  auto never = f.connect();       // never sends a single frame
  auto logged_in = f.login("alice", "mute");

  std::optional<json> bye;
  double closed_after = 0;
  // The talker pings every 300 ms and must stay up throughout.
  while (seconds_since(start) < 6) {
    auto r = talker->call({{"t", "ping"}});
    REQUIRE(r.at("t") == "ok");
    if (!bye) {
      auto frame = mute->next_frame(std::chrono::milliseconds(300));
      if (frame) {
        bye = frame;
        closed_after = seconds_since(start);
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      if (seconds_since(start) > closed_after + 0.7)
        break;
    }
  }
  REQUIRE(bye.has_value());
  CHECK(*bye == json{{"t", "bye"}, {"code", "idle"}, {"msg", bye->at("msg")}});
  CHECK(bye->at("msg").is_string());
  CHECK(closed_after >= 1.9); // not before 2 * heartbeat_s
  // The timer is due when the silence reaches 2 * heartbeat_s (it used to
  // be checked once per heartbeat_s: closes came up to 3 s after).
  CHECK(closed_after <= 2.7);
  CHECK(mute->wait_closed(std::chrono::milliseconds(2000)));
  // The one that never spoke and the logged-in one that went silent too.
  auto b2 = next_push_of(*never, "bye", std::chrono::milliseconds(2000));
  REQUIRE(b2.has_value());
  CHECK(b2->at("code") == "idle");
  CHECK(never->wait_closed(std::chrono::milliseconds(2000)));
  auto b3 = next_push_of(*logged_in.c, "bye", std::chrono::milliseconds(2000));
  REQUIRE(b3.has_value());
  CHECK(b3->at("code") == "idle");
  CHECK(logged_in->wait_closed(std::chrono::milliseconds(2000)));
  // The talker was never closed.
  CHECK_FALSE(talker->closed());
  CHECK(talker->call({{"t", "ping"}}).at("t") == "ok");
}

TEST_CASE("requests beyond the rate get rate_limited and are not carried out",
          "[e2e][limits]") {
  server_options opts;
  opts.rate = 2;
  opts.rate_burst = 10;
  parleyd_fixture f{opts};
  f.register_user("alice");
  f.register_user("bob");
  auto b = f.login("bob", "b1");
  auto a = f.login("alice", "a1"); // hello + login: 8 tokens left

  // 30 pings and then a send, back to back.
  std::vector<uint64_t> ids;
  for (int i = 0; i < 30; ++i)
    ids.push_back(a->send({{"t", "ping"}}));
  auto send_id = a->send(send_to("bob", "too fast", "limited"));
  size_t ok = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto r = a->wait_reply(ids[i]);
    INFO(i << ": " << r.dump());
    if (r.at("t") == "ok") {
      REQUIRE(ok == i); // every ok comes before the first rate_limited
      ++ok;
    } else {
      CHECK(r.at("code") == "rate_limited");
      CHECK(r.at("id") == ids[i]);
      CHECK(r.at("msg").is_string());
    }
  }
  CHECK(ok >= 8);
  CHECK(ok <= 10); // 8 saved tokens, plus refill if this machine stalls
  auto limited = a->wait_reply(send_id);
  CHECK(limited.at("t") == "err");
  CHECK(limited.at("code") == "rate_limited");
  // The limit is per connection; the connection stays up.
  CHECK(b->call({{"t", "ping"}}).at("t") == "ok");
  CHECK_FALSE(a->closed());
  CHECK(no_push(*b.c, std::chrono::milliseconds(100))); // nothing was sent

  // Tokens come back at `rate`.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto sent = a->call(send_to("bob", "in time", "allowed"));
  INFO(sent.dump());
  REQUIRE(sent.at("t") == "ok");
  CHECK(sent.at("seq") == 1); // the limited send took no seq
  auto p = next_push_of(*b.c, "msg");
  REQUIRE(p.has_value());
  CHECK(p->at("cmid") == "allowed");
  auto h = b->call({{"t", "history"}, {"conv", sent.at("conv")}});
  REQUIRE(h.at("msgs").size() == 1);
  CHECK(h.at("msgs")[0].at("cmid") == "allowed");
}
