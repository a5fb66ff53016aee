#include "actors/node.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <thread>

#include <caf/all.hpp>

#include "actors/auth_worker.hpp"
#include "actors/conversation_actor.hpp"
#include "actors/message_types.hpp"
#include "actors/node_context.hpp"
#include "actors/session_actor.hpp"
#include "actors/user_actor.hpp"
#include "persistence/persistence_actor.hpp"
#include "runtime/directory.hpp"
#include "runtime/log.hpp"
#include "runtime/memory_release.hpp"
#include "transport/gateway.hpp"

namespace parley::actors {

namespace fs = std::filesystem;

struct node::impl {
  std::unique_ptr<caf::actor_system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<node_context> ctx;
  std::unique_ptr<transport::gateway> gateway;
  /// The vital watch. Kept: CAF ends an actor nobody holds a handle to
  /// (exit_reason::unreachable), and with it the watch.
  caf::actor watch;
  /// Trims the heap after passivations (runtime/memory_release.hpp).
  caf::actor memory_release;
  std::string host;
  uint16_t port = 0;
  bool fault_injection = false;
  bool stopped = false;
};

node::node() : impl_(std::make_unique<impl>()) {
  // nop
}

node::~node() {
  stop();
}

const std::string& node::host() const noexcept {
  return impl_->host;
}

uint16_t node::port() const noexcept {
  return impl_->port;
}

namespace {

persistence::pwhash_cost cost_of(const std::string& name) {
  if (name == "minimal")
    return persistence::pwhash_cost::minimal;
  if (name == "moderate")
    return persistence::pwhash_cost::moderate;
  return persistence::pwhash_cost::interactive;
}

/// Watches the actors a node cannot serve without (name -> actor); reports
/// the first one that ends for any reason but node::stop's user_shutdown,
/// naming it and rendering its reason. (Spawned with arguments on purpose:
/// CAF 0.17's init_fun_factory dereferences a null tuple for an
/// argument-less functor, which UBSan reports.)
caf::behavior vital_watch(
  caf::event_based_actor* self,
  std::vector<std::pair<std::string, caf::actor>> vital,
  std::function<void(const std::string&)> on_fatal) {
  for (auto& [_, a] : vital)
    self->monitor(a);
  self->set_down_handler([=](caf::down_msg& dm) {
    if (dm.reason == caf::exit_reason::user_shutdown) { // node::stop
      self->quit();
      return;
    }
    std::string name = "a vital actor";
    for (auto& [n, a] : vital)
      if (a.address() == dm.source)
        name = n;
    auto what = name + " ended: " + self->system().render(dm.reason);
    log(log_level::error, what);
    if (on_fatal)
      on_fatal(what);
    self->quit();
  });
  return {[](caf::ok_atom) {}};
}

} // namespace

std::unique_ptr<node> node::start(const node_options& opts,
                                  std::string& error) {
  auto entry = opts.cluster.find_node(opts.name);
  if (entry == nullptr) {
    error = "no node named '" + opts.name + "' in the cluster configuration";
    return nullptr;
  }
  auto& server = opts.cluster.server;
  std::unique_ptr<node> result{new node};
  auto& d = *result->impl_;
  auto data = opts.data ? *opts.data : entry->data;
  std::error_code ec;
  fs::create_directories(data, ec);
  if (ec || !fs::is_directory(data)) {
    error = "cannot use data directory " + data + ": "
            + (ec ? ec.message() : std::string{"not a directory"});
    return nullptr;
  }
  // Stores.
  persistence::history_store::options hopts;
  hopts.path = (fs::path(data) / "history").string();
  hopts.dur = server.durability == "fsync" ? persistence::durability::fsync
                                           : persistence::durability::wal;
  hopts.shard_count = opts.cluster.shards;
  std::shared_ptr<persistence::history_store> history
    = persistence::history_store::open(hopts, error);
  if (!history)
    return nullptr;
  std::shared_ptr<persistence::account_store> accounts
    = persistence::account_store::open((fs::path(data) / "accounts.db").string(),
                                       opts.cluster.shards,
                                       cost_of(server.pwhash), error);
  if (!accounts)
    return nullptr;
  std::shared_ptr<persistence::group_store> groups
    = persistence::group_store::open((fs::path(data) / "accounts.db").string(),
                                     opts.cluster.shards, error);
  if (!groups)
    return nullptr;
  // Actor system.
  d.cfg = std::make_unique<caf::actor_system_config>();
  d.cfg->set("scheduler.max-threads", static_cast<size_t>(server.workers));
  d.cfg->set("logger.console", caf::atom("none"));
  register_message_types(*d.cfg);
  d.sys = std::make_unique<caf::actor_system>(*d.cfg);
  // Context shared by every domain actor.
  auto ctx = std::make_shared<node_context>();
  ctx->node_name = entry->name;
  ctx->settings.max_frame = server.max_frame;
  ctx->settings.max_output = server.max_output;
  ctx->settings.max_body = server.max_body;
  ctx->settings.heartbeat_s = server.heartbeat_s;
  ctx->settings.rate = server.rate;
  ctx->settings.rate_burst = server.rate_burst;
  ctx->settings.passivate_after = std::chrono::seconds(server.passivate_s);
  ctx->settings.max_group = server.max_group;
  ctx->settings.receipt_coalesce
    = std::chrono::milliseconds(server.receipt_coalesce_ms);
  ctx->settings.presence_grace
    = std::chrono::milliseconds(server.presence_grace_ms);
  ctx->settings.fault_injection = server.fault_injection;
  ctx->history = history;
  ctx->accounts = accounts;
  ctx->groups = groups;
  std::vector<std::string> names;
  for (auto& n : opts.cluster.nodes)
    names.push_back(n.name);
  ctx->where = std::make_shared<runtime::placement>(opts.cluster.shards,
                                                    names, entry->name);
  ctx->persistence = persistence::spawn_persistence_actor(*d.sys, history);
  ctx->auth = spawn_auth_pool(*d.sys, accounts, 2);
  node_context_ptr shared = ctx;
  runtime::supervisor_options sopts;
  sopts.restarts.intensity = server.restart_intensity;
  sopts.restarts.period = std::chrono::seconds(server.restart_period_s);
  sopts.fault_injection = server.fault_injection;
  ctx->directory = runtime::spawn_directory(
    *d.sys, ctx->where,
    {{persistence::entity_kind::user, user_factory(shared)},
     {persistence::entity_kind::conv, conversation_factory(shared)}},
    sopts);
  d.ctx = ctx;
  d.fault_injection = server.fault_injection;
  d.memory_release = runtime::spawn_memory_release(
    *d.sys, ctx->directory,
    std::max(ctx->settings.passivate_after / 2,
             std::chrono::milliseconds{500}),
    [weak = std::weak_ptr<persistence::history_store>{history}] {
      auto history = weak.lock(); // the node owns the store, not this
      if (!history)
        return std::string{};
      auto m = history->memory();
      auto mib = [](uint64_t bytes) {
        return std::to_string((bytes + (1u << 19)) >> 20) + " MiB";
      };
      return "RocksDB memtables " + mib(m.memtables) + ", block cache "
             + mib(m.block_cache) + ", table readers "
             + mib(m.table_readers);
    });
  d.watch = d.sys->spawn(vital_watch,
                         std::vector<std::pair<std::string, caf::actor>>{
                           {"the persistence actor", ctx->persistence},
                           {"the directory", ctx->directory}},
                         opts.on_fatal);
  // Gateway.
  transport::gateway_config gcfg;
  gcfg.host = entry->host;
  gcfg.port = opts.port ? *opts.port : entry->gateway_port;
  gcfg.max_frame = server.max_frame;
  gcfg.max_output = server.max_output;
  gcfg.heartbeat = std::chrono::seconds(server.heartbeat_s);
  gcfg.threads = server.gateway_threads;
  gcfg.max_connections = server.max_connections;
  try {
    d.gateway = std::make_unique<transport::gateway>(
      gcfg, session_handler_factory(*d.sys, shared));
  } catch (const std::system_error& e) {
    error = "cannot listen on " + gcfg.host + ":" + std::to_string(gcfg.port)
            + ": " + e.code().message();
    result->stop();
    return nullptr;
  }
  d.host = gcfg.host;
  d.port = d.gateway->port();
  d.gateway->start();
  return result;
}

bool node::inject_fault(const runtime::entity_id& e, runtime::fault f,
                        std::string& error) {
  auto& d = *impl_;
  if (!d.fault_injection) {
    error = "fault injection is off (cluster.conf [server] fault_injection)";
    return false;
  }
  if (d.stopped || !d.ctx) {
    error = "the node is stopped";
    return false;
  }
  caf::scoped_actor self{*d.sys};
  bool ok = false;
  self
    ->request(d.ctx->directory, d.ctx->settings.request_timeout,
              runtime::fault_atom::value, e, f)
    .receive([&](caf::ok_atom) { ok = true; },
             [&](caf::error& err) { error = d.sys->render(err); });
  return ok;
}

std::optional<uint64_t> node::live_entities(runtime::entity_kind kind) {
  auto& d = *impl_;
  if (d.stopped || !d.ctx)
    return std::nullopt;
  caf::scoped_actor self{*d.sys};
  std::optional<uint64_t> count;
  self
    ->request(d.ctx->directory, d.ctx->settings.request_timeout,
              runtime::census_atom::value, kind)
    .receive([&](uint64_t n) { count = n; }, [](caf::error&) {});
  return count;
}

void node::stop() {
  shut_down(false);
}

void node::kill() {
  shut_down(true);
}

void node::shut_down(bool abrupt) {
  auto& d = *impl_;
  if (d.stopped)
    return;
  d.stopped = true;
  std::weak_ptr<persistence::history_store> store;
  if (d.gateway && abrupt)
    d.gateway->abort(); // connections close at once, no bye: a crash
  else if (d.gateway)
    d.gateway->stop(); // clients get bye shutdown; sessions end
  if (d.sys) {
    auto& ctx = *d.ctx;
    {
      // End the entities first (they may still hand writes to the
      // persistence actor), then the writer itself, then the workers.
      // Abrupt: the writer is killed, so whatever was queued for it and
      // not yet written is lost. (The entities end as on a stop: killing
      // the directory was seen to leave actors behind, and the system
      // never ended.)
      caf::scoped_actor self{*d.sys};
      self->monitor(ctx.directory);
      self->send_exit(ctx.directory, caf::exit_reason::user_shutdown);
      self->receive([](caf::down_msg&) {});
      self->monitor(ctx.persistence);
      self->send_exit(ctx.persistence, abrupt ? caf::exit_reason::kill
                                              : caf::exit_reason::user_shutdown);
      self->receive([](caf::down_msg&) {});
      // The pool passes only an ordinary exit on to its workers (a kill
      // would end the pool and leave them running); they hold nothing.
      self->send_exit(ctx.auth, caf::exit_reason::user_shutdown);
    }
    d.watch = nullptr;          // it ended with the directory
    d.memory_release = nullptr; // so did this
    // Break the cycle context -> actors -> context.
    ctx.directory = nullptr;
    ctx.persistence = nullptr;
    ctx.auth = nullptr;
    // Abrupt: no flush. Closing a store whose writes all went through the
    // WAL flushes no memtable, so the next start recovers from the WAL.
    if (!abrupt)
      d.ctx->history->flush();
    store = d.ctx->history;
    d.ctx.reset();
    d.sys.reset(); // waits for every actor to end
  }
  d.gateway.reset();
  d.cfg.reset();
  // The store (and its file lock) may still be held for a moment by what
  // is being torn down (connection handlers, the killed writer's state):
  // wait (at most 5 s), so that a node can start on the same data at once.
  for (int i = 0; i < 500 && !store.expired(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
}

} // namespace parley::actors
