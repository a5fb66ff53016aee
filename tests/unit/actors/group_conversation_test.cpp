// A group's conversation actor under CAF's deterministic test coordinator,
// with real stores: creation, fan-out, authorization, removal cut-off,
// receipt coalescing, and the repair of the group rows from the member
// messages. See conversation_fixture.hpp for the world it runs in.

#include "conversation_fixture.hpp"

#include <map>

#include "actors/member_event.hpp"
#include "persistence/group_store.hpp"

using namespace parley;
using namespace parley::actors;
using parley::test::fixture;
using parley::test::reply;

namespace {

using strings = std::vector<std::string>;

const std::string group_id = "g.0123456789abcdef0123456789abcdef";

/// ann creates a group with bob and cat; every user has one device.
struct group_fixture : fixture {
  caf::actor conv_hdl;
  std::map<std::string, std::shared_ptr<test::device_log>> phones;

  group_fixture() {
    ctx->settings.receipt_coalesce = std::chrono::milliseconds(200);
    for (auto u : {"ann", "bob", "cat", "dan", "eve"}) {
      add_user(u);
      phones[u] = attach(u, std::string{u} + "-phone");
    }
    conv_hdl = conv_actor(group_id);
    auto r = change("create", "ann", {"bob", "cat"}, "trip");
    REQUIRE(r.ok());
  }

  reply<caf::ok_atom> change(const std::string& op, const std::string& by,
                             strings users, const std::string& name = {}) {
    return call<caf::ok_atom>(conv_hdl, group_atom::value,
                              group_change{op, by, name, std::move(users)});
  }

  reply<post_result> send(const std::string& from, const std::string& cmid) {
    auto p = make_post(from, cmid, "body of " + cmid);
    return call<post_result>(conv_hdl, post_atom::value, p);
  }

  reply<history_page> page_of(const std::string& user, bool forward = false,
                              uint64_t pos = 0) {
    history_query q;
    q.user = user;
    q.forward = forward;
    (forward ? q.after : q.before) = pos;
    q.limit = 100;
    return call<history_page>(conv_hdl, history_atom::value, q);
  }

  std::vector<uint64_t> seqs(const history_page& page) {
    std::vector<uint64_t> out;
    for (auto& m : page.msgs)
      out.push_back(m.seq);
    return out;
  }

  void restart() {
    caf::anon_send_exit(conv_hdl, caf::exit_reason::kill);
    sched.run();
    conv_hdl = conv_actor(group_id);
  }

  /// The frames of type `t` a device got, decoded.
  std::vector<transport::request> frames(const std::string& user,
                                         const std::string& t) {
    std::vector<transport::request> out;
    for (auto& p : phones.at(user)->pushes)
      for (auto& f : test::decode_frames(p.frame))
        if (f.type() == t)
          out.push_back(std::move(f));
    return out;
  }
};

} // namespace

TEST_CASE_METHOD(group_fixture,
                 "group: creation is seq 1, pushed to every member, stored",
                 "[groups][conversation]") {
  for (auto u : {"ann", "bob", "cat"}) {
    INFO(u);
    CHECK(phones[u]->seqs() == std::vector<uint64_t>{1});
    auto g = frames(u, "group");
    REQUIRE(g.size() == 1);
    CHECK(g[0].get_string("event").value == "create");
    CHECK(g[0].get_string("by").value == "ann");
    CHECK(g[0].get_string_list("users").value == strings{"ann", "bob", "cat"});
  }
  CHECK(phones["dan"]->pushes.empty());
  auto page = page_of("bob");
  REQUIRE(page.ok());
  REQUIRE(page.value->msgs.size() == 1);
  auto& m = page.value->msgs[0];
  CHECK(m.kind == "member");
  CHECK(m.from == "ann");
  auto e = decode_member_body(m.body);
  REQUIRE(e);
  CHECK(e->event == "create");
  CHECK(e->name == "trip");
  // The SQLite rows.
  persistence::group_record rec;
  std::string error;
  REQUIRE(groups->load(group_id, rec, error)
          == persistence::group_store::load_result::found);
  CHECK(rec.name == "trip");
  CHECK(rec.owner == "ann");
  CHECK(rec.applied_seq == 1);
  CHECK(rec.members.size() == 3);
  auto info = call<group_info>(conv_hdl, ginfo_atom::value, std::string{"cat"});
  REQUIRE(info.ok());
  CHECK(info.value->owner == "ann");
  CHECK(info.value->admins == strings{"ann"});
  CHECK(info.value->members == strings{"ann", "bob", "cat"});
  // Every member's index lists the group.
  for (auto u : {"ann", "bob", "cat"}) {
    auto index = history->user_convs(u);
    REQUIRE(index.size() == 1);
    CHECK(index[0].conv == group_id);
    CHECK(index[0].type == persistence::conv_type::group);
  }
  CHECK(history->user_convs("dan").empty());
}

