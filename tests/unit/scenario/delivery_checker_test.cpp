// The invariant checker (tools/parley-scenario/delivery_checker.hpp) on
// synthetic observations: each invariant, when violated, is reported with
// its conversation, seq and devices; consistent observations pass.

#include <catch2/catch.hpp>

#include "delivery_checker.hpp"

using namespace parley::scenario;

namespace {

msg_content text(const std::string& from, const std::string& cmid,
                 const std::string& body) {
  return {from, cmid, body, "text"};
}

msg_content member(const std::string& by, const std::string& event,
                   const std::string& users) {
  return {by, "",
          "{\"event\":\"" + event + "\",\"by\":\"" + by + "\",\"users\":["
            + users + "]}",
          "member"};
}

/// alice and bob in direct conv "d.1": 3 messages, bob saw all of them.
checker_input consistent() {
  checker_input in;
  auto& h = in.history["d.1"];
  h[1] = text("alice", "a1", "one");
  h[2] = text("bob", "b1", "two");
  h[3] = text("alice", "a2", "three");
  in.direct_members["d.1"] = {"alice", "bob"};
  in.acked.push_back({"d.1", 1, "alice/phone", h[1], "t.scn:5"});
  in.acked.push_back({"d.1", 2, "bob/laptop", h[2], "t.scn:6"});
  in.acked.push_back({"d.1", 3, "alice/phone", h[3], "t.scn:7"});
  session_record bob;
  bob.device = "bob/laptop";
  bob.user = "bob";
  bob.synced = true;
  bob.seen = {{"d.1", 1, h[1], false}, {"d.1", 2, h[2], true},
              {"d.1", 3, h[3], false}};
  in.sessions.push_back(bob);
  session_record alice;
  alice.device = "alice/phone";
  alice.user = "alice";
  alice.synced = true;
  alice.seen = {{"d.1", 1, h[1], true}, {"d.1", 2, h[2], false},
                {"d.1", 3, h[3], true}};
  in.sessions.push_back(alice);
  return in;
}

bool mentions(const violation& v, const std::string& what) {
  return v.text.find(what) != std::string::npos;
}

} // namespace

TEST_CASE("scenario checker: consistent observations pass", "[scenario][checker]") {
  CHECK(check_deliveries(consistent()).empty());
}

TEST_CASE("scenario checker: an acknowledged send missing from history is named",
          "[scenario][checker]") {
  auto in = consistent();
  in.history["d.1"].erase(3);
  in.sessions[0].seen.pop_back();
  in.sessions[1].seen.pop_back();
  auto found = check_deliveries(in);
  REQUIRE(found.size() == 1);
  CHECK(found[0].invariant == "acknowledged");
  CHECK(found[0].conv == "d.1");
  CHECK(found[0].seq == 3);
  CHECK(found[0].devices == std::vector<std::string>{"alice/phone"});
  CHECK(mentions(found[0], "conv d.1 seq 3"));
  CHECK(mentions(found[0], "alice/phone (t.scn:7)"));
  CHECK(mentions(found[0], "missing from history"));
}

TEST_CASE("scenario checker: a send stored twice (dedupe broken) is named",
          "[scenario][checker]") {
  auto in = consistent();
  in.history["d.1"][4] = text("alice", "a2", "three");
  auto found = check_deliveries(in);
  REQUIRE_FALSE(found.empty());
  CHECK(found[0].invariant == "acknowledged");
  CHECK(found[0].seq == 3);
  CHECK(mentions(found[0], "cmid 'a2' of alice is in history 2 times"));
}

TEST_CASE("scenario checker: two devices that disagree on a seq are both named",
          "[scenario][checker]") {
  auto in = consistent();
  in.history.clear(); // history unreadable: devices compared to each other
  session_record tab;
  tab.device = "bob/tablet";
  tab.user = "bob";
  tab.synced = true;
  tab.seen = {{"d.1", 1, text("alice", "a1", "one"), false},
              {"d.1", 2, text("alice", "zz", "other"), false}};
  in.sessions.push_back(tab);
  auto found = check_deliveries(in);
  REQUIRE(found.size() == 1);
  CHECK(found[0].invariant == "same order");
  CHECK(found[0].seq == 2);
  CHECK(found[0].devices
        == std::vector<std::string>{"bob/laptop", "bob/tablet"});
  CHECK(mentions(found[0], "conv d.1 seq 2: bob/laptop saw"));
}

TEST_CASE("scenario checker: a device that saw other content than history is named",
          "[scenario][checker]") {
  auto in = consistent();
  in.sessions[0].seen[2].content.body = "tampered";
  auto found = check_deliveries(in);
  REQUIRE_FALSE(found.empty());
  CHECK(found[0].invariant == "same order");
  CHECK(found[0].seq == 3);
  CHECK(found[0].devices == std::vector<std::string>{"bob/laptop"});
  CHECK(mentions(found[0], "but history holds"));
}

