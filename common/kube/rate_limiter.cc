#include "common/kube/rate_limiter.h"

#include <algorithm>
#include <utility>

namespace nanoplane::kube {

TokenBucket::TokenBucket(double qps, int burst, std::function<absl::Time()> now,
                         std::function<void(absl::Duration)> sleep)
    : qps_(qps),
      burst_(std::max(1, burst)),
      now_(std::move(now)),
      sleep_(std::move(sleep)),
      tokens_(burst_),
      last_(now_()) {}

absl::Duration TokenBucket::Reserve() {
  if (qps_ <= 0) {
    return absl::ZeroDuration();
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = now_();
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * qps_);
    last_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0) {
    return absl::ZeroDuration();
  }
  return absl::Seconds(-tokens_ / qps_);
}

void TokenBucket::Acquire() {
  absl::Duration wait = Reserve();
  if (wait > absl::ZeroDuration()) {
    sleep_(wait);
  }
}

}  // namespace nanoplane::kube
