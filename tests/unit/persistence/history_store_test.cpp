#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "persistence/history_store.hpp"
#include "persistence/keys.hpp"
#include "temp_dir.hpp"

using namespace parley::persistence;
using parley::test::temp_dir;

namespace {

std::unique_ptr<history_store> open_store(const std::string& path,
                                          uint32_t shards = 256) {
  history_store::options opts;
  opts.path = path;
  opts.shard_count = shards;
  opts.block_cache_bytes = 1 << 20;
  std::string error;
  auto store = history_store::open(opts, error);
  INFO(error);
  REQUIRE(store);
  return store;
}

message_record make_message(const std::string& conv, uint64_t seq) {
  message_record m;
  m.conv = conv;
  m.seq = seq;
  m.from = seq % 2 ? "alice" : "bob";
  m.ts = 1700000000000 + static_cast<int64_t>(seq);
  m.kind = "text";
  m.body = "message " + std::to_string(seq);
  m.cmid = "cmid-" + std::to_string(seq);
  return m;
}

void append(history_store& store, const std::string& conv, uint64_t first,
            uint64_t last) {
  kv_batch b;
  for (auto seq = first; seq <= last; ++seq)
    store.encode_message(b, make_message(conv, seq));
  std::string error;
  REQUIRE(store.write(b, error));
}

std::vector<uint64_t> seqs(const std::vector<message_record>& msgs) {
  std::vector<uint64_t> out;
  for (auto& m : msgs)
    out.push_back(m.seq);
  return out;
}

std::vector<uint64_t> range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (auto seq = first; seq <= last; ++seq)
    out.push_back(seq);
  return out;
}

} // namespace

TEST_CASE("messages are stored and read back whole", "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h");
  CHECK(store->last_seq("c1") == 0);
  CHECK_FALSE(store->find_message("c1", 1));
  auto m = make_message("c1", 1);
  m.body = std::string("\x00\xFF\x01", 3);
  m.binary = true;
  kv_batch b;
  store->encode_message(b, m);
  std::string error;
  REQUIRE(store->write(b, error));
  auto found = store->find_message("c1", 1);
  REQUIRE(found);
  CHECK(found->conv == "c1");
  CHECK(found->seq == 1);
  CHECK(found->from == m.from);
  CHECK(found->ts == m.ts);
  CHECK(found->kind == "text");
  CHECK(found->body == m.body);
  CHECK(found->binary);
  CHECK(found->cmid == m.cmid);
  CHECK(store->last_seq("c1") == 1);
}

TEST_CASE("last_seq crosses byte boundaries of seq", "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h", 1);
  append(*store, "c", 250, 260);
  CHECK(store->last_seq("c") == 260);
  // A neighbouring conversation in the same shard does not leak in.
  append(*store, "c0", 1, 3);
  append(*store, "b", 1000, 1000);
  CHECK(store->last_seq("c") == 260);
  CHECK(store->last_seq("c0") == 3);
  bool more = false;
  CHECK(seqs(store->page_after("c", 254, 3, more)) == range(255, 257));
  CHECK(more);
}

TEST_CASE("paging through 250 messages backwards", "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h", 1);
  append(*store, "conv", 1, 250);
  // Neighbours that sort just before and after "conv" in the same shard.
  append(*store, "con", 1, 10);
  append(*store, "convx", 1, 10);
  for (size_t limit : {50u, 7u, 1u, 250u, 300u}) {
    INFO("limit " << limit);
    std::vector<uint64_t> all;
    uint64_t before = 0;
    bool more = true;
    size_t pages = 0;
    while (more) {
      auto page = store->page_before("conv", before, limit, more);
      REQUIRE_FALSE(page.empty());
      REQUIRE(page.size() <= limit);
      auto s = seqs(page);
      CHECK(std::is_sorted(s.begin(), s.end()));
      all.insert(all.begin(), s.begin(), s.end());
      before = s.front();
      ++pages;
    }
    CHECK(all == range(1, 250));
    CHECK(pages == (250 + limit - 1) / limit);
  }
  bool more = true;
  CHECK(store->page_before("conv", 1, 10, more).empty());
  CHECK_FALSE(more);
  CHECK(seqs(store->page_before("conv", 3, 10, more)) == range(1, 2));
  CHECK_FALSE(more);
  CHECK(seqs(store->page_before("conv", 1000, 2, more)) == range(249, 250));
  CHECK(more);
  CHECK(store->page_before("nothing", 0, 10, more).empty());
  CHECK_FALSE(more);
}