TEST_CASE("scenario checker: a gap after sync is named, an unsynced session is not "
          "checked for gaps",
          "[scenario][checker]") {
  auto in = consistent();
  in.sessions[0].seen.erase(in.sessions[0].seen.begin() + 1);
  auto found = check_deliveries(in);
  REQUIRE(found.size() == 1);
  CHECK(found[0].invariant == "same order");
  CHECK(found[0].seq == 2);
  CHECK(found[0].devices == std::vector<std::string>{"bob/laptop"});
  CHECK(mentions(found[0], "(a gap)"));
  in.sessions[0].synced = false;
  CHECK(check_deliveries(in).empty());
}

TEST_CASE("scenario checker: pushes out of order are named", "[scenario][checker]") {
  auto in = consistent();
  auto& seen = in.sessions[0].seen;
  std::swap(seen[0], seen[2]);
  auto found = check_deliveries(in);
  REQUIRE(found.size() == 1);
  CHECK(found[0].seq == 1);
  CHECK(mentions(found[0], "received seq 1 after seq 3"));
}

TEST_CASE("scenario checker: an own send still unanswered is not a gap",
          "[scenario][checker]") {
  auto in = consistent();
  in.acked.erase(in.acked.begin() + 1); // bob's send never got its ok
  in.sessions[0].seen.erase(in.sessions[0].seen.begin() + 1);
  in.sessions[0].unanswered_cmids.insert("b1");
  CHECK(check_deliveries(in).empty());
}

TEST_CASE("scenario checker: a message delivered to a non-member is named",
          "[scenario][checker]") {
  auto in = consistent();
  session_record eve;
  eve.device = "eve/pc";
  eve.user = "eve";
  eve.number = 2;
  eve.seen = {{"d.1", 2, in.history["d.1"][2], false}};
  in.sessions.push_back(eve);
  auto found = check_deliveries(in);
  REQUIRE(found.size() == 1);
  CHECK(found[0].invariant == "members only");
  CHECK(found[0].conv == "d.1");
  CHECK(found[0].seq == 2);
  CHECK(found[0].devices == std::vector<std::string>{"eve/pc#2"});
  CHECK(mentions(found[0], "delivered to eve/pc#2 but eve was not a member"));
}

TEST_CASE("scenario checker: group membership follows the member messages",
          "[scenario][checker]") {
  checker_input in;
  auto& h = in.history["g.1"];
  h[1] = member("ann", "create", "\"ann\",\"bob\"");
  h[2] = text("ann", "a1", "before carol");
  h[3] = member("ann", "add", "\"carol\"");
  h[4] = text("ann", "a2", "with carol");
  h[5] = member("ann", "remove", "\"bob\"");
  h[6] = text("ann", "a3", "without bob");
  membership_timeline t{h};
  REQUIRE(t.known());
  CHECK(t.may_see("bob", 4));
  CHECK(t.may_see("bob", 5)); // learns of its removal
  CHECK_FALSE(t.may_see("bob", 6));
  CHECK_FALSE(t.may_see("carol", 2));
  CHECK(t.may_see("carol", 3));
  session_record carol;
  carol.device = "carol/phone";
  carol.user = "carol";
  carol.synced = true;
  carol.seen = {{"g.1", 3, h[3], false}, {"g.1", 4, h[4], false},
                {"g.1", 5, h[5], false}, {"g.1", 6, h[6], false}};
  in.sessions.push_back(carol);
  session_record bob;
  bob.device = "bob/phone";
  bob.user = "bob";
  bob.synced = true;
  bob.seen = {{"g.1", 1, h[1], false}, {"g.1", 2, h[2], false},
              {"g.1", 4, h[4], false}, {"g.1", 5, h[5], false},
              {"g.1", 6, h[6], false}};
  in.sessions.push_back(bob);
  auto found = check_deliveries(in);
  // bob skipped seq 3 (a gap) and got seq 6 after his removal.
  REQUIRE(found.size() == 2);
  CHECK(found[0].invariant == "members only");
  CHECK(found[0].seq == 6);
  CHECK(found[0].devices == std::vector<std::string>{"bob/phone"});
  CHECK(found[1].invariant == "same order");
  CHECK(found[1].seq == 3);
  CHECK(mentions(found[1], "bob/phone saw seqs 1..6 but not 3"));
}

TEST_CASE("scenario checker: a connected device that misses the tail is "
          "named, unless it had acked it",
          "[scenario][checker]") {
  auto in = consistent();
  in.sessions[0].open = true; // bob/laptop is still connected
  in.sessions[0].seen.pop_back();
  auto found = check_deliveries(in);
  REQUIRE(found.size() == 1);
  CHECK(found[0].invariant == "delivered");
  CHECK(found[0].conv == "d.1");
  CHECK(found[0].seq == 3);
  CHECK(found[0].devices == std::vector<std::string>{"bob/laptop"});
  CHECK(mentions(found[0], "never delivered to bob/laptop (connected and "
                           "synced at the end; it saw up to seq 2)"));
  in.sessions[0].acked_upto["d.1"] = 3; // acked in an earlier session
  CHECK(check_deliveries(in).empty());
  in.sessions[0].acked_upto.clear();
  in.sessions[0].open = false; // closed before the end: not required
  CHECK(check_deliveries(in).empty());
}
