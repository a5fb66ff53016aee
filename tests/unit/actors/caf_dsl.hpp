#pragma once

// CAF's deterministic test DSL (test_coordinator_fixture, expect, allow,
// disallow) under Catch2. The DSL reports through CAF's own check macros,
// which need CAF's test engine running; here they are redirected to Catch2
// before dsl.hpp is read (unit_test.hpp's include guard keeps the
// redirection). Include this instead of <caf/test/dsl.hpp>, before any other
// CAF test header. caf_test_engine.cpp provides the engine's statics.
//
// A failed expect() in a clause's destructor ends the test binary (an
// exception cannot leave a destructor); Catch2 reports the test that died.

#include <catch2/catch.hpp>

#include <caf/test/unit_test.hpp>

#undef CAF_FAIL
#undef CAF_REQUIRE
#undef CAF_REQUIRE_EQUAL
#undef CAF_CHECK_EQUAL
#undef CAF_MESSAGE

#define CAF_FAIL(msg) FAIL(msg)
#define CAF_REQUIRE(...) REQUIRE(static_cast<bool>(__VA_ARGS__))
#define CAF_REQUIRE_EQUAL(x, y) REQUIRE(static_cast<bool>((x) == (y)))
#define CAF_CHECK_EQUAL(x, y) CHECK(static_cast<bool>((x) == (y)))
#define CAF_MESSAGE(msg)                                                       \
  do {                                                                         \
  } while (false)

#include <caf/test/dsl.hpp>
