#pragma once

// WorkQueue: the controller's level-triggered queue of Unikernel keys, with
// client-go's workqueue semantics (util/workqueue/queue.go, delaying_queue.go,
// default_rate_limiters.go):
// - A key is queued at most once; adding it again while it waits is a no-op.
// - One worker at a time per key: a key added while a worker processes it is
//   marked dirty and queued again only when that worker calls Done, so every
//   change is seen by a pass that starts after it.
// - AddAfter queues a key once a delay has passed (requeue_after timers); of
//   several pending delays for one key the earliest wins.
// - AddRateLimited retries with per-key exponential back-off
//   (base_delay * 2^failures, capped at max_delay) until Forget.
// - Start runs N workers that call a handler per key: success means Forget;
//   a terminal error (IsTerminal in common/status.h: InvalidArgument,
//   FailedPrecondition) means Forget too, and the key waits until something
//   adds it again (its object changed); any other error means a rate-limited
//   retry. ShutDown wakes and joins them;
//   keys still queued are dropped (the next controller relists everything).
//
// Thread-safe. REQUIRES: Start at most once; the handler must not call
// ShutDown.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace nanoplane::controller::app {

struct WorkQueueOptions {
  absl::Duration base_delay = absl::Milliseconds(5);
  absl::Duration max_delay = absl::Seconds(60);
};

class WorkQueue {
 public:
  using Handler = std::function<absl::Status(const std::string& key)>;

  explicit WorkQueue(WorkQueueOptions options = {});
  ~WorkQueue();  // ShutDown

  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key);
  void AddAfter(const std::string& key, absl::Duration delay);
  // Adds after the key's back-off and counts one more failure.
  void AddRateLimited(const std::string& key);
  // Clears the key's failure count (its next back-off is base_delay again).
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key) const;

  // The next key to process, waiting for one; nullopt after ShutDown.
  // REQUIRES: Done(key) when finished with it.
  std::optional<std::string> Get();
  void Done(const std::string& key);

  // Runs `workers` threads: Get, handler, Forget or AddRateLimited, Done.
  void Start(int workers, Handler handler);
  // Stops accepting keys, wakes Get and joins the workers. Idempotent.
  void ShutDown();

  // Keys ready to be processed now (not counting delayed or in-flight ones).
  size_t Len() const;
  // Keys waiting for a delay to pass.
  size_t NumWaiting() const;
  // No key ready and none in flight (delayed keys may still wait).
  bool Idle() const;

 private:
  void AddLocked(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the delayed keys whose time has come into the queue; returns the
  // next deadline (InfiniteFuture when none).
  absl::Time PromoteDue(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Work(const Handler& handler);

  const WorkQueueOptions options_;
  mutable absl::Mutex mu_;
  absl::CondVar cond_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);              // ready, FIFO
  std::set<std::string> dirty_ ABSL_GUARDED_BY(mu_);                // needs processing
  std::set<std::string> processing_ ABSL_GUARDED_BY(mu_);           // held by a worker
  std::map<std::string, absl::Time> waiting_ ABSL_GUARDED_BY(mu_);  // key -> ready at
  std::map<std::string, int> failures_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex workers_mu_;  // serializes Start and ShutDown
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(workers_mu_);
};

}  // namespace nanoplane::controller::app
