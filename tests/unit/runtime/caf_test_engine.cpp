// The one translation unit of runtime_tests that compiles CAF's unit-test
// engine (see unit/actors/caf_test_engine.cpp: there is no caf-test
// library, and Catch2 runs the tests).

#define CAF_TEST_NO_MAIN
#include <caf/test/unit_test_impl.hpp>
