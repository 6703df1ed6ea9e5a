#include "controller/app/leader_elector.h"

#include <memory>

#include "common/log.h"
#include "common/status.h"

namespace nanoplane::controller::app {

LeaderElector::LeaderElector(ports::Store& store, LeaderElectorOptions options)
    : store_(store), options_(std::move(options)) {
  NP_CHECK(options_.renew_deadline < options_.lease_duration);
}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Start(std::function<void()> on_started, std::function<void()> on_stopped) {
  on_started_ = std::move(on_started);
  on_stopped_ = std::move(on_stopped);
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    wake_.SignalAll();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
  for (std::thread& renewal : hung_) {
    renewal.join();
  }
  hung_.clear();
}

bool LeaderElector::leading() const {
  absl::MutexLock lock(&mu_);
  return leading_;
}

bool LeaderElector::Sleep(absl::Duration period) {
  absl::MutexLock lock(&mu_);
  absl::Time until = absl::Now() + period;
  while (!stopping_ && absl::Now() < until) {
    wake_.WaitWithDeadline(&mu_, until);
  }
  return !stopping_;
}

bool LeaderElector::TryAcquire() {
  absl::StatusOr<ports::LeaseRecord> lease =
      store_.AcquireLease(options_.lease_name, options_.identity, options_.lease_duration);
  if (!lease.ok() && !absl::IsAborted(lease.status())) {
    // Aborted is another holder's live lease: the normal answer to a
    // candidate, not worth a line every two seconds.
    Log(LogLevel::kWarn, "leader election: lease not acquired or renewed",
        {{"lease", options_.lease_name},
         {"identity", options_.identity},
         {"error", std::string(lease.status().message())}});
  }
  return lease.ok();
}

bool LeaderElector::TryAcquireBy(absl::Time deadline) {
  struct Attempt {
    absl::Mutex mu;
    bool done ABSL_GUARDED_BY(mu) = false;
    bool acquired ABSL_GUARDED_BY(mu) = false;
  };
  auto attempt = std::make_shared<Attempt>();
  std::thread renewal([this, attempt] {
    bool acquired = TryAcquire();
    absl::MutexLock lock(&attempt->mu);
    attempt->done = true;
    attempt->acquired = acquired;
  });
  bool done = false;
  bool acquired = false;
  {
    absl::MutexLock lock(&attempt->mu);
    attempt->mu.AwaitWithDeadline(absl::Condition(&attempt->done), deadline);
    done = attempt->done;
    acquired = attempt->acquired;
  }
  if (done) {
    renewal.join();
  } else {
    Log(LogLevel::kWarn, "leader election: renewal did not return by the renew deadline",
        {{"lease", options_.lease_name}, {"identity", options_.identity}});
    hung_.push_back(std::move(renewal));
  }
  return acquired;
}

void LeaderElector::Run() {
  // Campaign.
  while (!TryAcquire()) {
    if (!Sleep(options_.retry_period)) {
      return;
    }
  }
  absl::Time renewed = options_.now();
  {
    absl::MutexLock lock(&mu_);
    leading_ = true;
  }
  Log(LogLevel::kInfo, "leader election: leading",
      {{"lease", options_.lease_name}, {"identity", options_.identity}});
  if (on_started_) {
    on_started_();
  }
  // Lead: renew until the deadline passes without a renewal, or Stop.
  bool stopped = false;
  while (true) {
    if (!Sleep(options_.retry_period)) {
      stopped = true;
      break;
    }
    // On the real clock: the wait for a hung call is real time.
    const absl::Time deadline = absl::Now() + (renewed + options_.renew_deadline - options_.now());
    if (TryAcquireBy(deadline)) {
      renewed = options_.now();
    } else if (options_.now() - renewed >= options_.renew_deadline) {
      break;
    }
  }
  {
    absl::MutexLock lock(&mu_);
    leading_ = false;
  }
  Log(stopped ? LogLevel::kInfo : LogLevel::kError,
      stopped ? "leader election: stepping down" : "leader election: lost the lease",
      {{"lease", options_.lease_name}, {"identity", options_.identity}});
  // Stop acting first, then let the next candidate in.
  if (on_stopped_) {
    on_stopped_();
  }
  if (stopped) {
    absl::Status released = store_.ReleaseLease(options_.lease_name, options_.identity);
    if (!released.ok() && !absl::IsNotFound(released)) {
      Log(LogLevel::kWarn, "leader election: release failed",
          {{"lease", options_.lease_name}, {"error", std::string(released.message())}});
    }
  }
}

}  // namespace nanoplane::controller::app
