#include <catch2/catch.hpp>

#include <thread>
#include <tuple>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "persistence/history_store.hpp"
#include "persistence/kv_batch.hpp"
#include "persistence/persistence_actor.hpp"
#include "temp_dir.hpp"

using namespace parley::persistence;
using parley::test::temp_dir;

namespace {

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  temp_dir dir;
  std::shared_ptr<history_store> store;

  explicit fixture(durability dur = durability::wal) {
    cfg.add_message_type<kv_batch>("parley.kv_batch");
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    history_store::options opts;
    opts.path = dir / "h";
    opts.dur = dur;
    opts.block_cache_bytes = 1 << 20;
    std::string error;
    store = history_store::open(opts, error);
    INFO(error);
    REQUIRE(store);
  }

  /// (commits, requests) of the persistence actor.
  std::pair<uint64_t, uint64_t> stats(const caf::actor& p) {
    caf::scoped_actor self{*sys};
    std::pair<uint64_t, uint64_t> result{0, 0};
    self->request(p, caf::infinite, caf::get_atom_v)
      .receive([&](uint64_t commits,
                   uint64_t requests) { result = {commits, requests}; },
               [&](caf::error& err) { FAIL(sys->render(err)); });
    return result;
  }

  message_record message(const std::string& conv, uint64_t seq) {
    message_record m;
    m.conv = conv;
    m.seq = seq;
    m.from = "alice";
    m.kind = "text";
    m.body = "body " + std::to_string(seq);
    return m;
  }
};

} // namespace

TEST_CASE("kv_batch serializes with CAF's inspectors", "[actor]") {
  fixture fx;
  kv_batch b;
  b.put("k1", std::string("v\0 1", 4));
  b.put("k2", "v2");
  b.erase("gone");
  // As a message, the way it crosses nodes: needs the registration.
  auto msg = caf::make_message(caf::put_atom_v, b);
  std::vector<char> buf;
  caf::binary_serializer sink{*fx.sys, buf};
  REQUIRE_FALSE(sink(msg));
  caf::message copy;
  caf::binary_deserializer source{*fx.sys, buf};
  REQUIRE_FALSE(source(copy));
  REQUIRE(copy.match_elements<caf::put_atom, kv_batch>());
  auto& out = copy.get_as<kv_batch>(1);
  CHECK(out.puts == b.puts);
  CHECK(out.erases == b.erases);
}

TEST_CASE("a put is acknowledged after it is readable", "[actor]") {
  fixture fx;
  auto p = spawn_persistence_actor(*fx.sys, fx.store);
  caf::scoped_actor self{*fx.sys};
  kv_batch b;
  fx.store->encode_message(b, fx.message("c", 1));
  bool ok = false;
  self->request(p, caf::infinite, caf::put_atom_v, b)
    .receive([&](caf::ok_atom) { ok = true; },
             [&](caf::error& err) { FAIL(fx.sys->render(err)); });
  CHECK(ok);
  CHECK(fx.store->find_message("c", 1));
  CHECK(fx.stats(p) == std::make_pair(uint64_t{1}, uint64_t{1}));
  self->send_exit(p, caf::exit_reason::user_shutdown);
}

TEST_CASE("a burst is committed in fewer writes, replies in order",
          "[actor]") {
  fixture fx;
  auto p = spawn_persistence_actor(*fx.sys, fx.store);
  caf::scoped_actor self{*fx.sys};
  constexpr int n = 300;
  // Send the whole burst before waiting for any reply.
  using handle_t = decltype(self->request(p, caf::infinite, caf::put_atom_v,
                                          kv_batch{}));
  std::vector<handle_t> handles;
  for (int i = 1; i <= n; ++i) {
    kv_batch b;
    fx.store->encode_message(b, fx.message("c", i));
    // Every batch moves the same cursor: the last one must win.
    fx.store->encode_cursor(b, "alice", "phone", "c", i);
    handles.push_back(self->request(p, caf::infinite, caf::put_atom_v,
                                    std::move(b)));
  }
  int oks = 0;
  for (auto& h : handles)
    h.receive([&](caf::ok_atom) { ++oks; },
              [&](caf::error& err) { FAIL(fx.sys->render(err)); });
  CHECK(oks == n);
  auto [commits, requests] = fx.stats(p);
  CHECK(requests == n);
  CHECK(commits >= 1);
  CHECK(commits < requests);
  bool more = true;
  CHECK(fx.store->page_after("c", 0, 1000, more).size() == n);
  CHECK(fx.store->cursors("alice", "phone")[0].second == n);
  self->send_exit(p, caf::exit_reason::user_shutdown);
}