TEST_CASE("paging through 250 messages forwards", "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h", 1);
  append(*store, "conv", 1, 250);
  append(*store, "con", 1, 10);
  append(*store, "convx", 1, 10);
  for (size_t limit : {50u, 7u, 1u, 250u, 300u}) {
    INFO("limit " << limit);
    std::vector<uint64_t> all;
    uint64_t after = 0;
    bool more = true;
    while (more) {
      auto page = store->page_after("conv", after, limit, more);
      REQUIRE_FALSE(page.empty());
      REQUIRE(page.size() <= limit);
      auto s = seqs(page);
      all.insert(all.end(), s.begin(), s.end());
      after = s.back();
    }
    CHECK(all == range(1, 250));
  }
  bool more = true;
  CHECK(store->page_after("conv", 250, 10, more).empty());
  CHECK_FALSE(more);
  CHECK(store->page_after("conv", ~uint64_t{0}, 10, more).empty());
  CHECK_FALSE(more);
}

TEST_CASE("page_after stops at upto", "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h");
  append(*store, "c", 1, 30);
  bool more = true;
  CHECK(seqs(store->page_after("c", 10, 100, more, 20)) == range(11, 20));
  CHECK_FALSE(more);
  CHECK(seqs(store->page_after("c", 10, 5, more, 20)) == range(11, 15));
  CHECK(more);
  CHECK(seqs(store->page_after("c", 15, 5, more, 20)) == range(16, 20));
  CHECK_FALSE(more);
  CHECK(store->page_after("c", 20, 5, more, 20).empty());
  CHECK_FALSE(more);
  CHECK(seqs(store->page_after("c", 28, 5, more, ~uint64_t{0}))
        == range(29, 30));
  CHECK_FALSE(more);
}

TEST_CASE("dedupe entries are found by conv, user and cmid", "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h");
  kv_batch b;
  store->encode_dedupe(b, "c1", "alice", "m1", dedupe_entry{5, 99});
  std::string error;
  REQUIRE(store->write(b, error));
  auto e = store->find_dedupe("c1", "alice", "m1");
  REQUIRE(e);
  CHECK(e->seq == 5);
  CHECK(e->ts == 99);
  CHECK_FALSE(store->find_dedupe("c1", "bob", "m1"));
  CHECK_FALSE(store->find_dedupe("c1", "alice", "m2"));
  CHECK_FALSE(store->find_dedupe("c2", "alice", "m1"));
  // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
  kv_batch b2;
  store->encode_dedupe(b2, "c1", "ab", "c", dedupe_entry{7, 1});
  REQUIRE(store->write(b2, error));
  CHECK_FALSE(store->find_dedupe("c1", "a", "bc"));
  CHECK(store->find_dedupe("c1", "ab", "c"));
  CHECK_FALSE(store->find_dedupe("c1", std::string(300, 'x'), "c"));
}

TEST_CASE("member positions are listed per conversation", "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h", 1);
  kv_batch b;
  store->encode_position(b, "c1", member_position{"alice", 5, 3});
  store->encode_position(b, "c1", member_position{"bob", 2, 2});
  store->encode_position(b, "c2", member_position{"carol", 9, 9});
  store->encode_position(b, "c1", member_position{"alice", 6, 4}); // Wins.
  std::string error;
  REQUIRE(store->write(b, error));
  auto ps = store->positions("c1");
  REQUIRE(ps.size() == 2);
  // Key order: length-prefixed names sort shorter first.
  CHECK(ps[0].user == "bob");
  CHECK(ps[0].delivered == 2);
  CHECK(ps[0].read == 2);
  CHECK(ps[1].user == "alice");
  CHECK(ps[1].delivered == 6);
  CHECK(ps[1].read == 4);
  CHECK(store->positions("c2").size() == 1);
  CHECK(store->positions("c3").empty());
}

