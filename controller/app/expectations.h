#pragma once

// Expectations (KubeVirt pkg/controller/expectations.go, reduced to what an
// instance start needs): after StartInstance the controller expects the
// instance's agent to report it. Until it does, or until the expectation times
// out, an instance missing from its agent's report is taken as still starting
// rather than lost, so a report that predates the start cannot make the
// controller replace it and run a duplicate.
//
// Thread-safe.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace nanoplane::controller::app {

class Expectations {
 public:
  explicit Expectations(absl::Duration timeout) : timeout_(timeout) {}

  absl::Duration timeout() const { return timeout_; }

  // The instance was just started at `now`.
  void ExpectStart(const std::string& instance, absl::Time now);
  // Its agent reported it: the expectation is met.
  void Observed(const std::string& instance);
  // True while the instance's start is expected and not timed out.
  bool Pending(const std::string& instance, absl::Time now) const;
  // When the expectation of `instance` times out; nullopt when there is none.
  std::optional<absl::Time> Deadline(const std::string& instance) const;

  // One pass's instances at once, under one lock: meets the expectations of
  // the reported ones and says which others are pending. Returns the earliest
  // deadline among those pending.
  struct Entry {
    const std::string* name = nullptr;  // in
    bool reported = false;              // in: its agent reports it
    bool pending = false;               // out
  };
  std::optional<absl::Time> Check(std::vector<Entry>& entries, absl::Time now);
  // Drops timed-out expectations.
  void Expire(absl::Time now);

 private:
  const absl::Duration timeout_;
  mutable absl::Mutex mu_;
  std::map<std::string, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanoplane::controller::app
