// Expectations on a device's pushes and connection.

#include "frame_match.hpp"
#include "step_handlers.hpp"

namespace parley::scenario {

namespace {

using std::chrono::milliseconds;

std::string ms_text(milliseconds d) {
  return std::to_string(d.count()) + "ms";
}

/// Whether push `f` is of `type` (empty: any) and matches `fields`.
bool push_matches(scenario_world& w, const json& f, const std::string& type,
                  const std::vector<field>& fields, std::string& why) {
  if (!type.empty() && f.value("t", "") != type) {
    why = "t is " + f.value("t", "?");
    return false;
  }
  return all_match(f, fields,
                   [&](const std::string& n) { return w.conv_or_text(n); },
                   why);
}

/// The fields of an expectation (`conv=` resolved by the matcher).
std::vector<field> matchers(const step& s) {
  return s.fields;
}

/// expect msgs A..B [conv=C] [then synced]
void expect_msgs(scenario_world& w, device& d, const step& s,
                 milliseconds within) {
  auto range = s.args[1].text;
  auto dots = range.find("..");
  auto first = std::stoull(range.substr(0, dots));
  auto last = std::stoull(range.substr(dots + 2));
  bool then_synced = s.args.size() >= 4 && s.args[2].text == "then"
                     && s.args[3].text == "synced";
  std::string conv;
  if (auto f = s.find("conv"))
    conv = w.conv_id(f->value);
  auto next = first;
  bool synced = false;
  std::string wrong;
  auto expected = "msgs " + std::to_string(first) + ".." + std::to_string(last)
                  + (conv.empty() ? "" : " of " + conv)
                  + (then_synced ? " then synced" : "") + " within "
                  + ms_text(within);
  auto done = [&] {
    auto& inbox = d.inbox();
    for (auto i = inbox.begin(); i != inbox.end();) {
      auto t = i->value("t", "");
      if (t == "msg" && next <= last) {
        auto c = i->value("conv", "");
        if (conv.empty())
          conv = c;
        if (c == conv) {
          auto seq = i->value("seq", uint64_t{0});
          if (seq != next) {
            wrong = "got seq " + std::to_string(seq) + " where "
                    + std::to_string(next) + " was expected";
            return true;
          }
          ++next;
          i = inbox.erase(i);
          continue;
        }
      } else if (t == "msg" && next > last && then_synced && !synced
                 && i->value("conv", "") == conv) {
        wrong = "got seq " + std::to_string(i->value("seq", uint64_t{0}))
                + " after " + std::to_string(last) + ", before synced";
        return true;
      } else if (t == "synced" && then_synced && next > last && !synced) {
        synced = true;
        i = inbox.erase(i);
        continue;
      }
      ++i;
    }
    return next > last && (!then_synced || synced);
  };
  bool ok = w.wait_until(within, done);
  if (!wrong.empty())
    throw step_failure(expected, wrong, d.label());
  if (!ok) {
    std::string got = next > last ? "all msgs but no synced"
                                  : "msgs up to " + std::to_string(next - 1)
                                      + ", not " + std::to_string(next);
    throw step_failure(expected, got, d.label());
  }
}

} // namespace

void run_expect_step(scenario_world& w, const step& s) {
  auto& d = w.dev(s.device);
  auto within = s.within ? *s.within : default_within;
  auto& what = s.args[0].text;
  if (what == "msgs") {
    expect_msgs(w, d, s, within);
    return;
  }
  if (what == "closed") {
    if (!w.wait_until(within, [&] { return !d.connected() && !d.vanished(); }))
      throw step_failure("the connection closed within " + ms_text(within),
                         "still open", d.label());
    return;
  }
  auto fields = matchers(s);
  if (what == "nothing") {
    std::string type = s.args.size() > 1 ? s.args[1].text : "";
    std::string found;
    w.pump_all();
    auto already = d.inbox().size(); // only what arrives from now on counts
    w.wait_until(within, [&] {
      for (size_t i = already; i < d.inbox().size(); ++i) {
        auto& f = d.inbox()[i];
        std::string why;
        if (push_matches(w, f, type, fields, why)) {
          found = f.dump();
          return true;
        }
      }
      return false;
    });
    if (!found.empty())
      throw step_failure("no " + (type.empty() ? std::string{"push"} : type)
                           + (fields.empty() ? "" : " with " + describe(fields))
                           + " within " + ms_text(within),
                         found, d.label());
    return;
  }
  // expect TYPE fields...: the oldest matching push, consumed.
  std::string closest;
  bool ok = w.wait_until(within, [&] {
    auto& inbox = d.inbox();
    for (auto i = inbox.begin(); i != inbox.end(); ++i) {
      std::string why;
      if (push_matches(w, *i, what, fields, why)) {
        inbox.erase(i);
        return true;
      }
      if (i->value("t", "") == what)
        closest = why + " in " + i->dump();
    }
    return false;
  });
  if (!ok) {
    auto expected = what + (fields.empty() ? "" : " " + describe(fields))
                    + " within " + ms_text(within);
    std::string got = closest.empty()
                        ? "no " + what + " push ("
                            + std::to_string(d.inbox().size())
                            + " other push(es) waiting)"
                        : "closest: " + closest;
    if (!d.connected() && !d.vanished())
      got += "; the connection is closed";
    throw step_failure(expected, got, d.label());
  }
}

} // namespace parley::scenario
