// The length framing of protocol.md ("Framing"): 4-byte big-endian length,
// 1 <= N <= max_frame, errors sticky.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "transport/frame_codec.hpp"

using parley::errc;
using parley::transport::append_frame;
using parley::transport::default_max_frame;
using parley::transport::frame_decoder;
using status = frame_decoder::status;

namespace {

std::string framed(const std::vector<std::string>& payloads) {
  std::string out;
  for (const auto& p : payloads)
    append_frame(out, p);
  return out;
}

std::string length_prefix(uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
          static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
}

void feed(frame_decoder& d, const std::string& bytes) {
  d.feed(bytes.data(), bytes.size());
}

/// Drains every complete frame; returns the last status seen.
status drain(frame_decoder& d, std::vector<std::string>& out) {
  std::string payload;
  for (;;) {
    auto st = d.next(payload);
    if (st != status::frame)
      return st;
    out.push_back(payload);
  }
}

} // namespace

TEST_CASE("append_frame writes a big-endian length then the payload",
          "[frame_codec]") {
  std::string out = "x";
  append_frame(out, "abc");
  CHECK(out == std::string("x\0\0\0\3abc", 8));

  std::string big(0x0304, 'p'); // 772 bytes
  std::string out2;
  append_frame(out2, big);
  REQUIRE(out2.size() == 4 + 772);
  CHECK(static_cast<unsigned char>(out2[0]) == 0x00);
  CHECK(static_cast<unsigned char>(out2[1]) == 0x00);
  CHECK(static_cast<unsigned char>(out2[2]) == 0x03);
  CHECK(static_cast<unsigned char>(out2[3]) == 0x04);
  CHECK(out2.substr(4) == big);
}

TEST_CASE("a new decoder needs more and holds nothing", "[frame_codec]") {
  frame_decoder d;
  std::string payload = "untouched";
  CHECK(d.next(payload) == status::need_more);
  CHECK(payload == "untouched");
  CHECK(d.buffered() == 0);
}

TEST_CASE("one whole frame in one read", "[frame_codec]") {
  frame_decoder d;
  feed(d, framed({"hello"}));
  std::string payload;
  REQUIRE(d.next(payload) == status::frame);
  CHECK(payload == "hello");
  CHECK(d.next(payload) == status::need_more);
  CHECK(d.buffered() == 0);
}

TEST_CASE("frames fed byte by byte come out whole and in order",
          "[frame_codec]") {
  std::vector<std::string> sent = {"a", std::string("b\0c", 3),
                                   std::string(300, 'z'), "last"};
  auto bytes = framed(sent);
  frame_decoder d;
  std::vector<std::string> got;
  for (size_t i = 0; i < bytes.size(); ++i) {
    d.feed(&bytes[i], 1);
    auto before = got.size();
    auto st = drain(d, got);
    CHECK(st == status::need_more);
    // A frame appears exactly when its last byte arrives, not earlier.
    if (got.size() > before)
      CHECK(d.buffered() == 0);
  }
  CHECK(got == sent);
  CHECK(d.buffered() == 0);
}

TEST_CASE("every split point of a two-frame stream decodes the same",
          "[frame_codec]") {
  std::vector<std::string> sent = {"first frame", "second"};
  auto bytes = framed(sent);
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    frame_decoder d;
    std::vector<std::string> got;
    d.feed(bytes.data(), cut);
    CHECK(drain(d, got) == status::need_more);
    d.feed(bytes.data() + cut, bytes.size() - cut);
    CHECK(drain(d, got) == status::need_more);
    CHECK(got == sent);
    CHECK(d.buffered() == 0);
  }
}

TEST_CASE("many small frames in one read", "[frame_codec]") {
  std::vector<std::string> sent;
  for (int i = 0; i < 5000; ++i)
    sent.push_back("frame-" + std::to_string(i));
  auto bytes = framed(sent);
  // Plus the first half of one more frame.
  std::string tail = framed({"tail-frame"});
  bytes += tail.substr(0, 7);

  frame_decoder d;
  feed(d, bytes);
  std::vector<std::string> got;
  CHECK(drain(d, got) == status::need_more);
  CHECK(got == sent);
  CHECK(d.buffered() == 7);

  // The rest arrives in the next read.
  d.feed(tail.data() + 7, tail.size() - 7);
  got.clear();
  CHECK(drain(d, got) == status::need_more);
  REQUIRE(got.size() == 1);
  CHECK(got[0] == "tail-frame");
  CHECK(d.buffered() == 0);
}

