// The conversation actor under CAF's deterministic test coordinator, with
// real stores: sequence, dedupe, membership, write/ack ordering, receipts and
// history. See conversation_fixture.hpp for the world it runs in.

#include "conversation_fixture.hpp"

using namespace parley;
using namespace parley::actors;
using parley::test::fixture;
using parley::test::release_atom;
using parley::test::reply;

namespace {

const std::string alice = "alice";
const std::string bob = "bob";
const std::string carol = "carol";

/// alice and bob with one device each, and their direct conversation
/// created by alice's first message ("c1", seq 1).
struct direct_fixture : fixture {
  std::string conv = direct_conv_id(alice, bob);
  std::shared_ptr<test::device_log> alice_phone;
  std::shared_ptr<test::device_log> bob_phone;
  caf::actor conv_hdl;
  post_result first;

  direct_fixture() {
    add_user(alice);
    add_user(bob);
    alice_phone = attach(alice, "alice-phone");
    bob_phone = attach(bob, "bob-phone");
    conv_hdl = conv_actor(conv);
    auto r = send(alice, "c1", "hello", bob);
    REQUIRE(r.ok());
    first = *r.value;
    REQUIRE(first.seq == 1);
  }

  reply<post_result> send(const std::string& from, const std::string& cmid,
                          const std::string& body,
                          const std::string& peer = {}) {
    return call<post_result>(conv_hdl, post_atom::value,
                             make_post(from, cmid, body, peer));
  }

  std::shared_ptr<reply<post_result>> send_async(const std::string& from,
                                                 const std::string& cmid,
                                                 const std::string& body) {
    return ask<post_result>(conv_hdl, post_atom::value,
                            make_post(from, cmid, body));
  }

  reply<uint64_t> ack(const std::string& user, uint64_t seq) {
    return call<uint64_t>(conv_hdl, ack_atom::value, user, user + "-phone",
                          seq);
  }

  reply<caf::ok_atom> read(const std::string& user, uint64_t seq) {
    return call<caf::ok_atom>(conv_hdl, read_atom::value, user, seq);
  }

  std::vector<member_position> receipts(const std::string& user) {
    auto r =
      call<std::vector<member_position>>(conv_hdl, receipts_atom::value, user);
    REQUIRE(r.ok());
    return *r.value;
  }

  history_page page(const std::string& user, bool forward, uint64_t pos,
                    uint32_t limit) {
    history_query q;
    q.user = user;
    q.forward = forward;
    (forward ? q.after : q.before) = pos;
    q.limit = limit;
    auto r = call<history_page>(conv_hdl, history_atom::value, q);
    REQUIRE(r.ok());
    REQUIRE(r.value->conv == conv);
    return *r.value;
  }

  /// Ends the conversation actor as a crash would and returns the next
  /// instance (activated by the directory, loading from the stores).
  void restart() {
    auto old = conv_hdl.address();
    caf::anon_send_exit(conv_hdl, caf::exit_reason::kill);
    sched.run();
    conv_hdl = conv_actor(conv);
    REQUIRE(conv_hdl.address() != old);
  }
};

std::vector<uint64_t> seqs_of(const std::vector<message_record>& msgs) {
  std::vector<uint64_t> out;
  for (auto& m : msgs)
    out.push_back(m.seq);
  return out;
}

/// Receipt pushes a device got: (user, kind, seq) of each.
std::vector<std::tuple<std::string, std::string, uint64_t>> receipts_seen(
  const test::device_log& log) {
  std::vector<std::tuple<std::string, std::string, uint64_t>> out;
  for (auto& p : log.pushes) {
    for (auto& f : test::decode_frames(p.frame)) {
      if (f.type() != "receipt")
        continue;
      CHECK(p.seq == 0);
      out.emplace_back(f.get_string("user").value, f.get_string("kind").value,
                       f.get_uint("seq").value);
    }
  }
  return out;
}

using receipt = std::tuple<std::string, std::string, uint64_t>;

bool same(const member_position& p, const std::string& user, uint64_t delivered,
          uint64_t read) {
  return p.user == user && p.delivered == delivered && p.read == read;
}

} // namespace

