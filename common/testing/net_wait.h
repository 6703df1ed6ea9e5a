#pragma once

// Helpers tests keep rewriting: a free loopback port, one plain HTTP GET, and
// a polling wait. For tests only (np_test_support); no gtest dependency, so
// test libraries can use them too. The namespace is not `testing`: inside
// nanoplane, that name would hide GoogleTest's.

#include <string>
#include <string_view>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace nanoplane::test_support {

// A TCP port on 127.0.0.1 that was free a moment ago: for a process that
// must be told its port, e.g. to be restarted on the same one. It is drawn
// below the kernel's ephemeral range, which bind(:0) and every outgoing
// connection take their ports from: a port from there could be taken by some
// other test's connection between this call and the bind that uses it. 0 when
// no socket could be bound.
int FreePort();

// One HTTP/1.0 GET of `path` on 127.0.0.1:port: the whole response (status
// line, headers, body), or "" when the connection fails or times out.
std::string HttpGet(int port, std::string_view path = "/",
                    absl::Duration timeout = absl::Seconds(2));

// Calls `done` every `poll` until it returns true or `timeout` passes; the
// last call's result. The one polling wait of the tests: give it the timeout
// of what is awaited (a VM's boot wants more than the default).
template <typename Pred>
bool WaitFor(Pred done, absl::Duration timeout = absl::Seconds(10),
             absl::Duration poll = absl::Milliseconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) {
      return true;
    }
    absl::SleepFor(poll);
  }
  return done();
}

}  // namespace nanoplane::test_support
