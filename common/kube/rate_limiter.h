#pragma once

// A client-side rate limit like client-go's flowcontrol token bucket: `burst`
// requests may go at once, then `qps` a second on average. Every request to the
// API server, each retry included, takes one token; a watch takes one when it
// starts. qps <= 0 turns the limit off.
// Thread-safe: waiters are served as tokens come, roughly in arrival order.

#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace nanoplane::kube {

class TokenBucket {
 public:
  // `now` and `sleep` are injected for tests; by default the real clock.
  TokenBucket(double qps, int burst, std::function<absl::Time()> now = [] { return absl::Now(); },
              std::function<void(absl::Duration)> sleep = [](absl::Duration d) { absl::SleepFor(d); });

  // Blocks until a token is free and takes it.
  void Acquire();

  // How long Acquire would wait now if it took a token (it reserves it).
  absl::Duration Reserve();

 private:
  const double qps_;
  const double burst_;
  const std::function<absl::Time()> now_;
  const std::function<void(absl::Duration)> sleep_;
  absl::Mutex mu_;
  // Tokens may go negative: each waiter reserves its token and sleeps until
  // the bucket has refilled to it, so waiters need no condition variable.
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanoplane::kube
