// Every message type register_message_types() registers crosses a node
// boundary intact: as a caf::message through CAF's binary serializer and
// back, the way the middleman ships it. A type missing from the registry
// cannot make that trip (the last test shows the failure this catches).

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>

#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "persistence/kv_batch.hpp"
#include "runtime/entity.hpp"
#include "runtime/errors.hpp"
#include "runtime/fault.hpp"

using namespace parley;
using namespace parley::actors;

namespace {

struct types_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  /// Names of the types the tests below round-tripped.
  std::set<std::string> tested;

  types_fixture() {
    register_message_types(cfg);
    cfg.set("scheduler.max-threads", size_t{1});
    cfg.set("logger.console", caf::atom("none"));
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  /// Serializes `msg` as the middleman does and reads it back.
  caf::error round_trip(const caf::message& msg, caf::message& out) {
    std::vector<char> buf;
    caf::binary_serializer sink{*sys, buf};
    if (auto err = sink(const_cast<caf::message&>(msg)))
      return err;
    caf::binary_deserializer source{*sys, buf};
    if (auto err = source(out))
      return err;
    if (source.remaining() != 0)
      return caf::make_error(caf::sec::runtime_error, "trailing bytes");
    return caf::none;
  }

  /// Round-trips `x` inside a message (after an atom, as actors send it) and
  /// returns the copy that came back.
  template <class T>
  T cross(const std::string& name, const T& x) {
    tested.insert(name);
    auto msg = caf::make_message(post_atom::value, x);
    caf::message out;
    auto err = round_trip(msg, out);
    INFO(name << ": " << sys->render(err));
    REQUIRE(!err);
    REQUIRE(out.match_elements<post_atom, T>());
    auto& y = out.get_as<T>(1);
    CHECK(caf::deep_to_string(y) == caf::deep_to_string(x));
    return y;
  }
};

message_record record(uint64_t seq) {
  message_record m;
  m.conv = "d.0123456789abcdef0123456789abcdef";
  m.seq = seq;
  m.from = "alice";
  m.ts = 1700000000123 + static_cast<int64_t>(seq);
  m.kind = "text";
  m.body = std::string("b\0dy\xff", 5) + std::to_string(seq);
  m.binary = true;
  m.cmid = "cmid-" + std::to_string(seq);
  return m;
}

struct not_registered {
  std::string x;
};

template <class Inspector>
auto inspect(Inspector& f, not_registered& v) {
  return f(v.x);
}

} // namespace

