// Device steps: connections and every protocol request.

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "frame_match.hpp"
#include "step_handlers.hpp"

namespace parley::scenario {

namespace {

using std::chrono::milliseconds;

milliseconds within_of(const step& s, milliseconds fallback = default_within) {
  return s.within ? *s.within : fallback;
}

bool retryable(const std::string& code) {
  return code == "unavailable" || code == "overloaded" || code == "internal";
}

std::string reply_text(const json& r) {
  if (r.value("t", "") == "err")
    return "err code=" + r.value("code", "?") + " msg=\"" + r.value("msg", "")
           + "\"";
  return r.dump();
}

/// The conversation a step acts on: `conv=`, else the device's current one.
std::string conv_for(scenario_world& w, device& d, const step& s,
                     const std::string& explicit_name = {}) {
  if (!explicit_name.empty())
    return w.conv_id(explicit_name);
  if (auto f = s.find("conv"))
    return w.conv_id(f->value);
  if (d.current_conv.empty())
    throw step_failure("a conversation", "the device has no current "
                                         "conversation: say conv=NAME",
                       d.label());
  return d.current_conv;
}

json users_of(const step& s, size_t from) {
  json users = json::array();
  for (size_t i = from; i < s.args.size(); ++i)
    users.push_back(s.args[i].text);
  return users;
}

uint64_t number(const std::string& text, const std::string& what) {
  char* end = nullptr;
  auto v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0')
    throw step_failure(what + " as a number", "`" + text + "`");
  return v;
}

std::string bytes_of(const arg& a) {
  if (a.quoted)
    return a.text;
  std::string out;
  auto& h = a.text;
  if (h.size() % 2 != 0)
    throw step_failure("hex bytes", "an odd number of hex digits");
  for (size_t i = 0; i < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

/// Sends and waits, retrying with the same cmid on a retryable error or a
/// missing reply (as a client must), unless an error is expected.
void run_send(scenario_world& w, device& d, const step& s) {
  auto& target = s.args[0].text;
  json req{{"t", "send"}, {"body", w.substitute(s.args[1].text)}};
  auto conv = w.conv_or_text(target);
  if (conv != target || target.rfind("d.", 0) == 0 || target.rfind("g.", 0) == 0)
    req["conv"] = conv;
  else
    req["to"] = target;
  req["cmid"] = s.find("cmid") ? s.find("cmid")->value : w.next_cmid(d);
  if (auto k = s.find("kind"))
    req["kind"] = k->value;
  int retries = s.find("retries") ? std::atoi(s.find("retries")->value.c_str())
                                  : 3;
  auto id = d.send_message(req, s.where());
  auto wait = within_of(s);
  bool want_err = s.reply && !s.reply->ok;
  for (int attempt = 0;; ++attempt) {
    std::optional<json> reply;
    w.wait_until(wait, [&] {
      reply = d.take_reply(id);
      return reply.has_value() || !d.connected();
    });
    bool again = attempt < retries && !want_err && d.connected()
                 && (!reply || (reply->value("t", "") == "err"
                                && retryable(reply->value("code", ""))));
    if (!again) {
      if (!reply)
        throw step_failure("a reply to send within "
                             + std::to_string(wait.count()) + "ms",
                           d.connected() ? "no reply"
                                         : "the connection closed",
                           d.label());
      if (reply->value("t", "") == "err")
        d.forget(id);
      check_reply(w, d, s, *reply);
      return;
    }
    std::this_thread::sleep_for(milliseconds{50});
    auto moved = d.retry_pending(milliseconds{0});
    if (auto i = moved.find(id); i != moved.end())
      id = i->second;
  }
}

/// Queries a client may simply ask again.
bool idempotent(const std::string& t) {
  return t == "history" || t == "convs" || t == "receipts" || t == "presence"
         || t == "group_info" || t == "ping" || t == "watch" || t == "unwatch";
}

/// Sends `req` with an id and checks the reply. An idempotent query
/// answered `unavailable` (an entity restarting) is asked again, up to 3
/// times, unless the step expects an error.
void call(scenario_world& w, device& d, const step& s, const json& req,
          bool retry = false) {
  auto t = req.value("t", "request");
  bool may_retry = (retry || idempotent(t)) && !(s.reply && !s.reply->ok);
  for (int attempt = 0;; ++attempt) {
    auto id = d.request(req);
    auto reply = w.await_reply(d, id, within_of(s), "a reply to " + t);
    if (may_retry && attempt < 3 && reply.value("t", "") == "err"
        && reply.value("code", "") == "unavailable") {
      w.wait_until(milliseconds{50}, [] { return false; });
      continue;
    }
    check_reply(w, d, s, reply);
    return;
  }
}

/// ack/read/typing: no reply unless an error is expected.
void notify_or_call(scenario_world& w, device& d, const step& s,
                    const json& req) {
  if (s.reply)
    call(w, d, s, req);
  else
    d.notify(req);
}

} // namespace

std::string password_of(const std::string& user) {
  return user + "-scenario-pw";
}

void check_reply(scenario_world& w, device& d, const step& s,
                 const json& reply) {
  bool want_ok = !s.reply || s.reply->ok;
  auto t = reply.value("t", "");
  std::string expected = s.reply ? s.text.substr(s.text.find("->")) : "-> ok";
  if (want_ok && t != "ok")
    throw step_failure(expected, reply_text(reply), d.label());
  if (!want_ok) {
    if (t != "err")
      throw step_failure(expected, "ok " + reply.dump(), d.label());
    if (reply.value("code", "") != s.reply->code)
      throw step_failure(expected, reply_text(reply), d.label());
  }
  if (!s.reply)
    return;
  std::string why;
  auto resolve = [&](const std::string& n) { return w.conv_or_text(n); };
  if (!all_match(reply, s.reply->fields, resolve, why))
    throw step_failure(expected, why + " in " + reply.dump(), d.label());
  if (!s.reply->bind_as.empty()) {
    auto conv = reply.value("conv", "");
    if (conv.empty())
      throw step_failure("a conv in the reply to bind `as "
                           + s.reply->bind_as + "`",
                         reply.dump(), d.label());
    w.convs[s.reply->bind_as] = conv;
  }
}

void run_device_step(scenario_world& w, const step& s) {
  auto& v = s.verb;
  if (v == "connect" || v == "resume") {
    auto& d = w.dev_or_new(s.device);
    auto node = s.args.empty() ? std::string{} : s.args[0].text;
    auto [host, port] = w.address(node);
    w.device_node[s.device] = node.empty() ? w.default_node() : node;
    if (v == "resume" && d.token().empty())
      throw step_failure("a token to resume with",
                         s.device + " never logged in", s.device);
    json reply;
    try {
      reply = d.connect(host, port, password_of(d.user()), v == "resume",
                        within_of(s, milliseconds{5000}));
    } catch (const device_error& e) {
      throw step_failure(v + " to " + host + ":" + std::to_string(port),
                         e.what(), s.device);
    }
    check_reply(w, d, s, reply);
    return;
  }
  auto& d = w.dev(s.device);
  if (v == "disconnect") {
    d.disconnect();
    return;
  }
  if (v == "vanish") {
    d.vanish();
    return;
  }
  if (v == "drain") {
    w.pump_all();
    d.inbox().clear();
    return;
  }
  try {
    if (v == "send") {
      run_send(w, d, s);
    } else if (v == "burst") {
      auto n = number(s.args[0].text, "burst count");
      auto& target = s.args[1].text;
      auto prefix = s.find("body") ? s.find("body")->value : std::string{"b"};
      auto conv = w.conv_or_text(target);
      for (uint64_t i = 1; i <= n; ++i) {
        json req{{"t", "send"},
                 {"body", prefix + std::to_string(i)},
                 {"cmid", w.next_cmid(d)}};
        if (conv != target || target.rfind("g.", 0) == 0)
          req["conv"] = conv;
        else
          req["to"] = target;
        d.send_message(req, s.where());
        if (i % 16 == 0)
          w.pump_all();
      }
    } else if (v == "await") {
      auto wait = within_of(s, milliseconds{10000});
      auto deadline = clock_type::now() + wait;
      while (!d.pending().empty() && clock_type::now() < deadline) {
        w.wait_until(milliseconds{100}, [&] { return d.pending().empty(); });
        d.retry_pending(milliseconds{1000});
      }
      if (!d.pending().empty())
        throw step_failure("every send acknowledged within "
                             + std::to_string(wait.count()) + "ms",
                           std::to_string(d.pending().size())
                             + " send(s) still unanswered (first from "
                             + d.pending().begin()->second.where + ")",
                           d.label());
    } else if (v == "ack" || v == "read") {
      auto conv = conv_for(w, d, s);
      uint64_t seq = d.highest[conv];
      if (!s.args.empty())
        seq = number(s.args[0].text, "seq");
      else if (auto f = s.find("seq"))
        seq = number(f->value, "seq");
      notify_or_call(w, d, s, {{"t", v}, {"conv", conv}, {"seq", seq}});
      if (v == "ack" && !s.reply)
        d.acked_upto[conv] = std::max(d.acked_upto[conv], seq);
    } else if (v == "typing") {
      notify_or_call(w, d, s, {{"t", "typing"}, {"conv", conv_for(w, d, s)},
                               {"on", s.args[0].text == "on"}});
    } else if (v == "history") {
      json req{{"t", "history"},
               {"conv", conv_for(w, d, s,
                                 s.args.empty() ? "" : s.args[0].text)}};
      for (auto k : {"before", "after", "limit"})
        if (auto f = s.find(k))
          req[k] = number(f->value, k);
      call(w, d, s, req);
    } else if (v == "convs") {
      call(w, d, s, {{"t", "convs"}});
    } else if (v == "receipts") {
      call(w, d, s, {{"t", "receipts"},
                     {"conv", conv_for(w, d, s,
                                       s.args.empty() ? "" : s.args[0].text)}});
    } else if (v == "group") {
      auto& sub = s.args[0].text;
      if (sub == "create") {
        json req{{"t", "group_create"}, {"name", s.args[1].text},
                 {"members", users_of(s, 2)}};
        auto id = d.request(req);
        auto reply = w.await_reply(d, id, within_of(s), "a reply to group_create");
        check_reply(w, d, s, reply);
        if (reply.value("t", "") == "ok" && (!s.reply || s.reply->bind_as.empty()))
          w.convs[s.args[1].text] = reply.value("conv", "");
        if (reply.value("t", "") == "ok")
          d.current_conv = reply.value("conv", "");
      } else {
        json req{{"t", "group_" + sub}, {"conv", w.conv_id(s.args[1].text)}};
        if (sub == "add" || sub == "remove")
          req["members"] = users_of(s, 2);
        call(w, d, s, req);
      }
    } else if (v == "presence" || v == "watch" || v == "unwatch") {
      call(w, d, s, {{"t", v}, {"users", users_of(s, 0)}});
    } else if (v == "ping") {
      call(w, d, s, {{"t", "ping"}});
    } else if (v == "request" || v == "frame") {
      auto req = json::parse(w.substitute(s.args[0].text), nullptr, false);
      if (!req.is_object())
        throw step_failure("a JSON object", "invalid JSON: " + s.args[0].text);
      if (v == "request")
        call(w, d, s, req);
      else
        d.notify(req);
    } else if (v == "raw") {
      d.raw(bytes_of(s.args[0]));
    }
  } catch (const device_error& e) {
    throw step_failure(v + " from " + d.label(), e.what(), d.label());
  }
}

} // namespace parley::scenario
