// The scenario language (tools/parley-scenario, docs/harness.md): good
// scripts become the steps they say, bad ones fail with `file:line:`.

#include <catch2/catch.hpp>

#include "scenario_lexer.hpp"
#include "scenario_parser.hpp"

using namespace parley::scenario;
using namespace std::chrono_literals;

namespace {

std::vector<step> parse_ok(const std::string& text) {
  std::string error;
  auto steps = parse_scenario(text, "t.scn", error);
  INFO(error);
  REQUIRE(steps);
  return *steps;
}

std::string parse_error(const std::string& text) {
  std::string error;
  auto steps = parse_scenario(text, "t.scn", error);
  CHECK_FALSE(steps);
  return error;
}

} // namespace

TEST_CASE("scenario parser: device steps with fields, within and reply",
          "[scenario][parser]") {
  auto steps = parse_ok(
    "# a comment line\n"
    "\n"
    "nodes n1 with heartbeat_s=1   # trailing comment\n"
    "alice/phone send bob \"hi # not a comment\" cmid=c1 -> ok seq=1 as c1\n"
    "bob/laptop expect msg from=alice body=\"hi there\" seq=1 within 1.5s\n"
    "bob/laptop ack 3 -> err forbidden\n"
    "carol/tab history conv=c1 -> err code=forbidden within 500ms\n");
  REQUIRE(steps.size() == 5);
  CHECK(steps[0].verb == "nodes");
  REQUIRE(steps[0].args.size() == 1);
  CHECK(steps[0].args[0].text == "n1");
  REQUIRE(steps[0].find("heartbeat_s"));
  CHECK(steps[0].find("heartbeat_s")->value == "1");
  auto& send = steps[1];
  CHECK(send.line == 4);
  CHECK(send.device == "alice/phone");
  CHECK(send.verb == "send");
  REQUIRE(send.args.size() == 2);
  CHECK(send.args[1].text == "hi # not a comment");
  CHECK(send.args[1].quoted);
  CHECK(send.find("cmid")->value == "c1");
  REQUIRE(send.reply);
  CHECK(send.reply->ok);
  CHECK(send.reply->bind_as == "c1");
  REQUIRE(send.reply->fields.size() == 1);
  CHECK(send.reply->fields[0].key == "seq");
  auto& expect = steps[2];
  CHECK(expect.within == 1500ms);
  CHECK(expect.find("body")->value == "hi there");
  CHECK(expect.find("body")->quoted);
  CHECK(steps[3].reply->code == "forbidden");
  CHECK_FALSE(steps[3].reply->ok);
  CHECK(steps[4].reply->code == "forbidden");
  CHECK(steps[4].within == 500ms);
}

TEST_CASE("scenario parser: escapes, JSON objects and entity names",
          "[scenario][parser]") {
  auto steps = parse_ok(
    "a/d send b \"q\\\"uote\\\\ \\n\\t\\x41\"\n"
    "a/d request {\"t\": \"history\", \"conv\": \"${c1}\"} -> ok\n"
    "kill actor conversation(alice, bob)\n"
    "delay actor user(alice) 250ms\n"
    "connect a/d to n1\n");
  CHECK(steps[0].args[1].text == "q\"uote\\ \n\tA");
  CHECK(steps[1].args[0].json);
  CHECK(steps[1].args[0].text == "{\"t\": \"history\", \"conv\": \"${c1}\"}");
  CHECK(steps[2].args[1].text == "conversation(alice,bob)");
  CHECK(steps[3].args[2].text == "250ms");
  CHECK(steps[4].device == "a/d");
  REQUIRE(steps[4].args.size() == 1);
  CHECK(steps[4].args[0].text == "n1");
}

TEST_CASE("scenario parser: repeat blocks nest", "[scenario][parser]") {
  auto steps = parse_ok("repeat 3 {\n"
                        "  a/d send b \"x\"\n"
                        "  repeat 2 {\n"
                        "    a/d ping\n"
                        "  }\n"
                        "}\n"
                        "a/d ping\n");
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].repeat == 3);
  REQUIRE(steps[0].body.size() == 2);
  CHECK(steps[0].body[1].repeat == 2);
  REQUIRE(steps[0].body[1].body.size() == 1);
  CHECK(steps[0].body[1].body[0].line == 4);
}

TEST_CASE("scenario parser: durations", "[scenario][parser]") {
  CHECK(parse_duration("2s") == 2000ms);
  CHECK(parse_duration("500ms") == 500ms);
  CHECK(parse_duration("0.25s") == 250ms);
  CHECK_FALSE(parse_duration("5"));
  CHECK_FALSE(parse_duration("ms"));
  CHECK_FALSE(parse_duration("1m"));
}

TEST_CASE("scenario parser: bad scripts name the file and line",
          "[scenario][parser]") {
  CHECK(parse_error("nodes n1\nalice/phone sned bob \"x\"\n")
        == "t.scn:2: unknown step `sned`");
  CHECK(parse_error("nodes n1\n\na/d send bob \"open\n")
        == "t.scn:3: column 14: unterminated string");
  CHECK(parse_error("a/d send bob \"x\" -> maybe\n")
        == "t.scn:1: expected `ok` or `err` after `->`");
  CHECK(parse_error("a/d send bob\n")
        == "t.scn:1: send: expected 2 argument(s), got 1");
  CHECK(parse_error("a/d expect msg within forever\n")
        == "t.scn:1: within: expected a duration (500ms, 2s)");
  CHECK(parse_error("a/d expect nothing\n")
        == "t.scn:1: expect nothing: needs `within DURATION`");
  CHECK(parse_error("send bob \"x\"\n")
        == "t.scn:1: send: needs a device first (`alice/phone send ...`)");
  CHECK(parse_error("a/d ack -> ok\n")
        == "t.scn:1: ack gets no `ok` (only `-> err CODE`)");
  CHECK(parse_error("a/d send bob \"x\" colour=red\n")
        == "t.scn:1: send: unknown option `colour`");
  CHECK(parse_error("repeat 2 {\na/d ping\n")
        == "t.scn:1: repeat: block not closed with `}`");
  CHECK(parse_error("a/d ping\n}\n")
        == "t.scn:2: `}` without an open `repeat N {`");
  CHECK(parse_error("repeat 2\n")
        == "t.scn:1: repeat: expected `{` at the end of the line");
  CHECK(parse_error("kill everything now\n")
        == "t.scn:1: kill: expected `kill actor ENTITY` or `kill node NAME`");
  CHECK(parse_error("a/d send b \"\\q\"\n")
        == "t.scn:1: column 13: unknown escape \\q");
  CHECK(parse_error("a/d request {\"t\": \"x\"\n")
        == "t.scn:1: column 13: unterminated JSON object");
  CHECK(parse_error("a/d expect msgs 1..3 then done\n")
        == "t.scn:1: expect msgs: expected `expect msgs A..B [then synced]`");
  CHECK(parse_error("a/d expect msgs x..3\n")
        == "t.scn:1: expect msgs: expected `expect msgs A..B [then synced]`");
  CHECK(parse_error("a/d group rename g1\n")
        == "t.scn:1: group: expected create, add, remove, leave or info");
}
