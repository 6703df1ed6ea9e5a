#include "controller/app/expectations.h"

namespace nanoplane::controller::app {

void Expectations::ExpectStart(const std::string& instance, absl::Time now) {
  absl::MutexLock lock(&mu_);
  deadlines_[instance] = now + timeout_;
}

void Expectations::Observed(const std::string& instance) {
  absl::MutexLock lock(&mu_);
  deadlines_.erase(instance);
}

bool Expectations::Pending(const std::string& instance, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  auto it = deadlines_.find(instance);
  return it != deadlines_.end() && now < it->second;
}

std::optional<absl::Time> Expectations::Deadline(const std::string& instance) const {
  absl::MutexLock lock(&mu_);
  auto it = deadlines_.find(instance);
  if (it == deadlines_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void Expectations::Expire(absl::Time now) {
  absl::MutexLock lock(&mu_);
  std::erase_if(deadlines_, [&](const auto& entry) { return entry.second <= now; });
}

}  // namespace nanoplane::controller::app
