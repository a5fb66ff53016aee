// request::parse: exactly one MessagePack map with a string `t`, and the
// typed field accessors.

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "transport/request.hpp"

using parley::transport::request;

namespace {

/// Packs MessagePack by hand, so tests can write what no builder would.
class writer {
public:
  writer() : pk_(buf_) {}

  writer& map(uint32_t n) { return pk_.pack_map(n), *this; }
  writer& array(uint32_t n) { return pk_.pack_array(n), *this; }
  writer& str(std::string_view s) {
    pk_.pack_str(static_cast<uint32_t>(s.size()));
    pk_.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
    return *this;
  }
  writer& bin(std::string_view s) {
    pk_.pack_bin(static_cast<uint32_t>(s.size()));
    pk_.pack_bin_body(s.data(), static_cast<uint32_t>(s.size()));
    return *this;
  }
  writer& uint(uint64_t v) { return pk_.pack_uint64(v), *this; }
  writer& sint(int64_t v) { return pk_.pack_int64(v), *this; }
  /// Always a float64, even for integral values (msgpack-cxx's pack_double
  /// would write 7.0 as the integer 7).
  writer& dbl(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    char bytes[9] = {'\xcb'};
    for (int i = 0; i < 8; ++i)
      bytes[1 + i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);
    return raw({bytes, sizeof bytes});
  }
  writer& boolean(bool v) { return (v ? pk_.pack_true() : pk_.pack_false()), *this; }
  writer& nil() { return pk_.pack_nil(), *this; }
  writer& raw(std::string_view bytes) {
    buf_.write(bytes.data(), bytes.size());
    return *this;
  }

  std::string bytes() const { return {buf_.data(), buf_.size()}; }

private:
  msgpack::sbuffer buf_;
  msgpack::packer<msgpack::sbuffer> pk_;
};

std::optional<request> parse(const writer& w) {
  return request::parse(w.bytes());
}

/// {"t":"x", key: <value written by f>}
std::optional<request> with_field(std::string_view key,
                                  const std::function<void(writer&)>& f) {
  writer w;
  w.map(2).str("t").str("x").str(key);
  f(w);
  return parse(w);
}

} // namespace

TEST_CASE("a minimal request parses", "[request]") {
  writer w;
  w.map(2).str("t").str("ping").str("id").uint(7);
  auto req = parse(w);
  REQUIRE(req);
  CHECK(req->type() == "ping");
  REQUIRE(req->id());
  CHECK(*req->id() == 7);
  CHECK(req->id_field().ok());
  CHECK(req->id_field().value == 7);
}

TEST_CASE("keys may come in any order", "[request]") {
  writer w;
  w.map(3).str("user").str("alice").str("id").uint(9).str("t").str("login");
  auto req = parse(w);
  REQUIRE(req);
  CHECK(req->type() == "login");
  CHECK(req->id() == 9u);
  CHECK(req->get_string("user").value == "alice");
}

TEST_CASE("a request without id", "[request]") {
  writer w;
  w.map(1).str("t").str("ack");
  auto req = parse(w);
  REQUIRE(req);
  CHECK_FALSE(req->id());
  CHECK(req->id_field().absent());
  CHECK_FALSE(req->id_field().wrong_type());
}

TEST_CASE("id must be an unsigned integer", "[request]") {
  SECTION("zero") {
    auto req = with_field("id", [](writer& w) { w.uint(0); });
    REQUIRE(req);
    CHECK(req->id() == 0u);
    CHECK(req->id_field().ok());
  }
  SECTION("the largest") {
    auto req = with_field("id", [](writer& w) { w.uint(UINT64_MAX); });
    REQUIRE(req);
    CHECK(req->id() == UINT64_MAX);
  }
  SECTION("positive value in a signed encoding is still an unsigned integer") {
    // int8 0x05: MessagePack integers are one family.
    auto req = with_field("id", [](writer& w) { w.raw("\xd0\x05"); });
    REQUIRE(req);
    CHECK(req->id() == 5u);
  }
  SECTION("negative") {
    auto req = with_field("id", [](writer& w) { w.sint(-1); });
    REQUIRE(req); // still a request: a bad id is bad_request, not bad_frame
    CHECK_FALSE(req->id());
    CHECK(req->id_field().wrong_type());
  }
  SECTION("string") {
    auto req = with_field("id", [](writer& w) { w.str("7"); });
    REQUIRE(req);
    CHECK_FALSE(req->id());
    CHECK(req->id_field().wrong_type());
  }
  SECTION("float") {
    auto req = with_field("id", [](writer& w) { w.dbl(7.0); });
    REQUIRE(req);
    CHECK_FALSE(req->id());
    CHECK(req->id_field().wrong_type());
  }
  SECTION("float32") {
    auto req = with_field("id", [](writer& w) { w.raw(std::string_view("\xca\x40\xe0\0\0", 5)); });
    REQUIRE(req);
    CHECK_FALSE(req->id());
    CHECK(req->id_field().wrong_type());
  }
  SECTION("nil") {
    auto req = with_field("id", [](writer& w) { w.nil(); });
    REQUIRE(req);
    CHECK_FALSE(req->id());
    CHECK(req->id_field().wrong_type());
  }
}

