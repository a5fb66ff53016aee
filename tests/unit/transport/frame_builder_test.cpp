// frame_builder and the canned frames, checked byte for byte and round-trip
// through frame_decoder + request::parse.

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "transport/frame_builder.hpp"
#include "transport/frame_codec.hpp"
#include "transport/request.hpp"

using namespace parley::transport;
using parley::errc;

namespace {

/// The payload of the one frame in `bytes`, checked by the decoder.
std::string payload_of(const std::string& bytes) {
  frame_decoder d;
  d.feed(bytes.data(), bytes.size());
  std::string payload;
  REQUIRE(d.next(payload) == frame_decoder::status::frame);
  REQUIRE(d.buffered() == 0);
  return payload;
}

request parsed(const std::string& frame) {
  auto req = request::parse(payload_of(frame));
  REQUIRE(req);
  return std::move(*req);
}

/// The number of entries of the top-level map.
uint32_t map_size(const std::string& frame) {
  auto payload = payload_of(frame);
  auto handle = msgpack::unpack(payload.data(), payload.size());
  REQUIRE(handle.get().type == msgpack::type::MAP);
  return handle.get().via.map.size;
}

} // namespace

TEST_CASE("make_ok_frame is exact MessagePack with a length prefix",
          "[frame_builder]") {
  // 82 | a1 't' | a2 'o' 'k' | a2 'i' 'd' | 07  = 10 bytes
  std::string expected("\x00\x00\x00\x0a"
                       "\x82\xa1t\xa2ok\xa2id\x07",
                       14);
  CHECK(make_ok_frame(7) == expected);
}

TEST_CASE("make_ok_frame round-trips", "[frame_builder]") {
  auto req = parsed(make_ok_frame(UINT64_MAX));
  CHECK(req.type() == "ok");
  CHECK(req.id() == UINT64_MAX);
  CHECK(map_size(make_ok_frame(1)) == 2);
}

TEST_CASE("make_err_frame with an id", "[frame_builder]") {
  uint64_t id = 42;
  auto frame = make_err_frame(&id, errc::rate_limited, "slow down");
  auto req = parsed(frame);
  CHECK(req.type() == "err");
  CHECK(req.id() == 42u);
  CHECK(req.get_string("code").value == "rate_limited");
  CHECK(req.get_string("msg").value == "slow down");
  CHECK(map_size(frame) == 4);
}

TEST_CASE("make_err_frame without an id omits the key", "[frame_builder]") {
  auto frame = make_err_frame(nullptr, errc::bad_frame, "");
  auto req = parsed(frame);
  CHECK(req.type() == "err");
  CHECK(req.id_field().absent());
  CHECK(req.get_string("code").value == "bad_frame");
  CHECK(req.get_string("msg").ok());
  CHECK(req.get_string("msg").value.empty());
  CHECK(map_size(frame) == 3);
}

TEST_CASE("make_bye_frame", "[frame_builder]") {
  auto frame = make_bye_frame("slow_consumer", "output bound exceeded");
  auto req = parsed(frame);
  CHECK(req.type() == "bye");
  CHECK(req.id_field().absent());
  CHECK(req.get_string("code").value == "slow_consumer");
  CHECK(req.get_string("msg").value == "output bound exceeded");
  CHECK(map_size(frame) == 3);
}

