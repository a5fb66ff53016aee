// End-to-end: group conversations over real TCP against parleyd
// (protocol.md, "Groups"; docs/protocol.md Part 2, "Groups" and
// "Conversations and messages").

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "e2e/e2e_assertions.hpp"
#include "e2e/parleyd_process.hpp"

using namespace parley::e2e;
using std::chrono::milliseconds;

namespace {

/// (seq, from, cmid): what every device must agree on.
using entry = std::tuple<uint64_t, std::string, std::string>;

entry entry_of(const json& m) {
  return {m.at("seq").get<uint64_t>(), m.at("from").get<std::string>(),
          m.at("cmid").get<std::string>()};
}


void require_err(const json& r, const std::string& code) {
  INFO(r.dump());
  REQUIRE(r.at("t") == "err");
  REQUIRE(r.at("code") == code);
  REQUIRE(r.at("msg").is_string());
}

void err(device& d, json req, const std::string& code) {
  INFO(d.user << " " << req.dump());
  require_err(d->call(std::move(req), 3s), code);
}

bool is_group_id(const std::string& conv) {
  if (conv.size() != 34 || conv.compare(0, 2, "g.") != 0)
    return false;
  return std::all_of(conv.begin() + 2, conv.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

std::string create_group(device& d, const std::string& name,
                         const std::vector<std::string>& members) {
  auto r = require_ok(d, {{"t", "group_create"}, {"name", name}, {"members", members}});
  auto conv = r.at("conv").get<std::string>();
  INFO(conv);
  REQUIRE(is_group_id(conv));
  return conv;
}

json group_info(device& d, const std::string& conv) {
  return require_ok(d, {{"t", "group_info"}, {"conv", conv}});
}

json members_of(device& d, const std::string& conv) {
  return group_info(d, conv).at("members");
}

json body_of(const json& msg) {
  REQUIRE(msg.at("body").is_string());
  auto j = json::parse(msg.at("body").get<std::string>(), nullptr, false);
  INFO(msg.dump());
  REQUIRE(j.is_object());
  return j;
}

/// One membership change as a device sees it: the `member` message and the
/// `group` push (in whichever order they come).
struct change_seen {
  json msg;
  json group;
};

/// Reads pushes until one `member` msg and one `group` push have come;
/// receipts and typing are skipped, anything else fails the test.
change_seen next_change(device& d, milliseconds timeout = 5s) {
  INFO("device " << d.user << "/" << d.name);
  change_seen out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.msg.is_null() || out.group.is_null()) {
    auto left = std::chrono::duration_cast<milliseconds>(
      deadline - std::chrono::steady_clock::now());
    auto p = left.count() > 0 ? d->next_push(left) : std::nullopt;
    REQUIRE(p.has_value());
    INFO(p->dump());
    auto t = p->at("t").get<std::string>();
    if (t == "receipt" || t == "typing")
      continue;
    if (t == "msg") {
      REQUIRE(out.msg.is_null());
      REQUIRE(p->at("kind") == "member");
      out.msg = *p;
    } else {
      REQUIRE(t == "group");
      REQUIRE(out.group.is_null());
      out.group = *p;
    }
  }
  return out;
}

/// The next `group` push, skipping `member` msgs, receipts and typing (for
/// the connection that made the change, whose own `member` msg the
/// protocol leaves open).
json next_group_push(device& d, milliseconds timeout = 5s) {
  INFO("device " << d.user << "/" << d.name);
  for (;;) {
    auto p = d->next_push(timeout);
    REQUIRE(p.has_value());
    INFO(p->dump());
    auto t = p->at("t").get<std::string>();
    if (t == "receipt" || t == "typing"
        || (t == "msg" && p->at("kind") == "member"))
      continue;
    REQUIRE(t == "group");
    return *p;
  }
}

/// Checks a `member` msg push: every field of the contract, exactly.
void check_member_msg(const json& m, const std::string& conv, uint64_t seq,
                      const std::string& from, const json& body) {
  INFO(m.dump());
  CHECK(m.size() == 8);
  CHECK(m.at("t") == "msg");
  CHECK(m.at("conv") == conv);
  CHECK(m.at("seq") == seq);
  CHECK(m.at("from") == from);
  CHECK(m.at("ts").is_number_integer());
  CHECK(m.at("kind") == "member");
  CHECK(m.at("cmid") == "");
  CHECK(body_of(m) == body);
}

/// The next `msg` push (skipping receipts and typing); fails if none.
json next_msg(device& d, milliseconds timeout = 5s) {
  INFO("device " << d.user << "/" << d.name);
  for (;;) {
    auto p = d->next_push(timeout);
    REQUIRE(p.has_value());
    auto t = p->at("t").get<std::string>();
    if (t == "receipt" || t == "typing")
      continue;
    INFO(p->dump());
    REQUIRE(t == "msg");
    return *p;
  }
}

/// The login replay up to `synced`: every frame must be a `msg`.
std::vector<json> read_replay(device& d) {
  std::vector<json> out;
  for (;;) {
    auto p = d->next_push(5s);
    INFO("replay of " << d.user << "/" << d.name);
    REQUIRE(p.has_value());
    if (p->at("t") == "synced")
      return out;
    INFO(p->dump());
    REQUIRE(p->at("t") == "msg");
    out.push_back(*p);
  }
}




json history(device& d, const std::string& conv, json extra = json::object()) {
  json req = {{"t", "history"}, {"conv", conv}};
  for (auto& [k, v] : extra.items())
    req[k] = v;
  return require_ok(d, std::move(req));
}

/// All of `d`'s readable history, paged forward with `after`.
json history_all(device& d, const std::string& conv) {
  json all = json::array();
  uint64_t after = 0;
  for (int pages = 0; pages < 100; ++pages) {
    auto h = history(d, conv, {{"after", after}, {"limit", 100}});
    for (auto& m : h.at("msgs")) {
      all.push_back(m);
      after = m.at("seq").get<uint64_t>();
    }
    if (!h.at("more").get<bool>())
      return all;
    REQUIRE_FALSE(h.at("msgs").empty());
  }
  FAIL("history never ends");
  return all;
}

/// `user`'s {delivered, read} from `d`'s receipts query.
json receipts_by_user(device& d, const std::string& conv) {
  auto r = require_ok(d, {{"t", "receipts"}, {"conv", conv}});
  json out = json::object();
  for (auto& m : r.at("members"))
    out[m.at("user").get<std::string>()] = m;
  return out;
}

/// Polls (bounded) until `user`'s delivered position reaches `seq`: acks
/// have no reply, this is their barrier.
void wait_delivered(device& d, const std::string& conv, const std::string& user,
                    uint64_t seq) {
  uint64_t got = 0;
  for (int i = 0; i < 200 && got < seq; ++i) {
    auto by = receipts_by_user(d, conv);
    if (by.contains(user))
      got = by.at(user).at("delivered").get<uint64_t>();
    if (got < seq)
      std::this_thread::sleep_for(10ms);
  }
  REQUIRE(got == seq);
}

/// The `convs` entry of `conv` as `d` sees it (null if absent).
json conv_entry(device& d, const std::string& conv) {
  auto r = require_ok(d, {{"t", "convs"}});
  for (auto& x : r.at("convs"))
    if (x.at("conv") == conv)
      return x;
  return nullptr;
}

/// Registers every user over one connection, pipelined.
void register_all(parleyd_fixture& f, const std::vector<std::string>& users) {
  auto c = f.connect_hello();
  std::vector<uint64_t> ids;
  for (auto& u : users)
    ids.push_back(c->send({{"t", "register"},
                           {"user", u},
                           {"password", parleyd_fixture::password_of(u)}}));
  for (size_t i = 0; i < ids.size(); ++i) {
    auto r = c->wait_reply(ids[i], 10s);
    INFO(users[i] << ": " << r.dump());
    REQUIRE(r.at("t") == "ok");
  }
}

json group_push(const std::string& conv, const std::string& event,
                const std::string& by, json users) {
  return {{"t", "group"},
          {"conv", conv},
          {"event", event},
          {"by", by},
          {"users", std::move(users)}};
}

/// (user, kind) -> the seqs of the receipt pushes, in order.
using seen_t =
  std::map<std::pair<std::string, std::string>, std::vector<uint64_t>>;

/// Every receipt push each device gets within `window` (anything else fails).
std::vector<seen_t> receipts_seen(const std::vector<device*>& ds,
                                  const std::string& conv,
                                  milliseconds window = 1000ms) {
  std::vector<seen_t> out(ds.size());
  auto deadline = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < deadline)
    for (size_t i = 0; i < ds.size(); ++i)
      while (auto p = (*ds[i])->next_push(5ms)) {
        INFO(ds[i]->user << ": " << p->dump());
        REQUIRE(p->at("t") == "receipt");
        CHECK(p->size() == 5);
        CHECK(p->at("conv") == conv);
        out[i][{p->at("user").get<std::string>(),
                p->at("kind").get<std::string>()}]
          .push_back(p->at("seq").get<uint64_t>());
      }
  return out;
}

} // namespace

