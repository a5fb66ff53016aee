// The one translation unit that compiles CAF's unit-test engine (there is no
// caf-test library). CAF_TEST_NO_MAIN keeps its main out: Catch2 runs the
// tests. caf::test::dsl's test_coordinator_fixture reads the engine's
// argc/argv, which stay empty here.

#define CAF_TEST_NO_MAIN
#include <caf/test/unit_test_impl.hpp>