TEST_CASE_METHOD(direct_fixture,
                 "conversation: seqs start at 1 and are gapless under "
                 "concurrent posts",
                 "[actors][conversation]") {
  CHECK(first.conv == conv);
  CHECK(first.ts > 0);
  // The first post created the conversation: meta and both users' indexes.
  auto meta = history->find_conv_meta(conv);
  REQUIRE(meta);
  CHECK(meta->members == std::vector<std::string>{alice, bob});
  CHECK(meta->type == persistence::conv_type::direct);
  for (auto& u : {alice, bob}) {
    auto convs = history->user_convs(u);
    REQUIRE(convs.size() == 1);
    CHECK(convs[0].conv == conv);
  }
  // Four posts in flight at once, from both members.
  writes->hold = true;
  auto r2 = send_async(alice, "c2", "two");
  auto r3 = send_async(bob, "b1", "three");
  auto r4 = send_async(alice, "c3", "four");
  auto r5 = send_async(bob, "b2", "five");
  sched.run();
  CHECK(writes->held == 4);
  CHECK_FALSE(r2->done);
  CHECK_FALSE(r5->done);
  writes->hold = false;
  caf::anon_send(persist, release_atom::value);
  sched.run();
  std::vector<std::shared_ptr<reply<post_result>>> rs{r2, r3, r4, r5};
  int64_t ts = first.ts;
  uint64_t expected = 2;
  for (auto& r : rs) {
    REQUIRE(r->ok());
    CHECK(r->value->conv == conv);
    CHECK(r->value->seq == expected++);
    CHECK(r->value->ts >= ts);
    ts = r->value->ts;
  }
  CHECK(history->last_seq(conv) == 5);
  const std::vector<std::tuple<uint64_t, std::string, std::string>> stored{
    {1, alice, "hello"},
    {2, alice, "two"},
    {3, bob, "three"},
    {4, alice, "four"},
    {5, bob, "five"}};
  for (auto& [seq, from, body] : stored) {
    auto m = history->find_message(conv, seq);
    REQUIRE(m);
    CHECK(m->from == from);
    CHECK(m->body == body);
    CHECK(m->kind == "text");
  }
  // Every member's device got every message, in seq order.
  const std::vector<uint64_t> all{1, 2, 3, 4, 5};
  CHECK(alice_phone->seqs() == all);
  CHECK(bob_phone->seqs() == all);
  auto& p3 = bob_phone->pushes.back();
  CHECK(p3.origin_user == bob);
  CHECK(p3.origin_device == "bob-phone");
  auto f = test::decode_frame(alice_phone->pushes.front().frame);
  CHECK(f.type() == "msg");
  CHECK(f.get_string("conv").value == conv);
  CHECK(f.get_uint("seq").value == 1);
  CHECK(f.get_string("from").value == alice);
  CHECK(f.get_string("cmid").value == "c1");
  CHECK(f.get_body("body").value.bytes == "hello");
  CHECK(f.get_uint("ts").value == static_cast<uint64_t>(first.ts));
}