TEST_CASE("group_create: the member message, the group push and group_info",
          "[e2e][groups]") {
  parleyd_fixture f;
  register_all(f, {"ann", "bob", "cat", "dan"});
  auto a1 = f.login("ann", "a1");
  auto a2 = f.login("ann", "a2");
  auto b1 = f.login("bob", "b1");
  auto c1 = f.login("cat", "c1");
  auto d1 = f.login("dan", "d1");

  // Validation first: nothing of these is created.
  err(a1, {{"t", "group_create"}, {"name", ""}, {"members", {"bob"}}},
      "bad_request");
  err(a1,
      {{"t", "group_create"}, {"name", std::string(129, 'n')},
       {"members", {"bob"}}},
      "bad_request");
  err(a1, {{"t", "group_create"}, {"members", {"bob"}}}, "bad_request");
  err(a1, {{"t", "group_create"}, {"name", "x"}, {"members", "bob"}},
      "bad_request");
  err(a1,
      {{"t", "group_create"}, {"name", "x"}, {"members", {"bob", "nobody"}}},
      "no_such_user");
  CHECK(require_ok(a1, {{"t", "convs"}}).at("convs").empty());
  CHECK(require_ok(b1, {{"t", "convs"}}).at("convs").empty());
  for (auto* d : {&a2, &b1, &c1, &d1})
    CHECK(no_push(*d->c, 100ms));

  auto r = require_ok(a1, {{"t", "group_create"},
                   {"name", "trip"},
                   {"members", {"bob", "cat"}}});
  CHECK(r.size() == 3); // t, id, conv
  auto conv = r.at("conv").get<std::string>();
  CHECK(is_group_id(conv));

  json body = {{"event", "create"},
               {"by", "ann"},
               {"users", {"ann", "bob", "cat"}},
               {"name", "trip"},
               {"owner", "ann"}};
  json ts;
  for (auto* d : {&a2, &b1, &c1}) {
    INFO(d->user << "/" << d->name);
    auto seen = next_change(*d);
    check_member_msg(seen.msg, conv, 1, "ann", body);
    if (ts.is_null())
      ts = seen.msg.at("ts");
    CHECK(seen.msg.at("ts") == ts);
    // Exactly the contract's fields (an `owner` is allowed: it was set).
    auto g = seen.group;
    if (g.contains("owner")) {
      CHECK(g.at("owner") == "ann");
      g.erase("owner");
    }
    CHECK(g == group_push(conv, "create", "ann", {"ann", "bob", "cat"}));
  }
  drain(*a1.c, 200ms); // the creator's own connection: either is fine
  CHECK(no_push(*d1.c, 200ms)); // not a member: nothing

  auto info = group_info(b1, conv);
  CHECK(info
        == json{{"t", "ok"},
                {"id", info.at("id")},
                {"conv", conv},
                {"name", "trip"},
                {"owner", "ann"},
                {"admins", {"ann"}},
                {"members", {"ann", "bob", "cat"}}});

  // Every member reads the creation in history.
  auto h = history(c1, conv);
  REQUIRE(h.at("msgs").size() == 1);
  CHECK(h.at("msgs")[0].at("kind") == "member");
  CHECK(h.at("msgs")[0].at("seq") == 1);
  CHECK_FALSE(h.at("msgs")[0].contains("t"));
  CHECK(body_of(h.at("msgs")[0]) == body);
  CHECK(h.at("more") == false);

  auto e = conv_entry(b1, conv);
  INFO(e.dump());
  REQUIRE(e.is_object());
  CHECK(e.at("kind") == "group");
  CHECK(e.at("name") == "trip");
  CHECK(e.at("members") == json{"ann", "bob", "cat"});
  CHECK(e.at("last_seq") == 1);
  CHECK_FALSE(e.contains("left"));

  // The creator is added first if missing and duplicates are ignored; a
  // name of exactly 128 bytes is fine; members may be absent.
  auto conv2 = create_group(b1, std::string(128, 'n'), {"cat", "bob", "cat"});
  CHECK(conv2 != conv);
  CHECK(members_of(c1, conv2) == json{"bob", "cat"});
  auto seen = next_change(c1);
  CHECK(body_of(seen.msg)
        == json{{"event", "create"},
                {"by", "bob"},
                {"users", {"bob", "cat"}},
                {"name", std::string(128, 'n')},
                {"owner", "bob"}});
  auto solo = require_ok(d1, {{"t", "group_create"}, {"name", "solo"}})
                .at("conv")
                .get<std::string>();
  CHECK(members_of(d1, solo) == json{"dan"});
  // `member` is the server's kind.
  err(b1, {{"t", "send"}, {"conv", conv}, {"body", "{}"}, {"cmid", "k"},
           {"kind", "member"}},
      "bad_request");
  CHECK(history(b1, conv).at("msgs").size() == 1);
  // group_info on a direct conversation: bad_request.
  auto direct = require_ok(a1, send_to("bob", "hi", "x1")).at("conv").get<std::string>();
  err(a1, {{"t", "group_info"}, {"conv", direct}}, "bad_request");
}

