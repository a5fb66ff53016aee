#pragma once

// A one-node world for the domain actors under CAF's deterministic test
// coordinator: real stores (RocksDB history, SQLite accounts) in a temp dir,
// the real directory, entity supervisors, user and conversation actors, and
// in place of the node's persistence actor a scheduled writer whose replies
// the test can hold back (the real one runs detached, on its own thread,
// which the test coordinator cannot order). Devices are recording actors
// attached to user actors the way sessions attach.
//
// Nothing runs unless the test says so: `sched.run()` delivers every pending
// message (timeouts never fire), `expect(...)` delivers one named message.

#include "caf_dsl.hpp"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../persistence/temp_dir.hpp"
#include "actors/conversation_actor.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "actors/user_actor.hpp"
#include "persistence/account_store.hpp"
#include "persistence/history_store.hpp"
#include "persistence/kv_batch.hpp"
#include "runtime/directory.hpp"
#include "runtime/entity.hpp"
#include "runtime/errors.hpp"
#include "runtime/placement.hpp"
#include "transport/request.hpp"

namespace parley::test {

using persistence::kv_batch;

/// Releases the writes the test persistence actor holds.
using release_atom = caf::atom_constant<caf::atom("release")>;

/// What the test persistence actor did, shared with the test (both run on
/// the test's thread).
struct write_log {
  bool hold = false;   ///< Keep put requests until release_atom.
  bool fail = false;   ///< Answer put requests with an error.
  size_t requests = 0; ///< put_atom messages with a non-empty batch.
  size_t barriers = 0; ///< put_atom messages with an empty batch.
  size_t writes = 0;   ///< Batches written to the store.
  size_t held = 0;     ///< Requests waiting for release_atom.
};

struct test_writer_state {
  std::shared_ptr<persistence::history_store> store;
  std::shared_ptr<write_log> log;
  std::vector<std::pair<kv_batch, caf::response_promise>> held;
  static inline const char* name = "test.persistence";
};

/// The persistence actor's protocol (persistence_actor.hpp), scheduled:
/// `(put_atom, kv_batch) -> ok_atom` after the store's write, in arrival
/// order; a plain send is written and not answered.
inline caf::behavior test_writer(
  caf::stateful_actor<test_writer_state>* self,
  std::shared_ptr<persistence::history_store> store,
  std::shared_ptr<write_log> log) {
  self->state.store = std::move(store);
  self->state.log = std::move(log);
  auto commit = [self](kv_batch& b, caf::response_promise& rp) {
    auto& st = self->state;
    if (st.log->fail) {
      if (!rp.async())
        rp.deliver(caf::make_error(caf::sec::runtime_error, "disk on fire"));
      return;
    }
    std::string error;
    CHECK(st.store->write(b, error)); // REQUIRE would throw into CAF
    ++st.log->writes;
    if (!rp.async())
      rp.deliver(caf::ok_atom::value);
  };
  return {
    [=](caf::put_atom, kv_batch& b) -> caf::response_promise {
      auto& st = self->state;
      ++(b.empty() ? st.log->barriers : st.log->requests);
      auto rp = self->make_response_promise();
      if (st.log->hold) {
        st.held.emplace_back(std::move(b), rp);
        st.log->held = st.held.size();
      } else {
        commit(b, rp);
      }
      return rp;
    },
    [=](release_atom) {
      auto& st = self->state;
      auto held = std::move(st.held);
      st.held.clear();
      st.log->held = 0;
      for (auto& [b, rp] : held)
        commit(b, rp);
    },
  };
}

/// Everything a device's session receives from its user actor.
struct device_log {
  std::vector<actors::push> pushes;
  /// The pushes carrying seq != 0 (messages), in arrival order.
  std::vector<uint64_t> seqs() const {
    std::vector<uint64_t> out;
    for (auto& p : pushes)
      if (p.seq != 0)
        out.push_back(p.seq);
    return out;
  }
};

/// The frame of a push, decoded: `{"t":..., ...}`.
inline transport::request decode_frame(const std::string& frame) {
  REQUIRE(frame.size() > 4);
  auto n = (uint32_t{static_cast<uint8_t>(frame[0])} << 24)
           | (uint32_t{static_cast<uint8_t>(frame[1])} << 16)
           | (uint32_t{static_cast<uint8_t>(frame[2])} << 8)
           | uint32_t{static_cast<uint8_t>(frame[3])};
  REQUIRE(n == frame.size() - 4);
  auto req = transport::request::parse(std::string_view{frame}.substr(4));
  REQUIRE(req.has_value());
  return std::move(*req);
}

/// Every frame of a push (a push may carry several, e.g. coalesced
/// receipts), decoded in order.
inline std::vector<transport::request> decode_frames(std::string_view bytes) {
  std::vector<transport::request> out;
  while (!bytes.empty()) {
    REQUIRE(bytes.size() > 4);
    auto n = (uint32_t{static_cast<uint8_t>(bytes[0])} << 24)
             | (uint32_t{static_cast<uint8_t>(bytes[1])} << 16)
             | (uint32_t{static_cast<uint8_t>(bytes[2])} << 8)
             | uint32_t{static_cast<uint8_t>(bytes[3])};
    REQUIRE(n <= bytes.size() - 4);
    out.push_back(decode_frame(std::string{bytes.substr(0, 4 + n)}));
    bytes.remove_prefix(4 + n);
  }
  return out;
}

/// The outcome of one request made by a client actor.
template <class T>
struct reply {
  bool done = false;
  std::optional<T> value;
  caf::error error;

