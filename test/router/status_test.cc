// SPDX-License-Identifier: Apache-2.0
// ssr::Status / ssr::Result<T> (ssr/status.h) and their conversion from and to abseil
// (router/status_convert.h).
#include "absl/status/status.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "router/status_convert.h"
#include "ssr/status.h"

namespace {

using ssr::Result;
using ssr::Status;
using ssr::StatusCode;

TEST_CASE("A default Status is OK with an empty message, a code and message are kept") {
  const Status ok;
  CHECK(ok.ok());
  CHECK(ok.code() == StatusCode::kOk);
  CHECK(ok.message().empty());
  CHECK(ok.ToString() == "OK");

  const Status nf(StatusCode::kNotFound, "router: \"hq\" is not a router of the config");
  CHECK_FALSE(nf.ok());
  CHECK(nf.code() == StatusCode::kNotFound);
  CHECK(nf.message() == "router: \"hq\" is not a router of the config");
  CHECK(nf.ToString() == "NOT_FOUND: router: \"hq\" is not a router of the config");
  CHECK(nf == Status(StatusCode::kNotFound, "router: \"hq\" is not a router of the config"));
  CHECK(nf != Status(StatusCode::kInvalidArgument, nf.message()));

  // kOk with a message is OK and drops the message (like absl::Status).
  const Status ok2(StatusCode::kOk, "ignored");
  CHECK(ok2.ok());
  CHECK(ok2.message().empty());
}

TEST_CASE("Every StatusCode has abseil's number and name") {
  for (int c = 0; c <= 16; ++c) {
    CAPTURE(c);
    const auto code = static_cast<StatusCode>(c);
    CHECK(ssr::StatusCodeName(code) == absl::StatusCodeToString(static_cast<absl::StatusCode>(c)));
  }
  CHECK(ssr::StatusCodeName(StatusCode::kInvalidArgument) == "INVALID_ARGUMENT");
  CHECK(ssr::StatusCodeName(StatusCode::kUnauthenticated) == "UNAUTHENTICATED");
  CHECK(ssr::StatusCodeName(static_cast<StatusCode>(99)) == "UNKNOWN_CODE");
}

TEST_CASE("Status converts from and to absl::Status keeping code and message") {
  const absl::Status a = absl::FailedPreconditionError("lan0: has 1 RX queue, 4 workers asked");
  const Status s = ssr::FromAbsl(a);
  CHECK(s.code() == StatusCode::kFailedPrecondition);
  CHECK(s.message() == "lan0: has 1 RX queue, 4 workers asked");
  CHECK(s.ToString() == a.ToString());
  CHECK(ssr::ToAbsl(s) == a);
  CHECK(ssr::FromAbsl(absl::OkStatus()).ok());
  CHECK(ssr::ToAbsl(Status()).ok());

  absl::StatusOr<std::string> good = std::string("x");
  Result<std::string> r = ssr::FromAbsl(std::move(good));
  REQUIRE(r.ok());
  CHECK(*r == "x");
  Result<std::string> bad = ssr::FromAbsl(absl::StatusOr<std::string>(absl::DataLossError("d")));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == StatusCode::kDataLoss);
  CHECK(bad.status().message() == "d");
  CHECK(ssr::ToAbsl(std::move(bad)).status() == absl::DataLossError("d"));
}

TEST_CASE("Result holds a value or an error") {
  Result<int> v = 42;
  REQUIRE(v.ok());
  CHECK(v.status().ok());
  CHECK(v.value() == 42);
  CHECK(*v == 42);
  CHECK(v.value_or(7) == 42);

  const Result<int> e = Status(StatusCode::kInvalidArgument, "workers: 65 is not in 0..64");
  REQUIRE_FALSE(e.ok());
  CHECK(e.status().code() == StatusCode::kInvalidArgument);
  CHECK(e.status().message() == "workers: 65 is not in 0..64");
  CHECK(e.value_or(7) == 7);

  // A Result built from an OK Status is an error (kInternal), never a Result without a value.
  const Result<int> misuse = Status();
  CHECK_FALSE(misuse.ok());
  CHECK(misuse.status().code() == StatusCode::kInternal);

  Result<std::vector<std::string>> list = std::vector<std::string>{"a", "b"};
  REQUIRE(list.ok());
  CHECK(list->size() == 2);
  list->push_back("c");
  CHECK(list.value().back() == "c");
}

struct Base {
  virtual ~Base() = default;
  virtual int Id() const { return 1; }
};
struct Derived : Base {
  int Id() const override { return 2; }
};

TEST_CASE("Result holds move-only values and converts what T converts from") {
  Result<std::unique_ptr<int>> p = std::make_unique<int>(5);
  REQUIRE(p.ok());
  CHECK(**p == 5);
  std::unique_ptr<int> taken = std::move(p).value();
  REQUIRE(taken != nullptr);
  CHECK(*taken == 5);

  Result<std::unique_ptr<Base>> b = std::make_unique<Derived>();
  REQUIRE(b.ok());
  CHECK((*b)->Id() == 2);

  Result<std::unique_ptr<int>> moved_from_error = Status(StatusCode::kUnavailable, "no AF_XDP");
  Result<std::unique_ptr<int>> moved = std::move(moved_from_error);
  REQUIRE_FALSE(moved.ok());
  CHECK(moved.status().message() == "no AF_XDP");
}

// Runs `fn` in a child process; returns its termination signal (0 if it exited) and its stderr.
template <typename Fn>
std::pair<int, std::string> RunInChild(Fn fn) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    fn();
    _exit(0);
  }
  close(fds[1]);
  std::string err;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) {
    err.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int wstatus = 0;
  REQUIRE(waitpid(pid, &wstatus, 0) == pid);
  return {WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0, err};
}

TEST_CASE("value() on an error prints the status to stderr and aborts") {
  const auto [sig, err] = RunInChild([] {
    Result<int> e = Status(StatusCode::kNotFound, "router: \"hq\" is not a router");
    std::fprintf(stderr, "%d\n", e.value());
  });
  CHECK(sig == SIGABRT);
  CHECK_THAT(err, Catch::Contains("NOT_FOUND: router: \"hq\" is not a router"));

  // The same process with a value does not abort (the check above is about the error).
  const auto [sig_ok, err_ok] = RunInChild([] {
    Result<int> v = 3;
    std::fprintf(stderr, "value %d\n", v.value());
  });
  CHECK(sig_ok == 0);
  CHECK(err_ok == "value 3\n");
}

}  // namespace
