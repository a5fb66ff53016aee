// The TCP framing gateway, driven over 127.0.0.1 by the blocking client:
// framing, framing errors, heartbeat, output bound, write coalescing,
// connection limits, shutdown and the handler's life cycle.

#include <catch2/catch.hpp>

#include <system_error>
#include <thread>

#include "gateway_fixture.hpp"

using namespace parley::test;

namespace {

/// Expects the server's fatal framing answer: `err` (no id) with `code`,
/// then `bye` with `code`, then the close.
void expect_fatal(client& c, const std::string& code) {
  auto err = c.next_frame(3000ms);
  REQUIRE(err);
  CHECK((*err)["t"] == "err");
  CHECK((*err)["code"] == code);
  CHECK_FALSE(err->contains("id"));
  CHECK((*err)["msg"].is_string());
  CHECK_FALSE((*err)["msg"].get<std::string>().empty());
  auto bye = c.next_frame(3000ms);
  REQUIRE(bye);
  CHECK((*bye)["t"] == "bye");
  CHECK((*bye)["code"] == code);
  CHECK(c.wait_closed(3000ms));
  CHECK_FALSE(c.next_frame(100ms)); // nothing after the bye
}

/// Waits for `n` on_closed calls and returns the reasons of connection `i`
/// (in accept order).
std::vector<std::string> closed_reasons(gateway_fixture& f, size_t i,
                                        size_t n = 1) {
  f.log->wait_for([&] { return f.log->closed_count() >= n; });
  std::lock_guard<std::mutex> guard{f.log->mutex};
  if (i >= f.log->connections.size())
    return {};
  return f.log->closed[f.log->connections[i]->id()];
}

} // namespace

TEST_CASE("gateway: request and reply", "[gateway]") {
  gateway_config cfg;
  cfg.threads = GENERATE(1u, 2u);
  gateway_fixture f{cfg};
  auto c = f.connect();
  auto reply = c->call({{"t", "echo"}});
  CHECK(reply["t"] == "ok");
  auto hello = c->hello();
  CHECK(hello["t"] == "ok");
  CHECK(hello["v"] == 1);
  CHECK(f.gw->connection_count() == 1);
  auto st = f.gw->stats();
  CHECK(st.accepted == 1);
  CHECK(st.frames_in == 2);
  CHECK(st.frames_out >= 2);
}

TEST_CASE("gateway: several and many frames in one write", "[gateway]") {
  gateway_config cfg;
  cfg.threads = GENERATE(1u, 2u);
  gateway_fixture f{cfg};
  auto c = f.connect();
  for (size_t count : {3, 500}) {
    std::string bytes;
    for (size_t i = 0; i < count; ++i)
      bytes += client::encode({{"t", "echo"}, {"id", 1000 + i}});
    c->send_raw(bytes);
    for (size_t i = 0; i < count; ++i) {
      auto reply = c->wait_reply(1000 + i, 3000ms);
      CHECK(reply["t"] == "ok");
    }
  }
  std::lock_guard<std::mutex> guard{f.log->mutex};
  CHECK(f.log->requests == 503);
}

TEST_CASE("gateway: a frame split byte by byte", "[gateway]") {
  gateway_fixture f;
  auto c = f.connect();
  auto bytes = client::encode({{"t", "echo"}, {"id", 7}, {"body", "split"}});
  for (char ch : bytes) {
    c->send_raw(std::string(1, ch));
    std::this_thread::sleep_for(1ms);
  }
  auto reply = c->wait_reply(7, 3000ms);
  CHECK(reply["body"] == "split");
}