TEST_CASE("group: concurrent senders, one gapless order on every device",
          "[e2e][groups]") {
  parleyd_fixture f;
  register_all(f, {"ann", "bob", "cat"});
  std::vector<device> devs;
  for (auto u : {"ann", "bob", "cat"})
    for (auto n : {"1", "2"})
      devs.push_back(f.login(u, std::string(1, u[0]) + n));
  auto conv = create_group(devs[0], "busy", {"bob", "cat"});
  for (auto& d : devs)
    drain(*d.c, 100ms);

  // ann/a1, bob/b1 and cat/c1 each send 20, from three threads at once,
  // pipelined.
  const int each = 20;
  std::vector<device*> senders = {&devs[0], &devs[2], &devs[4]};
  std::vector<std::vector<json>> replies(senders.size());
  std::vector<std::string> failures(senders.size());
  std::vector<std::thread> threads;
  for (size_t s = 0; s < senders.size(); ++s)
    threads.emplace_back([&, s] {
      try {
        auto& d = *senders[s];
        std::vector<uint64_t> ids;
        for (int i = 0; i < each; ++i)
          ids.push_back(
            d->send(send_conv(conv, d.user + " says " + std::to_string(i),
                              d.user + "-" + std::to_string(i))));
        for (auto id : ids)
          replies[s].push_back(d->wait_reply(id, 10s));
      } catch (const std::exception& e) {
        failures[s] = e.what();
      }
    });
  for (auto& t : threads)
    t.join();
  std::vector<entry> own; // (seq, from, cmid) of the oks
  for (size_t s = 0; s < senders.size(); ++s) {
    INFO(failures[s]);
    REQUIRE(failures[s].empty());
    REQUIRE(replies[s].size() == each);
    for (int i = 0; i < each; ++i) {
      auto& r = replies[s][i];
      INFO(r.dump());
      REQUIRE(r.at("t") == "ok");
      CHECK(r.at("conv") == conv);
      own.emplace_back(r.at("seq").get<uint64_t>(), senders[s]->user,
                       senders[s]->user + "-" + std::to_string(i));
    }
    // One sender's messages keep their order.
    for (int i = 1; i < each; ++i)
      CHECK(replies[s][i].at("seq") > replies[s][i - 1].at("seq"));
  }
  std::sort(own.begin(), own.end());
  const uint64_t total = each * senders.size();
  REQUIRE(own.size() == total);
  for (uint64_t i = 0; i < total; ++i)
    CHECK(std::get<0>(own[i]) == 2 + i); // gapless after the creation

  // The devices that did not send see all of it; the senders see the
  // others' messages, and their own oks fill the gaps exactly.
  for (auto& d : devs) {
    INFO("device " << d.user << "/" << d.name);
    bool sender = std::find(senders.begin(), senders.end(), &d) != senders.end();
    size_t expected = sender ? total - each : total;
    std::vector<entry> got;
    for (size_t i = 0; i < expected; ++i) {
      auto m = next_msg(d);
      CHECK(m.at("conv") == conv);
      CHECK(m.at("kind") == "text");
      got.push_back(entry_of(m));
    }
    CHECK(no_push(*d.c, 100ms));
    // In ascending seq order as pushed.
    CHECK(std::is_sorted(got.begin(), got.end()));
    if (sender) {
      for (auto& e : got)
        CHECK(std::get<1>(e) != d.user);
      for (auto& e : own)
        if (std::get<1>(e) == d.user)
          got.push_back(e);
      std::sort(got.begin(), got.end());
    }
    CHECK(got == own);
  }

  // history returns the same order, everyone the same.
  for (auto i : {1, 3, 5}) {
    auto h = history(devs[i], conv, {{"after", 1}, {"limit", 100}});
    std::vector<entry> got;
    for (auto& m : h.at("msgs"))
      got.push_back(entry_of(m));
    CHECK(got == own);
    CHECK(h.at("more") == false);
  }
}

