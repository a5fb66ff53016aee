#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "persistence/keys.hpp"
#include "persistence/shard.hpp"

using namespace parley::persistence;

TEST_CASE("entity_hash is FNV-1a 64 over the kind byte and the key",
          "[shard]") {
  // Pinned values: keys on disk depend on them, so they must never change.
  CHECK(entity_hash(entity_kind::user, "") == 0xaf63e84c860200f0ull);
  CHECK(entity_hash(entity_kind::user, "alice") == 0x2341ac0552eb9658ull);
  CHECK(entity_hash(entity_kind::conv, "conv-1") == 0xc6e56c3bf2bcb35aull);
  CHECK(shard_of(entity_kind::user, "alice", 256) == 88);
  CHECK(shard_of(entity_kind::conv, "conv-1", 256) == 90);
  CHECK(shard_of(entity_kind::user, "alice", 1) == 0);
  // The kind takes part: a user and a conv of the same name differ.
  CHECK(entity_hash(entity_kind::user, "x")
        != entity_hash(entity_kind::conv, "x"));
}

TEST_CASE("shards spread entities over the whole range", "[shard]") {
  std::vector<int> hits(256, 0);
  for (int i = 0; i < 25600; ++i)
    ++hits[shard_of(entity_kind::user, "user" + std::to_string(i), 256)];
  auto [lo, hi] = std::minmax_element(hits.begin(), hits.end());
  CHECK(*lo > 50);
  CHECK(*hi < 170);
}

TEST_CASE("message keys sort by seq in byte order", "[keys]") {
  auto k255 = keys::message(256, "c", 255);
  auto k256 = keys::message(256, "c", 256);
  auto k65536 = keys::message(256, "c", 65536);
  auto kmax = keys::message(256, "c", ~uint64_t{0});
  CHECK(k255 < k256);
  CHECK(k256 < k65536);
  CHECK(k65536 < kmax);
  // std::string compares like memcmp, which is RocksDB's bytewise order.
  CHECK(std::lexicographical_compare(
    k255.begin(), k255.end(), k256.begin(), k256.end(),
    [](char a, char b) {
      return static_cast<unsigned char>(a) < static_cast<unsigned char>(b);
    }));
}

TEST_CASE("every key of an entity starts with its shard and entity prefix",
          "[keys]") {
  const uint32_t n = 256;
  auto conv_shard = keys::shard_prefix(shard_of(entity_kind::conv, "g1", n));
  auto conv_entity = keys::entity_prefix(n, entity_kind::conv, "g1");
  CHECK(conv_entity.compare(0, 2, conv_shard) == 0);
  CHECK(conv_entity == conv_shard + "c\x02g1");
  for (auto& key :
       {keys::conv_meta(n, "g1"), keys::message(n, "g1", 7),
        keys::position(n, "g1", "bob"), keys::dedupe(n, "g1", "bob", "m1"),
        keys::member_event(n, "g1", 7)})
    CHECK(key.compare(0, conv_entity.size(), conv_entity) == 0);
  auto user_entity = keys::entity_prefix(n, entity_kind::user, "bob");
  CHECK(user_entity.compare(0, 2, keys::shard_prefix(
                                    shard_of(entity_kind::user, "bob", n)))
        == 0);
  for (auto& key :
       {keys::user_conv(n, "bob", "g1"), keys::cursor(n, "bob", "phone", "g1"),
        keys::last_seen(n, "bob")})
    CHECK(key.compare(0, user_entity.size(), user_entity) == 0);
}

TEST_CASE("the exact byte layout of each record", "[keys]") {
  // One shard, so the shard prefix is 00 00.
  using namespace std::string_literals;
  CHECK(keys::conv_meta(1, "ab") == "\0\0c\x02" "abm"s);
  CHECK(keys::message(1, "ab", 0x0102) == "\0\0c\x02" "abh\0\0\0\0\0\0\x01\x02"s);
  CHECK(keys::position(1, "ab", "u") == "\0\0c\x02" "abp\x01u"s);
  CHECK(keys::dedupe(1, "ab", "u", "xy") == "\0\0c\x02" "abd\x01u\x02xy"s);
  CHECK(keys::member_event(1, "ab", 0x0102)
        == "\0\0c\x02" "abe\0\0\0\0\0\0\x01\x02"s);
  CHECK(keys::member_event_prefix(1, "ab") == "\0\0c\x02" "abe"s);
  CHECK(keys::user_conv(1, "u", "ab") == "\0\0u\x01uv\x02" "ab"s);
  CHECK(keys::cursor(1, "u", "d", "ab") == "\0\0u\x01uc\x01" "d\x02" "ab"s);
  CHECK(keys::last_seen(1, "u") == "\0\0u\x01ul"s);
}