TEST_CASE("gateway: framing errors end the connection", "[gateway]") {
  gateway_config cfg;
  cfg.max_frame = 1024;
  cfg.threads = GENERATE(1u, 2u);
  gateway_fixture f{cfg};
  auto c = f.connect();
  CHECK(c->call({{"t", "echo"}})["t"] == "ok");
  std::string code = "bad_frame";
  SECTION("zero length") {
    c->send_raw(std::string(4, '\0'));
  }
  SECTION("length above max_frame") {
    code = "too_large";
    c->send_raw(std::string("\x00\x00\x04\x01", 4)); // 1025, no payload yet
  }
  SECTION("not MessagePack") {
    c->send_raw(raw_frame("\xc1\xc1\xc1")); // 0xc1 is never used
  }
  SECTION("truncated MessagePack") {
    c->send_raw(raw_frame("\x81\xa1t")); // map of 1, key "t", no value
  }
  SECTION("an array, not a map") {
    c->send_raw(raw_frame("\x91\xa1t")); // ["t"]
  }
  SECTION("a map without t") {
    c->send_raw(raw_frame("\x81\xa2id\x01")); // {"id":1}
  }
  SECTION("a map whose t is not a string") {
    c->send_raw(raw_frame("\x81\xa1t\x01")); // {"t":1}
  }
  SECTION("trailing bytes after the map") {
    c->send_raw(raw_frame("\x81\xa1t\xa1x\xc0")); // {"t":"x"} nil
  }
  // A valid request right behind the bad frame is never delivered.
  c->send_raw(client::encode({{"t", "echo"}, {"id", 99}}));
  expect_fatal(*c, code);
  CHECK(closed_reasons(f, 0) == std::vector<std::string>{code});
  std::lock_guard<std::mutex> guard{f.log->mutex};
  CHECK(f.log->requests == 1);
}

TEST_CASE("gateway: other clients keep working after one is closed",
          "[gateway]") {
  gateway_fixture f;
  auto a = f.connect();
  auto b = f.connect();
  CHECK(a->call({{"t", "echo"}})["t"] == "ok");
  CHECK(b->call({{"t", "echo"}})["t"] == "ok");
  a->send_raw(std::string(4, '\0'));
  CHECK(a->wait_closed(3000ms));
  for (int i = 0; i < 10; ++i)
    CHECK(b->call({{"t", "echo"}})["t"] == "ok");
  auto c = f.connect();
  CHECK(c->call({{"t", "echo"}})["t"] == "ok");
  f.log->wait_for([&] { return f.log->closed_count() == 1; });
  CHECK(f.gw->connection_count() == 2);
}

TEST_CASE("gateway: a silent client is closed with bye idle", "[gateway]") {
  gateway_config cfg;
  cfg.heartbeat = 100ms;
  gateway_fixture f{cfg};
  auto quiet = f.connect();
  auto chatty = f.connect();
  auto start = std::chrono::steady_clock::now();
  // chatty sends a frame every 50 ms and must outlive quiet's idle close.
  while (!quiet->closed()
         && std::chrono::steady_clock::now() - start < 2000ms) {
    CHECK(chatty->call({{"t", "ping"}})["t"] == "ok");
    quiet->pump();
    std::this_thread::sleep_for(50ms);
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 190ms); // 2 * heartbeat
  CHECK(elapsed < 1000ms);
  auto bye = quiet->next_frame(100ms);
  REQUIRE(bye);
  CHECK((*bye)["t"] == "bye");
  CHECK((*bye)["code"] == "idle");
  CHECK(closed_reasons(f, 0) == std::vector<std::string>{"idle"});
  CHECK(chatty->call({{"t", "ping"}})["t"] == "ok");
  CHECK_FALSE(chatty->closed());
}

TEST_CASE("gateway: a client that does not read is a slow consumer",
          "[gateway]") {
  gateway_config cfg;
  cfg.max_output = 64 * 1024;
  cfg.close_grace = 200ms;
  gateway_fixture f{cfg};
  auto slow = f.connect();
  auto other = f.connect();
  // Up to 64 MiB of pushes at ~8 MB/s, in batches well below the bound:
  // only a client that does not read makes the output grow.
  slow->send({{"t", "burst"}, {"n", 16 * 1024}, {"size", 4096}, {"batch", 4}});
  auto reasons = closed_reasons(f, 0);
  CHECK(reasons == std::vector<std::string>{"slow_consumer"});
  CHECK(other->call({{"t", "echo"}})["t"] == "ok");
  // The slow client now reads: pushes in order, perhaps the bye, then EOF.
  uint64_t expected = 0;
  bool saw_bye = false;
  while (auto frame = slow->next_frame(3000ms)) {
    if ((*frame)["t"] == "push") {
      CHECK((*frame)["i"] == expected);
      ++expected;
    } else {
      CHECK((*frame)["t"] == "bye");
      CHECK((*frame)["code"] == "slow_consumer");
      saw_bye = true;
    }
  }
  CHECK(slow->closed());
  CHECK(expected < 16 * 1024);
  WARN("slow consumer read " << expected << " pushes, bye seen: " << saw_bye);
}