TEST_CASE("group: an offline member catches up from its acked position",
          "[e2e][groups]") {
  parleyd_fixture f;
  register_all(f, {"ann", "bob", "cat"});
  auto a = f.login("ann", "a1");
  auto b = f.login("bob", "b1");
  auto c = f.login("cat", "c1");
  auto conv = create_group(a, "catchup", {"bob", "cat"});
  CHECK(next_change(c).msg.at("seq") == 1);
  for (int i = 0; i < 3; ++i)
    require_ok(a, send_conv(conv, "early " + std::to_string(i),
                    "e" + std::to_string(i)));
  for (uint64_t s = 2; s <= 4; ++s)
    CHECK(next_msg(c).at("seq") == s);
  c->send_no_id({{"t", "ack"}, {"conv", conv}, {"seq", 4}});
  wait_delivered(c, conv, "cat", 4);
  c.c->disconnect();
  c.c.reset();

  // While cat is away, ann and bob write 10.
  std::vector<entry> sent;
  for (int i = 0; i < 10; ++i) {
    auto& d = i % 2 == 0 ? a : b;
    auto cmid = "late-" + std::to_string(i);
    auto r = require_ok(d, send_conv(conv, "late " + std::to_string(i), cmid));
    sent.emplace_back(r.at("seq").get<uint64_t>(), d.user, cmid);
  }
  REQUIRE(std::get<0>(sent.front()) == 5);
  REQUIRE(std::get<0>(sent.back()) == 14);

  // Back on the same device: 5..14 in order, then synced, then quiet.
  auto c2 = f.login("cat", "c1", false);
  auto replay = read_replay(c2);
  std::vector<entry> got;
  for (auto& m : replay) {
    CHECK(m.at("conv") == conv);
    got.push_back(entry_of(m));
  }
  CHECK(got == sent);
  REQUIRE(replay.size() == 10);
  CHECK(replay[0].at("body") == "late 0");
  CHECK(replay[9].at("body") == "late 9");
  CHECK(no_push(*c2.c, 200ms));
  // Live traffic follows.
  require_ok(b, send_conv(conv, "live", "live-1"));
  CHECK(next_msg(c2).at("seq") == 15);

  // A device never seen before replays the whole of cat's part, the
  // creation first.
  auto fresh = f.login("cat", "c-new", false);
  auto all = read_replay(fresh);
  CHECK(seqs(all) == range(1, 15));
  REQUIRE_FALSE(all.empty());
  CHECK(all[0].at("kind") == "member");
  CHECK(body_of(all[0]).at("event") == "create");
}

TEST_CASE("group: only admins add and remove, an added member reads from "
          "its addition on",
          "[e2e][groups]") {
  parleyd_fixture f;
  register_all(f, {"ann", "bob", "cat", "dan", "eve"});
  auto a = f.login("ann", "a1");
  auto b = f.login("bob", "b1");
  auto c = f.login("cat", "c1");
  auto d = f.login("dan", "d1");
  auto e = f.login("eve", "e1");
  auto conv = create_group(a, "admins", {"bob", "cat"});
  next_change(b);
  next_change(c);

  // A plain member may not add or remove.
  err(b, {{"t", "group_add"}, {"conv", conv}, {"members", {"dan"}}},
      "forbidden");
  err(b, {{"t", "group_remove"}, {"conv", conv}, {"members", {"cat"}}},
      "forbidden");
  // The owner cannot be removed.
  err(a, {{"t", "group_remove"}, {"conv", conv}, {"members", {"ann"}}},
      "forbidden");
  err(a, {{"t", "group_remove"}, {"conv", conv}, {"members", {"cat", "ann"}}},
      "forbidden");
  CHECK(members_of(a, conv) == json{"ann", "bob", "cat"});
  CHECK(no_push(*d.c, 100ms));

  for (int i = 0; i < 3; ++i)
    require_ok(a, send_conv(conv, "before dan " + std::to_string(i),
                    "b" + std::to_string(i)));
  for (auto* x : {&b, &c})
    for (uint64_t s = 2; s <= 4; ++s)
      CHECK(next_msg(*x).at("seq") == s);

  auto add = require_ok(a, {{"t", "group_add"}, {"conv", conv}, {"members", {"dan"}}});
  CHECK(add.size() == 2); // t, id
  const uint64_t F = 5;
  json body = {{"event", "add"}, {"by", "ann"}, {"users", {"dan"}}};
  for (auto* x : {&b, &c, &d}) {
    INFO(x->user);
    auto seen = next_change(*x);
    check_member_msg(seen.msg, conv, F, "ann", body);
    CHECK(seen.group == group_push(conv, "add", "ann", {"dan"}));
  }
  CHECK(no_push(*e.c, 100ms));

  // dan reads from F on: nothing older, whichever way he asks.
  auto h = history(d, conv);
  CHECK(seqs(h.at("msgs")) == std::vector<uint64_t>{F});
  CHECK(h.at("more") == false);
  CHECK(seqs(history(d, conv, {{"after", 0}}).at("msgs"))
        == std::vector<uint64_t>{F});
  CHECK(history(d, conv, {{"before", F}}).at("msgs").empty());
  CHECK(seqs(history(d, conv, {{"before", F + 1}, {"limit", 100}}).at("msgs"))
        == std::vector<uint64_t>{F});
  auto x = conv_entry(d, conv);
  INFO(x.dump());
  REQUIRE(x.is_object());
  CHECK(x.at("kind") == "group");
  CHECK(x.at("name") == "admins");
  CHECK(x.at("members") == json{"ann", "bob", "cat", "dan"});
  CHECK(x.at("last_seq") == F);
  CHECK(x.at("read_seq") == F - 1);
  CHECK(x.at("unread") == 1);
  CHECK(x.at("last").at("seq") == F);
  // dan's positions start just before F.
  auto rc = receipts_by_user(a, conv);
  CHECK(rc.at("dan") == json{{"user", "dan"}, {"delivered", F - 1},
                             {"read", F - 1}});
  // A new device of dan replays only F.
  auto d2 = f.login("dan", "d2", false);
  CHECK(seqs(read_replay(d2)) == std::vector<uint64_t>{F});

  // Adding an existing member, removing a non-member: ok, nothing happens.
  require_ok(a, {{"t", "group_add"}, {"conv", conv}, {"members", {"bob", "dan"}}});
  require_ok(a, {{"t", "group_remove"}, {"conv", conv}, {"members", {"eve"}}});
  CHECK(no_push(*b.c, 300ms));
  // An unknown user among known ones: no_such_user, nobody added.
  err(a, {{"t", "group_add"}, {"conv", conv}, {"members", {"eve", "nobody"}}},
      "no_such_user");
  err(a, {{"t", "group_add"}, {"conv", conv}, {"members", {"Not Valid"}}},
      "no_such_user");
  CHECK(no_push(*e.c, 200ms));
  CHECK(no_push(*b.c, 100ms));
  CHECK(members_of(a, conv) == json{"ann", "bob", "cat", "dan"});
  CHECK(conv_entry(e, conv).is_null());
  err(e, {{"t", "history"}, {"conv", conv}}, "forbidden");
  // None of those wrote a message: the next one is F + 1.
  CHECK(require_ok(c, send_conv(conv, "after", "after-1")).at("seq") == F + 1);
  CHECK(next_msg(d).at("seq") == F + 1);
}