TEST_CASE("every value kind round-trips", "[frame_builder]") {
  std::string binary("\x00\x01\xfe\xff", 4);
  frame_builder b(12);
  b.key("t").str("msg");
  b.key("id").uint(123456789012ull);
  b.key("neg").sint(-42);
  b.key("pos").sint(42);
  b.key("yes").boolean(true);
  b.key("no").boolean(false);
  b.key("nothing").nil();
  b.key("text").body("hello", false);
  b.key("blob").body(binary, true);
  b.key("raw").bin("r");
  b.key("members").array(3).str("alice").str("bob").str("carol");
  b.key("last").map(2).key("seq").uint(9).key("from").str("bob");
  auto frame = b.finish();

  auto req = parsed(frame);
  CHECK(req.type() == "msg");
  CHECK(req.id() == 123456789012u);
  CHECK(req.get_uint("neg").wrong_type());
  CHECK(req.get_uint("pos").value == 42); // non-negative sint is an integer
  CHECK(req.get_bool("yes").value == true);
  CHECK(req.get_bool("no").ok());
  CHECK(req.get_bool("no").value == false);
  CHECK(req.get_string("nothing").wrong_type());
  auto text = req.get_body("text");
  CHECK(text.value.bytes == "hello");
  CHECK_FALSE(text.value.binary);
  auto blob = req.get_body("blob");
  CHECK(blob.value.bytes == binary);
  CHECK(blob.value.binary);
  CHECK(req.get_body("raw").value.binary);
  CHECK(req.get_string_list("members").value
        == std::vector<std::string>{"alice", "bob", "carol"});

  // The nested map and the signed value, read back with msgpack itself.
  auto payload = payload_of(frame);
  auto handle = msgpack::unpack(payload.data(), payload.size());
  const auto& root = handle.get();
  REQUIRE(root.type == msgpack::type::MAP);
  REQUIRE(root.via.map.size == 12);
  const auto& neg = root.via.map.ptr[2];
  CHECK(neg.key.as<std::string>() == "neg");
  CHECK(neg.val.as<int64_t>() == -42);
  const auto& nothing = root.via.map.ptr[6];
  CHECK(nothing.val.type == msgpack::type::NIL);
  const auto& last = root.via.map.ptr[11];
  REQUIRE(last.val.type == msgpack::type::MAP);
  REQUIRE(last.val.via.map.size == 2);
  CHECK(last.val.via.map.ptr[0].key.as<std::string>() == "seq");
  CHECK(last.val.via.map.ptr[0].val.as<uint64_t>() == 9);
  CHECK(last.val.via.map.ptr[1].val.as<std::string>() == "bob");
}

TEST_CASE("the length prefix matches the payload for large bodies",
          "[frame_builder]") {
  std::string body(70000, 'x'); // a bin32 and a three-byte length
  frame_builder b(2);
  b.key("t").str("msg");
  b.key("body").body(body, true);
  auto frame = b.finish();
  uint32_t n = (uint32_t{static_cast<unsigned char>(frame[0])} << 24)
               | (uint32_t{static_cast<unsigned char>(frame[1])} << 16)
               | (uint32_t{static_cast<unsigned char>(frame[2])} << 8)
               | uint32_t{static_cast<unsigned char>(frame[3])};
  CHECK(n == frame.size() - 4);
  // Too large for the default limit, so decode with a larger one.
  frame_decoder d(1 << 20);
  d.feed(frame.data(), frame.size());
  std::string payload;
  REQUIRE(d.next(payload) == frame_decoder::status::frame);
  auto req = request::parse(payload);
  REQUIRE(req);
  CHECK(req->get_body("body").value.bytes == body);
}

TEST_CASE("empty strings and bins", "[frame_builder]") {
  frame_builder b(3);
  b.key("t").str("");
  b.key("s").str("");
  b.key("b").bin("");
  auto req = parsed(b.finish());
  CHECK(req.type().empty());
  CHECK(req.get_string("s").ok());
  CHECK(req.get_string("s").value.empty());
  CHECK(req.get_body("b").value.binary);
}

TEST_CASE("a stream of built frames decodes byte by byte",
          "[frame_builder]") {
  std::string stream;
  for (uint64_t i = 0; i < 50; ++i) {
    frame_builder b(3);
    b.key("t").str("msg").key("seq").uint(i).key("body").body(
      std::string(i * 7, 'a' + i % 26), i % 2 == 1);
    stream += b.finish();
  }
  frame_decoder d;
  std::string payload;
  uint64_t expected = 0;
  for (char c : stream) {
    d.feed(&c, 1);
    while (d.next(payload) == frame_decoder::status::frame) {
      auto req = request::parse(payload);
      REQUIRE(req);
      CHECK(req->get_uint("seq").value == expected);
      auto body = req->get_body("body").value;
      CHECK(body.bytes == std::string(expected * 7, 'a' + expected % 26));
      CHECK(body.binary == (expected % 2 == 1));
      ++expected;
    }
  }
  CHECK(expected == 50);
}

TEST_CASE("finish twice does not crash", "[frame_builder]") {
  frame_builder b(1);
  b.key("t").str("ok");
  auto first = b.finish();
  CHECK(first.size() > 4);
  CHECK(b.finish().empty());
}
