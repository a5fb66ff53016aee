#include "scenario_runner.hpp"

#include <cstdlib>
#include <filesystem>
#include <set>

#include "failure_report.hpp"
#include "history_reader.hpp"
#include "scenario_lexer.hpp"
#include "step_handlers.hpp"
#include "transport/client.hpp"

namespace parley::scenario {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

const std::set<std::string>& fault_verbs() {
  static const std::set<std::string> v{"kill",  "delay", "drop", "restart",
                                       "stop",  "start", "cut",  "heal"};
  return v;
}

/// Registers `user` through a short connection of its own.
void register_user(scenario_world& w, const std::string& user) {
  auto [host, port] = w.address("");
  try {
    transport::client c{host, port, milliseconds{5000}};
    c.hello();
    auto r = c.register_user(user, password_of(user));
    auto code = r.value("code", "");
    if (r.value("t", "") != "ok" && !(w.targeted() && code == "user_exists"))
      throw step_failure("register " + user + " -> ok",
                         "err code=" + code + " msg=\"" + r.value("msg", "")
                           + "\"");
  } catch (const transport::client_error& e) {
    throw step_failure("register " + user, e.what());
  }
  w.passwords[user] = password_of(user);
}

} // namespace

void run_setup_step(scenario_world& w, const step& s) {
  auto& v = s.verb;
  if (v == "nodes") {
    if (s.args.size() > 1)
      throw step_failure(s.text, "several nodes need a cluster (issue 6): "
                                 "this build runs single-node scenarios only");
    if (!w.node_order.empty())
      throw step_failure(s.text, "nodes were already declared");
    w.node_order.push_back(s.args[0].text);
    if (w.targeted())
      return; // every node name means the target
    for (auto& f : s.fields)
      w.nodes->set(f.key, f.value);
    std::string error;
    if (!w.nodes->start(s.args[0].text, error))
      throw step_failure("node " + s.args[0].text + " started", error);
  } else if (v == "config") {
    if (w.targeted())
      return; // the target's own configuration applies
    for (auto& f : s.fields)
      w.nodes->set(f.key, f.value);
  } else if (v == "user") {
    for (auto& a : s.args)
      register_user(w, a.text);
  } else if (v == "sleep") {
    w.wait_until(*parse_duration(s.args[0].text), [] { return false; });
  }
}

namespace {

/// Gives connected devices a moment (at most 3 s) to receive the last
/// message of every conversation they have not caught up on, before the
/// checker's `delivered` invariant looks.
void settle(scenario_world& w,
            const std::map<std::string, std::map<uint64_t, msg_content>>& h) {
  // What each connected device must reach: the last seq of each
  // conversation it took part in that its user may see (a group's former
  // member stops at its removal).
  std::vector<std::pair<device*, std::map<std::string, uint64_t>>> targets;
  for (auto& [_, d] : w.devices) {
    if (!d->connected())
      continue;
    std::map<std::string, uint64_t> upto;
    for (auto& [conv, msgs] : h) {
      if (msgs.empty() || d->highest.count(conv) == 0)
        continue; // never part of it: nothing to wait for
      membership_timeline members{msgs};
      uint64_t last = 0;
      for (auto i = msgs.rbegin(); i != msgs.rend() && last == 0; ++i)
        if (!members.known() || members.may_see(d->user(), i->first))
          last = i->first;
      upto[conv] = last;
    }
    targets.emplace_back(d.get(), std::move(upto));
  }
  auto caught_up = [&] {
    for (auto& [d, upto] : targets)
      for (auto& [conv, last] : upto)
        if (d->highest[conv] < last)
          return false;
    return true;
  };
  w.wait_until(milliseconds{3000}, caught_up);
}

struct failure_record {
  const step* at = nullptr;
  std::string expected;
  std::string got;
  std::string device;
};

void run_one(scenario_world& w, const step& s, int& count,
             const step*& current, const run_options& opts,
             std::ostream& out) {
  if (s.verb == "repeat") {
    for (int i = 0; i < s.repeat; ++i)
      for (auto& inner : s.body)
        run_one(w, inner, count, current, opts, out);
    return;
  }
  current = &s;
  ++count;
  if (opts.verbose)
    out << "  " << s.where() << ": " << s.text << "\n";
  w.pump_all();
  if (s.verb == "nodes" || s.verb == "config" || s.verb == "user"
      || s.verb == "sleep")
    run_setup_step(w, s);
  else if (fault_verbs().count(s.verb) > 0)
    run_fault_step(w, s);
  else if (s.verb == "random")
    run_random_sends(w, s);
  else if (s.verb == "expect")
    run_expect_step(w, s);
  else
    run_device_step(w, s);
  w.learn_from_devices();
}

} // namespace

run_result run_scenario(const std::vector<step>& steps, const std::string& file,
                        const run_options& opts, std::ostream& out) {
  run_result result;
  auto started = clock_type::now();
  std::string root;
  if (!opts.target_host.empty()) {
    root.clear();
  } else {
    auto tmpl = (fs::temp_directory_path() / "parley-scenario-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      out << "FAIL " << file << ": cannot create a temporary folder\n";
      return result;
    }
    root = tmpl;
  }
  out << "scenario " << file << " (seed " << opts.seed << ")\n";
  std::string report;
  std::vector<violation> found;
  std::vector<std::string> problems;
  {
    scenario_world w{opts, root};
    w.log = &out;
    std::optional<failure_record> failed;
    const step* current = nullptr;
    try {
      for (auto& s : steps)
        run_one(w, s, result.steps, current, opts, out);
    } catch (const step_failure& e) {
      failed = failure_record{current, e.expected, e.got, e.device};
    } catch (const std::exception& e) {
      failed = failure_record{current, current ? current->text : "",
                              std::string{"error: "} + e.what(), {}};
    }
    if (failed) {
      std::vector<std::string> frames;
      if (!failed->device.empty() && w.devices.count(failed->device) > 0)
        frames = w.devices[failed->device]->recent_frames();
      report += format_step_failure(*failed->at, failed->expected, failed->got,
                                    failed->device, frames);
    }
    // The checker runs whatever happened.
    w.pump_all();
    checker_input in;
    in.acked = w.acked;
    in.history = read_histories(w, problems);
    settle(w, in.history);
    for (auto& [_, d] : w.devices)
      for (auto& session : d->sessions())
        in.sessions.push_back(session);
    in.direct_members = w.direct_members;
    found = check_deliveries(in);
    result.acked = in.acked.size();
    result.convs = in.history.size();
    result.violations = found.size();
    result.passed = !failed && found.empty() && problems.empty();
  }
  report += format_violations(found, problems);
  auto secs = std::chrono::duration<double>(clock_type::now() - started).count();
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.1fs", secs);
  if (result.passed) {
    out << "PASS " << file << ": " << result.steps << " steps, "
        << result.acked << " acknowledged sends and " << result.convs
        << " conversation histories checked, seed " << opts.seed
        << ", " << elapsed << "\n";
  } else {
    out << report << "seed " << opts.seed << " (replay: --seed " << opts.seed
        << ")\n";
  }
  if (!root.empty()) {
    if (opts.keep) {
      out << "data kept in " << root << "\n";
    } else {
      std::error_code ec;
      fs::remove_all(root, ec);
    }
  }
  return result;
}

} // namespace parley::scenario