  bool ok() const {
    return done && value.has_value();
  }
  /// The protocol code of the error (errc::internal if it succeeded).
  errc code() const {
    return done && !value ? errc_of(error) : errc::internal;
  }
};

struct parley_config : caf::actor_system_config {
  parley_config() {
    actors::register_message_types(*this);
    set("logger.console", caf::atom("none"));
  }
};

/// The stores, opened before and closed after the actor system.
struct store_base {
  static constexpr uint32_t shards = 4;
  temp_dir dir{"parley-actors"};
  std::shared_ptr<persistence::history_store> history;
  std::shared_ptr<persistence::account_store> accounts;
  std::shared_ptr<persistence::group_store> groups;

  store_base() {
    open();
  }

  void open() {
    persistence::history_store::options opts;
    opts.path = dir / "history";
    opts.shard_count = shards;
    opts.block_cache_bytes = 1 << 20;
    std::string error;
    history = persistence::history_store::open(opts, error);
    INFO(error);
    REQUIRE(history);
    accounts = persistence::account_store::open(
      dir / "accounts.db", shards, persistence::pwhash_cost::minimal, error);
    INFO(error);
    REQUIRE(accounts);
    groups = persistence::group_store::open(dir / "accounts.db", shards, error);
    INFO(error);
    REQUIRE(groups);
  }

  /// Every key/value in the history store.
  std::vector<std::pair<std::string, std::string>> all_keys() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (uint32_t s = 0; s < shards; ++s)
      for (auto& kv : history->scan_shard(s))
        out.push_back(std::move(kv));
    return out;
  }
};

class fixture : public store_base,
                public ::test_coordinator_fixture<parley_config> {
public:
  std::shared_ptr<actors::node_context> ctx;
  std::shared_ptr<write_log> writes = std::make_shared<write_log>();
  caf::actor persist;
  caf::actor directory;
  /// Every actor the test spawned, ended at teardown.
  std::vector<caf::actor> spawned;

  fixture() {
    // As node.cpp builds its context, with the test writer.
    ctx = std::make_shared<actors::node_context>();
    ctx->node_name = "n1";
    ctx->settings.passivate_after = std::chrono::hours(1);
    ctx->history = history;
    ctx->accounts = accounts;
    ctx->groups = groups;
    ctx->where = std::make_shared<runtime::placement>(
      shards, std::vector<std::string>{"n1"}, "n1");
    persist = sys.spawn(test_writer, history, writes);
    ctx->persistence = persist;
    actors::node_context_ptr shared = ctx;
    directory = runtime::spawn_directory(
      sys, ctx->where,
      {{persistence::entity_kind::user, actors::user_factory(shared)},
       {persistence::entity_kind::conv, actors::conversation_factory(shared)}});
    ctx->directory = directory;
    sched.run();
  }

  ~fixture() override {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    caf::anon_send_exit(directory, caf::exit_reason::user_shutdown);
    sched.run();
    caf::anon_send_exit(persist, caf::exit_reason::user_shutdown);
    sched.run();
    // Break the cycle context -> actors -> context.
    ctx->directory = nullptr;
    ctx->persistence = nullptr;
  }

  void add_user(const std::string& name) {
    REQUIRE_FALSE(accounts->create_user(name, "password123").has_value());
  }

  /// Sends a request from a fresh client actor; run the scheduler to get
  /// the answer.
  template <class T, class... Ts>
  std::shared_ptr<reply<T>> ask(const caf::actor& dest, Ts... xs) {
    auto r = std::make_shared<reply<T>>();
    // Functor actors get an argument: CAF 0.17 dereferences a null tuple
    // for argument-less ones (UBSan reports it).
    client = sys.spawn([=](caf::event_based_actor* self, caf::actor target) {
      self->request(target, caf::infinite, xs...)
        .then(
          [=](T value) {
            r->done = true;
            r->value = std::move(value);
          },
          [=](caf::error& err) {
            r->done = true;
            r->error = std::move(err);
          });
    }, dest);
    spawned.push_back(client);
    // Run the client's start, which sends the request.
    REQUIRE(sched.prioritize(client));
    sched.run_once();
    return r;
  }

  /// ask() and run until nothing is left to do.
  template <class T, class... Ts>
  reply<T> call(const caf::actor& dest, Ts... xs) {
    auto r = ask<T>(dest, std::move(xs)...);
    sched.run();
    REQUIRE(r->done);
    return *r;
  }

  caf::actor entity(persistence::entity_kind kind, const std::string& key) {
    auto r = call<caf::actor>(directory, caf::get_atom::value,
                              runtime::entity_id{kind, key});
    REQUIRE(r.ok());
    return *r.value;
  }

  caf::actor user_actor(const std::string& user) {
    return entity(persistence::entity_kind::user, user);
  }

  caf::actor conv_actor(const std::string& conv) {
    return entity(persistence::entity_kind::conv, conv);
  }

  /// A device of `user` whose session records every push.
  std::shared_ptr<device_log> attach(const std::string& user,
                                     const std::string& device) {
    auto log = std::make_shared<device_log>();
    auto session = sys.spawn(
      [](caf::event_based_actor* self, std::shared_ptr<device_log> log) {
        self->set_default_handler(caf::drop);
        return caf::behavior{
          [log](actors::push& p) { log->pushes.push_back(std::move(p)); },
        };
      },
      log);
    spawned.push_back(session);
    auto r = call<actors::attach_info>(
      user_actor(user), actors::attach_atom::value, device, session);
    REQUIRE(r.ok());
    return log;
  }

  static actors::post make_post(const std::string& from,
                                const std::string& cmid,
                                const std::string& body,
                                const std::string& peer = {}) {
    actors::post p;
    p.from = from;
    p.device = from + "-phone";
    p.cmid = cmid;
    p.kind = "text";
    p.body = body;
    p.direct_peer = peer;
    return p;
  }

  /// The last client spawned by ask().
  caf::actor client;
};

} // namespace parley::test