TEST_CASE("gateway: a burst beyond max_output is a slow consumer at once",
          "[gateway]") {
  gateway_config cfg;
  cfg.max_output = 64 * 1024;
  // The client must drain the kernel buffers (MiBs of pushes) before the
  // bye can reach it: under the sanitizers decoding them takes longer than
  // the default grace, after which the socket closes without the bye.
  cfg.close_grace = std::chrono::seconds(20);
  gateway_fixture f{cfg};
  auto c = f.connect();
  // 8 MiB handed to send() while the client reads nothing: more than the
  // kernel buffers can absorb (tcp_wmem's max is 4 MiB; an unread receive
  // buffer does not grow), so the bound trips even when a loaded machine
  // lets the io thread drain while the producer runs. The client drains at
  // full speed afterwards, so the bye arrives within the close grace.
  c->send({{"t", "burst"}, {"n", 2048}, {"size", 4096}});
  // Give the burst time to trip the bound while nothing is read.
  std::this_thread::sleep_for(500ms);
  std::optional<json> last;
  while (auto frame = c->next_frame(3000ms))
    last = frame;
  REQUIRE(last);
  CHECK((*last)["t"] == "bye");
  CHECK((*last)["code"] == "slow_consumer");
  CHECK(c->closed());
  CHECK(closed_reasons(f, 0) == std::vector<std::string>{"slow_consumer"});
}

TEST_CASE("gateway: a burst of pushes is coalesced into few writes",
          "[gateway]") {
  gateway_fixture f;
  auto c = f.connect();
  auto before = f.gw->stats();
  auto id = c->send({{"t", "burst"}, {"n", 10000}, {"size", 40}});
  for (uint64_t i = 0; i < 10000; ++i) {
    auto push = c->next_push(3000ms);
    REQUIRE(push);
    REQUIRE((*push)["i"] == i);
  }
  CHECK(c->wait_reply(id)["t"] == "ok");
  auto after = f.gw->stats();
  auto frames = after.frames_out - before.frames_out;
  auto writes = after.writes - before.writes;
  CHECK(frames == 10001);
  // The io thread takes everything queued while a write is in flight; how
  // much that is depends on the relative speed of the two threads (a few to
  // a few hundred writes here; sanitizers slow the producer most).
  CHECK(writes * 5 < frames);
  WARN(frames << " frames in " << writes << " writes");
}