TEST_CASE_METHOD(direct_fixture,
                 "conversation: a retried cmid gets the same seq and ts, "
                 "with no second write or push",
                 "[actors][conversation]") {
  auto keys = all_keys();
  auto requests = writes->requests;
  auto again = send(alice, "c1", "hello, again", bob);
  REQUIRE(again.ok());
  CHECK(again.value->seq == 1);
  CHECK(again.value->ts == first.ts);
  CHECK(writes->requests == requests);
  CHECK(all_keys() == keys);
  CHECK(alice_phone->seqs() == std::vector<uint64_t>{1});
  CHECK(bob_phone->seqs() == std::vector<uint64_t>{1});
  // A retry while the first attempt is still being written joins it.
  writes->hold = true;
  auto a = send_async(alice, "c2", "two");
  auto b = send_async(alice, "c2", "two");
  sched.run();
  CHECK(writes->requests == requests + 1);
  CHECK_FALSE(a->done);
  CHECK_FALSE(b->done);
  writes->hold = false;
  caf::anon_send(persist, release_atom::value);
  sched.run();
  REQUIRE(a->ok());
  REQUIRE(b->ok());
  CHECK(a->value->seq == 2);
  CHECK(b->value->seq == 2);
  CHECK(b->value->ts == a->value->ts);
  CHECK(alice_phone->seqs() == std::vector<uint64_t>{1, 2});
  // Dedupe is per user: bob's "c1" is a new message.
  auto bobs = send(bob, "c1", "mine");
  REQUIRE(bobs.ok());
  CHECK(bobs.value->seq == 3);
  CHECK(history->last_seq(conv) == 3);
}

TEST_CASE_METHOD(direct_fixture,
                 "conversation: dedupe survives a restart of the actor",
                 "[actors][conversation]") {
  auto second = send(bob, "b1", "two");
  REQUIRE(second.ok());
  CHECK(second.value->seq == 2);
  restart();
  auto keys = all_keys();
  auto requests = writes->requests;
  auto seen = alice_phone->seqs();
  // The new instance knows neither cmid in memory: the store answers.
  auto again = send(alice, "c1", "hello");
  REQUIRE(again.ok());
  CHECK(again.value->seq == 1);
  CHECK(again.value->ts == first.ts);
  auto again2 = send(bob, "b1", "two");
  REQUIRE(again2.ok());
  CHECK(again2.value->seq == 2);
  CHECK(again2.value->ts == second.value->ts);
  CHECK(writes->requests == requests);
  CHECK(all_keys() == keys);
  // It cannot know whether its predecessor pushed them before it ended: it
  // pushes them again (a device that has them skips them).
  seen.push_back(1);
  seen.push_back(2);
  CHECK(alice_phone->seqs() == seen);
  // The sequence goes on from the store.
  auto third = send(alice, "c3", "three");
  REQUIRE(third.ok());
  CHECK(third.value->seq == 3);
  // A crash after handing a write to the store: the write lands, and the
  // client's retry on the next instance gets its seq without a new write.
  writes->hold = true;
  auto lost = send_async(alice, "c4", "four");
  sched.run();
  REQUIRE(writes->held == 1);
  restart();
  writes->hold = false;
  caf::anon_send(persist, release_atom::value);
  sched.run();
  CHECK(history->last_seq(conv) == 4);
  // The crashed instance never pushed 4.
  CHECK(bob_phone->seqs().back() == 3);
  requests = writes->requests;
  auto retry = send(alice, "c4", "four");
  REQUIRE(retry.ok());
  CHECK(retry.value->seq == 4);
  CHECK(writes->requests == requests);
  // The retry that found it in the store pushed it: bob's device gets it
  // now, not only with the next message.
  CHECK(bob_phone->seqs().back() == 4);
  auto fifth = send(bob, "b5", "five");
  REQUIRE(fifth.ok());
  CHECK(fifth.value->seq == 5);
  // Nothing overwrote the message the crashed instance had handed over.
  CHECK(history->find_message(conv, 4)->cmid == "c4");
  CHECK(history->find_message(conv, 5)->cmid == "b5");
}

