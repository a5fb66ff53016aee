#include "runtime/directory.hpp"

#include <map>

#include <caf/all.hpp>

#include "runtime/errors.hpp"

namespace parley::runtime {

namespace {

struct directory_state {
  std::shared_ptr<const placement> where;
  std::map<entity_kind, caf::actor> supervisors;
  static inline const char* name = "directory";
};

caf::behavior directory(
  caf::stateful_actor<directory_state>* self,
  std::shared_ptr<const placement> where,
  std::vector<std::pair<entity_kind, entity_factory>> factories) {
  self->state.where = std::move(where);
  for (auto& [kind, factory] : factories) {
    auto sup = spawn_entity_supervisor(self->system(), kind, std::move(factory));
    self->link_to(sup); // a supervisor's death takes the node's directory down
    self->state.supervisors.emplace(kind, std::move(sup));
  }
  return {
    [=](caf::get_atom, const entity_id& e) -> caf::result<caf::actor> {
      auto& st = self->state;
      if (!st.where->is_local(e))
        return make_error(errc::unavailable,
                          "entity lives on node " + st.where->node_of(e));
      auto i = st.supervisors.find(e.kind);
      if (i == st.supervisors.end())
        return make_error(errc::internal, "no supervisor for " + to_string(e));
      self->delegate(i->second, caf::get_atom::value, e.key);
      return caf::delegated<caf::actor>{};
    },
  };
}

} // namespace

caf::actor spawn_directory(
  caf::actor_system& sys, std::shared_ptr<const placement> where,
  std::vector<std::pair<entity_kind, entity_factory>> factories) {
  return sys.spawn(directory, std::move(where), std::move(factories));
}

} // namespace parley::runtime