TEST_CASE("group: removal cuts off live traffic and replay", "[e2e][groups]") {
  parleyd_fixture f;
  register_all(f, {"ann", "bob", "cat"});
  auto a = f.login("ann", "a1");
  auto b1 = f.login("bob", "b1");
  auto c = f.login("cat", "c1");
  auto conv = create_group(a, "cut", {"bob", "cat"});
  next_change(b1);
  next_change(c);
  drain(*a.c, 100ms);
  // bob's second device takes the creation, acks it, and goes offline.
  {
    auto b2 = f.login("bob", "b2", false);
    CHECK(seqs(read_replay(b2)) == std::vector<uint64_t>{1});
    b2->send_no_id({{"t", "ack"}, {"conv", conv}, {"seq", 1}});
    wait_delivered(b2, conv, "bob", 1);
    b2.c->disconnect();
  }
  // (The others learn of that ack, coalesced.)
  for (auto* x : {&a, &c}) {
    auto p = next_push_of(*x->c, "receipt", 2s);
    REQUIRE(p.has_value());
    CHECK(*p
          == json{{"t", "receipt"}, {"conv", conv}, {"user", "bob"},
                  {"kind", "delivered"}, {"seq", 1}});
  }
  for (int i = 0; i < 3; ++i)
    require_ok(a, send_conv(conv, "m" + std::to_string(i), "m" + std::to_string(i)));
  for (uint64_t s = 2; s <= 4; ++s)
    CHECK(next_msg(b1).at("seq") == s);
  for (uint64_t s = 2; s <= 4; ++s)
    CHECK(next_msg(c).at("seq") == s);

  const uint64_t R = 5;
  require_ok(a, {{"t", "group_remove"}, {"conv", conv}, {"members", {"bob"}}});
  json body = {{"event", "remove"}, {"by", "ann"}, {"users", {"bob"}}};
  for (auto* x : {&b1, &c}) {
    INFO(x->user);
    auto seen = next_change(*x);
    check_member_msg(seen.msg, conv, R, "ann", body);
    CHECK(seen.group == group_push(conv, "remove", "ann", {"bob"}));
  }
  CHECK(next_group_push(a) == group_push(conv, "remove", "ann", {"bob"}));
  drain(*a.c, 100ms);

  // The others keep talking (and typing); bob's online device hears none
  // of it.
  for (int i = 0; i < 3; ++i)
    require_ok(a, send_conv(conv, "after " + std::to_string(i),
                    "a" + std::to_string(i)));
  for (int i = 0; i < 2; ++i)
    require_ok(c, send_conv(conv, "cat " + std::to_string(i), "c" + std::to_string(i)));
  c->send_no_id({{"t", "typing"}, {"conv", conv}, {"on", true}});
  for (uint64_t s = R + 1; s <= R + 3; ++s)
    CHECK(next_msg(c).at("seq") == s);
  CHECK(next_msg(a).at("seq") == R + 4);
  CHECK(next_msg(a).at("seq") == R + 5);
  {
    auto p = b1->next_push(500ms);
    INFO((p ? p->dump() : "nothing"));
    CHECK_FALSE(p.has_value());
  }

  // The offline device replays up to and including its removal, no more.
  auto b2 = f.login("bob", "b2", false);
  auto replay = read_replay(b2);
  CHECK(seqs(replay) == range(2, R));
  REQUIRE_FALSE(replay.empty());
  check_member_msg(replay.back(), conv, R, "ann", body);
  CHECK(no_push(*b2.c, 300ms));

  // history is clamped at the removal, whichever way bob asks.
  auto h = history(b1, conv);
  CHECK(seqs(h.at("msgs")) == range(1, R));
  CHECK(h.at("more") == false);
  CHECK(seqs(history(b1, conv, {{"after", 3}}).at("msgs")) == range(4, R));
  CHECK(history(b1, conv, {{"after", 3}}).at("more") == false);
  CHECK(history(b1, conv, {{"after", R}}).at("msgs").empty());
  CHECK(seqs(history(b1, conv, {{"before", 100}}).at("msgs")) == range(1, R));
  CHECK(seqs(history(b1, conv, {{"before", R + 3}, {"limit", 2}}).at("msgs"))
        == range(R - 1, R));
  // ... while a member reads on.
  CHECK(seqs(history(c, conv).at("msgs")) == range(1, R + 5));

  // Every other request is forbidden.
  err(b1, send_conv(conv, "let me back", "x1"), "forbidden");
  err(b1, {{"t", "typing"}, {"conv", conv}, {"on", true}}, "forbidden");
  err(b1, {{"t", "receipts"}, {"conv", conv}}, "forbidden");
  err(b1, {{"t", "group_info"}, {"conv", conv}}, "forbidden");
  err(b1, {{"t", "group_leave"}, {"conv", conv}}, "forbidden");
  err(b1, {{"t", "group_add"}, {"conv", conv}, {"members", {"bob"}}},
      "forbidden");
  // ack/read up to the removal are accepted (no reply, no err).
  b1->send({{"t", "read"}, {"conv", conv}, {"seq", R}});
  b1->send({{"t", "ack"}, {"conv", conv}, {"seq", R + 3}});
  CHECK(no_push(*b1.c, 200ms));
  CHECK_FALSE(b1->next_frame(100ms).has_value());
  // Nothing was sent for bob meanwhile, and he is no longer in receipts.
  {
    auto p = c->next_push(300ms);
    INFO((p ? p->dump() : "nothing"));
    CHECK_FALSE(p.has_value());
  }
  auto rc = receipts_by_user(a, conv);
  CHECK_FALSE(rc.contains("bob"));
  CHECK(rc.size() == 2);
  CHECK(members_of(a, conv) == json{"ann", "cat"});

  // convs: listed as left, at the removal.
  auto x = conv_entry(b1, conv);
  INFO(x.dump());
  REQUIRE(x.is_object());
  CHECK(x.at("kind") == "group");
  CHECK(x.at("name") == "cut");
  CHECK(x.at("left") == true);
  CHECK(x.at("members") == json::array());
  CHECK(x.at("last_seq") == R);
  CHECK(x.at("last").at("seq") == R);
  CHECK(x.at("last").at("kind") == "member");

  // Re-added, bob reads from his new addition on; the earlier part is gone.
  const uint64_t A = R + 6;
  require_ok(a, {{"t", "group_add"}, {"conv", conv}, {"members", {"bob"}}});
  auto seen = next_change(b1);
  check_member_msg(seen.msg, conv, A, "ann",
                   {{"event", "add"}, {"by", "ann"}, {"users", {"bob"}}});
  CHECK(seen.group == group_push(conv, "add", "ann", {"bob"}));
  CHECK(next_change(b2).msg.at("seq") == A);
  CHECK(seqs(history(b1, conv).at("msgs")) == std::vector<uint64_t>{A});
  CHECK(seqs(history(b1, conv, {{"after", 0}}).at("msgs"))
        == std::vector<uint64_t>{A});
  CHECK(history(b1, conv, {{"before", A}}).at("msgs").empty());
  CHECK(members_of(b1, conv) == json{"ann", "cat", "bob"});
  x = conv_entry(b1, conv);
  INFO(x.dump());
  CHECK_FALSE(x.contains("left"));
  CHECK(x.at("members") == json{"ann", "cat", "bob"});
  CHECK(x.at("last_seq") == A);
  CHECK(x.at("read_seq") == A - 1);
  CHECK(x.at("unread") == 1);
  require_ok(c, send_conv(conv, "welcome back", "wb"));
  CHECK(next_msg(b1).at("seq") == A + 1);
  CHECK(next_msg(b2).at("seq") == A + 1);
}