TEST_CASE("device cursors are kept per user and device", "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h", 1);
  kv_batch b;
  store->encode_cursor(b, "alice", "phone", "c1", 10);
  store->encode_cursor(b, "alice", "phone", "c2", 20);
  store->encode_cursor(b, "alice", "phone2", "c1", 30);
  store->encode_cursor(b, "alic", "ephone", "c1", 40);
  std::string error;
  REQUIRE(store->write(b, error));
  auto cs = store->cursors("alice", "phone");
  REQUIRE(cs.size() == 2);
  CHECK(cs[0] == std::make_pair(std::string{"c1"}, uint64_t{10}));
  CHECK(cs[1] == std::make_pair(std::string{"c2"}, uint64_t{20}));
  CHECK(store->cursors("alice", "phone2").size() == 1);
  CHECK(store->cursors("alice", "laptop").empty());
  kv_batch move;
  store->encode_cursor(move, "alice", "phone", "c1", 11);
  REQUIRE(store->write(move, error));
  CHECK(store->cursors("alice", "phone")[0].second == 11);
}

TEST_CASE("a user's conversation index", "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h");
  kv_batch b;
  store->encode_user_conv(b, "alice", user_conv{"d1", conv_type::direct});
  store->encode_user_conv(b, "alice", user_conv{"g1", conv_type::group});
  store->encode_user_conv(b, "bob", user_conv{"d1", conv_type::direct});
  std::string error;
  REQUIRE(store->write(b, error));
  auto cs = store->user_convs("alice");
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].conv == "d1");
  CHECK(cs[0].type == conv_type::direct);
  CHECK(cs[1].conv == "g1");
  CHECK(cs[1].type == conv_type::group);
  kv_batch leave;
  store->encode_erase_user_conv(leave, "alice", "g1");
  REQUIRE(store->write(leave, error));
  REQUIRE(store->user_convs("alice").size() == 1);
  CHECK(store->user_convs("bob").size() == 1);
  // Within one batch a put wins over an erase of the same key.
  kv_batch rejoin;
  store->encode_erase_user_conv(rejoin, "alice", "g1");
  store->encode_user_conv(rejoin, "alice", user_conv{"g1", conv_type::group});
  REQUIRE(store->write(rejoin, error));
  CHECK(store->user_convs("alice").size() == 2);
}

TEST_CASE("conversation meta and last seen", "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h");
  CHECK_FALSE(store->find_conv_meta("g1"));
  CHECK_FALSE(store->last_seen("alice"));
  conv_meta meta;
  meta.conv = "g1";
  meta.type = conv_type::group;
  meta.name = "team";
  meta.members = {"alice", "bob"};
  meta.created = 123;
  kv_batch b;
  store->encode_conv_meta(b, meta);
  store->encode_last_seen(b, "alice", 456);
  std::string error;
  REQUIRE(store->write(b, error));
  auto found = store->find_conv_meta("g1");
  REQUIRE(found);
  CHECK(found->conv == "g1");
  CHECK(found->type == conv_type::group);
  CHECK(found->name == "team");
  CHECK(found->members == meta.members);
  CHECK(found->created == 123);
  CHECK(store->last_seen("alice") == 456);
}

TEST_CASE("write_all applies batches in order as one write", "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h");
  std::vector<kv_batch> batches(3);
  store->encode_cursor(batches[0], "u", "d", "c", 1);
  store->encode_user_conv(batches[0], "u", user_conv{"c", conv_type::direct});
  store->encode_erase_user_conv(batches[1], "u", "c");
  store->encode_cursor(batches[2], "u", "d", "c", 3);
  std::string error;
  REQUIRE(store->write_all(batches, error));
  CHECK(store->cursors("u", "d")[0].second == 3);
  CHECK(store->user_convs("u").empty()); // The later erase wins.
}

