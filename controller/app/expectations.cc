#include "controller/app/expectations.h"

#include <algorithm>

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

std::optional<absl::Time> Expectations::Check(std::vector<Entry>& entries, absl::Time now) {
  std::optional<absl::Time> earliest;
  absl::MutexLock lock(&mu_);
  if (deadlines_.empty()) {
    return earliest;  // the usual case once a fleet has settled
  }
  for (Entry& entry : entries) {
    auto it = deadlines_.find(*entry.name);
    if (it == deadlines_.end()) {
      continue;
    }
    if (entry.reported) {
      deadlines_.erase(it);
    } else if (now < it->second) {
      entry.pending = true;
      earliest = earliest.has_value() ? std::min(*earliest, it->second) : it->second;
    }
  }
  return earliest;
}

void Expectations::Expire(absl::Time now) {
  absl::MutexLock lock(&mu_);
  std::erase_if(deadlines_, [&](const auto& entry) { return entry.second <= now; });
}

}  // namespace nanoplane::controller::app