TEST_CASE("group: membership changes racing a burst of sends",
          "[e2e][groups]") {
  parleyd_fixture f;
  register_all(f, {"ann", "bob", "cat", "dan"});
  auto a = f.login("ann", "a1");
  auto b = f.login("bob", "b1");
  auto c = f.login("cat", "c1");
  auto d = f.login("dan", "d1");
  auto conv = create_group(a, "race", {"bob", "cat"});
  for (auto* x : {&a, &b, &c})
    drain(*x->c, 100ms);

  // cat pipelines 120 sends; ann removes bob and adds dan in the middle.
  const int burst = 120;
  std::vector<uint64_t> ids;
  for (int i = 0; i < burst / 2; ++i)
    ids.push_back(c->send(send_conv(conv, "x", "x" + std::to_string(i))));
  auto rm = a->send({{"t", "group_remove"}, {"conv", conv},
                     {"members", {"bob"}}});
  auto add = a->send({{"t", "group_add"}, {"conv", conv},
                      {"members", {"dan"}}});
  for (int i = burst / 2; i < burst; ++i)
    ids.push_back(c->send(send_conv(conv, "x", "x" + std::to_string(i))));
  std::set<uint64_t> cat_seqs;
  for (auto id : ids) {
    auto r = c->wait_reply(id, 10s);
    INFO(r.dump());
    REQUIRE(r.at("t") == "ok");
    cat_seqs.insert(r.at("seq").get<uint64_t>());
  }
  CHECK(a->wait_reply(rm, 10s).at("t") == "ok");
  CHECK(a->wait_reply(add, 10s).at("t") == "ok");
  const uint64_t last = 1 + burst + 2;
  CHECK(cat_seqs.size() == burst);
  CHECK(*cat_seqs.rbegin() <= last);

  // The whole sequence as a member sees it: where did the changes land?
  auto all = history_all(a, conv);
  REQUIRE(seqs(all) == range(1, last));
  uint64_t R = 0, F = 0;
  for (auto& m : all)
    if (m.at("kind") == "member") {
      auto event = body_of(m).at("event");
      if (event == "remove")
        R = m.at("seq").get<uint64_t>();
      else if (event == "add")
        F = m.at("seq").get<uint64_t>();
    }
  REQUIRE(R > 0);
  REQUIRE(F > R);

  // bob's device: exactly 2..R, gapless, then nothing.
  auto pushed_msgs = [](device& x) {
    std::vector<uint64_t> out;
    while (auto p = x->next_push(500ms))
      if (p->at("t") == "msg")
        out.push_back(p->at("seq").get<uint64_t>());
    return out;
  };
  CHECK(pushed_msgs(b) == range(2, R));
  CHECK(seqs(history_all(b, conv)) == range(1, R));
  // dan's: exactly F..last.
  CHECK(pushed_msgs(d) == range(F, last));
  CHECK(seqs(history_all(d, conv)) == range(F, last));
  // A device of bob that logs in now replays 1..R; one of dan's, F..last.
  auto b2 = f.login("bob", "b2", false);
  CHECK(seqs(read_replay(b2)) == range(1, R));
  auto d2 = f.login("dan", "d2", false);
  CHECK(seqs(read_replay(d2)) == range(F, last));
}

TEST_CASE("group: a removal during a login replay stops the replay there",
          "[e2e][groups]") {
  parleyd_fixture f;
  register_all(f, {"ann", "bob", "cat"});
  auto a = f.login("ann", "a1");
  auto c = f.login("cat", "c1");
  auto conv = create_group(a, "mid-replay", {"bob", "cat"});
  // A backlog for bob's device (never logged in: it replays from 1).
  // (In batches: a connection gets `overloaded` beyond 256 requests
  // awaiting their reply.)
  const int backlog = 300;
  std::vector<uint64_t> ids;
  for (int batch = 0; batch < backlog / 30; ++batch) {
    ids.clear();
    for (int i = 0; i < 30; ++i)
      ids.push_back(c->send(send_conv(conv, std::string(8000, 'b'),
                                      "b" + std::to_string(batch * 30 + i))));
    for (auto id : ids) {
      auto r = c->wait_reply(id, 10s);
      INFO(r.dump());
      REQUIRE(r.at("t") == "ok");
    }
  }

  // bob logs in and reads the start of his replay (2.4 MB: it cannot all
  // be on its way yet); then ann removes him and cat goes on.
  auto b = f.login("bob", "b1", false);
  std::vector<uint64_t> got;
  for (int i = 0; i < 5; ++i) {
    auto p = b->next_push(5s);
    REQUIRE(p.has_value());
    REQUIRE(p->at("t") == "msg");
    got.push_back(p->at("seq").get<uint64_t>());
  }
  auto rm = a->send({{"t", "group_remove"}, {"conv", conv},
                     {"members", {"bob"}}});
  ids.clear();
  for (int i = 0; i < 20; ++i)
    ids.push_back(c->send(send_conv(conv, "after", "a" + std::to_string(i))));
  REQUIRE(a->wait_reply(rm, 10s).at("t") == "ok");
  for (auto id : ids) {
    auto r = c->wait_reply(id, 10s);
    INFO(r.dump());
    REQUIRE(r.at("t") == "ok");
  }

  uint64_t R = 0;
  for (auto& m : history_all(a, conv))
    if (m.at("kind") == "member" && body_of(m).at("event") == "remove")
      R = m.at("seq").get<uint64_t>();
  REQUIRE(R > 1);
  bool synced = false;
  while (auto p = b->next_push(synced ? 500ms : 5s)) {
    if (p->at("t") == "synced") {
      CHECK_FALSE(synced);
      synced = true;
    } else if (p->at("t") == "msg") {
      got.push_back(p->at("seq").get<uint64_t>());
    }
  }
  CHECK(synced);
  INFO("R = " << R);
  CHECK(got == range(1, R));
}

