// SPDX-License-Identifier: Apache-2.0
#include "util/status_macros.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

namespace {

int g_evaluations = 0;

absl::Status CountedStatus(absl::Status s) {
  ++g_evaluations;
  return s;
}

absl::StatusOr<std::unique_ptr<int>> MakeInt(bool ok, int v) {
  if (!ok) return absl::NotFoundError("no int");
  return std::make_unique<int>(v);
}

absl::Status ReturnIfErrorUser(absl::Status inner, bool* reached_end) {
  SSR_RETURN_IF_ERROR(CountedStatus(inner));
  *reached_end = true;
  return absl::OkStatus();
}

absl::StatusOr<int> AssignOrReturnUser(bool first_ok, bool second_ok) {
  SSR_ASSIGN_OR_RETURN(auto a, MakeInt(first_ok, 2));
  std::unique_ptr<int> b;
  SSR_ASSIGN_OR_RETURN(b, MakeInt(second_ok, 3));  // assigning to an existing variable
  return *a * *b;
}

}  // namespace

TEST_CASE("SSR_RETURN_IF_ERROR passes OK through and evaluates once", "[util]") {
  g_evaluations = 0;
  bool reached = false;
  REQUIRE(ReturnIfErrorUser(absl::OkStatus(), &reached).ok());
  CHECK(reached);
  CHECK(g_evaluations == 1);
}

TEST_CASE("SSR_RETURN_IF_ERROR returns the failing status unchanged", "[util]") {
  g_evaluations = 0;
  bool reached = false;
  absl::Status s = ReturnIfErrorUser(absl::InvalidArgumentError("bad field"), &reached);
  CHECK_FALSE(reached);
  CHECK(g_evaluations == 1);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()) == "bad field");
}

TEST_CASE("SSR_ASSIGN_OR_RETURN moves values and propagates errors", "[util]") {
  auto ok = AssignOrReturnUser(true, true);
  REQUIRE(ok.ok());
  CHECK(*ok == 6);
  auto first = AssignOrReturnUser(false, true);
  CHECK(first.status().code() == absl::StatusCode::kNotFound);
  auto second = AssignOrReturnUser(true, false);
  CHECK(second.status().code() == absl::StatusCode::kNotFound);
}
