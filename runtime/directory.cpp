#include "runtime/directory.hpp"

#include <map>

#include <caf/all.hpp>

#include "runtime/errors.hpp"
#include "runtime/fault.hpp"

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
  std::vector<std::pair<entity_kind, entity_factory>> factories,
  supervisor_options opts) {
  self->state.where = std::move(where);
  for (auto& [kind, factory] : factories) {
    auto sup = spawn_entity_supervisor(self->system(), kind,
                                       std::move(factory), opts);
    self->link_to(sup); // a supervisor's death takes the node's directory down
    self->state.supervisors.emplace(kind, std::move(sup));
  }
  // The supervisor of `e`'s kind, or the error to answer.
  auto route = [=](const entity_id& e, caf::error& err) -> const caf::actor* {
    auto& st = self->state;
    if (!st.where->is_local(e)) {
      err = make_error(errc::unavailable,
                       "entity lives on node " + st.where->node_of(e));
      return nullptr;
    }
    auto i = st.supervisors.find(e.kind);
    if (i == st.supervisors.end()) {
      err = make_error(errc::internal, "no supervisor for " + to_string(e));
      return nullptr;
    }
    return &i->second;
  };
  return {
    [=](caf::get_atom, const entity_id& e) -> caf::result<caf::actor> {
      caf::error err;
      auto sup = route(e, err);
      if (!sup)
        return err;
      self->delegate(*sup, caf::get_atom::value, e.key);
      return caf::delegated<caf::actor>{};
    },
    [=](census_atom, entity_kind kind) -> caf::result<uint64_t> {
      auto i = self->state.supervisors.find(kind);
      if (i == self->state.supervisors.end())
        return uint64_t{0};
      self->delegate(i->second, census_atom::value);
      return caf::delegated<uint64_t>{};
    },
    [=](fault_atom, const entity_id& e,
        const fault& f) -> caf::result<caf::ok_atom> {
      caf::error err;
      auto sup = route(e, err);
      if (!sup)
        return err;
      self->delegate(*sup, fault_atom::value, e.key, f);
      return caf::delegated<caf::ok_atom>{};
    },
  };
}

} // namespace

caf::actor spawn_directory(
  caf::actor_system& sys, std::shared_ptr<const placement> where,
  std::vector<std::pair<entity_kind, entity_factory>> factories,
  supervisor_options opts) {
  return sys.spawn(directory, std::move(where), std::move(factories), opts);
}

} // namespace parley::runtime
