// errc: the names are exactly protocol.md's error codes.

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "transport/errc.hpp"

using parley::errc;
using parley::errc_from_string;
using parley::is_fatal;
using parley::to_string;

namespace {

// protocol.md, "Requests, replies, pushes", in its order.
const std::vector<std::pair<errc, std::string>> wire_names = {
  {errc::bad_frame, "bad_frame"},
  {errc::too_large, "too_large"},
  {errc::unknown_type, "unknown_type"},
  {errc::bad_request, "bad_request"},
  {errc::unauthenticated, "unauthenticated"},
  {errc::auth_failed, "auth_failed"},
  {errc::user_exists, "user_exists"},
  {errc::no_such_user, "no_such_user"},
  {errc::no_such_conv, "no_such_conv"},
  {errc::forbidden, "forbidden"},
  {errc::group_full, "group_full"},
  {errc::rate_limited, "rate_limited"},
  {errc::overloaded, "overloaded"},
  {errc::unavailable, "unavailable"},
  {errc::internal, "internal"},
};

} // namespace

TEST_CASE("to_string gives protocol.md's names", "[errc]") {
  for (const auto& [code, name] : wire_names)
    CHECK(std::string(to_string(code)) == name);
}

TEST_CASE("errc_from_string inverts to_string", "[errc]") {
  for (const auto& [code, name] : wire_names) {
    auto parsed = errc_from_string(name);
    REQUIRE(parsed);
    CHECK(*parsed == code);
  }
}

TEST_CASE("unknown names are not codes", "[errc]") {
  CHECK_FALSE(errc_from_string(""));
  CHECK_FALSE(errc_from_string("BAD_FRAME"));
  CHECK_FALSE(errc_from_string("bad_frame "));
  CHECK_FALSE(errc_from_string("ok"));
  CHECK_FALSE(errc_from_string(std::string_view("bad_frame\0", 10)));
}

TEST_CASE("an out-of-range value still has a name", "[errc]") {
  CHECK(std::strcmp(to_string(static_cast<errc>(0)), "internal") == 0);
  CHECK(std::strcmp(to_string(static_cast<errc>(200)), "internal") == 0);
}

TEST_CASE("only framing errors are fatal", "[errc]") {
  for (const auto& [code, name] : wire_names) {
    INFO(name);
    CHECK(is_fatal(code) == (code == errc::bad_frame || code == errc::too_large));
  }
}