TEST_CASE("bytes that are not MessagePack are rejected", "[request]") {
  CHECK_FALSE(request::parse(""));
  CHECK_FALSE(request::parse("\xc1")); // the never-used byte
  CHECK_FALSE(request::parse(std::string("\x81\xc1\xc1", 3)));
  CHECK_FALSE(request::parse("hello world"));
  CHECK_FALSE(request::parse("{\"t\":\"ping\"}")); // JSON is not MessagePack
}

TEST_CASE("MessagePack that is not a map is rejected", "[request]") {
  CHECK_FALSE(parse(writer().array(2).str("t").str("ping")));
  CHECK_FALSE(parse(writer().str("ping")));
  CHECK_FALSE(parse(writer().uint(1)));
  CHECK_FALSE(parse(writer().nil()));
  CHECK_FALSE(parse(writer().bin("\x81\xa1t\xa1x")));
}

TEST_CASE("a map without a string t is rejected", "[request]") {
  CHECK_FALSE(parse(writer().map(0)));
  CHECK_FALSE(parse(writer().map(1).str("id").uint(1)));
  CHECK_FALSE(parse(writer().map(1).str("T").str("ping")));
  CHECK_FALSE(parse(writer().map(1).str("t").uint(1)));
  CHECK_FALSE(parse(writer().map(1).str("t").bin("ping")));
  CHECK_FALSE(parse(writer().map(1).str("t").nil()));
  CHECK_FALSE(parse(writer().map(1).str("t").array(1).str("ping")));
}

TEST_CASE("an empty string t is still a string t", "[request]") {
  // Framing only asks for a string; an empty type is unknown_type later.
  auto req = parse(writer().map(1).str("t").str(""));
  REQUIRE(req);
  CHECK(req->type().empty());
}

TEST_CASE("trailing bytes after the map are rejected", "[request]") {
  writer one;
  one.map(1).str("t").str("ping");
  REQUIRE(parse(one));
  CHECK_FALSE(request::parse(one.bytes() + '\xc0'));
  CHECK_FALSE(request::parse(one.bytes() + '\0'));
  CHECK_FALSE(request::parse(one.bytes() + one.bytes()));
}

TEST_CASE("every truncation of a valid request is rejected", "[request]") {
  writer w;
  w.map(4).str("t").str("send").str("id").uint(70000).str("body").bin(
    "binary body").str("to").array(2).str("bob").str("carol");
  auto bytes = w.bytes();
  REQUIRE(request::parse(bytes));
  for (size_t n = 0; n < bytes.size(); ++n)
    CHECK_FALSE(request::parse(bytes.substr(0, n)));
}

TEST_CASE("unknown keys are ignored", "[request]") {
  writer w;
  w.map(5)
    .str("future")
    .map(2)
    .str("a")
    .array(2)
    .nil()
    .dbl(1.5)
    .str("b")
    .bin("xyz")
    .str("t")
    .str("send")
    .str("ext")
    .raw("\xd4\x01\x02") // fixext1
    .str("id")
    .uint(3)
    .str("neg")
    .sint(-100);
  auto req = parse(w);
  REQUIRE(req);
  CHECK(req->type() == "send");
  CHECK(req->id() == 3u);
}

TEST_CASE("map keys that are not strings are ignored", "[request]") {
  writer w;
  w.map(4).uint(1).str("one").nil().str("nil").str("t").str("x").bin("t").str(
    "bin key is not the string t");
  auto req = parse(w);
  REQUIRE(req);
  CHECK(req->type() == "x");
  CHECK(req->get_string("one").absent());
}