TEST_CASE("different entities never interleave", "[keys]") {
  // With one shard every entity shares the shard prefix; names that are
  // prefixes of each other are the hard case.
  for (uint32_t n : {1u, 256u}) {
    std::vector<std::pair<std::string, std::string>> all; // key, owner
    for (std::string name : {"a", "ab", "abc", "b", "a\x01", "zz"}) {
      auto conv = "c:" + name;
      all.emplace_back(keys::conv_meta(n, name), conv);
      for (uint64_t seq : {1ull, 255ull, 256ull, 1ull << 40})
        all.emplace_back(keys::message(n, name, seq), conv);
      all.emplace_back(keys::position(n, name, "a"), conv);
      all.emplace_back(keys::position(n, name, "ab"), conv);
      all.emplace_back(keys::dedupe(n, name, "a", "b"), conv);
      for (uint64_t seq : {0ull, 1ull, 256ull, ~0ull})
        all.emplace_back(keys::member_event(n, name, seq), conv);
      auto user = "u:" + name;
      all.emplace_back(keys::user_conv(n, name, "a"), user);
      all.emplace_back(keys::cursor(n, name, "d", "a"), user);
      all.emplace_back(keys::cursor(n, name, "dd", "a"), user);
      all.emplace_back(keys::last_seen(n, name), user);
    }
    std::sort(all.begin(), all.end());
    // Each owner's keys form one contiguous run.
    std::map<std::string, int> runs;
    for (size_t i = 0; i < all.size(); ++i)
      if (i == 0 || all[i].second != all[i - 1].second)
        ++runs[all[i].second];
    CHECK(runs.size() == 12);
    for (auto& [owner, count] : runs) {
      INFO(owner << " with " << n << " shards");
      CHECK(count == 1);
    }
  }
}

TEST_CASE("a device's cursors do not mix with a longer device name",
          "[keys]") {
  auto p = keys::cursor_prefix(1, "u", "d");
  auto other = keys::cursor(1, "u", "dd", "a");
  CHECK(other.compare(0, p.size(), p) != 0);
}

TEST_CASE("prefix_end bounds every key with the prefix", "[keys]") {
  using namespace std::string_literals;
  CHECK(keys::prefix_end("ab") == "ac");
  CHECK(keys::prefix_end("a\xFF"s) == "b");
  CHECK(keys::prefix_end("\xFF\xFF"s).empty());
  auto prefix = keys::message_prefix(1, "c");
  auto end = keys::prefix_end(prefix);
  CHECK(keys::message(1, "c", ~uint64_t{0}) < end);
  CHECK(prefix < end);
}

TEST_CASE("the store meta key is outside every entity", "[keys]") {
  auto meta = keys::store_meta();
  CHECK(keys::is_reserved(meta));
  CHECK_FALSE(keys::parse(meta));
  CHECK_FALSE(keys::is_reserved(keys::last_seen(256, "u")));
  // It shares bytes with shard 0xFFFF's prefix but is no entity of it.
  CHECK(meta.compare(0, 2, keys::shard_prefix(0xFFFF)) == 0);
  CHECK(meta < std::string("\xFF\xFF" "c"));
}

TEST_CASE("parse splits a key into its parts", "[keys]") {
  auto key = keys::cursor(256, "bob", "phone", "g1");
  auto info = keys::parse(key);
  REQUIRE(info);
  CHECK(info->shard == shard_of(entity_kind::user, "bob", 256));
  CHECK(info->kind == entity_kind::user);
  CHECK(info->entity == "bob");
  CHECK(info->tag == keys::tag::cursor);
  auto rest = info->rest;
  std::string_view device, conv;
  REQUIRE(keys::take_part(rest, device));
  REQUIRE(keys::take_part(rest, conv));
  CHECK(device == "phone");
  CHECK(conv == "g1");
  CHECK(rest.empty());
  CHECK_FALSE(keys::parse(std::string("\0\0c\x05" "ab", 6)));
}

TEST_CASE("over-long key parts are refused", "[keys]") {
  std::string ok(255, 'x');
  std::string too_long(256, 'x');
  CHECK_NOTHROW(keys::conv_meta(256, ok));
  CHECK_THROWS_AS(keys::conv_meta(256, too_long), std::length_error);
  CHECK_THROWS_AS(keys::cursor(256, "u", too_long, "c"), std::length_error);
}

TEST_CASE("member-event keys sort by seq and stay inside their conv",
          "[keys]") {
  auto p = keys::member_event_prefix(1, "ab");
  auto k1 = keys::member_event(1, "ab", 255);
  auto k2 = keys::member_event(1, "ab", 256);
  auto kmax = keys::member_event(1, "ab", ~uint64_t{0});
  CHECK(k1 < k2);
  CHECK(k2 < kmax);
  CHECK(kmax < keys::prefix_end(p));
  CHECK(k1.compare(0, p.size(), p) == 0);
  // Neither another conv nor another record of the same conv has the prefix.
  auto abc = keys::member_event(1, "abc", 1);
  CHECK(abc.compare(0, p.size(), p) != 0);
  auto msg = keys::message(1, "ab", 1);
  CHECK(msg.compare(0, p.size(), p) != 0);
  auto info = keys::parse(k2);
  REQUIRE(info);
  CHECK(info->kind == entity_kind::conv);
  CHECK(info->entity == "ab");
  CHECK(info->tag == keys::tag::member_event);
  CHECK(info->rest.size() == 8);
  CHECK_THROWS_AS(keys::member_event(1, std::string(256, 'c'), 1),
                  std::length_error);
}
