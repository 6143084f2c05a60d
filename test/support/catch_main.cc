// SPDX-License-Identifier: Apache-2.0
// The one Catch2 main shared by all test executables (Catch2 2.x is header-only).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
