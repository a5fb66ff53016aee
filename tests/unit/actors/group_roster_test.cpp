// group_roster and member_event: the membership rules (docs/protocol.md,
// Groups), pure, without actors.

#include <catch2/catch.hpp>

#include "actors/group_roster.hpp"
#include "actors/member_event.hpp"

using namespace parley;
using namespace parley::actors;

namespace {

using strings = std::vector<std::string>;

/// A roster after `e` planned and applied at `seq`.
void apply_plan(group_roster& r, const change_plan& p, uint64_t seq) {
  REQUIRE(p.event);
  REQUIRE_FALSE(p.refused);
  r.apply(*p.event, seq, 1000);
}

group_roster created(const strings& users, size_t max_group = 100) {
  group_roster r;
  apply_plan(r, group_roster::plan_create("ann", "trip", users, max_group), 1);
  return r;
}

} // namespace

TEST_CASE("roster: create puts the creator first, owner and only admin",
          "[groups][roster]") {
  auto r = created({"bob", "ann", "cat", "bob"});
  CHECK(*r.members() == strings{"ann", "bob", "cat"});
  CHECK(r.record().owner == "ann");
  CHECK(r.record().name == "trip");
  CHECK(r.record().created == 1000);
  CHECK(r.record().applied_seq == 1);
  CHECK(r.admins() == strings{"ann"});
  CHECK(r.is_admin("ann"));
  CHECK_FALSE(r.is_admin("bob"));
  auto v = r.visible("cat");
  REQUIRE(v);
  CHECK(v->from == 1);
  CHECK(v->current);
  CHECK_FALSE(r.visible("dan"));
}

TEST_CASE("roster: group_full counts the creator", "[groups][roster]") {
  auto ok = group_roster::plan_create("ann", "g", {"bob", "cat"}, 3);
  CHECK(ok.event);
  auto full = group_roster::plan_create("ann", "g", {"bob", "cat", "dan"}, 3);
  CHECK_FALSE(full.event);
  REQUIRE(full.refused);
  CHECK(*full.refused == errc::group_full);
  auto r = created({"bob"}, 3);
  CHECK(r.plan_add("ann", {"cat"}, 3).event);
  auto over = r.plan_add("ann", {"cat", "dan"}, 3);
  REQUIRE(over.refused);
  CHECK(*over.refused == errc::group_full);
}

TEST_CASE("roster: only admins add and remove, current members skipped",
          "[groups][roster]") {
  auto r = created({"bob"});
  auto by_member = r.plan_add("bob", {"cat"}, 100);
  REQUIRE(by_member.refused);
  CHECK(*by_member.refused == errc::forbidden);
  REQUIRE(r.plan_remove("bob", {"ann"}).refused);
  auto nothing = r.plan_add("ann", {"bob", "ann"}, 100);
  CHECK_FALSE(nothing.event);
  CHECK_FALSE(nothing.refused);
  auto add = r.plan_add("ann", {"bob", "cat", "dan", "cat"}, 100);
  REQUIRE(add.event);
  CHECK(add.event->users == strings{"cat", "dan"});
  apply_plan(r, add, 5);
  CHECK(*r.members() == strings{"ann", "bob", "cat", "dan"});
  CHECK(r.visible("dan")->from == 5);
  auto owner = r.plan_remove("ann", {"ann"});
  REQUIRE(owner.refused);
  CHECK(*owner.refused == errc::forbidden);
  CHECK_FALSE(r.plan_remove("ann", {"eve"}).event);
}

TEST_CASE("roster: removal ends the visible range, re-adding starts anew",
          "[groups][roster]") {
  auto r = created({"bob", "cat"});
  apply_plan(r, r.plan_remove("ann", {"bob", "zed"}), 7);
  CHECK_FALSE(r.is_member("bob"));
  auto v = r.visible("bob");
  REQUIRE(v);
  CHECK(v->from == 1);
  CHECK(v->to == 7);
  CHECK_FALSE(v->current);
  CHECK(*r.members() == strings{"ann", "cat"});
  auto again = r.plan_add("ann", {"bob"}, 100);
  REQUIRE(again.event);
  apply_plan(r, again, 12);
  v = r.visible("bob");
  CHECK(v->from == 12);
  CHECK(v->current);
  // Membership age: bob is now the newest.
  CHECK(*r.members() == strings{"ann", "cat", "bob"});
}