TEST_CASE_METHOD(group_fixture,
                 "group: a post is one push per member and no per-member "
                 "storage",
                 "[groups][conversation]") {
  auto keys_before = all_keys().size();
  auto r = send("bob", "m1");
  REQUIRE(r.ok());
  CHECK(r.value->seq == 2);
  // The message, its dedupe entry and the sender's position: nothing per
  // member.
  CHECK(all_keys().size() == keys_before + 3);
  CHECK(phones["ann"]->seqs() == std::vector<uint64_t>{1, 2});
  CHECK(phones["cat"]->seqs() == std::vector<uint64_t>{1, 2});
  CHECK(phones["bob"]->seqs() == std::vector<uint64_t>{1, 2});
  CHECK(phones["dan"]->pushes.empty());
}

TEST_CASE_METHOD(group_fixture,
                 "group: non-members and unknown ids get the same forbidden",
                 "[groups][conversation]") {
  auto other = conv_actor("g.ffffffffffffffffffffffffffffffff");
  auto same = [&](auto&& make) {
    auto a = make(conv_hdl);
    auto b = make(other);
    CHECK(a.code() == errc::forbidden);
    CHECK(b.code() == errc::forbidden);
    CHECK(to_string(a.error) == to_string(b.error));
  };
  const std::string dan = "dan";
  same([&](caf::actor h) {
    return call<post_result>(h, post_atom::value, make_post(dan, "x", "y"));
  });
  same([&](caf::actor h) {
    history_query q;
    q.user = dan;
    return call<history_page>(h, history_atom::value, q);
  });
  same([&](caf::actor h) {
    return call<conv_summary>(h, summary_atom::value, dan);
  });
  same([&](caf::actor h) {
    return call<std::vector<member_position>>(h, receipts_atom::value, dan);
  });
  same([&](caf::actor h) {
    return call<uint64_t>(h, ack_atom::value, dan, dan + "-phone",
                          uint64_t{1});
  });
  same([&](caf::actor h) {
    return call<caf::ok_atom>(h, read_atom::value, dan, uint64_t{1});
  });
  same([&](caf::actor h) {
    return call<caf::ok_atom>(h, typing_atom::value, dan, true);
  });
  same([&](caf::actor h) {
    return call<group_info>(h, ginfo_atom::value, dan);
  });
  for (auto op : {"add", "remove", "leave"})
    same([&](caf::actor h) {
      return call<caf::ok_atom>(h, group_atom::value,
                                group_change{op, dan, {}, {"eve"}});
    });
  CHECK(phones["dan"]->pushes.empty());
}

TEST_CASE_METHOD(group_fixture,
                 "group: an added member reads from its addition on",
                 "[groups][conversation]") {
  REQUIRE(send("bob", "m1").ok()); // seq 2
  auto plain = change("add", "bob", {"dan"});
  CHECK(plain.code() == errc::forbidden);
  CHECK(change("add", "ann", {"nobody"}).code() == errc::no_such_user);
  REQUIRE(change("add", "ann", {"dan"}).ok()); // seq 3
  REQUIRE(send("cat", "m2").ok());             // seq 4
  CHECK(phones["dan"]->seqs() == std::vector<uint64_t>{3, 4});
  auto page = page_of("dan");
  REQUIRE(page.ok());
  CHECK(seqs(*page.value) == std::vector<uint64_t>{3, 4});
  CHECK_FALSE(page.value->more);
  page = page_of("dan", true, 0);
  CHECK(seqs(*page.value) == std::vector<uint64_t>{3, 4});
  page = page_of("dan", false, 3);
  CHECK(page.value->msgs.empty());
  auto s = call<conv_summary>(conv_hdl, summary_atom::value,
                              std::string{"dan"});
  REQUIRE(s.ok());
  CHECK(s.value->kind == "group");
  CHECK(s.value->name == "trip");
  CHECK(s.value->unread == 2);
  CHECK(s.value->members == strings{"ann", "bob", "cat", "dan"});
  // Adding a current member changes nothing.
  REQUIRE(change("add", "ann", {"dan", "bob"}).ok());
  CHECK(send("ann", "m3").value->seq == 5);
}

TEST_CASE_METHOD(group_fixture,
                 "group: a removed member gets nothing after its removal",
                 "[groups][conversation]") {
  REQUIRE(send("bob", "m1").ok());               // 2
  REQUIRE(change("remove", "ann", {"bob"}).ok()); // 3
  REQUIRE(send("cat", "m2").ok());               // 4
  CHECK(phones["bob"]->seqs() == std::vector<uint64_t>{1, 2, 3});
  CHECK(phones["cat"]->seqs() == std::vector<uint64_t>{1, 2, 3, 4});
  auto g = frames("bob", "group");
  REQUIRE(g.size() == 2);
  CHECK(g[1].get_string("event").value == "remove");
  // Replay of an offline device: up to the removal, no further.
  auto page = page_of("bob", true, 0);
  REQUIRE(page.ok());
  CHECK(seqs(*page.value) == std::vector<uint64_t>{1, 2, 3});
  CHECK_FALSE(page.value->more);
  page = page_of("bob", true, 2);
  CHECK(seqs(*page.value) == std::vector<uint64_t>{3});
  page = page_of("bob");
  CHECK(seqs(*page.value) == std::vector<uint64_t>{1, 2, 3});
  // Ack up to the removal only; every other request is forbidden.
  auto acked = call<uint64_t>(conv_hdl, ack_atom::value, std::string{"bob"},
                              std::string{"bob-phone"}, uint64_t{9});
  REQUIRE(acked.ok());
  CHECK(*acked.value == 3);
  CHECK(send("bob", "m3").code() == errc::forbidden);
  CHECK(call<group_info>(conv_hdl, ginfo_atom::value, std::string{"bob"})
          .code()
        == errc::forbidden);
  auto s = call<conv_summary>(conv_hdl, summary_atom::value,
                              std::string{"bob"});
  REQUIRE(s.ok());
  CHECK(s.value->left);
  CHECK(s.value->members.empty());
  CHECK(s.value->last_seq == 3);
  // The owner cannot be removed.
  CHECK(change("remove", "ann", {"ann"}).code() == errc::forbidden);
}