TEST_CASE_METHOD(direct_fixture,
                 "conversation: a non-member is forbidden every request",
                 "[actors][conversation]") {
  add_user(carol);
  auto keys = all_keys();
  auto requests = writes->requests;
  CHECK(send(carol, "x1", "let me in").code() == errc::forbidden);
  // Naming a member as the peer does not make carol one.
  CHECK(send(carol, "x2", "let me in", bob).code() == errc::forbidden);
  history_query q;
  q.user = carol;
  CHECK(call<history_page>(conv_hdl, history_atom::value, q).code()
        == errc::forbidden);
  CHECK(ack(carol, 1).code() == errc::forbidden);
  CHECK(read(carol, 1).code() == errc::forbidden);
  CHECK(call<conv_summary>(conv_hdl, summary_atom::value, carol).code()
        == errc::forbidden);
  CHECK(
    call<std::vector<member_position>>(conv_hdl, receipts_atom::value, carol)
      .code()
    == errc::forbidden);
  CHECK(call<caf::ok_atom>(conv_hdl, typing_atom::value, carol, true).code()
        == errc::forbidden);
  CHECK(writes->requests == requests);
  CHECK(all_keys() == keys);
  CHECK(alice_phone->seqs() == std::vector<uint64_t>{1});
  CHECK(alice_phone->pushes.size() == 1);
  // A conversation that does not exist answers members-to-be the same way.
  auto nowhere = conv_actor("g.nowhere");
  CHECK(
    call<post_result>(nowhere, post_atom::value, make_post(alice, "n1", "hi"))
      .code()
    == errc::forbidden);
  q.user = alice;
  CHECK(call<history_page>(nowhere, history_atom::value, q).code()
        == errc::forbidden);
  CHECK(call<uint64_t>(nowhere, ack_atom::value, alice, std::string{"d"},
                       uint64_t{1})
          .code()
        == errc::forbidden);
  CHECK(writes->requests == requests);
}

TEST_CASE_METHOD(fixture,
                 "conversation: a post to a nonexistent peer is "
                 "no_such_user and writes nothing",
                 "[actors][conversation]") {
  add_user(alice);
  auto phone = attach(alice, "alice-phone");
  auto conv = direct_conv_id(alice, "nobody");
  auto hdl = conv_actor(conv);
  for (auto cmid : {"c1", "c2"}) { // the actor is not stuck in creation
    auto r = call<post_result>(hdl, post_atom::value,
                               make_post(alice, cmid, "hi", "nobody"));
    REQUIRE(r.done);
    CHECK(r.code() == errc::no_such_user);
  }
  CHECK(writes->requests == 0);
  CHECK(all_keys().empty());
  CHECK(history->user_convs(alice).empty());
  CHECK(phone->pushes.empty());
  // A peer that does not match the conversation id creates nothing either.
  add_user(bob);
  auto r =
    call<post_result>(hdl, post_atom::value, make_post(alice, "c3", "hi", bob));
  CHECK(r.code() == errc::forbidden);
  CHECK(writes->requests == 0);
  CHECK(all_keys().empty());
}

TEST_CASE_METHOD(direct_fixture,
                 "conversation: ok goes to the sender only after the write, "
                 "the push fan-out right after it",
                 "[actors][conversation]") {
  auto alice_user = user_actor(alice);
  auto bob_user = user_actor(bob);
  writes->hold = true;
  auto r = send_async(alice, "c2", "two");
  auto sender = client;
  expect((post_atom, post), from(sender).to(conv_hdl));
  expect((caf::put_atom, persistence::kv_batch), from(conv_hdl).to(persist));
  // The write is pending: nothing else happens, however long we run.
  sched.run();
  CHECK(writes->held == 1);
  CHECK_FALSE(r->done);
  CHECK_FALSE(history->find_message(conv, 2));
  CHECK(alice_phone->seqs() == std::vector<uint64_t>{1});
  CHECK(bob_phone->seqs() == std::vector<uint64_t>{1});
  CHECK(receipts(bob)[1].delivered == 0);
  // The writer writes, then answers the conversation.
  caf::anon_send(persist, release_atom::value);
  expect((release_atom), from(_).to(persist));
  CHECK(history->find_message(conv, 2));
  CHECK_FALSE(r->done);
  expect((caf::ok_atom), from(persist).to(conv_hdl));
  // In that one step the conversation answered the sender first, then sent
  // the message to both members' user actors (routes known since seq 1).
  REQUIRE(sched.jobs.size() == 3);
  CHECK(sched.jobs[0]
        == dynamic_cast<caf::resumable*>(
          caf::actor_cast<caf::abstract_actor*>(sender)));
  expect((post_result), from(conv_hdl).to(sender));
  REQUIRE(r->ok());
  CHECK(r->value->seq == 2);
  expect((push), from(conv_hdl).to(alice_user));
  expect((push), from(conv_hdl).to(bob_user));
  sched.run();
  CHECK(alice_phone->seqs() == std::vector<uint64_t>{1, 2});
  CHECK(bob_phone->seqs() == std::vector<uint64_t>{1, 2});
}

