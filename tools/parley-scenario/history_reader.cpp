#include "history_reader.hpp"

#include <poll.h>

#include "step_handlers.hpp"

namespace parley::scenario {

namespace {

using std::chrono::milliseconds;

/// Sends `req` from the checker's own device (not one of the world's) and
/// waits for its reply.
json call(scenario_world&, device& d, const json& req) {
  auto id = d.request(req);
  auto deadline = clock_type::now() + milliseconds{5000};
  while (clock_type::now() < deadline) {
    d.pump();
    if (auto r = d.take_reply(id))
      return *r;
    if (!d.connected())
      break;
    pollfd p{d.fd(), POLLIN, 0};
    ::poll(&p, 1, 20);
    d.inbox().clear(); // the replay to this fresh device: not needed
  }
  throw device_error(d.connected() ? "no reply to " + req.dump()
                                   : "connection closed");
}

} // namespace

std::map<std::string, std::map<uint64_t, msg_content>>
read_histories(scenario_world& w, std::vector<std::string>& problems) {
  std::map<std::string, std::map<uint64_t, msg_content>> out;
  std::map<std::string, std::map<uint64_t, std::string>> reader; // who read it
  if (w.nodes) {
    for (auto& name : w.nodes->names()) {
      std::string error;
      if (!w.nodes->running(name) && !w.nodes->start(name, error))
        problems.push_back("checker: cannot start node " + name
                           + " again to read history: " + error);
    }
  }
  if (w.passwords.empty() || (w.nodes && w.default_node().empty()))
    return out;
  std::vector<acked_send> ignored;
  for (auto& [user, password] : w.passwords) {
    device d{user, "scenario-checker", &ignored};
    try {
      auto [host, port] = w.address("");
      auto login = d.connect(host, port, password, false, milliseconds{5000});
      if (login.value("t", "") != "ok") {
        problems.push_back("checker: cannot log in as " + user + ": "
                           + login.dump());
        continue;
      }
      auto convs = call(w, d, {{"t", "convs"}});
      for (auto& c : convs.value("convs", json::array())) {
        auto conv = c.value("conv", "");
        uint64_t after = 0;
        for (int page = 0; page < 1000; ++page) {
          auto r = call(w, d, {{"t", "history"}, {"conv", conv},
                               {"after", after}, {"limit", 100}});
          if (r.value("t", "") != "ok") {
            problems.push_back("checker: history of " + conv + " as " + user
                               + ": " + r.dump());
            break;
          }
          auto& msgs = r["msgs"];
          for (auto& m : msgs) {
            auto seq = m.value("seq", uint64_t{0});
            auto content = content_of(m);
            auto [it, fresh] = out[conv].emplace(seq, content);
            if (fresh)
              reader[conv][seq] = user;
            else if (it->second != content)
              problems.push_back("conv " + conv + " seq "
                                 + std::to_string(seq) + ": history differs "
                                 "between " + reader[conv][seq] + " and "
                                 + user);
            after = std::max(after, seq);
          }
          if (msgs.empty() || !r.value("more", false))
            break;
        }
      }
      d.disconnect();
    } catch (const step_failure& e) {
      problems.push_back("checker: reading history as " + user + ": "
                         + e.got);
    } catch (const device_error& e) {
      problems.push_back("checker: reading history as " + user + ": "
                         + e.what());
    }
  }
  return out;
}

} // namespace parley::scenario
