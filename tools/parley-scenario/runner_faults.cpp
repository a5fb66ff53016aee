// Fault steps: entity actors (through node::inject_fault) and nodes.

#include "actors/node.hpp"
#include "runtime/entity.hpp"
#include "runtime/fault.hpp"
#include "scenario_lexer.hpp"
#include "step_handlers.hpp"

namespace parley::scenario {

namespace {

void need_nodes(scenario_world& w, const step& s) {
  if (w.targeted())
    throw step_failure(s.text, s.verb + " " + s.args[0].text
                                 + " is not available with --target (faults "
                                   "need the in-process nodes)");
}

[[noreturn]] void needs_cluster(const step& s) {
  throw step_failure(s.text, "`" + s.verb + " " + s.args[0].text
                               + "` needs a cluster (issue 6): this build "
                                 "runs single-node scenarios only");
}

} // namespace

void inject_entity_fault(scenario_world& w, const std::string& entity,
                         const std::string& action,
                         std::chrono::milliseconds ms) {
  runtime::entity_id id;
  if (auto user = call_argument(entity, "user("); !user.empty()) {
    id = {persistence::entity_kind::user, user};
  } else {
    std::string name = entity;
    if (auto c = call_argument(entity, "conv("); !c.empty())
      name = c;
    id = {persistence::entity_kind::conv, w.conv_id(name)};
  }
  auto kind = runtime::fault_kind_from_string(action);
  auto node_name = w.default_node();
  auto n = w.nodes->find(node_name);
  if (n == nullptr)
    throw step_failure("a running node for the fault",
                       "node " + node_name + " is stopped");
  std::string error;
  if (!n->inject_fault(id, runtime::fault{*kind, ms}, error))
    throw step_failure(action + " " + to_string(id), error);
}

void run_fault_step(scenario_world& w, const step& s) {
  auto& v = s.verb;
  auto& what = s.args[0].text;
  if (v == "cut" || v == "heal" || (v == "delay" && what == "node"))
    needs_cluster(s);
  need_nodes(w, s);
  if (what == "actor" || v == "drop") {
    std::string action = v == "kill" ? "crash" : v;
    std::chrono::milliseconds ms{0};
    if (v == "delay")
      ms = *parse_duration(s.args[2].text);
    inject_entity_fault(w, s.args[1].text, action, ms);
    return;
  }
  // node steps
  auto& name = s.args[1].text;
  if (!w.nodes->known(name))
    throw step_failure("a node named " + name, "no node named " + name);
  std::string error;
  bool ok = true;
  if (v == "restart") {
    ok = w.nodes->stop(name, error) && w.nodes->start(name, error);
  } else if (v == "stop") {
    ok = w.nodes->stop(name, error);
  } else if (v == "start") {
    ok = w.nodes->start(name, error);
  } else if (v == "kill") {
    ok = w.nodes->kill(name, error);
  }
  if (!ok)
    throw step_failure(s.text, error);
  w.pump_all(); // devices of a stopped node see their connection close
}

} // namespace parley::scenario