TEST_CASE_METHOD(direct_fixture,
                 "conversation: an ack beyond the durable seq is clamped "
                 "to it",
                 "[actors][conversation]") {
  writes->hold = true;
  auto r2 = send_async(alice, "c2", "two");
  sched.run();
  REQUIRE(writes->held == 1);
  // seq 2 is assigned but not written: acks and reads stop at 1.
  auto a = ack(bob, 2);
  REQUIRE(a.ok());
  CHECK(*a.value == 1);
  a = ack(bob, 99);
  REQUIRE(a.ok());
  CHECK(*a.value == 1);
  REQUIRE(read(bob, 5).ok());
  CHECK(same(receipts(bob)[1], bob, 1, 1));
  writes->hold = false;
  caf::anon_send(persist, release_atom::value);
  sched.run();
  REQUIRE(r2->ok());
  a = ack(bob, 2);
  REQUIRE(a.ok());
  CHECK(*a.value == 2);
  // An older ack answers its own seq and moves nothing back.
  a = ack(bob, 1);
  REQUIRE(a.ok());
  CHECK(*a.value == 1);
  auto ps = receipts(alice);
  REQUIRE(ps.size() == 2);
  CHECK(same(ps[0], alice, 2, 2));
  CHECK(same(ps[1], bob, 2, 1));
  // alice saw each move of bob's positions once; bob saw none of his own.
  const std::vector<receipt> seen{
    {bob, "delivered", 1}, {bob, "read", 1}, {bob, "delivered", 2}};
  CHECK(receipts_seen(*alice_phone) == seen);
  CHECK(receipts_seen(*bob_phone).empty());
  // What the store holds agrees.
  auto stored = history->positions(conv);
  REQUIRE(stored.size() == 2);
  CHECK(same(stored[0], bob, 2, 1));
  CHECK(same(stored[1], alice, 2, 2));
}

TEST_CASE_METHOD(direct_fixture,
                 "conversation: receipts and summary positions, also after "
                 "a restart",
                 "[actors][conversation]") {
  REQUIRE(send(alice, "c2", "two").ok());
  REQUIRE(send(alice, "c3", "three").ok());
  auto ps = receipts(bob);
  REQUIRE(ps.size() == 2);
  CHECK(same(ps[0], alice, 3, 3)); // sending implies reading
  CHECK(same(ps[1], bob, 0, 0));
  REQUIRE(ack(bob, 3).ok());
  REQUIRE(read(bob, 2).ok());
  auto check_positions = [&] {
    auto ps = receipts(bob);
    REQUIRE(ps.size() == 2);
    CHECK(same(ps[0], alice, 3, 3));
    CHECK(same(ps[1], bob, 3, 2));
    auto s = call<conv_summary>(conv_hdl, summary_atom::value, bob);
    REQUIRE(s.ok());
    CHECK(s.value->conv == conv);
    CHECK(s.value->kind == "direct");
    CHECK(s.value->name == alice);
    CHECK(s.value->members == std::vector<std::string>{alice, bob});
    CHECK(s.value->last_seq == 3);
    CHECK(s.value->read_seq == 2);
    CHECK(s.value->unread == 1);
    REQUIRE(s.value->has_last);
    CHECK(s.value->last.seq == 3);
    CHECK(s.value->last.body == "three");
    auto sa = call<conv_summary>(conv_hdl, summary_atom::value, alice);
    REQUIRE(sa.ok());
    CHECK(sa.value->name == bob);
    CHECK(sa.value->unread == 0);
  };
  check_positions();
  restart();
  check_positions();
}

