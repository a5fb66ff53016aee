#include "runtime/entity_supervisor.hpp"

#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "runtime/errors.hpp"
#include "runtime/fault.hpp"
#include "runtime/log.hpp"

namespace parley::runtime {

namespace {

/// A message for the next instance of a passivating entity: a lookup, or a
/// fault to hand over.
struct waiter {
  caf::response_promise rp;
  std::optional<fault> f;
};

struct child {
  caf::actor handle;
  bool stopping = false;
  std::vector<waiter> waiting; // lookups and faults during passivation
  /// Callers of a crash fault, answered once the supervisor has seen the
  /// instance end (their next lookup then gets a new one).
  std::vector<caf::response_promise> crashing;
};

struct supervisor_state {
  entity_kind kind = entity_kind::user;
  entity_factory factory;
  supervisor_options opts;
  restart_intensity crashes;
  std::unordered_map<std::string, child> children;
  std::unordered_map<caf::actor_addr, std::string> keys;
  static inline const char* name = "entity_supervisor";
};

using supervisor_actor = caf::stateful_actor<supervisor_state>;

const char* kind_name(entity_kind kind) {
  return kind == entity_kind::user ? "user" : "conv";
}

std::string period_text(std::chrono::milliseconds period) {
  if (period.count() % 1000 == 0)
    return std::to_string(period.count() / 1000) + " s";
  return std::to_string(period.count()) + " ms";
}

/// Whether a child that ended with `reason` crashed (passivation, the
/// no-account user's timeout and node::stop are normal ends).
bool is_crash(const caf::error& reason) {
  return reason && reason != caf::exit_reason::normal
         && reason != caf::exit_reason::user_shutdown;
}

caf::actor activate(supervisor_actor* self, const std::string& key) {
  auto handle = self->state.factory(self, key);
  self->state.keys[handle.address()] = key;
  return handle;
}

/// The live instance of `key`, activated if there is none; null while the
/// instance is passivating (the caller then queues a waiter).
caf::actor live(supervisor_actor* self, const std::string& key) {
  auto& st = self->state;
  auto i = st.children.find(key);
  if (i == st.children.end()) {
    auto handle = activate(self, key);
    st.children[key].handle = handle;
    return handle;
  }
  if (i->second.stopping)
    return nullptr;
  return i->second.handle;
}

void serve(supervisor_actor* self, const std::string& key, waiter& w,
           const caf::actor& handle) {
  if (!w.f) {
    w.rp.deliver(handle);
  } else if (w.f->what == fault::kind::crash) {
    // Anonymous: the entity's ok is not needed (its end is awaited).
    caf::anon_send(handle, fault_atom::value, *w.f);
    self->state.children[key].crashing.push_back(std::move(w.rp));
  } else {
    w.rp.delegate(handle, fault_atom::value, *w.f);
  }
}

/// More crashes than the restart intensity allows: give up, and take the
/// children and whatever is linked to the supervisor down with it.
void escalate(supervisor_actor* self) {
  auto& st = self->state;
  auto& limit = st.crashes.limit();
  auto text = std::string{kind_name(st.kind)} + " supervisor: "
              + std::to_string(st.crashes.recent()) + " crashes within "
              + period_text(limit.period) + " exceed restart_intensity "
              + std::to_string(limit.intensity);
  log(log_level::error, text + "; escalating (the node stops)");
  auto reason = make_error(errc::internal,
                           text + " (restart intensity exceeded)");
  for (auto& [_, c] : st.children) {
    self->send_exit(c.handle, reason);
    for (auto& w : c.waiting)
      w.rp.deliver(reason);
    for (auto& rp : c.crashing)
      rp.deliver(reason);
  }
  st.children.clear();
  self->quit(reason);
}

caf::behavior supervisor(supervisor_actor* self, entity_kind kind,
                         entity_factory factory, supervisor_options opts) {
  auto& st = self->state;
  st.kind = kind;
  st.factory = std::move(factory);
  st.opts = opts;
  st.crashes = restart_intensity{opts.restarts};
  // The supervisor ends with its node's directory (linked): its children
  // end with it.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    for (auto& [_, c] : self->state.children)
      self->send_exit(c.handle, msg.reason);
    self->quit(msg.reason);
  });
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto i = st.keys.find(dm.source);
    if (i == st.keys.end())
      return;
    auto key = std::move(i->second);
    st.keys.erase(i);
    if (dm.reason && dm.reason != caf::exit_reason::user_shutdown)
      log(log_level::warning, to_string(entity_id{st.kind, key}) + " ended: "
                                + self->system().render(dm.reason));
    auto c = st.children.find(key);
    if (c != st.children.end() && c->second.handle.address() == dm.source) {
      for (auto& rp : c->second.crashing)
        rp.deliver(caf::ok_atom::value);
      c->second.crashing.clear();
    }
    if (is_crash(dm.reason) && st.crashes.crashed(self->clock().now())) {
      escalate(self);
      return;
    }
    if (c == st.children.end() || c->second.handle.address() != dm.source)
      return;
    auto waiting = std::move(c->second.waiting);
    st.children.erase(c);
    if (!waiting.empty()) {
      auto handle = activate(self, key);
      st.children[key].handle = handle;
      for (auto& w : waiting)
        serve(self, key, w, handle);
    }
  });
  return {
    [=](caf::get_atom, const std::string& key) -> caf::result<caf::actor> {
      if (auto handle = live(self, key))
        return handle;
      auto rp = self->make_response_promise<caf::actor>();
      self->state.children[key].waiting.push_back(waiter{rp, std::nullopt});
      return rp;
    },
    [=](caf::idle_atom) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      auto sender = caf::actor_cast<caf::actor_addr>(self->current_sender());
      auto k = st.keys.find(sender);
      if (k == st.keys.end())
        return make_error(errc::internal);
      auto& c = st.children[k->second];
      if (c.handle.address() != sender || c.stopping)
        return make_error(errc::internal);
      c.stopping = true;
      return caf::ok_atom::value;
    },
    [=](census_atom) {
      return static_cast<uint64_t>(self->state.children.size());
    },
    [=](fault_atom, const std::string& key,
        const fault& f) -> caf::result<caf::ok_atom> {
      if (!self->state.opts.fault_injection)
        return make_error(errc::forbidden, "fault injection is off");
      auto rp = self->make_response_promise<caf::ok_atom>();
      waiter w{rp, f};
      if (auto handle = live(self, key))
        serve(self, key, w, handle);
      else
        self->state.children[key].waiting.push_back(std::move(w));
      return rp;
    },
  };
}

} // namespace

caf::actor spawn_entity_supervisor(caf::actor_system& sys, entity_kind kind,
                                   entity_factory factory,
                                   supervisor_options opts) {
  return sys.spawn(supervisor, kind, std::move(factory), opts);
}

} // namespace parley::runtime