TEST_CASE("group: roles, membership and reading ranges survive a restart "
          "and a crash",
          "[e2e][groups]") {
  bool crash = GENERATE(false, true);
  INFO((crash ? "after SIGKILL" : "after SIGTERM"));
  parleyd_fixture f;
  register_all(f, {"ann", "bob", "cat", "dan"});
  std::string conv;
  {
    auto a = f.login("ann", "a1");
    auto c = f.login("cat", "c1");
    conv = create_group(a, "durable", {"bob", "cat"});
    require_ok(a, send_conv(conv, "one", "1"));                                   // 2
    require_ok(a, {{"t", "group_remove"}, {"conv", conv}, {"members", {"bob"}}}); // 3
    require_ok(a, {{"t", "group_add"}, {"conv", conv}, {"members", {"dan"}}});    // 4
    require_ok(a, {{"t", "group_leave"}, {"conv", conv}});                        // 5
    require_ok(c, send_conv(conv, "two", "2"));                                   // 6
  }
  if (crash) {
    f.crash();
    f.start();
  } else {
    f.restart();
  }
  auto a = f.login("ann", "a2");
  auto b = f.login("bob", "b1");
  auto c = f.login("cat", "c2");
  auto d = f.login("dan", "d1");
  auto info = group_info(d, conv);
  CHECK(info.at("name") == "durable");
  CHECK(info.at("owner") == "cat");
  CHECK(info.at("admins") == json{"cat"});
  CHECK(info.at("members") == json{"cat", "dan"});
  CHECK(seqs(history(b, conv).at("msgs")) == range(1, 3));
  CHECK(seqs(history(a, conv).at("msgs")) == range(1, 5));
  CHECK(seqs(history(d, conv).at("msgs")) == range(4, 6));
  CHECK(seqs(history(c, conv).at("msgs")) == range(1, 6));
  err(b, send_conv(conv, "back?", "x"), "forbidden");
  err(a, {{"t", "group_add"}, {"conv", conv}, {"members", {"bob"}}},
      "forbidden");
  err(d, {{"t", "group_add"}, {"conv", conv}, {"members", {"bob"}}},
      "forbidden");
  CHECK(conv_entry(b, conv).at("left") == true);
  CHECK(conv_entry(b, conv).at("last_seq") == 3);
  // The sequence goes on from where it was.
  CHECK(require_ok(c, {{"t", "group_add"}, {"conv", conv}, {"members", {"bob"}}})
          .at("t")
        == "ok");
  CHECK(require_ok(d, send_conv(conv, "three", "3")).at("seq") == 8);
  CHECK(next_change(b).msg.at("seq") == 7);
  CHECK(next_msg(b).at("seq") == 8);
}

TEST_CASE("group_full at the default max_group of 100", "[e2e][groups]") {
  parleyd_fixture f;
  std::vector<std::string> users;
  for (int i = 0; i <= 100; ++i) {
    char name[8];
    std::snprintf(name, sizeof name, "u%03d", i);
    users.push_back(name);
  }
  register_all(f, users);
  auto owner = f.login("u000", "d");
  // 101 with the creator: group_full, nothing created.
  std::vector<std::string> all101(users.begin() + 1, users.end());
  err(owner, {{"t", "group_create"}, {"name", "big"}, {"members", all101}},
      "group_full");
  CHECK(require_ok(owner, {{"t", "convs"}}).at("convs").empty());
  // 100 (the creator listed too, and a duplicate): fine.
  std::vector<std::string> all100(users.begin(), users.begin() + 100);
  all100.push_back("u001");
  auto conv = create_group(owner, "big", all100);
  auto members = members_of(owner, conv);
  REQUIRE(members.size() == 100);
  CHECK(members == json(std::vector<std::string>(users.begin(),
                                                 users.begin() + 100)));
  err(owner, {{"t", "group_add"}, {"conv", conv}, {"members", {"u100"}}},
      "group_full");
  CHECK(members_of(owner, conv).size() == 100);
  auto last = f.login("u100", "d");
  CHECK(require_ok(last, {{"t", "convs"}}).at("convs").empty());
  // Room again after a removal.
  require_ok(owner, {{"t", "group_remove"}, {"conv", conv}, {"members", {"u050"}}});
  require_ok(owner, {{"t", "group_add"}, {"conv", conv}, {"members", {"u100"}}});
  CHECK(members_of(last, conv).size() == 100);
}

TEST_CASE("group_full honours cluster.conf max_group", "[e2e][groups]") {
  server_options opts;
  opts.max_group = 3;
  parleyd_fixture f{opts};
  register_all(f, {"ann", "bob", "cat", "dan", "eve"});
  auto a = f.login("ann", "a1");
  err(a, {{"t", "group_create"}, {"name", "x"},
          {"members", {"bob", "cat", "dan"}}},
      "group_full");
  auto conv = create_group(a, "three", {"bob"});
  require_ok(a, {{"t", "group_add"}, {"conv", conv}, {"members", {"cat"}}});
  err(a, {{"t", "group_add"}, {"conv", conv}, {"members", {"dan"}}},
      "group_full");
  require_ok(a, {{"t", "group_remove"}, {"conv", conv}, {"members", {"bob"}}});
  // Two for one seat: refused as a whole, nobody added.
  err(a, {{"t", "group_add"}, {"conv", conv}, {"members", {"dan", "eve"}}},
      "group_full");
  CHECK(members_of(a, conv) == json{"ann", "cat"});
  require_ok(a, {{"t", "group_add"}, {"conv", conv}, {"members", {"dan"}}});
  CHECK(members_of(a, conv) == json{"ann", "cat", "dan"});
}