TEST_CASE_METHOD(group_fixture,
                 "group: the owner leaving passes ownership",
                 "[groups][conversation]") {
  REQUIRE(change("leave", "ann", {}).ok());
  auto info = call<group_info>(conv_hdl, ginfo_atom::value, std::string{"bob"});
  REQUIRE(info.ok());
  CHECK(info.value->owner == "bob");
  CHECK(info.value->admins == strings{"bob"});
  CHECK(info.value->members == strings{"bob", "cat"});
  REQUIRE(change("add", "bob", {"dan"}).ok());
  CHECK(send("ann", "x").code() == errc::forbidden);
  auto g = frames("cat", "group");
  REQUIRE(g.size() == 3);
  CHECK(g[1].get_string("event").value == "leave");
  CHECK(g[1].get_string("owner").value == "bob");
}

TEST_CASE_METHOD(group_fixture,
                 "group: receipts are coalesced into one push per member",
                 "[groups][conversation]") {
  REQUIRE(send("ann", "m1").ok()); // seq 2
  for (auto& [_, log] : phones)
    log->pushes.clear();
  for (auto u : {"bob", "cat"})
    REQUIRE(call<caf::ok_atom>(conv_hdl, read_atom::value, std::string{u},
                               uint64_t{2})
              .ok());
  // Nothing before the window ends.
  CHECK(phones["ann"]->pushes.empty());
  sched.trigger_timeouts();
  sched.run();
  // ann: one push with bob's and cat's delivered and read.
  REQUIRE(phones["ann"]->pushes.size() == 1);
  CHECK(frames("ann", "receipt").size() == 4);
  // bob: one push with cat's moves only.
  REQUIRE(phones["bob"]->pushes.size() == 1);
  auto bob_sees = frames("bob", "receipt");
  REQUIRE(bob_sees.size() == 2);
  for (auto& f : bob_sees) {
    CHECK(f.get_string("user").value == "cat");
    CHECK(f.get_uint("seq").value == 2);
  }
  auto rs = call<std::vector<member_position>>(conv_hdl, receipts_atom::value,
                                               std::string{"ann"});
  REQUIRE(rs.ok());
  REQUIRE(rs.value->size() == 3);
  CHECK((*rs.value)[1].user == "bob");
  CHECK((*rs.value)[1].read == 2);
}

TEST_CASE_METHOD(group_fixture,
                 "group: rows missing a member message are repaired on "
                 "activation",
                 "[groups][conversation]") {
  REQUIRE(send("bob", "m1").ok()); // seq 2
  // As if the node died between the two writes of an `add` at seq 3: the
  // member message and its index are in RocksDB, the rows are not.
  message_record m;
  m.conv = group_id;
  m.seq = 3;
  m.from = "ann";
  m.ts = 5;
  m.kind = "member";
  m.body = encode_member_body(member_event{"add", "ann", {"dan"}, {}, {}, false});
  persistence::kv_batch b;
  history->encode_message(b, m);
  history->encode_member_event(b, group_id, 3);
  std::string error;
  REQUIRE(history->write(b, error));
  restart();
  auto info = call<group_info>(conv_hdl, ginfo_atom::value, std::string{"ann"});
  REQUIRE(info.ok());
  CHECK(info.value->members == strings{"ann", "bob", "cat", "dan"});
  persistence::group_record rec;
  REQUIRE(groups->load(group_id, rec, error)
          == persistence::group_store::load_result::found);
  CHECK(rec.applied_seq == 3);
  CHECK(rec.members.size() == 4);
  CHECK(send("dan", "d1").value->seq == 4);
}

TEST_CASE_METHOD(group_fixture, "group: group_full at max_group",
                 "[groups][conversation]") {
  ctx->settings.max_group = 4;
  REQUIRE(change("add", "ann", {"dan"}).ok());
  CHECK(change("add", "ann", {"eve"}).code() == errc::group_full);
  auto info = call<group_info>(conv_hdl, ginfo_atom::value, std::string{"ann"});
  CHECK(info.value->members.size() == 4);
}
