#include "scenario_world.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <poll.h>

#include "actors/node.hpp"
#include "scenario_lexer.hpp"

namespace parley::scenario {

std::string direct_key(const std::string& text) {
  auto args = call_argument(text, "conversation(");
  auto comma = args.find(',');
  if (comma == std::string::npos)
    return {};
  auto a = args.substr(0, comma);
  auto b = args.substr(comma + 1);
  if (a.empty() || b.empty())
    return {};
  if (b < a)
    std::swap(a, b);
  return "conversation(" + a + "," + b + ")";
}

scenario_world::scenario_world(run_options o, std::string r)
  : opts(std::move(o)), root(std::move(r)), rng(opts.seed) {
  if (!targeted())
    nodes = std::make_unique<node_set>(root);
}

scenario_world::~scenario_world() {
  devices.clear();
  nodes.reset();
}

device& scenario_world::dev(const std::string& label) {
  auto i = devices.find(label);
  if (i == devices.end())
    throw step_failure("a connected device " + label,
                       "no device " + label + " (connect it first)");
  return *i->second;
}

device& scenario_world::dev_or_new(const std::string& label) {
  auto& slot = devices[label];
  if (!slot) {
    auto slash = label.find('/');
    slot = std::make_unique<device>(label.substr(0, slash),
                                    label.substr(slash + 1), &acked);
  }
  return *slot;
}

std::string scenario_world::default_node() const {
  return node_order.empty() ? std::string{} : node_order.front();
}

std::pair<std::string, uint16_t>
scenario_world::address(const std::string& name) {
  if (targeted())
    return {opts.target_host, opts.target_port};
  auto n = name.empty() ? default_node() : name;
  if (n.empty())
    throw step_failure("a node", "no node started yet (use `nodes n1` first)");
  if (!nodes->known(n))
    throw step_failure("a node named " + n, "no node named " + n);
  auto running = nodes->find(n);
  if (running == nullptr)
    throw step_failure("node " + n + " running", "node " + n + " is stopped");
  return {running->host(), running->port()};
}

std::string scenario_world::conv_or_text(const std::string& name) const {
  auto key = direct_key(name);
  auto i = convs.find(key.empty() ? name : key);
  if (i != convs.end())
    return i->second;
  auto in = call_argument(name, "conv(");
  if (!in.empty())
    return conv_or_text(in);
  return name;
}

std::string scenario_world::conv_id(const std::string& name) {
  auto id = conv_or_text(name);
  if (id != name || name.rfind("d.", 0) == 0 || name.rfind("g.", 0) == 0)
    return id;
  if (!direct_key(name).empty())
    throw step_failure("a known conversation",
                       name + " is not known yet (send between them first)");
  throw step_failure("a known conversation",
                     "no conversation named " + name
                       + " (bind one with `-> ok as NAME`)");
}

void scenario_world::bind_direct(const std::string& a, const std::string& b,
                                 const std::string& conv) {
  if (conv.empty())
    return;
  convs[direct_key("conversation(" + a + "," + b + ")")] = conv;
  direct_members[conv] = {a, b};
}

std::string scenario_world::substitute(const std::string& text) const {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    auto open = text.find("${", i);
    if (open == std::string::npos)
      break;
    auto close = text.find('}', open);
    if (close == std::string::npos)
      break;
    out += text.substr(i, open - i);
    auto name = text.substr(open + 2, close - open - 2);
    out += name == "seed" ? std::to_string(opts.seed) : conv_or_text(name);
    i = close + 1;
  }
  return out + text.substr(i);
}

std::string scenario_world::next_cmid(const device& d) {
  // A per-run tag keeps runs against one --target from colliding with an
  // earlier run's cmids (which dedupe would answer with the old seq).
  static const std::string run_tag = [] {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04x",
                  static_cast<unsigned>(std::random_device{}() & 0xffff));
    return std::string{buf};
  }();
  return d.label() + "." + run_tag + "." + std::to_string(++cmids);
}

void scenario_world::learn_from_devices() {
  for (auto& [_, d] : devices) {
    for (auto& [to, conv] : d->direct_found)
      bind_direct(d->user(), to, conv);
    d->direct_found.clear();
  }
}

void scenario_world::pump_all() {
  for (auto& [_, d] : devices)
    d->pump();
  learn_from_devices();
}

bool scenario_world::wait_until(std::chrono::milliseconds timeout,
                                const std::function<bool()>& done) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    pump_all();
    if (done())
      return true;
    auto now = clock_type::now();
    if (now >= deadline)
      return false;
    std::vector<pollfd> fds;
    for (auto& [_, d] : devices)
      if (d->fd() >= 0)
        fds.push_back({d->fd(), POLLIN, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - now);
    int wait = static_cast<int>(std::min<long long>(left.count() + 1, 20));
    ::poll(fds.data(), fds.size(), wait);
  }
}

json scenario_world::await_reply(device& d, uint64_t id,
                                 std::chrono::milliseconds within,
                                 const std::string& what) {
  std::optional<json> reply;
  wait_until(within, [&] {
    reply = d.take_reply(id);
    return reply.has_value() || !d.connected();
  });
  if (!reply)
    throw step_failure(what + " within " + std::to_string(within.count())
                         + "ms",
                       d.connected() ? "no reply"
                                     : "the connection closed before the reply",
                       d.label());
  return *reply;
}

} // namespace parley::scenario
