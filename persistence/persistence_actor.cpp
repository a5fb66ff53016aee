#include "persistence/persistence_actor.hpp"

#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/response_promise.hpp>
#include <caf/result.hpp>
#include <caf/sec.hpp>
#include <caf/spawn_options.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>

#include "persistence/history_store.hpp"
#include "persistence/kv_batch.hpp"

namespace parley::persistence {

namespace {

/// The actor's state. Touched only by the actor's own thread.
struct persistence_state {
  std::shared_ptr<history_store> store;
  size_t max_batch = 1024;
  /// Batches received since the last commit, in arrival order, and the
  /// promise of each (same index).
  std::vector<kv_batch> pending;
  std::vector<caf::response_promise> promises;
  /// Whether a flush_atom to self is in the mailbox.
  bool flush_queued = false;
  uint64_t commits = 0;
  uint64_t requests = 0;

  static inline const char* name = "parley.persistence";
};

using persistence_actor = caf::stateful_actor<persistence_state>;

/// Writes every pending batch as one WriteBatch, then answers each request
/// in arrival order: ok_atom, or the same error for all of them.
void commit(persistence_actor* self) {
  auto& st = self->state;
  if (st.pending.empty())
    return;
  std::string error;
  auto written = st.store->write_all(st.pending, error);
  ++st.commits;
  auto promises = std::move(st.promises);
  st.promises.clear();
  st.pending.clear();
  for (auto& rp : promises) {
    if (rp.async())
      continue; // a plain send (advisory write): nobody waits for an answer
    if (written)
      rp.deliver(caf::ok_atom_v);
    else
      rp.deliver(caf::make_error(caf::sec::runtime_error, error));
  }
}

caf::behavior persistence_impl(persistence_actor* self,
                               std::shared_ptr<history_store> store,
                               size_t max_batch) {
  self->state.store = std::move(store);
  self->state.max_batch = max_batch == 0 ? 1 : max_batch;
  // The writer must outlive every mistake of its clients: a stray message
  // is dropped (a request gets an error), a stray error is ignored.
  self->set_default_handler(
    [](caf::scheduled_actor* self,
       caf::message_view&) -> caf::result<caf::message> {
      if (self->current_message_id().is_request())
        return caf::make_error(caf::sec::unexpected_message);
      return caf::message{};
    });
  self->set_error_handler([](caf::error&) {});
  // Whatever was accepted is written before the actor goes away.
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    commit(self);
    self->quit(msg.reason);
  });
  return {
    [self](caf::put_atom, kv_batch& batch) -> caf::response_promise {
      auto& st = self->state;
      auto rp = self->make_response_promise();
      ++st.requests;
      st.pending.push_back(std::move(batch));
      st.promises.push_back(rp);
      if (st.pending.size() >= st.max_batch) {
        commit(self);
      } else if (!st.flush_queued) {
        // Lands behind the burst already in the mailbox: everything queued
        // until then joins this commit.
        st.flush_queued = true;
        self->send(self, caf::flush_atom_v);
      }
      return rp;
    },
    [self](caf::flush_atom) {
      self->state.flush_queued = false;
      commit(self);
    },
    [self](caf::get_atom) -> caf::result<uint64_t, uint64_t> {
      return {self->state.commits, self->state.requests};
    },
  };
}

} // namespace

caf::actor spawn_persistence_actor(caf::actor_system& sys,
                                   std::shared_ptr<history_store> store,
                                   size_t max_batch) {
  return sys.spawn<caf::detached>(persistence_impl, std::move(store),
                                  max_batch);
}

} // namespace parley::persistence
