#include "runtime/entity_supervisor.hpp"

#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "runtime/errors.hpp"
#include "runtime/log.hpp"

namespace parley::runtime {

namespace {

struct child {
  caf::actor handle;
  bool stopping = false;
  std::vector<caf::response_promise> waiting; // lookups during passivation
};

struct supervisor_state {
  entity_kind kind = entity_kind::user;
  entity_factory factory;
  std::unordered_map<std::string, child> children;
  std::unordered_map<caf::actor_addr, std::string> keys;
  static inline const char* name = "entity_supervisor";
};

using supervisor_actor = caf::stateful_actor<supervisor_state>;

caf::actor activate(supervisor_actor* self, const std::string& key) {
  auto handle = self->state.factory(self, key);
  self->state.keys[handle.address()] = key;
  return handle;
}

caf::behavior supervisor(supervisor_actor* self, entity_kind kind,
                         entity_factory factory) {
  self->state.kind = kind;
  self->state.factory = std::move(factory);
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
      log(log_level::warning, to_string(entity_id{st.kind, key})
                                + " ended: " + caf::to_string(dm.reason));
    auto c = st.children.find(key);
    if (c == st.children.end() || c->second.handle.address() != dm.source)
      return;
    auto waiting = std::move(c->second.waiting);
    st.children.erase(c);
    if (!waiting.empty()) {
      auto handle = activate(self, key);
      st.children[key].handle = handle;
      for (auto& rp : waiting)
        rp.deliver(handle);
    }
  });
  return {
    [=](caf::get_atom, const std::string& key) -> caf::result<caf::actor> {
      auto& st = self->state;
      auto i = st.children.find(key);
      if (i == st.children.end()) {
        auto handle = activate(self, key);
        st.children[key].handle = handle;
        return handle;
      }
      if (!i->second.stopping)
        return i->second.handle;
      auto rp = self->make_response_promise<caf::actor>();
      i->second.waiting.push_back(rp);
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
  };
}

} // namespace

caf::actor spawn_entity_supervisor(caf::actor_system& sys, entity_kind kind,
                                   entity_factory factory) {
  return sys.spawn(supervisor, kind, std::move(factory));
}

} // namespace parley::runtime
