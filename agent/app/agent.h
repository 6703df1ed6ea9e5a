#pragma once

// The agent: keeps this host's VMs where its assignment says.
//
// Contract
// - Holds the last Assignment, persisted atomically to STATE_DIR/assignment.pb
//   before it is acted on and reloaded at construction, so an agent restarted
//   while the controller is away keeps what it had (and, having a non-zero
//   generation, still removes what is no longer assigned).
// - Level-triggered rounds: on an assignment change, a VM event (VmDriver::
//   Watch), a probe result that flips `passing`, the core's requeue_after or
//   the resync timer, it lists the VMs, calls core::DecideLocal and dispatches
//   the actions. It never assumes an action worked: each one's end triggers a
//   new round that observes again.
// - Bounded parallelism: at most max_parallel_builds builds and
//   max_parallel_boots boots run at once; stops and deletes have their own
//   workers so a slow ACPI shutdown never holds a boot back. One action per
//   instance at a time (core::Activity::busy_instances), one build per spec
//   hash (builds_in_flight).
// - VMs outlive the Agent object: destroying it (or kill -9 of the process)
//   stops nothing; a new Agent over the same driver adopts the running VMs.
// - Thread-safe. Handlers given to the ControllerLink call into it on the
//   link's thread; they never block for long.
// - Time comes from AgentDeps::clock (simulated in tests); waits between
//   rounds are real time.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/app/agent_metrics.h"
#include "agent/app/console_log.h"
#include "agent/app/probe_runner.h"
#include "agent/app/vm_spec.h"
#include "agent/app/worker_pool.h"
#include "agent/core/local_reconciler.h"
#include "agent/ports/controller_link.h"
#include "agent/ports/vm_driver.h"

namespace nanoplane::agent::app {

using Clock = std::function<absl::Time()>;

// Builds (or finds in the cache) the image of an instance's template. Runs on
// a build worker; must be thread-safe. InvalidArgument / FailedPrecondition
// are terminal until the spec changes; other errors are retried.
using ImageBuildFn = std::function<absl::StatusOr<AgentImage>(const v1::InstanceAssignment&)>;

struct AgentOptions {
  std::string host;
  std::map<std::string, std::string> labels;
  std::string join_token;
  std::string state_dir;  // assignment.pb and logs/ live here
  VmSpecOptions vm;       // console_log is set per instance (state_dir/logs/NAME.log)
  int64_t capacity_memory_bytes = 0;
  int32_t capacity_cpus = 0;
  std::string architecture = "x86_64";
  std::string agent_version = "0.1.0";
  std::function<std::vector<std::string>()> nanos_versions;
  int max_parallel_builds = 2;
  int max_parallel_boots = 2;
  absl::Duration resync_interval = absl::Seconds(10);
  absl::Duration report_interval = absl::Seconds(5);
  absl::Duration stop_timeout = absl::Seconds(10);  // graceful stop, then destroy
  absl::Duration build_retry = absl::Seconds(30);   // after a retryable build failure
  absl::Duration start_retry = absl::Seconds(10);   // after Create failed outright
  absl::Duration probe_tick = absl::Milliseconds(100);
  core::LocalOptions local;
  ConsoleLogOptions logs;
};

struct AgentDeps {
  VmDriver* driver = nullptr;      // required; outlives the Agent
  ControllerLink* link = nullptr;  // null: no controller; outlives the Agent
  ImageBuildFn build;              // required
  Prober prober = RunProbe;
  Clock clock = [] { return absl::Now(); };
  MetricsRegistry* metrics = nullptr;  // null: a private registry
};

class Agent {
 public:
  // Loads STATE_DIR/assignment.pb. InvalidArgument without a driver or build
  // function; DataLoss when the saved assignment does not parse.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Agent>> Create(AgentOptions options,
                                                                     AgentDeps deps);
  // Stop(), then waits for actions in flight. VMs keep running.
  ~Agent();

  // Watches the driver, starts the loops and the controller link.
  // REQUIRES: called once.
  [[nodiscard]] absl::Status Start();
  // Ends the loops and log streams; idempotent. Actions in flight finish.
  void Stop();

