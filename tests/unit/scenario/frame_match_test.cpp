// Matchers of replies and pushes (tools/parley-scenario/frame_match.hpp).

#include <catch2/catch.hpp>

#include "frame_match.hpp"

using namespace parley::scenario;
using json = nlohmann::json;

namespace {

bool match(const json& frame, const std::string& key, const std::string& value,
           std::string& why, bool quoted = false) {
  auto resolve = [](const std::string& n) {
    return n == "ab" ? std::string{"d.1234"} : n;
  };
  return field_matches(frame, {key, value, quoted}, resolve, why);
}

} // namespace

TEST_CASE("scenario matchers: scalars, paths, lists and absence",
          "[scenario][match]") {
  auto frame = json::parse(R"({"t":"ok","conv":"d.1234","more":false,
    "msgs":[{"seq":1},{"seq":2},{"seq":3}],
    "users":[{"user":"bob","online":true,"last_seen":5},{"user":"eve","online":false}],
    "members":["alice","bob"], "n": null})");
  std::string why;
  CHECK(match(frame, "more", "false", why));
  CHECK(match(frame, "conv", "ab", why)); // a conversation name resolves
  CHECK(match(frame, "seqs", "1..3", why));
  CHECK(match(frame, "len(msgs)", "3", why));
  CHECK(match(frame, "users.0.online", "true", why));
  CHECK(match(frame, "users.1.last_seen", "absent", why));
  CHECK(match(frame, "members", "alice,bob", why));
  CHECK(match(frame, "n", "null", why));
  CHECK(match(frame, "users.0.last_seen", "present", why));
  CHECK_FALSE(match(frame, "n", "present", why));
  CHECK(why == "n is null, expected a value");
  CHECK_FALSE(match(frame, "members", "bob,alice", why));
  CHECK(why == "members is [alice,bob], expected [bob,alice]");
  CHECK_FALSE(match(frame, "seqs", "1,2", why));
  CHECK(why == "seqs is [1,2,3], expected [1,2]");
  CHECK_FALSE(match(frame, "users.0.last_seen", "absent", why));
  CHECK(why == "users.0.last_seen is 5, expected it absent");
  CHECK_FALSE(match(frame, "users.2.user", "x", why));
  CHECK(why == "users.2.user is missing, expected x");
  CHECK_FALSE(match(frame, "t", "err", why, true));
  CHECK(why == "t is \"ok\", expected \"err\"");
  CHECK(expand_list("1..3,7") == std::vector<std::string>{"1", "2", "3", "7"});
}
