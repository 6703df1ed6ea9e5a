#pragma once

// What the end-to-end tests share: the built binaries' paths, the `nanoplane`
// CLI run against one controller, a Unikernel as `get -o json` shows it, and a
// monitor that samples it in the background to catch a moment below the
// allowed availability or above the allowed surge.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/json.h"
#include "e2e/process.h"

namespace nanoplane::e2e {

// Paths of the binaries under test (set by CMake).
const char* ControllerBinary();
const char* AgentBinary();
const char* CliBinary();

struct InstanceView {
  std::string name, host, phase;
  int64_t revision = 0;
  bool ready = false;
  int host_port = 0;  // the first port's
};

struct UnikernelView {
  int64_t generation = 0, observed_generation = 0;
  int replicas = 0, updated = 0, ready = 0, available = 0;
  int64_t current_revision = 0, update_revision = 0;
  std::vector<std::string> args;  // spec.template.image.args
  std::vector<InstanceView> instances;

  int ReadyInstances() const;
  // Every instance ready on the update revision, exactly `replicas` of them,
  // and the status is of the current generation.
  bool RolledOut() const;
};

// A Unikernel's JSON, as `nanoplane get -o json` prints it and as the
// Kubernetes API server keeps it (the same fields).
UnikernelView ParseUnikernelView(const Json& json);

// `nanoplane --controller ADDRESS ...`.
class Cli {
 public:
  explicit Cli(std::string controller) : controller_(std::move(controller)) {}

  [[nodiscard]] absl::StatusOr<CommandResult> Run(std::vector<std::string> args,
                                                  absl::Duration timeout = absl::Seconds(30)) const;
  // `get unikernel NAME -o json`, parsed. Unavailable when the command fails
  // (e.g. the controller is down).
  [[nodiscard]] absl::StatusOr<UnikernelView> Get(const std::string& name) const;

 private:
  std::string controller_;
};

// The limits of a rolling update.
struct RolloutBounds {
  int replicas = 0, max_surge = 0, max_unavailable = 0;
};

// Samples a Unikernel through the CLI every `period` until Stop(), and keeps
// what broke the bounds: more instances than replicas + maxSurge (those
// Terminating do not count, as in Kubernetes: their VMs are going away), fewer
// ready than replicas - maxUnavailable, a name listed twice. Start it once the
// Unikernel is rolled out (the first rollout is no update). A failed `get`
// (the controller is down) is no sample.
class RolloutMonitor {
 public:
  RolloutMonitor(const Cli& cli, std::string name, RolloutBounds bounds,
                 absl::Duration period = absl::Milliseconds(50));
  ~RolloutMonitor();  // Stop()

  void Stop();
  std::vector<std::string> Violations() const;
  int Samples() const;
  // The least ready instances and the most instances seen in one sample.
  int MinReady() const;
  int MaxInstances() const;
  // The last sample's view (empty before the first).
  UnikernelView Last() const;

 private:
  void Loop();
  void Check(const UnikernelView& view) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Cli& cli_;
  const std::string name_;
  const RolloutBounds bounds_;
  const absl::Duration period_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> violations_ ABSL_GUARDED_BY(mu_);
  int samples_ ABSL_GUARDED_BY(mu_) = 0;
  int min_ready_ ABSL_GUARDED_BY(mu_) = 1 << 30;
  int max_instances_ ABSL_GUARDED_BY(mu_) = 0;
  UnikernelView last_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// A nanoplane-controller on `api` (the CLI's address) and `hub` (the agents'),
// its data in DIR/controller and its log in DIR/controller.log, once it says
// it serves. The error carries its output when it does not.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Process>> StartController(const std::string& dir,
                                                                       const std::string& api,
                                                                       const std::string& hub);

// The argv of a nanoplane-agent with the simulated driver, host "sim-I",
// reporting every second.
std::vector<std::string> SimulatedAgentArgv(const std::string& hub, int i,
                                            const std::string& state_dir, absl::Duration boot);

// The simulated VMs that run, read from the agents' state files (the
// driver's truth, which outlives the agents): name -> revision, how many have
// booted (are older than `boot`, would answer a probe), and the names found
// running on two hosts.
struct RunningVms {
  std::map<std::string, int64_t> revisions;
  int booted = 0;
  std::vector<std::string> twice;
};
RunningVms ReadRunningVms(const std::vector<std::string>& state_dirs, absl::Duration boot);

// Writes `text` to `path`; false on failure.
bool WriteFile(const std::string& path, const std::string& text);

}  // namespace nanoplane::e2e