TEST_CASE_METHOD(direct_fixture, "conversation: history pages",
                 "[actors][conversation]") {
  std::vector<post_result> sent{first};
  for (int i = 2; i <= 5; ++i) {
    auto r = send(i % 2 ? alice : bob, "m" + std::to_string(i),
                  "body " + std::to_string(i));
    REQUIRE(r.ok());
    sent.push_back(*r.value);
  }
  auto p = page(bob, true, 0, 2);
  CHECK(seqs_of(p.msgs) == std::vector<uint64_t>{1, 2});
  CHECK(p.more);
  p = page(bob, true, 2, 2);
  CHECK(seqs_of(p.msgs) == std::vector<uint64_t>{3, 4});
  CHECK(p.more);
  p = page(bob, true, 4, 2);
  CHECK(seqs_of(p.msgs) == std::vector<uint64_t>{5});
  CHECK_FALSE(p.more);
  p = page(bob, true, 5, 50);
  CHECK(p.msgs.empty());
  CHECK_FALSE(p.more);
  p = page(alice, false, 0, 2);
  CHECK(seqs_of(p.msgs) == std::vector<uint64_t>{4, 5});
  CHECK(p.more);
  p = page(alice, false, 4, 10);
  CHECK(seqs_of(p.msgs) == std::vector<uint64_t>{1, 2, 3});
  CHECK_FALSE(p.more);
  p = page(alice, false, 0, 0); // limit clamped to 1..100
  CHECK(seqs_of(p.msgs) == std::vector<uint64_t>{5});
  CHECK(p.more);
  p = page(alice, false, 0, 1000);
  CHECK(seqs_of(p.msgs) == std::vector<uint64_t>{1, 2, 3, 4, 5});
  CHECK_FALSE(p.more);
  for (auto& m : p.msgs) {
    auto& s = sent[m.seq - 1];
    CHECK(m.conv == conv);
    CHECK(m.ts == s.ts);
    CHECK(m.from == (m.seq == 1 || m.seq % 2 ? alice : bob));
    CHECK(m.body == (m.seq == 1 ? "hello" : "body " + std::to_string(m.seq)));
    CHECK(m.cmid == (m.seq == 1 ? "c1" : "m" + std::to_string(m.seq)));
    CHECK(m.kind == "text");
    CHECK_FALSE(m.binary);
  }
  // A message still being written is not history yet.
  writes->hold = true;
  auto pending = send_async(alice, "m6", "six");
  sched.run();
  p = page(bob, false, 0, 50);
  CHECK(seqs_of(p.msgs).back() == 5);
  writes->hold = false;
  caf::anon_send(persist, release_atom::value);
  sched.run();
  REQUIRE(pending->ok());
  p = page(bob, false, 0, 50);
  CHECK(seqs_of(p.msgs).back() == 6);
}

TEST_CASE_METHOD(direct_fixture,
                 "conversation: a failed write fails the post and the next "
                 "instance resumes from the store",
                 "[actors][conversation]") {
  writes->fail = true;
  auto r = send(alice, "c2", "two");
  REQUIRE(r.done);
  CHECK(r.code() == errc::unavailable);
  CHECK(history->last_seq(conv) == 1);
  CHECK(alice_phone->seqs() == std::vector<uint64_t>{1});
  writes->fail = false;
  // The failed instance is gone; the next one reuses seq 2 (nothing of the
  // failed attempt was written, so the sequence stays gapless).
  conv_hdl = conv_actor(conv);
  auto again = send(alice, "c2", "two");
  REQUIRE(again.ok());
  CHECK(again.value->seq == 2);
  CHECK(history->find_message(conv, 2)->body == "two");
  CHECK(alice_phone->seqs() == std::vector<uint64_t>{1, 2});
}