TEST_CASE("scan_shard returns one shard's entities, grouped", "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h", 4);
  std::set<uint32_t> shards;
  for (int i = 0; i < 20; ++i) {
    auto conv = "c" + std::to_string(i);
    append(*store, conv, 1, 3);
    kv_batch b;
    store->encode_cursor(b, "u" + std::to_string(i), "d", conv, 2);
    std::string error;
    REQUIRE(store->write(b, error));
  }
  size_t total = 0;
  for (uint32_t shard = 0; shard < 4; ++shard) {
    auto kvs = store->scan_shard(shard);
    total += kvs.size();
    std::vector<std::string> owners;
    for (auto& [key, value] : kvs) {
      auto info = keys::parse(key);
      REQUIRE(info);
      CHECK(info->shard == shard);
      CHECK(shard_of(info->kind, info->entity, 4) == shard);
      std::string owner = static_cast<char>(info->kind)
                          + std::string{info->entity};
      if (owners.empty() || owners.back() != owner)
        owners.push_back(owner);
    }
    // Each entity appears as one run.
    std::set<std::string> unique(owners.begin(), owners.end());
    CHECK(unique.size() == owners.size());
  }
  CHECK(total == 20 * 3 + 20);
  CHECK(store->scan_shard(4).empty());
}

TEST_CASE("the member-event index lists one conv's member seqs after a "
          "point",
          "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h", 1); // One shard: ab and abc adjacent.
  CHECK(store->member_events_after("ab", 0).empty());
  kv_batch b;
  // Out of order, around byte boundaries of seq. Neighbours in key order:
  // conv "abc" and "a", and ab's own messages, positions and dedupe keys.
  for (uint64_t seq : {256u, 3u, 1u, 255u, 70000u})
    store->encode_member_event(b, "ab", seq);
  for (uint64_t seq : {2u, 4u, 300u})
    store->encode_member_event(b, "abc", seq);
  store->encode_member_event(b, "a", 5);
  std::string error;
  REQUIRE(store->write(b, error));
  append(*store, "ab", 1, 10);
  kv_batch pos;
  store->encode_position(pos, "ab", member_position{"zz", 1, 1});
  store->encode_dedupe(pos, "ab", "u", "m", dedupe_entry{1, 1});
  REQUIRE(store->write(pos, error));

  using seqs_t = std::vector<uint64_t>;
  CHECK(store->member_events_after("ab", 0)
        == seqs_t{1, 3, 255, 256, 70000});
  CHECK(store->member_events_after("ab", 1) == seqs_t{3, 255, 256, 70000});
  CHECK(store->member_events_after("ab", 2) == seqs_t{3, 255, 256, 70000});
  CHECK(store->member_events_after("ab", 255) == seqs_t{256, 70000});
  CHECK(store->member_events_after("ab", 70000).empty());
  CHECK(store->member_events_after("ab", ~uint64_t{0}).empty());
  CHECK(store->member_events_after("abc", 0) == seqs_t{2, 4, 300});
  CHECK(store->member_events_after("abc", 4) == seqs_t{300});
  CHECK(store->member_events_after("a", 0) == seqs_t{5});
  CHECK(store->member_events_after("b", 0).empty());
  CHECK(store->member_events_after(std::string(300, 'x'), 0).empty());
  // The index leaves the messages alone and the messages the index.
  bool more = false;
  CHECK(store->page_after("ab", 0, 100, more).size() == 10);
  CHECK(store->positions("ab").size() == 1);
}

TEST_CASE("scan_shard includes the member-event index", "[history]") {
  temp_dir dir;
  auto store = open_store(dir / "h", 4);
  kv_batch b;
  store->encode_message(b, make_message("g1", 7));
  store->encode_member_event(b, "g1", 7);
  std::string error;
  REQUIRE(store->write(b, error));
  auto shard = shard_of(entity_kind::conv, "g1", 4);
  auto kvs = store->scan_shard(shard);
  REQUIRE(kvs.size() == 2);
  CHECK(kvs[0].first == keys::member_event(4, "g1", 7)); // 'e' < 'h'.
  CHECK(kvs[0].second.empty());
  CHECK(kvs[1].first == keys::message(4, "g1", 7));
  for (uint32_t other = 0; other < 4; ++other)
    if (other != shard)
      CHECK(store->scan_shard(other).empty());
}