TEST_CASE("with duplicate keys the first one wins", "[request]") {
  SECTION("t") {
    auto req = parse(writer().map(2).str("t").str("first").str("t").str("second"));
    REQUIRE(req);
    CHECK(req->type() == "first");
  }
  SECTION("a first t that is not a string decides") {
    CHECK_FALSE(parse(writer().map(2).str("t").uint(1).str("t").str("x")));
  }
  SECTION("id") {
    auto req = parse(
      writer().map(3).str("t").str("x").str("id").uint(1).str("id").str("2"));
    REQUIRE(req);
    CHECK(req->id() == 1u);
  }
  SECTION("fields") {
    auto req = parse(writer().map(3).str("t").str("x").str("k").str("a").str("k").uint(2));
    REQUIRE(req);
    CHECK(req->get_string("k").value == "a");
    CHECK(req->get_uint("k").wrong_type());
  }
}

TEST_CASE("get_string", "[request]") {
  auto req = parse(writer()
                     .map(4)
                     .str("t")
                     .str("x")
                     .str("s")
                     .str(std::string("a\0b", 3))
                     .str("n")
                     .uint(1)
                     .str("b")
                     .bin("raw"));
  REQUIRE(req);
  auto s = req->get_string("s");
  CHECK(s.ok());
  CHECK(s.value == std::string("a\0b", 3));
  CHECK(req->get_string("n").wrong_type());
  CHECK(req->get_string("b").wrong_type()); // bin is not a string
  CHECK(req->get_string("missing").absent());
  CHECK(req->get_string("t").value == "x");
}

TEST_CASE("get_uint accepts only non-negative integers", "[request]") {
  auto req = parse(writer()
                     .map(7)
                     .str("t")
                     .str("x")
                     .str("u")
                     .uint(1ull << 40)
                     .str("zero")
                     .uint(0)
                     .str("neg")
                     .sint(-5)
                     .str("f")
                     .dbl(2.0)
                     .str("s")
                     .str("12")
                     .str("bool")
                     .boolean(true));
  REQUIRE(req);
  CHECK(req->get_uint("u").ok());
  CHECK(req->get_uint("u").value == (1ull << 40));
  CHECK(req->get_uint("zero").ok());
  CHECK(req->get_uint("zero").value == 0);
  CHECK(req->get_uint("neg").wrong_type());
  CHECK(req->get_uint("f").wrong_type());
  CHECK(req->get_uint("s").wrong_type());
  CHECK(req->get_uint("bool").wrong_type());
  CHECK(req->get_uint("missing").absent());
}

TEST_CASE("get_bool", "[request]") {
  auto req = parse(
    writer().map(4).str("t").str("x").str("on").boolean(true).str("off").boolean(
      false).str("one").uint(1));
  REQUIRE(req);
  CHECK(req->get_bool("on").ok());
  CHECK(req->get_bool("on").value == true);
  CHECK(req->get_bool("off").ok());
  CHECK(req->get_bool("off").value == false);
  CHECK(req->get_bool("one").wrong_type());
  CHECK(req->get_bool("missing").absent());
}

TEST_CASE("get_body keeps str and bin apart", "[request]") {
  std::string binary("\x00\xff\x10\x80", 4);
  auto req = parse(writer()
                     .map(5)
                     .str("t")
                     .str("x")
                     .str("text")
                     .str("héllo")
                     .str("blob")
                     .bin(binary)
                     .str("empty")
                     .bin("")
                     .str("n")
                     .uint(3));
  REQUIRE(req);
  auto text = req->get_body("text");
  REQUIRE(text.ok());
  CHECK(text.value.bytes == "héllo");
  CHECK_FALSE(text.value.binary);
  auto blob = req->get_body("blob");
  REQUIRE(blob.ok());
  CHECK(blob.value.bytes == binary);
  CHECK(blob.value.binary);
  auto empty = req->get_body("empty");
  REQUIRE(empty.ok());
  CHECK(empty.value.bytes.empty());
  CHECK(empty.value.binary);
  CHECK(req->get_body("n").wrong_type());
  CHECK(req->get_body("missing").absent());
}