TEST_CASE_METHOD(types_fixture,
                 "message types: every registered type round-trips through "
                 "the binary serializer",
                 "[actors][serialization]") {
  {
    runtime::entity_id e{persistence::entity_kind::conv, "g.team"};
    auto y = cross("parley.entity_id", e);
    CHECK(y == e);
    CHECK(cross("parley.entity_kind", persistence::entity_kind::conv)
          == persistence::entity_kind::conv);
    CHECK(cross("parley.entity_kind", persistence::entity_kind::user)
          == persistence::entity_kind::user);
  }
  {
    persistence::kv_batch b;
    b.put(std::string("k\0\x01", 3), std::string("v\0", 2));
    b.put("k2", "");
    b.erase("gone");
    auto y = cross("parley.kv_batch", b);
    CHECK(y.puts == b.puts);
    CHECK(y.erases == b.erases);
  }
  {
    auto y = cross("parley.message_record", record(7));
    CHECK(y.seq == 7);
    CHECK(y.ts == 1700000000130);
    CHECK(y.body == record(7).body);
    CHECK(y.binary);
  }
  {
    std::vector<message_record> v{record(1), record(2), record(3)};
    auto y = cross("parley.message_records", v);
    REQUIRE(y.size() == 3);
    CHECK(y[2].cmid == "cmid-3");
  }
  {
    auto y = cross("parley.member_position", member_position{"bob", 9, 4});
    CHECK(y.user == "bob");
    CHECK(y.delivered == 9);
    CHECK(y.read == 4);
  }
  {
    std::vector<member_position> v{{"alice", 3, 3}, {"bob", 2, 1}};
    auto y = cross("parley.member_positions", v);
    REQUIRE(y.size() == 2);
    CHECK(y[1].read == 1);
  }
  {
    post p{"alice", "phone 1", "c-42", "text", "hi\xf0\x9f\x91\x8b",
           true,    "bob"};
    auto y = cross("parley.post", p);
    CHECK(y.from == "alice");
    CHECK(y.device == "phone 1");
    CHECK(y.cmid == "c-42");
    CHECK(y.body == p.body);
    CHECK(y.binary);
    CHECK(y.direct_peer == "bob");
  }
  {
    auto y = cross("parley.post_result", post_result{"d.x", 12, -5});
    CHECK(y.conv == "d.x");
    CHECK(y.seq == 12);
    CHECK(y.ts == -5);
  }
  {
    history_query q{"carol", true, 0, UINT64_MAX, 77};
    auto y = cross("parley.history_query", q);
    CHECK(y.user == "carol");
    CHECK(y.forward);
    CHECK(y.after == UINT64_MAX);
    CHECK(y.limit == 77);
  }
  {
    history_page page{"g.team", {record(4), record(5)}, true};
    auto y = cross("parley.history_page", page);
    CHECK(y.conv == "g.team");
    REQUIRE(y.msgs.size() == 2);
    CHECK(y.msgs[1].seq == 5);
    CHECK(y.more);
  }
  {
    conv_summary s;
    s.conv = "g.team";
    s.kind = "group";
    s.name = "The team";
    s.members = {"alice", "bob", "carol"};
    s.last_seq = 10;
    s.read_seq = 7;
    s.unread = 3;
    s.has_last = true;
    s.last = record(10);
    s.left = true;
    auto y = cross("parley.conv_summary", s);
    CHECK(y.members == s.members);
    CHECK(y.unread == 3);
    CHECK(y.has_last);
    CHECK(y.last.seq == 10);
    CHECK(y.left);
  }
  {
    group_change c{"add", "alice", "", {"bob", "carol"}};
    auto y = cross("parley.group_change", c);
    CHECK(y.op == "add");
    CHECK(y.by == "alice");
    CHECK(y.users == c.users);
  }
  {
    group_info g{"g.team", "The team", "alice", {"alice"}, {"alice", "bob"}};
    auto y = cross("parley.group_info", g);
    CHECK(y.name == "The team");
    CHECK(y.owner == "alice");
    CHECK(y.admins == g.admins);
    CHECK(y.members == g.members);
  }
  {
    push p{"d.x", 3, "alice", "phone", std::string("\0\0\0\x01\x80", 5)};
    auto y = cross("parley.push", p);
    CHECK(y.seq == 3);
    CHECK(y.origin_device == "phone");
    CHECK(y.frame == p.frame);
  }
  {
    auto y = cross("parley.conv_cursor", conv_cursor{"d.x", 41});
    CHECK(y.conv == "d.x");
    CHECK(y.acked == 41);
  }
  {
    attach_info info{{{"d.x", 1}, {"g.team", 0}}};
    auto y = cross("parley.attach_info", info);
    REQUIRE(y.cursors.size() == 2);
    CHECK(y.cursors[0].acked == 1);
    CHECK(y.cursors[1].conv == "g.team");
  }
  {
    auto y = cross("parley.grant", grant{"alice", "phone", "tok"});
    CHECK(y.user == "alice");
    CHECK(y.token == "tok");
  }
  {
    auto y = cross("parley.presence_info", presence_info{"bob", true, 1234});
    CHECK(y.user == "bob");
    CHECK(y.online);
    CHECK(y.last_seen == 1234);
  }
  {
    auto y = cross("parley.device_ack", device_ack{"bob", "phone", 77});
    CHECK(y.user == "bob");
    CHECK(y.device == "phone");
    CHECK(y.seq == 77);
  }
  {
    using runtime::fault;
    auto y = cross("parley.fault",
                   fault{fault::kind::delay, std::chrono::milliseconds(250)});
    CHECK(y.what == fault::kind::delay);
    CHECK(y.ms.count() == 250);
    auto z = cross("parley.fault", fault{fault::kind::drop, {}});
    CHECK(z.what == fault::kind::drop);
  }
  // Every type with a parley name was covered above: a new registration
  // without a round trip here fails this line.
  std::set<std::string> registered;
  for (auto& [name, _] : cfg.value_factories_by_name)
    if (name.rfind("parley.", 0) == 0)
      registered.insert(name);
  CHECK(registered == tested);
}

TEST_CASE_METHOD(types_fixture,
                 "message types: parley errors keep their code and text "
                 "across nodes",
                 "[actors][serialization]") {
  auto msg = caf::make_message(make_error(errc::no_such_user, "nobody"));
  caf::message out;
  REQUIRE(!round_trip(msg, out));
  REQUIRE(out.match_elements<caf::error>());
  auto& err = out.get_as<caf::error>(0);
  CHECK(errc_of(err) == errc::no_such_user);
  CHECK(error_text(err) == "nobody");
  CHECK(sys->render(err) == "parley:no_such_user: nobody");
}

TEST_CASE_METHOD(types_fixture,
                 "message types: an unregistered type cannot cross",
                 "[actors][serialization]") {
  // CAF reports it on stderr and ships what it can: the receiver gets an
  // error or a message without the value, never the value.
  auto msg = caf::make_message(not_registered{"x"});
  caf::message out;
  round_trip(msg, out);
  CHECK_FALSE(out.match_elements<not_registered>());
}