TEST_CASE("buffered memory stays within one frame plus one read",
          "[frame_codec]") {
  // A long stream fed in reads that never align with frame boundaries.
  std::vector<std::string> sent;
  for (int i = 0; i < 2000; ++i)
    sent.push_back(std::string(1 + i % 97, static_cast<char>('a' + i % 26)));
  auto bytes = framed(sent);
  frame_decoder d;
  std::vector<std::string> got;
  const size_t read_size = 61;
  size_t max_buffered = 0;
  for (size_t off = 0; off < bytes.size(); off += read_size) {
    auto n = std::min(read_size, bytes.size() - off);
    d.feed(bytes.data() + off, n);
    max_buffered = std::max(max_buffered, d.buffered());
    drain(d, got);
    // What is left is less than one whole frame (prefix included).
    CHECK(d.buffered() < 4 + 97);
  }
  CHECK(got == sent);
  CHECK(max_buffered < 4 + 97 + read_size);
}

TEST_CASE("a zero length is bad_frame", "[frame_codec]") {
  frame_decoder d;
  feed(d, length_prefix(0));
  std::string payload;
  REQUIRE(d.next(payload) == status::error);
  CHECK(d.error_code() == errc::bad_frame);
}

TEST_CASE("a length of exactly max_frame is accepted", "[frame_codec]") {
  SECTION("small limit") {
    frame_decoder d(16);
    feed(d, framed({std::string(16, 'm')}));
    std::string payload;
    REQUIRE(d.next(payload) == status::frame);
    CHECK(payload == std::string(16, 'm'));
  }
  SECTION("default limit") {
    frame_decoder d;
    feed(d, framed({std::string(default_max_frame, 'm')}));
    std::string payload;
    REQUIRE(d.next(payload) == status::frame);
    CHECK(payload.size() == default_max_frame);
    CHECK(d.next(payload) == status::need_more);
  }
}

TEST_CASE("a length of max_frame + 1 is too_large", "[frame_codec]") {
  SECTION("small limit") {
    frame_decoder d(16);
    feed(d, framed({std::string(17, 'm')}));
    std::string payload;
    REQUIRE(d.next(payload) == status::error);
    CHECK(d.error_code() == errc::too_large);
  }
  SECTION("default limit") {
    frame_decoder d;
    feed(d, framed({std::string(default_max_frame + 1, 'm')}));
    std::string payload;
    REQUIRE(d.next(payload) == status::error);
    CHECK(d.error_code() == errc::too_large);
  }
  SECTION("the largest length") {
    frame_decoder d;
    feed(d, length_prefix(0xffffffff));
    std::string payload;
    REQUIRE(d.next(payload) == status::error);
    CHECK(d.error_code() == errc::too_large);
  }
}

TEST_CASE("too_large is reported from the prefix alone", "[frame_codec]") {
  // No need to buffer a huge payload just to reject it.
  frame_decoder d(1000);
  auto prefix = length_prefix(1001);
  std::string payload;
  d.feed(prefix.data(), 3);
  CHECK(d.next(payload) == status::need_more);
  d.feed(prefix.data() + 3, 1);
  REQUIRE(d.next(payload) == status::error);
  CHECK(d.error_code() == errc::too_large);
}

TEST_CASE("errors are sticky", "[frame_codec]") {
  frame_decoder d;
  std::vector<std::string> got;
  feed(d, framed({"ok-before"}) + length_prefix(0) + framed({"after"}));
  CHECK(drain(d, got) == status::error);
  REQUIRE(got.size() == 1);
  CHECK(got[0] == "ok-before");
  CHECK(d.error_code() == errc::bad_frame);

  // Nothing is handed out after the error, whatever is fed.
  feed(d, framed({"more", "and more"}));
  std::string payload;
  CHECK(d.next(payload) == status::error);
  CHECK(d.next(payload) == status::error);
  CHECK(d.error_code() == errc::bad_frame);
  CHECK(d.buffered() == 0);
}

TEST_CASE("too_large stays too_large", "[frame_codec]") {
  frame_decoder d(8);
  feed(d, length_prefix(9));
  std::string payload;
  CHECK(d.next(payload) == status::error);
  feed(d, length_prefix(0));
  CHECK(d.next(payload) == status::error);
  CHECK(d.error_code() == errc::too_large);
}

TEST_CASE("a truncated frame waits for the rest", "[frame_codec]") {
  auto bytes = framed({"truncated payload"});
  SECTION("prefix cut") {
    frame_decoder d;
    d.feed(bytes.data(), 2);
    std::string payload;
    CHECK(d.next(payload) == status::need_more);
    CHECK(d.buffered() == 2);
  }
  SECTION("payload cut") {
    frame_decoder d;
    d.feed(bytes.data(), bytes.size() - 1);
    std::string payload;
    CHECK(d.next(payload) == status::need_more);
    CHECK(d.buffered() == bytes.size() - 1);
    d.feed(bytes.data() + bytes.size() - 1, 1);
    REQUIRE(d.next(payload) == status::frame);
    CHECK(payload == "truncated payload");
  }
}

TEST_CASE("the payload out-parameter is replaced, not appended to",
          "[frame_codec]") {
  frame_decoder d;
  feed(d, framed({"long first payload", "2nd"}));
  std::string payload;
  REQUIRE(d.next(payload) == status::frame);
  REQUIRE(d.next(payload) == status::frame);
  CHECK(payload == "2nd");
}