TEST_CASE("roster: owner leaving passes to the oldest admin, else the "
          "oldest member",
          "[groups][roster]") {
  SECTION("no other admin: the oldest member") {
    auto r = created({"bob", "cat"});
    auto leave = r.plan_leave("ann");
    REQUIRE(leave.event);
    CHECK(leave.event->owner_changed);
    CHECK(leave.event->owner == "bob");
    apply_plan(r, leave, 2);
    CHECK(r.record().owner == "bob");
    CHECK(r.admins() == strings{"bob"});
    CHECK(*r.members() == strings{"bob", "cat"});
  }
  SECTION("an admin comes before older plain members") {
    auto r = created({"bob", "cat"});
    apply_plan(r, r.plan_leave("ann"), 2); // bob owner and admin
    apply_plan(r, r.plan_add("bob", {"dan"}, 100), 3);
    apply_plan(r, r.plan_add("bob", {"ann"}, 100), 4);
    // bob leaves: cat (member since 1) is older than dan and ann, and no
    // admin is left but bob.
    auto leave = r.plan_leave("bob");
    REQUIRE(leave.event);
    CHECK(leave.event->owner == "cat");
  }
  SECTION("the last member leaves: nobody owns the group") {
    auto r = created({});
    auto leave = r.plan_leave("ann");
    REQUIRE(leave.event);
    CHECK(leave.event->owner_changed);
    CHECK(leave.event->owner.empty());
    apply_plan(r, leave, 2);
    CHECK(r.size() == 0);
    CHECK(r.record().owner.empty());
    CHECK(r.plan_leave("ann").refused);
  }
  SECTION("a plain member leaving moves nothing") {
    auto r = created({"bob"});
    auto leave = r.plan_leave("bob");
    REQUIRE(leave.event);
    CHECK_FALSE(leave.event->owner_changed);
  }
}

TEST_CASE("roster: a record reloaded gives the same roster",
          "[groups][roster]") {
  auto r = created({"bob", "cat"});
  apply_plan(r, r.plan_add("ann", {"dan"}, 100), 3);
  apply_plan(r, r.plan_remove("ann", {"bob"}), 4);
  auto rec = r.record();
  std::reverse(rec.members.begin(), rec.members.end()); // stored order lost
  group_roster again{rec};
  CHECK(*again.members() == *r.members());
  CHECK(again.admins() == r.admins());
  CHECK(again.visible("bob")->to == 4);
  CHECK(again.visible("dan")->from == 3);
}

TEST_CASE("roster: a direct conversation has both users from seq 1",
          "[groups][roster]") {
  auto r = group_roster::direct("d.x", {"bob", "ann"});
  CHECK(r.is_member("ann"));
  CHECK(r.is_member("bob"));
  CHECK(r.visible("bob")->from == 1);
  CHECK(r.admins().empty());
  CHECK(group_roster::direct("d.y", {"ann", "ann"}).size() == 1);
}

TEST_CASE("member_event: the body round-trips and refuses anything else",
          "[groups][member_event]") {
  member_event e;
  e.event = "leave";
  e.by = "ann";
  e.users = {"ann"};
  e.owner_changed = true;
  e.owner = "bob";
  auto body = encode_member_body(e);
  CHECK(body == R"({"by":"ann","event":"leave","owner":"bob","users":["ann"]})");
  auto back = decode_member_body(body);
  REQUIRE(back);
  CHECK(back->event == "leave");
  CHECK(back->by == "ann");
  CHECK(back->users == strings{"ann"});
  CHECK(back->owner_changed);
  CHECK(back->owner == "bob");

  e.owner.clear();
  back = decode_member_body(encode_member_body(e));
  REQUIRE(back);
  CHECK(back->owner_changed);
  CHECK(back->owner.empty());

  member_event c{"create", "ann", {"ann", "bob"}, "trip \"2\"", "ann", true};
  back = decode_member_body(encode_member_body(c));
  REQUIRE(back);
  CHECK(back->name == "trip \"2\"");
  CHECK(back->users == strings{"ann", "bob"});

  for (auto bad : {"", "hello", "[]", "{}", R"({"event":"add","by":"a"})",
                   R"({"event":"kick","by":"a","users":[]})",
                   R"({"event":"add","by":"a","users":[1]})",
                   R"({"event":"create","by":"a","users":[]})",
                   R"({"event":"leave","by":"a","users":[],"owner":3})"})
    CHECK_FALSE(decode_member_body(bad));
}