TEST_CASE("get_string_list accepts an array of strings only", "[request]") {
  auto req = parse(writer()
                     .map(6)
                     .str("t")
                     .str("x")
                     .str("users")
                     .array(3)
                     .str("alice")
                     .str("bob")
                     .str("")
                     .str("none")
                     .array(0)
                     .str("mixed")
                     .array(2)
                     .str("alice")
                     .uint(1)
                     .str("bins")
                     .array(1)
                     .bin("alice")
                     .str("single")
                     .str("alice"));
  REQUIRE(req);
  auto users = req->get_string_list("users");
  REQUIRE(users.ok());
  CHECK(users.value == std::vector<std::string>{"alice", "bob", ""});
  auto none = req->get_string_list("none");
  CHECK(none.ok());
  CHECK(none.value.empty());
  CHECK(req->get_string_list("mixed").wrong_type());
  CHECK(req->get_string_list("mixed").value.empty());
  CHECK(req->get_string_list("bins").wrong_type());
  CHECK(req->get_string_list("single").wrong_type());
  CHECK(req->get_string_list("missing").absent());
}

TEST_CASE("nesting is bounded and never crashes", "[request]") {
  auto nested = [](size_t arrays) {
    writer w;
    w.map(2).str("t").str("x").str("deep");
    for (size_t i = 0; i < arrays; ++i)
      w.array(1);
    w.nil();
    return w.bytes();
  };
  // The top-level map counts as one level; 32 levels in all are accepted.
  CHECK(request::parse(nested(31)));
  CHECK_FALSE(request::parse(nested(32)));
  CHECK_FALSE(request::parse(nested(60000)));

  // Deeply nested maps as well.
  writer w;
  w.map(2).str("t").str("x").str("deep");
  for (int i = 0; i < 10000; ++i)
    w.map(1).str("k");
  w.nil();
  CHECK_FALSE(parse(w));
}

TEST_CASE("huge claimed sizes are rejected without allocating them",
          "[request]") {
  // map32 claiming 4 billion pairs.
  CHECK_FALSE(request::parse(std::string("\xdf\xff\xff\xff\xff\xa1t\xa1x", 9)));
  // An array32 of 4 billion elements as a field value.
  writer a;
  a.map(2).str("t").str("x").str("a").raw("\xdd\xff\xff\xff\xff").nil();
  CHECK_FALSE(parse(a));
  // A str32 claiming 4 GiB.
  writer s;
  s.map(1).str("t").raw("\xdb\xff\xff\xff\xff").raw("abc");
  CHECK_FALSE(parse(s));
  // Many nested arrays each claiming 65535 elements.
  writer n;
  n.map(2).str("t").str("x").str("a");
  for (int i = 0; i < 30; ++i)
    n.raw("\xdc\xff\xff");
  CHECK_FALSE(parse(n));
}

TEST_CASE("every first byte followed by junk is handled", "[request]") {
  // A cheap sweep: none of these may crash or throw.
  const std::string tails[] = {"", std::string(1, '\0'), "\xa1t\xa1x",
                               std::string(8, '\xff'), "\x81\xa1t\xa1x"};
  int accepted = 0;
  for (int b = 0; b < 256; ++b)
    for (const auto& tail : tails) {
      auto bytes = std::string(1, static_cast<char>(b)) + tail;
      CHECK_NOTHROW(request::parse(bytes));
      if (request::parse(bytes))
        ++accepted;
    }
  // Only fixmap(1) followed by "t":"x" is a request.
  CHECK(accepted == 1);
}

TEST_CASE("a request can be moved", "[request]") {
  auto req = parse(writer().map(3).str("t").str("send").str("id").uint(4).str(
    "body").str("hi"));
  REQUIRE(req);
  request moved = std::move(*req);
  CHECK(moved.type() == "send");
  CHECK(moved.id() == 4u);
  CHECK(moved.get_body("body").value.bytes == "hi");
  request assigned;
  assigned = std::move(moved);
  CHECK(assigned.type() == "send");
  CHECK(assigned.get_body("body").value.bytes == "hi");
}

TEST_CASE("a default-constructed request has no fields", "[request]") {
  request empty;
  CHECK(empty.type().empty());
  CHECK_FALSE(empty.id());
  CHECK(empty.get_string("t").absent());
  CHECK(empty.get_uint("x").absent());
  CHECK(empty.get_bool("x").absent());
  CHECK(empty.get_body("x").absent());
  CHECK(empty.get_string_list("x").absent());
}

TEST_CASE("a large request parses", "[request]") {
  std::string body(60000, 'b');
  auto req = parse(writer().map(3).str("t").str("send").str("body").bin(body).str(
    "to").str("bob"));
  REQUIRE(req);
  CHECK(req->get_body("body").value.bytes == body);
  CHECK(req->get_string("to").value == "bob");
}