TEST_CASE("everything survives closing and reopening", "[history]") {
  temp_dir dir;
  {
    auto store = open_store(dir / "h", 64);
    append(*store, "c1", 1, 100);
    kv_batch b;
    store->encode_dedupe(b, "c1", "alice", "m1", dedupe_entry{1, 2});
    store->encode_position(b, "c1", member_position{"alice", 3, 4});
    store->encode_cursor(b, "alice", "phone", "c1", 50);
    store->encode_user_conv(b, "alice", user_conv{"c1", conv_type::direct});
    store->encode_last_seen(b, "alice", 77);
    conv_meta meta;
    meta.conv = "c1";
    meta.members = {"alice", "bob"};
    store->encode_conv_meta(b, meta);
    std::string error;
    REQUIRE(store->write(b, error));
    // No flush: the WAL alone must bring the data back.
  }
  auto store = open_store(dir / "h", 64);
  CHECK(store->shard_count() == 64);
  CHECK(store->last_seq("c1") == 100);
  bool more = false;
  CHECK(seqs(store->page_after("c1", 0, 1000, more)) == range(1, 100));
  CHECK(store->find_dedupe("c1", "alice", "m1"));
  CHECK(store->positions("c1").size() == 1);
  CHECK(store->cursors("alice", "phone").size() == 1);
  CHECK(store->user_convs("alice").size() == 1);
  CHECK(store->last_seen("alice") == 77);
  REQUIRE(store->find_conv_meta("c1"));
  CHECK(store->find_conv_meta("c1")->members.size() == 2);
  store->flush();
}

TEST_CASE("a different shard count is refused on reopen", "[history]") {
  temp_dir dir;
  { open_store(dir / "h", 256); }
  history_store::options opts;
  opts.path = dir / "h";
  opts.shard_count = 128;
  std::string error;
  CHECK_FALSE(history_store::open(opts, error));
  CHECK_THAT(error, Catch::Contains("shard count mismatch"));
  CHECK_THAT(error, Catch::Contains("256"));
  opts.shard_count = 0;
  CHECK_FALSE(history_store::open(opts, error));
  opts.shard_count = 65537;
  CHECK_FALSE(history_store::open(opts, error));
  // The right count still opens.
  open_store(dir / "h", 256);
}

TEST_CASE("an unusable path gives a one-line error", "[history]") {
  temp_dir dir;
  auto file = dir / "plain-file";
  std::ofstream{file} << "not a directory";
  history_store::options opts;
  for (auto path : {file, file + "/sub", std::string{"/proc/parley-no"},
                    std::string{}}) {
    INFO(path);
    opts.path = path;
    std::string error;
    CHECK_FALSE(history_store::open(opts, error));
    CHECK_FALSE(error.empty());
    CHECK(error.find('\n') == std::string::npos);
  }
  if (::geteuid() != 0) { // root ignores permissions
    auto locked = dir / "locked";
    std::filesystem::create_directories(locked);
    std::filesystem::permissions(locked, std::filesystem::perms::owner_read);
    opts.path = locked + "/db";
    std::string error;
    CHECK_FALSE(history_store::open(opts, error));
    CHECK_FALSE(error.empty());
    std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
  }
}

TEST_CASE("a directory of foreign data is not taken for a store",
          "[history]") {
  temp_dir dir;
  {
    auto store = open_store(dir / "h");
    kv_batch b;
    b.erase(keys::store_meta());
    b.put("foreign", "x");
    std::string error;
    REQUIRE(store->write(b, error));
  }
  history_store::options opts;
  opts.path = dir / "h";
  std::string error;
  CHECK_FALSE(history_store::open(opts, error));
  CHECK_THAT(error, Catch::Contains("not a parley history store"));
}
