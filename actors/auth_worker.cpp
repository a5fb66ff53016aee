#include "actors/auth_worker.hpp"

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "runtime/errors.hpp"

namespace parley::actors {

namespace {

using persistence::account_store;

caf::behavior auth_worker(caf::event_based_actor*,
                          std::shared_ptr<account_store> accounts) {
  return {
    [=](register_atom, const std::string& user,
        const std::string& password) -> caf::result<std::string> {
      if (auto err = accounts->create_user(user, password))
        return make_error(*err);
      return user;
    },
    [=](login_atom, const std::string& user, const std::string& password,
        const std::string& device) -> caf::result<grant> {
      persistence::session_grant g;
      if (auto err = accounts->login(user, password, device, g))
        return make_error(*err);
      return grant{g.user, g.device, g.token};
    },
    [=](resume_atom, const std::string& token,
        const std::string& device) -> caf::result<grant> {
      persistence::session_grant g;
      if (auto err = accounts->resume(token, device, g))
        return make_error(*err);
      return grant{g.user, g.device, g.token};
    },
  };
}

} // namespace

caf::actor spawn_auth_pool(caf::actor_system& sys,
                           std::shared_ptr<account_store> accounts,
                           size_t workers) {
  auto factory = [&sys, accounts] {
    return sys.spawn<caf::detached>(auth_worker, accounts);
  };
  return caf::actor_pool::make(sys.dummy_execution_unit(), workers, factory,
                               caf::actor_pool::round_robin());
}

} // namespace parley::actors
