// The blocking client: encoding, reply matching, push queueing, timeouts and
// failures, against a real gateway on 127.0.0.1.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway_fixture.hpp"

using namespace parley::test;
using parley::transport::client_error;
using parley::transport::frame_decoder;

namespace {

/// A port on 127.0.0.1 that nobody listens on (bound, then released).
uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

} // namespace

TEST_CASE("client: encode writes one length-prefixed MessagePack map",
          "[client]") {
  json frame = {{"t", "send"},
                {"id", 3},
                {"body", json::binary({0x00, 0xff, 0x10})}};
  auto bytes = client::encode(frame);
  REQUIRE(bytes.size() > 4);
  auto length = (uint32_t(uint8_t(bytes[0])) << 24)
                | (uint32_t(uint8_t(bytes[1])) << 16)
                | (uint32_t(uint8_t(bytes[2])) << 8) | uint32_t(uint8_t(bytes[3]));
  CHECK(length == bytes.size() - 4);
  CHECK((uint8_t(bytes[4]) & 0xf0) == 0x80); // fixmap
  frame_decoder decoder;
  decoder.feed(bytes.data(), bytes.size());
  std::string payload;
  REQUIRE(decoder.next(payload) == frame_decoder::status::frame);
  auto back = json::from_msgpack(payload);
  CHECK(back == frame);
  CHECK(back["body"].is_binary());
  // A bin body is MessagePack bin 8 (0xc4), not an ext type.
  CHECK(payload.find("\xc4\x03", 0, 2) != std::string::npos);
}

TEST_CASE("client: connecting to a closed port throws", "[client]") {
  CHECK_THROWS_AS(client("127.0.0.1", closed_port(), 1000ms), client_error);
}

TEST_CASE("client: call matches replies by id and queues the rest",
          "[client]") {
  gateway_fixture f;
  auto c = f.connect();
  auto later = c->send({{"t", "later"}});
  CHECK(later == 1);
  // The server sends: note (push), ok for flush, then ok for `later`.
  auto reply = c->call({{"t", "flush"}});
  CHECK(reply["t"] == "ok");
  CHECK(reply["id"] == 2);
  // The push is handed out by next_push, skipping no reply...
  auto note = c->next_push(1000ms);
  REQUIRE(note);
  CHECK((*note)["t"] == "note");
  // ...and the reply to `later` waits for wait_reply.
  CHECK(c->wait_reply(later, 1000ms)["id"] == later);
  CHECK_FALSE(c->next_push(50ms));
}

TEST_CASE("client: next_push leaves replies queued for wait_reply",
          "[client]") {
  gateway_fixture f;
  auto c = f.connect();
  auto later = c->send({{"t", "later"}});
  auto flush = c->send({{"t", "flush"}});
  // Frames arrive: note, ok(flush), ok(later). next_push reads past the
  // replies? No: note comes first; the replies must stay queued.
  auto note = c->next_push(1000ms);
  REQUIRE(note);
  CHECK((*note)["t"] == "note");
  CHECK_FALSE(c->next_push(200ms)); // only replies follow
  CHECK(c->wait_reply(later, 100ms)["id"] == later);
  CHECK(c->wait_reply(flush, 100ms)["id"] == flush);
}

TEST_CASE("client: next_frame hands out every frame in order", "[client]") {
  gateway_fixture f;
  auto c = f.connect();
  auto later = c->send({{"t", "later"}});
  auto flush = c->send({{"t", "flush"}});
  std::vector<json> frames;
  while (frames.size() < 3) {
    auto frame = c->next_frame(1000ms);
    REQUIRE(frame);
    frames.push_back(*frame);
  }
  CHECK(frames[0]["t"] == "note");
  CHECK(frames[1]["id"] == flush);
  CHECK(frames[2]["id"] == later);
  CHECK_FALSE(c->next_frame(50ms));
}

TEST_CASE("client: a call without reply times out", "[client]") {
  gateway_fixture f;
  auto c = f.connect();
  auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(c->call({{"t", "silent"}}, 200ms), client_error);
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 200ms);
  CHECK(elapsed < 2000ms);
  CHECK_FALSE(c->closed());
  CHECK(c->call({{"t", "echo"}})["t"] == "ok"); // still usable
}

TEST_CASE("client: the server closing before the reply throws", "[client]") {
  gateway_fixture f;
  auto c = f.connect();
  auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(c->call({{"t", "close_now"}}, 3000ms), client_error);
  CHECK(std::chrono::steady_clock::now() - start < 2000ms);
  CHECK(c->closed());
  CHECK(c->wait_closed(10ms));
}

TEST_CASE("client: session helpers send protocol.md's fields", "[client]") {
  gateway_fixture f;
  auto c = f.connect();
  auto hello = c->hello();
  CHECK(hello["t"] == "ok");
  CHECK(c->register_user("alice", "secret-password")["t"] == "ok");
  CHECK(c->login("alice", "secret-password", "phone")["t"] == "ok");
  std::lock_guard<std::mutex> guard{f.log->mutex};
  CHECK(f.log->types
        == std::vector<std::string>{"hello", "register", "login"});
  CHECK(f.log->fields["user"] == "alice");
  CHECK(f.log->fields["password"] == "secret-password");
  CHECK(f.log->fields["device"] == "phone");
}

TEST_CASE("client: bodies round-trip as str and bin", "[client]") {
  gateway_fixture f;
  auto c = f.connect();
  auto text = c->call({{"t", "echo"}, {"body", "hi \xc3\xa9"}});
  CHECK(text["body"] == "hi \xc3\xa9");
  std::vector<uint8_t> bytes{0, 1, 2, 0xfe, 0xff};
  auto bin = c->call({{"t", "echo"}, {"body", json::binary(bytes)}});
  REQUIRE(bin["body"].is_binary());
  CHECK(std::vector<uint8_t>(bin["body"].get_binary()) == bytes);
}

TEST_CASE("client: pump and wait_closed", "[client]") {
  gateway_fixture f;
  auto c = f.connect();
  c->pump(); // nothing to read: returns at once
  CHECK_FALSE(c->wait_closed(50ms));
  auto id = c->send({{"t", "echo"}});
  f.log->wait_for([&] { return f.log->requests == 1; });
  std::this_thread::sleep_for(50ms);
  c->pump();
  CHECK(c->wait_reply(id, 0ms)["t"] == "ok");
  c->send_no_id({{"t", "close_now"}});
  CHECK(c->wait_closed(3000ms));
  CHECK_THROWS_AS(c->call({{"t", "echo"}}, 500ms), client_error);
  c->disconnect();
  CHECK(c->native_handle() == -1);
  CHECK_THROWS_AS(c->send({{"t", "echo"}}), client_error);
}