  // Replaces the desired set (the controller's, or a test's). Persisted
  // before anything acts on it; an identical assignment changes nothing.
  [[nodiscard]] absl::Status Apply(const v1::Assignment& assignment);

  // One round on the caller's thread: observe, decide, dispatch. Tests (and
  // the loop) call it; WaitIdle() then waits for what it dispatched.
  [[nodiscard]] absl::Status SyncOnce();
  void WaitIdle();
  // Runs every probe that is due now, on the caller's thread; true when one
  // flipped `passing`.
  bool ProbeOnce();

  v1::Report CurrentReport() const;
  v1::Hello MakeHello() const;
  int64_t generation() const;
  // The core's wish to decide again after this long (tests read it).
  std::optional<absl::Duration> requeue_after() const;

  // Serves a console log request on its own thread (LogRequest semantics).
  void ServeLogs(const v1::LogRequest& request, std::shared_ptr<LogSink> sink);
  std::string ConsoleLogPath(std::string_view instance) const;

  AgentMetrics& metrics() { return metrics_; }

 private:
  struct ProbeJob;

  Agent(AgentOptions options, AgentDeps deps);

  // Rounds.
  void Loop();
  void ProbeLoop();
  void ProbeBeforeHello(absl::Duration budget);
  void MarkDirty();
  core::Assignment DesiredLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkReleasedLocked(const v1::Assignment& next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  core::Activity ActivityLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void NoteReadyLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeReport();
  void RotateLogs();

  // Actions (agent_actions.cc).
  void Dispatch(const core::Action& action) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunBuild(const std::string& spec_hash, const v1::InstanceAssignment& instance);
  void RunStart(const v1::InstanceAssignment& instance, const AgentImage& image, bool restart);
  void RunStop(const std::string& name, bool graceful);
  void RunDelete(const std::string& name);
  void FinishAction(const std::string& name, const absl::Status& status, std::string_view what);
  absl::StatusOr<AgentImage> ImageFor(const v1::InstanceAssignment& instance);
  // Destroys a VM left crashed or paused, so it can be booted or undefined.
  absl::Status ClearCrashed(const std::string& name);
  const v1::InstanceAssignment* FindLocked(const std::string& name) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Probes (agent_probes.cc).
  std::vector<ProbeJob> DueProbesLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool RunProbeJob(const ProbeJob& job);

  const AgentOptions options_;
  VmDriver& driver_;
  ControllerLink* const link_;
  const ImageBuildFn build_;
  const Prober prober_;
  const Clock clock_;
  std::unique_ptr<MetricsRegistry> own_metrics_;
  AgentMetrics metrics_;

  mutable absl::Mutex mu_;
  v1::Assignment assignment_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, AgentImage> images_ ABSL_GUARDED_BY(mu_);  // by spec hash
  core::Activity activity_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> start_failed_until_ ABSL_GUARDED_BY(mu_);
  core::RuntimeStates runtime_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, VmInfo> vms_ ABSL_GUARDED_BY(mu_);
  std::vector<core::InstanceReport> reports_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Duration> requeue_after_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> boot_started_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> probing_ ABSL_GUARDED_BY(mu_);  // "name/kind" in flight
  bool dirty_ ABSL_GUARDED_BY(mu_) = true;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex report_mu_;
  std::string last_report_ ABSL_GUARDED_BY(report_mu_);
  absl::Time last_report_at_ ABSL_GUARDED_BY(report_mu_) = absl::InfinitePast();

  std::atomic<bool> stopped_{false};
  // What the driver's event callback reaches the Agent through.
  struct WatchGuard {
    absl::Mutex mu;
    Agent* agent ABSL_GUARDED_BY(mu) = nullptr;
  };
  std::shared_ptr<WatchGuard> watch_guard_;
  absl::Mutex log_mu_;
  std::vector<std::thread> log_threads_ ABSL_GUARDED_BY(log_mu_);

  // Declared last: destroyed (drained) first, while everything they use lives.
  std::unique_ptr<WorkerPool> build_pool_;
  std::unique_ptr<WorkerPool> boot_pool_;
  std::unique_ptr<WorkerPool> stop_pool_;
  std::unique_ptr<WorkerPool> probe_pool_;
  std::thread loop_thread_;
  std::thread probe_thread_;
};

}  // namespace nanoplane::agent::app
