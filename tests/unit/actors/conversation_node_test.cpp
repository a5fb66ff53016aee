// The conversation actor wired as node.cpp wires it: the real, detached
// persistence actor (group commit) and CAF's threaded scheduler. The
// deterministic tests (conversation_actor_test.cpp) use a scheduled stand-in
// for the writer; this one checks the same promises hold with the real one.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include <caf/all.hpp>

#include "../persistence/temp_dir.hpp"
#include "actors/conversation_actor.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "actors/user_actor.hpp"
#include "persistence/account_store.hpp"
#include "persistence/history_store.hpp"
#include "persistence/persistence_actor.hpp"
#include "runtime/directory.hpp"
#include "runtime/errors.hpp"
#include "runtime/placement.hpp"

using namespace parley;
using namespace parley::actors;

namespace {

constexpr auto timeout = std::chrono::seconds(10);

struct node_fixture {
  test::temp_dir dir{"parley-actors-node"};
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<node_context> ctx = std::make_shared<node_context>();

  node_fixture() {
    persistence::history_store::options opts;
    opts.path = dir / "history";
    opts.shard_count = 8;
    opts.block_cache_bytes = 1 << 20;
    std::string error;
    ctx->history = persistence::history_store::open(opts, error);
    INFO(error);
    REQUIRE(ctx->history);
    ctx->accounts = persistence::account_store::open(
      dir / "accounts.db", 8, persistence::pwhash_cost::minimal, error);
    INFO(error);
    REQUIRE(ctx->accounts);
    ctx->groups
      = persistence::group_store::open(dir / "accounts.db", 8, error);
    REQUIRE(ctx->groups);
    for (auto user : {"alice", "bob"})
      REQUIRE_FALSE(ctx->accounts->create_user(user, "password123"));
    register_message_types(cfg);
    cfg.set("scheduler.max-threads", size_t{2});
    cfg.set("logger.console", caf::atom("none"));
    sys = std::make_unique<caf::actor_system>(cfg);
    ctx->where = std::make_shared<runtime::placement>(
      8, std::vector<std::string>{"n1"}, "n1");
    ctx->persistence = persistence::spawn_persistence_actor(*sys, ctx->history);
    node_context_ptr shared = ctx;
    ctx->directory = runtime::spawn_directory(
      *sys, ctx->where,
      {{persistence::entity_kind::user, user_factory(shared)},
       {persistence::entity_kind::conv, conversation_factory(shared)}});
  }

  ~node_fixture() {
    {
      caf::scoped_actor self{*sys};
      for (auto& a : {ctx->directory, ctx->persistence}) {
        self->monitor(a);
        self->send_exit(a, caf::exit_reason::user_shutdown);
        self->receive([](caf::down_msg&) {});
      }
    }
    ctx->directory = nullptr;
    ctx->persistence = nullptr;
    sys.reset();
  }

  caf::actor conv_actor(const std::string& conv) {
    caf::scoped_actor self{*sys};
    caf::actor result;
    self
      ->request(ctx->directory, timeout, caf::get_atom::value,
                runtime::entity_id{persistence::entity_kind::conv, conv})
      .receive([&](caf::actor& a) { result = std::move(a); },
               [&](caf::error& err) { FAIL(sys->render(err)); });
    return result;
  }

  post_result send(const caf::actor& conv, const std::string& from,
                   const std::string& cmid, const std::string& peer = {}) {
    caf::scoped_actor self{*sys};
    post p;
    p.from = from;
    p.device = "phone";
    p.cmid = cmid;
    p.body = "body of " + cmid;
    p.direct_peer = peer;
    post_result result;
    self->request(conv, timeout, post_atom::value, std::move(p))
      .receive([&](post_result& r) { result = std::move(r); },
               [&](caf::error& err) { FAIL(sys->render(err)); });
    return result;
  }
};

} // namespace

TEST_CASE_METHOD(node_fixture,
                 "conversation: with the node's persistence actor, seqs and "
                 "dedupe hold across a restart",
                 "[actors][conversation]") {
  auto conv = direct_conv_id("alice", "bob");
  auto hdl = conv_actor(conv);
  auto first = send(hdl, "alice", "c1", "bob");
  CHECK(first.conv == conv);
  CHECK(first.seq == 1);
  CHECK(send(hdl, "bob", "b1").seq == 2);
  CHECK(send(hdl, "alice", "c2").seq == 3);
  // ok came after the write: the store already has all three.
  CHECK(ctx->history->last_seq(conv) == 3);
  CHECK(ctx->history->find_message(conv, 2)->body == "body of b1");
  {
    caf::scoped_actor self{*sys};
    self->monitor(hdl);
    self->send_exit(hdl, caf::exit_reason::kill);
    self->receive([](caf::down_msg&) {});
  }
  // The supervisor hands out the dead handle until it has seen the down
  // message itself (callers then get request_receiver_down and ask again).
  auto next = conv_actor(conv);
  for (int i = 0; i < 200 && next.address() == hdl.address(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    next = conv_actor(conv);
  }
  REQUIRE(next.address() != hdl.address());
  auto again = send(next, "alice", "c1");
  CHECK(again.seq == 1);
  CHECK(again.ts == first.ts);
  CHECK(send(next, "bob", "b2").seq == 4);
  CHECK(ctx->history->last_seq(conv) == 4);
}