TEST_CASE("gateway: frames sent while the strand is busy go out in one write",
          "[gateway]") {
  gateway_fixture f;
  auto c = f.connect();
  CHECK(c->call({{"t", "echo"}})["t"] == "ok");
  std::shared_ptr<connection> conn;
  {
    std::lock_guard<std::mutex> guard{f.log->mutex};
    conn = f.log->connections.at(0);
  }
  auto before = f.gw->stats();
  // on_request runs on the connection's strand, so no write can start until
  // it returns: everything it sends is coalesced.
  auto id = c->send({{"t", "sync_burst"}, {"n", 1000}});
  for (uint64_t i = 0; i < 1000; ++i) {
    auto push = c->next_push(3000ms);
    REQUIRE(push);
    REQUIRE((*push)["i"] == i);
  }
  CHECK(c->wait_reply(id)["t"] == "ok");
  auto after = f.gw->stats();
  CHECK(after.frames_out - before.frames_out == 1001);
  CHECK(after.writes - before.writes == 1);
  // The write's completion may run just after the peer got the bytes.
  for (int i = 0; i < 100 && conn->unsent_bytes() != 0; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(conn->unsent_bytes() == 0);
}

TEST_CASE("gateway: beyond max_connections new clients get bye overloaded",
          "[gateway]") {
  gateway_config cfg;
  cfg.max_connections = 2;
  gateway_fixture f{cfg};
  auto a = f.connect();
  auto b = f.connect();
  CHECK(a->call({{"t", "echo"}})["t"] == "ok");
  CHECK(b->call({{"t", "echo"}})["t"] == "ok");
  auto c = f.connect();
  auto bye = c->next_frame(3000ms);
  REQUIRE(bye);
  CHECK((*bye)["t"] == "bye");
  CHECK((*bye)["code"] == "overloaded");
  CHECK(c->wait_closed(3000ms));
  CHECK(f.gw->connection_count() == 2);
  CHECK(f.gw->stats().rejected == 1);
  CHECK(a->call({{"t", "echo"}})["t"] == "ok");
  // A freed slot is usable again.
  a->disconnect();
  f.log->wait_for([&] { return f.log->closed_count() == 1; });
  auto d = f.connect();
  CHECK(d->call({{"t", "echo"}})["t"] == "ok");
}

TEST_CASE("gateway: stop sends bye shutdown to everyone", "[gateway]") {
  gateway_config cfg;
  cfg.threads = GENERATE(1u, 2u);
  gateway_fixture f{cfg};
  auto a = f.connect();
  auto b = f.connect();
  CHECK(a->call({{"t", "echo"}})["t"] == "ok");
  CHECK(b->call({{"t", "echo"}})["t"] == "ok");
  auto start = std::chrono::steady_clock::now();
  f.gw->stop();
  CHECK(std::chrono::steady_clock::now() - start < 1000ms);
  f.gw->stop(); // idempotent
  for (auto* c : {a.get(), b.get()}) {
    auto bye = c->next_frame(1000ms);
    REQUIRE(bye);
    CHECK((*bye)["t"] == "bye");
    CHECK((*bye)["code"] == "shutdown");
    CHECK(c->wait_closed(1000ms));
  }
  std::lock_guard<std::mutex> guard{f.log->mutex};
  CHECK(f.log->closed_count() == 2);
  for (auto& entry : f.log->closed)
    CHECK(entry.second == std::vector<std::string>{"shutdown"});
  CHECK(f.log->destroyed == 2);
  CHECK(f.log->destroyed_before_closed == 0);
  CHECK(f.gw->connection_count() == 0);
  // New clients are refused once stopped.
  CHECK_THROWS_AS(client("127.0.0.1", f.gw->port(), 500ms),
                  parley::transport::client_error);
}

TEST_CASE("gateway: abort closes every connection at once, without bye",
          "[gateway]") {
  gateway_config cfg;
  cfg.threads = GENERATE(1u, 2u);
  gateway_fixture f{cfg};
  auto a = f.connect();
  auto b = f.connect();
  CHECK(a->call({{"t", "echo"}})["t"] == "ok");
  CHECK(b->call({{"t", "echo"}})["t"] == "ok");
  f.gw->abort();
  f.gw->stop(); // then nothing more to do
  for (auto* c : {a.get(), b.get()}) {
    // The connection ends with no frame at all: no bye.
    CHECK_FALSE(c->next_frame(1000ms).has_value());
    CHECK(c->closed());
  }
  std::lock_guard<std::mutex> guard{f.log->mutex};
  CHECK(f.log->closed_count() == 2);
  for (auto& entry : f.log->closed)
    CHECK(entry.second == std::vector<std::string>{"shutdown"});
  CHECK(f.gw->connection_count() == 0);
}

TEST_CASE("gateway: on_closed comes exactly once, last, with the reason",
          "[gateway]") {
  gateway_config cfg;
  cfg.threads = GENERATE(1u, 2u);
  gateway_fixture f{cfg};
  auto c = f.connect();
  CHECK(c->call({{"t", "echo"}})["t"] == "ok");
  std::string reason;
  size_t requests = 2; // echo + the closing request; nothing after it
  SECTION("the peer closes") {
    reason = "peer_closed";
    requests = 1;
    c->disconnect();
  }
  SECTION("the server closes at once") {
    reason = "closed";
    // Frames behind close_now in the same write are never delivered.
    c->send_raw(client::encode({{"t", "close_now"}})
                + client::encode({{"t", "echo"}, {"id", 5}}));
    CHECK(c->wait_closed(3000ms));
  }
  SECTION("the server closes with last frames and a bye") {
    reason = "closed";
    auto id = c->send({{"t", "close_with"}});
    c->send_raw(client::encode({{"t", "echo"}, {"id", 77}}));
    auto last = c->next_frame(3000ms);
    REQUIRE(last);
    CHECK((*last)["t"] == "ok");
    CHECK((*last)["id"] == id);
    auto bye = c->next_frame(3000ms);
    REQUIRE(bye);
    CHECK((*bye)["t"] == "bye");
    CHECK((*bye)["code"] == "replaced");
    CHECK((*bye)["msg"] == "bye bye");
    CHECK(c->wait_closed(3000ms));
  }
  CHECK(closed_reasons(f, 0) == std::vector<std::string>{reason});
  f.log->wait_for([&] { return f.log->destroyed == 1; });
  std::shared_ptr<connection> conn;
  {
    std::lock_guard<std::mutex> guard{f.log->mutex};
    CHECK(f.log->requests == requests);
    CHECK(f.log->destroyed == 1);
    CHECK(f.log->destroyed_before_closed == 0);
    CHECK(f.log->request_after_closed == 0);
    conn = f.log->connections.at(0);
  }
  // The connection object outlives its socket; using it is a no-op.
  conn->send(parley::transport::make_ok_frame(1));
  conn->close_with("", "x", "y");
  conn->close();
  CHECK(conn->unsent_bytes() == 0);
  CHECK(f.gw->connection_count() == 0);
  f.gw.reset(); // the gateway goes first; the connection stays usable
  conn->send(parley::transport::make_ok_frame(2));
  conn->close();
  std::lock_guard<std::mutex> guard{f.log->mutex};
  CHECK(f.log->closed_count() == 1);
}

TEST_CASE("gateway: sends from many threads keep each thread's order",
          "[gateway]") {
  gateway_config cfg;
  cfg.threads = GENERATE(1u, 2u);
  gateway_fixture f{cfg};
  auto c = f.connect();
  CHECK(c->call({{"t", "echo"}})["t"] == "ok");
  std::shared_ptr<connection> conn;
  {
    std::lock_guard<std::mutex> guard{f.log->mutex};
    conn = f.log->connections.at(0);
  }
  constexpr uint64_t per_thread = 2000;
  std::vector<std::thread> senders;
  for (uint64_t t = 0; t < 4; ++t)
    senders.emplace_back([conn, t] {
      for (uint64_t i = 0; i < per_thread; ++i) {
        parley::transport::frame_builder b(3);
        b.key("t").str("push").key("thread").uint(t).key("i").uint(i);
        conn->send(b.finish());
      }
    });
  for (auto& s : senders)
    s.join();
  std::vector<uint64_t> next(4, 0);
  for (uint64_t n = 0; n < 4 * per_thread; ++n) {
    auto push = c->next_push(3000ms);
    REQUIRE(push);
    auto t = (*push)["thread"].get<uint64_t>();
    REQUIRE((*push)["i"] == next.at(t));
    ++next[t];
  }
}

TEST_CASE("gateway: a port in use is a system_error", "[gateway]") {
  gateway_fixture f;
  gateway_config cfg;
  cfg.port = f.gw->port();
  // reuse_address does not allow two listeners on one port.
  auto make = [&] {
    gateway g{cfg, [](std::shared_ptr<connection>) {
                return std::unique_ptr<connection_handler>{};
              }};
  };
  CHECK_THROWS_AS(make(), std::system_error);
}

TEST_CASE("gateway: a gateway that never started stops cleanly",
          "[gateway]") {
  gateway g{gateway_config{}, [](std::shared_ptr<connection>) {
              return std::unique_ptr<connection_handler>{};
            }};
  CHECK(g.port() != 0);
  g.stop();
  g.stop();
}
