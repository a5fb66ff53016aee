#include <catch2/catch.hpp>

#include "persistence/record_codec.hpp"

using namespace parley::persistence;

TEST_CASE("message values round-trip without conv and seq", "[codec]") {
  message_record m;
  m.conv = "c1";
  m.seq = 42;
  m.from = "alice";
  m.ts = -5; // Negative times survive too.
  m.kind = "text";
  m.body = std::string("hi\0there", 8);
  m.binary = true;
  m.cmid = "m-1";
  auto value = codec::encode_message(m);
  message_record out;
  REQUIRE(codec::decode_message(value, out));
  CHECK(out.from == m.from);
  CHECK(out.ts == m.ts);
  CHECK(out.kind == m.kind);
  CHECK(out.body == m.body);
  CHECK(out.binary);
  CHECK(out.cmid == m.cmid);
  CHECK(out.conv.empty());
  CHECK(out.seq == 0);
  // Truncated or extended values are refused.
  CHECK_FALSE(codec::decode_message(value.substr(0, value.size() - 1), out));
  CHECK_FALSE(codec::decode_message(value + "x", out));
  CHECK_FALSE(codec::decode_message("", out));
}

TEST_CASE("conv meta values round-trip", "[codec]") {
  conv_meta meta;
  meta.type = conv_type::group;
  meta.name = "friends";
  meta.members = {"alice", "bob", "carol"};
  meta.created = 1700000000000;
  conv_meta out;
  REQUIRE(codec::decode_conv_meta(codec::encode_conv_meta(meta), out));
  CHECK(out.type == conv_type::group);
  CHECK(out.name == "friends");
  CHECK(out.members == meta.members);
  CHECK(out.created == meta.created);
  // A member count the value cannot hold is refused before allocating.
  std::string bogus = codec::encode_conv_meta(conv_meta{});
  bogus.replace(bogus.size() - 4, 4, "\xFF\xFF\xFF\xFF");
  CHECK_FALSE(codec::decode_conv_meta(bogus, out));
}

TEST_CASE("small values round-trip", "[codec]") {
  member_position p{"bob", 7, 3};
  member_position pout;
  REQUIRE(codec::decode_position(codec::encode_position(p), pout));
  CHECK(pout.delivered == 7);
  CHECK(pout.read == 3);
  dedupe_entry e{9, 123};
  dedupe_entry eout;
  REQUIRE(codec::decode_dedupe(codec::encode_dedupe(e), eout));
  CHECK(eout.seq == 9);
  CHECK(eout.ts == 123);
  conv_type t = conv_type::direct;
  REQUIRE(codec::decode_conv_type(codec::encode_conv_type(conv_type::group), t));
  CHECK(t == conv_type::group);
  CHECK_FALSE(codec::decode_conv_type("x", t));
  uint64_t u = 0;
  REQUIRE(codec::decode_u64(codec::encode_u64(1ull << 63), u));
  CHECK(u == 1ull << 63);
  int64_t i = 0;
  REQUIRE(codec::decode_i64(codec::encode_i64(-1), i));
  CHECK(i == -1);
  uint32_t version = 0, shards = 0;
  REQUIRE(codec::decode_store_meta(codec::encode_store_meta(1, 256), version,
                                   shards));
  CHECK(version == 1);
  CHECK(shards == 256);
}