TEST_CASE("max_batch bounds a commit", "[actor]") {
  fixture fx;
  auto p = spawn_persistence_actor(*fx.sys, fx.store, 10);
  caf::scoped_actor self{*fx.sys};
  constexpr int n = 100;
  using handle_t = decltype(self->request(p, caf::infinite, caf::put_atom_v,
                                          kv_batch{}));
  std::vector<handle_t> handles;
  for (int i = 1; i <= n; ++i) {
    kv_batch b;
    fx.store->encode_message(b, fx.message("c", i));
    handles.push_back(self->request(p, caf::infinite, caf::put_atom_v,
                                    std::move(b)));
  }
  int oks = 0;
  for (auto& h : handles)
    h.receive([&](caf::ok_atom) { ++oks; },
              [&](caf::error& err) { FAIL(fx.sys->render(err)); });
  CHECK(oks == n);
  CHECK(fx.stats(p).first >= n / 10);
  self->send_exit(p, caf::exit_reason::user_shutdown);
}

TEST_CASE("many concurrent writers each get ok", "[actor]") {
  fixture fx{durability::fsync};
  auto p = spawn_persistence_actor(*fx.sys, fx.store);
  constexpr int writers = 8;
  constexpr int per_writer = 40;
  std::atomic<int> oks{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      caf::scoped_actor self{*fx.sys};
      auto conv = "conv" + std::to_string(w);
      for (int i = 1; i <= per_writer; ++i) {
        kv_batch b;
        fx.store->encode_message(b, fx.message(conv, i));
        self->request(p, caf::infinite, caf::put_atom_v, std::move(b))
          .receive([&](caf::ok_atom) { ++oks; },
                   [&](caf::error&) { ++errors; });
        // Every acknowledged write is readable at once.
        if (!fx.store->find_message(conv, i))
          ++errors;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(oks == writers * per_writer);
  CHECK(errors == 0);
  for (int w = 0; w < writers; ++w)
    CHECK(fx.store->last_seq("conv" + std::to_string(w)) == per_writer);
  auto [commits, requests] = fx.stats(p);
  CHECK(requests == writers * per_writer);
  // With fsync on, concurrent writers share commits.
  CHECK(commits < requests);
  caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
}

TEST_CASE("an exit message commits what was accepted", "[actor]") {
  fixture fx;
  auto p = spawn_persistence_actor(*fx.sys, fx.store);
  caf::scoped_actor self{*fx.sys};
  for (int i = 1; i <= 50; ++i) {
    kv_batch b;
    fx.store->encode_message(b, fx.message("c", i));
    self->send(p, caf::put_atom_v, std::move(b));
  }
  self->send_exit(p, caf::exit_reason::user_shutdown);
  self->wait_for(p);
  // Whatever the actor accepted before the exit is written; exit messages
  // jump the queue, so fewer than 50 may have been accepted.
  auto last = fx.store->last_seq("c");
  bool more = true;
  CHECK(fx.store->page_after("c", 0, 100, more).size() == last);
}

TEST_CASE("record types serialize with CAF's inspectors", "[actor]") {
  fixture fx;
  conv_meta meta;
  meta.conv = "g1";
  meta.type = conv_type::group;
  meta.name = "team";
  meta.members = {"a", "b"};
  meta.created = 5;
  std::vector<char> buf;
  caf::binary_serializer sink{*fx.sys, buf};
  user_conv uc{"g1", conv_type::group};
  dedupe_entry de{3, 4};
  REQUIRE_FALSE(sink(meta, uc, de));
  conv_meta meta2;
  user_conv uc2;
  dedupe_entry de2;
  caf::binary_deserializer source{*fx.sys, buf};
  REQUIRE_FALSE(source(meta2, uc2, de2));
  CHECK(meta2.conv == "g1");
  CHECK(meta2.type == conv_type::group);
  CHECK(meta2.members == meta.members);
  CHECK(uc2.type == conv_type::group);
  CHECK(de2.seq == 3);
  CHECK(de2.ts == 4);
  CHECK_FALSE(caf::deep_to_string(meta).empty());
}
