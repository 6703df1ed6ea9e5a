#pragma once

// Controller: the reconcile loop of nanoplane's controller, wired over its
// ports. It owns the work queue, the assignment table, the reconciler and
// the trigger loops:
// - a Store watch (relisting on OutOfRange, i.e. 410 Gone) enqueues changed
//   Unikernels;
// - the AgentHub's change callback enqueues the Unikernels with instances on
//   the host that changed, and every Unikernel when a host's readiness flips
//   (readiness also flips by time alone, so the host loop checks each tick);
// - each pass's requeue_after becomes a timer; a periodic resync enqueues all.
//
// Startup, in this order so that a restarted controller (even after kill -9)
// neither duplicates nor loses instances: wait until every host of the Store's
// registry has said hello (at most host_grace_period); rebuild the assignment
// table from the hellos and the stored status; only then reconcile. Until then
// Ready() is false and nothing is assigned.
//
// Metrics (in the given registry): nanoplane_reconcile_duration_seconds,
// nanoplane_reconcile_errors_total, nanoplane_workqueue_depth,
// nanoplane_instances{phase}, nanoplane_hosts{state},
// nanoplane_memory_trim_duration_seconds.
//
// Thread-safety: Start and Stop from one thread; Ready and the accessors from
// any. The ports and the registry must outlive the controller.

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "controller/app/assignment_table.h"
#include "controller/app/reconciler.h"
#include "controller/app/work_queue.h"
#include "controller/ports/agent_hub.h"
#include "controller/ports/store.h"

namespace nanoplane::controller::app {

struct ControllerOptions {
  int workers = 4;
  absl::Duration host_grace_period = absl::Seconds(40);
  absl::Duration eviction_timeout = absl::Minutes(5);
  absl::Duration expectation_timeout = absl::Minutes(2);
  absl::Duration resync_period = absl::Minutes(5);
  // How often host readiness is re-measured.
  absl::Duration host_tick = absl::Seconds(1);
  // At most how often the instance and host gauges are: they cost a walk over
  // every instance (a tenth of a core at 50,000 instances once a second), and
  // metrics are scraped every 15 s or more.
  absl::Duration gauge_period = absl::Seconds(5);
  // How often freed memory is handed back to the system (glibc only).
  absl::Duration trim_period = absl::Seconds(5);
  // How often a host's registry entry is refreshed while nothing else changes.
  absl::Duration host_record_refresh = absl::Seconds(30);
  // When above zero, those refreshes are spread to stay under this many
  // writes a second over the whole fleet (a change is still written at
  // once): with the Kubernetes store a share of the client's qps, since a
  // thousand hosts refreshed every 30 s would take 33 of its 20 requests a
  // second.
  double host_record_writes_per_second = 0;
  WorkQueueOptions queue;
  std::string identity = "controller";  // for logs
};

class Controller {
 public:
  Controller(ports::Store& store, ports::AgentHub& hub, MetricsRegistry& metrics,
             ControllerOptions options);
  ~Controller();  // Stop

  // Starts the startup wait, then the loops; returns at once.
  // REQUIRES: called once.
  void Start();
  // Stops every loop and joins its threads; passes in flight finish first.
  // Idempotent.
  void Stop();

  // True once the startup wait and the rebuild are over.
  bool Ready() const { return ready_; }
  // For /readyz: empty when ready, else why not.
  std::string ReadyReason() const;

  // Enqueues one Unikernel (as a trigger would).
  void Enqueue(const ports::ObjectKey& key);

  const AssignmentTable& table() const { return table_; }
  Reconciler& reconciler() { return reconciler_; }
  size_t QueueDepth() const { return queue_.Len(); }
  // Nothing queued and no pass running (benchmarks wait for this).
  bool Idle() const { return queue_.Idle(); }

 private:
  void Run();         // startup, then the host loop
  void AwaitHosts();  // the startup wait
  void WatchLoop();
  void HostLoop();
  void OnHostChanged(const std::string& host);
  // Re-measures hosts: registry refresh, readiness flips, adoption, gauges.
  void SyncHosts(const std::set<std::string>& changed);
  void RefreshRegistry(const std::vector<std::shared_ptr<const ports::HostSession>>& sessions);
  void EnqueueAll();
  void UpdateGauges();
  void ReturnFreeMemory();
  absl::Status Process(const std::string& key);

  ports::Store& store_;
  ports::AgentHub& hub_;
  const ControllerOptions options_;
  AssignmentTable table_;
  Reconciler reconciler_;
  WorkQueue queue_;

  Histogram& reconcile_duration_;
  Counter& reconcile_errors_;
  Gauge& queue_depth_;
  Gauge& instances_;
  Gauge& hosts_;
  Histogram& trim_duration_;

  // The hub's callback may still be running, or start, after SetOnChange(nullptr)
  // returns; it reaches the controller only through this, which Stop clears.
  struct CallbackTarget {
    absl::Mutex mu;
    Controller* controller ABSL_GUARDED_BY(mu) = nullptr;
  };
  std::shared_ptr<CallbackTarget> callback_target_ = std::make_shared<CallbackTarget>();

  std::atomic<bool> ready_{false};
  std::atomic<bool> stopping_{false};
  std::thread run_thread_;
  std::thread watch_thread_;

  mutable absl::Mutex mu_;
  absl::CondVar wake_;  // the host loop: a host changed, or Stop
  std::set<std::string> changed_hosts_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<ports::Watcher> watcher_ ABSL_GUARDED_BY(mu_);

  // Host loop state (its thread only).
  std::map<std::string, bool> host_ready_;
  std::map<std::string, ports::HostRecord> host_records_;  // as last written
  absl::Time last_resync_;
  absl::Time last_gauges_ = absl::InfinitePast();
  absl::Time last_trim_ = absl::Now();
};

}  // namespace nanoplane::controller::app
