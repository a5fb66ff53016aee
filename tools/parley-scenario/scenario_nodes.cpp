#include "scenario_nodes.hpp"

#include <cctype>
#include <filesystem>

#include "actors/node.hpp"
#include "runtime/cluster_config.hpp"

namespace parley::scenario {

namespace {

bool is_bare_value(const std::string& v) {
  if (v == "true" || v == "false")
    return true;
  if (v.empty())
    return false;
  for (char c : v)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.')
      return false;
  return true;
}

} // namespace

node_set::node_set(std::string root) : root_(std::move(root)) {
  // Fast and faultable by default; `config`/`nodes ... with` override.
  settings_["pwhash"] = "\"minimal\"";
  settings_["fault_injection"] = "true";
  settings_["rate"] = "100000";
  settings_["rate_burst"] = "100000";
  settings_["workers"] = "2";
}

node_set::~node_set() {
  stop_all();
}

void node_set::set(const std::string& key, const std::string& value) {
  settings_[key] = is_bare_value(value) ? value : "\"" + value + "\"";
}

std::string node_set::config_text(const std::string& name) const {
  std::string text = "[cluster]\nshards = 16\n[server]\n";
  for (auto& [k, v] : settings_)
    text += k + " = " + v + "\n";
  text += "[[node]]\nname = \"" + name + "\"\ndata = \"" + name + "\"\n";
  return text;
}

bool node_set::start(const std::string& name, std::string& error) {
  auto& s = nodes_[name];
  if (s.running) {
    error = "node " + name + " is already running";
    return false;
  }
  auto cfg = runtime::parse_cluster_config(config_text(name), "scenario " + name,
                                           root_, error);
  if (!cfg)
    return false;
  actors::node_options opts;
  opts.cluster = std::move(*cfg);
  opts.name = name;
  opts.port = s.port;
  s.running = actors::node::start(opts, error);
  if (!s.running)
    return false;
  s.port = s.running->port();
  return true;
}

bool node_set::stop(const std::string& name, std::string& error) {
  auto i = nodes_.find(name);
  if (i == nodes_.end() || !i->second.running) {
    error = "node " + name + " is not running";
    return false;
  }
  i->second.running->stop();
  i->second.running.reset();
  return true;
}

bool node_set::kill(const std::string& name, std::string& error) {
  auto i = nodes_.find(name);
  if (i == nodes_.end() || !i->second.running) {
    error = "node " + name + " is not running";
    return false;
  }
  i->second.running->kill();
  i->second.running.reset();
  return true;
}

bool node_set::running(const std::string& name) const {
  auto i = nodes_.find(name);
  return i != nodes_.end() && i->second.running != nullptr;
}

actors::node* node_set::find(const std::string& name) {
  auto i = nodes_.find(name);
  return i == nodes_.end() ? nullptr : i->second.running.get();
}

uint16_t node_set::port(const std::string& name) const {
  auto i = nodes_.find(name);
  return i == nodes_.end() ? 0 : i->second.port;
}

std::vector<std::string> node_set::names() const {
  std::vector<std::string> out;
  for (auto& [n, _] : nodes_)
    out.push_back(n);
  return out;
}

void node_set::stop_all() {
  for (auto& [_, s] : nodes_)
    if (s.running) {
      s.running->stop();
      s.running.reset();
    }
}

} // namespace parley::scenario
