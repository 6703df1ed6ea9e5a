#pragma once

// LeaderElector: leader election over the Store's lease, with client-go's
// semantics (tools/leaderelection): a candidate tries to acquire the lease
// every `retry_period`; the leader renews it every `retry_period`, and when no
// renewal has succeeded for `renew_deadline` it stops leading. Because
// renew_deadline < lease_duration, a leader that cannot reach the store stops
// acting before another candidate can take the lease over: two controllers
// never act at once.
//
// `on_started` runs (on the elector's thread) once the lease is held;
// `on_stopped` once it is lost, or after Stop when it was held. A lost lease
// is final for this elector, as in client-go, where the process usually exits
// and its supervisor starts a new candidate.
//
// Stop releases a held lease, so that the next candidate need not wait for it
// to expire (client-go's ReleaseOnCancel).
//
// A renewal that hangs (an API server that takes the connection but does not
// answer) counts as failed at the renew deadline, as client-go bounds its
// renewals by a context with that timeout: the store's own request timeout
// may be longer than the lease.
//
// Thread-safe: Start, Stop and the accessors from any thread. The store must
// outlive the elector.

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/ports/store.h"

namespace nanoplane::controller::app {

struct LeaderElectorOptions {
  std::string lease_name = "nanoplane-controller";
  std::string identity;  // unique per candidate: the pod's name, or host and pid
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class LeaderElector {
 public:
  LeaderElector(ports::Store& store, LeaderElectorOptions options);
  ~LeaderElector();  // Stop

  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Starts campaigning on a thread of its own.
  // REQUIRES: called once; renew_deadline < lease_duration.
  void Start(std::function<void()> on_started, std::function<void()> on_stopped);
  // Ends the campaign; a held lease is released and on_stopped runs first.
  // Idempotent.
  void Stop();

  bool leading() const;
  const std::string& identity() const { return options_.identity; }

 private:
  void Run();
  // Tries to acquire or renew once; true when the lease is ours.
  bool TryAcquire();
  // TryAcquire on a thread of its own, waited for until `deadline` (false
  // after it). A call still running then is joined by Stop.
  bool TryAcquireBy(absl::Time deadline);
  // Waits up to `period`; false when stopped meanwhile.
  bool Sleep(absl::Duration period);

  ports::Store& store_;
  const LeaderElectorOptions options_;
  std::function<void()> on_started_;
  std::function<void()> on_stopped_;
  std::thread thread_;
  std::vector<std::thread> hung_;  // renewals given up on; only the elector's thread

  mutable absl::Mutex mu_;
  absl::CondVar wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace nanoplane::controller::app
