// SPDX-License-Identifier: Apache-2.0
// Catch2 main of pktgen_core_test (compiled without the project warnings, like test/support).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