TEST_CASE("group: a non-member learns nothing, existing group or not",
          "[e2e][groups]") {
  parleyd_fixture f;
  register_all(f, {"ann", "bob", "eve"});
  auto a = f.login("ann", "a1");
  auto b = f.login("bob", "b1");
  auto e = f.login("eve", "e1");
  auto conv = create_group(a, "secret", {"bob"});
  require_ok(a, send_conv(conv, "psst", "p1"));
  auto direct = require_ok(a, send_to("bob", "hi", "d1")).at("conv").get<std::string>();
  drain(*b.c, 150ms);
  const std::string missing = "g.00000000000000000000000000000000";

  auto probes = [](const std::string& id) -> std::vector<json> {
    return {send_conv(id, "hello?", "probe"),
            {{"t", "history"}, {"conv", id}},
            {{"t", "history"}, {"conv", id}, {"after", 0}},
            {{"t", "receipts"}, {"conv", id}},
            {{"t", "typing"}, {"conv", id}, {"on", true}},
            {{"t", "read"}, {"conv", id}, {"seq", 1}},
            {{"t", "ack"}, {"conv", id}, {"seq", 1}},
            {{"t", "group_add"}, {"conv", id}, {"members", {"eve"}}},
            {{"t", "group_remove"}, {"conv", id}, {"members", {"bob"}}},
            {{"t", "group_leave"}, {"conv", id}},
            {{"t", "group_info"}, {"conv", id}}};
  };
  auto answer = [&](const json& req) {
    INFO(req.dump());
    auto r = e->call(req, 3s); // ack/read/typing too: the err carries the id
    require_err(r, "forbidden");
    r.erase("id");
    return r;
  };
  auto existing = probes(conv);
  auto absent = probes(missing);
  auto on_direct = probes(direct);
  for (size_t i = 0; i < existing.size(); ++i) {
    INFO(existing[i].dump());
    auto x = answer(existing[i]);
    CHECK(x == answer(absent[i]));
    CHECK(x == answer(on_direct[i]));
  }
  // Nothing leaked to the members, nothing changed.
  CHECK(no_push(*b.c, 200ms));
  CHECK(members_of(a, conv) == json{"ann", "bob"});
  CHECK(seqs(history(b, conv).at("msgs")) == range(1, 2));
  CHECK(require_ok(e, {{"t", "convs"}}).at("convs").empty());
}

TEST_CASE("group receipts: the query and coalesced pushes", "[e2e][groups]") {
  parleyd_fixture f;
  register_all(f, {"ann", "bob", "cat"});
  auto a = f.login("ann", "a1");
  auto b = f.login("bob", "b1");
  auto c = f.login("cat", "c1");
  auto conv = create_group(a, "seen", {"bob", "cat"});
  for (int i = 0; i < 5; ++i)
    require_ok(a, send_conv(conv, "m" + std::to_string(i), "m" + std::to_string(i)));
  for (auto* x : {&b, &c}) {
    CHECK(next_change(*x).msg.at("seq") == 1);
    for (uint64_t s = 2; s <= 6; ++s)
      CHECK(next_msg(*x).at("seq") == s);
  }
  drain(*a.c, 100ms);

  auto rc = receipts_by_user(b, conv);
  CHECK(rc.size() == 3);
  CHECK(rc.at("ann") == json{{"user", "ann"}, {"delivered", 6}, {"read", 6}});
  CHECK(rc.at("bob") == json{{"user", "bob"}, {"delivered", 0}, {"read", 0}});
  CHECK(rc.at("cat") == json{{"user", "cat"}, {"delivered", 0}, {"read", 0}});

  // Several moves at once: each member gets, within about a second, one
  // frame per other user and kind with the latest seq.
  b->send_no_id({{"t", "ack"}, {"conv", conv}, {"seq", 3}});
  b->send_no_id({{"t", "ack"}, {"conv", conv}, {"seq", 6}});
  b->send_no_id({{"t", "read"}, {"conv", conv}, {"seq", 2}});
  b->send_no_id({{"t", "read"}, {"conv", conv}, {"seq", 4}});
  c->send_no_id({{"t", "ack"}, {"conv", conv}, {"seq", 5}});
  auto seen = receipts_seen({&a, &b, &c}, conv);
  CHECK(seen[0] == seen_t{{{"bob", "delivered"}, {6}},
                          {{"bob", "read"}, {4}},
                          {{"cat", "delivered"}, {5}}});
  CHECK(seen[1] == seen_t{{{"cat", "delivered"}, {5}}});
  CHECK(seen[2] == seen_t{{{"bob", "delivered"}, {6}}, {{"bob", "read"}, {4}}});

  rc = receipts_by_user(a, conv);
  CHECK(rc.at("ann") == json{{"user", "ann"}, {"delivered", 6}, {"read", 6}});
  CHECK(rc.at("bob") == json{{"user", "bob"}, {"delivered", 6}, {"read", 4}});
  CHECK(rc.at("cat") == json{{"user", "cat"}, {"delivered", 5}, {"read", 0}});

  // A read that moves only `read`; a stale ack that moves nothing.
  b->send_no_id({{"t", "read"}, {"conv", conv}, {"seq", 6}});
  c->send_no_id({{"t", "ack"}, {"conv", conv}, {"seq", 2}});
  seen = receipts_seen({&a, &b, &c}, conv);
  CHECK(seen[0] == seen_t{{{"bob", "read"}, {6}}});
  CHECK(seen[1].empty());
  CHECK(seen[2] == seen_t{{{"bob", "read"}, {6}}});

  // typing goes to the other members, not stored.
  b->send_no_id({{"t", "typing"}, {"conv", conv}, {"on", true}});
  json typing = {{"t", "typing"}, {"conv", conv}, {"user", "bob"}, {"on", true}};
  for (auto* x : {&a, &c}) {
    auto p = x->c->next_push(2s);
    REQUIRE(p.has_value());
    CHECK(*p == typing);
  }
  CHECK(no_push(*b.c, 200ms));
  CHECK(history(a, conv).at("msgs").size() == 6);
}
