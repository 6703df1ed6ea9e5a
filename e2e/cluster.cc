#include "e2e/cluster.h"

#include <fstream>

#include "common/json.h"
#include "common/strings.h"

namespace nanoplane::e2e {
namespace {

int64_t IntAt(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : 0;
}

std::string StringAt(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

InstanceView ParseInstance(const Json& json) {
  InstanceView view{.name = StringAt(json, "name"),
                    .host = StringAt(json, "host"),
                    .phase = StringAt(json, "phase"),
                    .revision = IntAt(json, "revision"),
                    .ready = json.value("ready", false)};
  if (auto ports = json.find("ports");
      ports != json.end() && ports->is_array() && !ports->empty()) {
    view.host_port = static_cast<int>(IntAt((*ports)[0], "hostPort"));
  }
  return view;
}

}  // namespace

UnikernelView ParseUnikernelView(const Json& json) {
  const Json empty = Json::object();
  const Json& metadata = json.contains("metadata") ? json["metadata"] : empty;
  const Json& status = json.contains("status") ? json["status"] : empty;
  UnikernelView view{.generation = IntAt(metadata, "generation"),
                     .observed_generation = IntAt(status, "observedGeneration"),
                     .replicas = static_cast<int>(IntAt(json["spec"], "replicas")),
                     .updated = static_cast<int>(IntAt(status, "updatedReplicas")),
                     .ready = static_cast<int>(IntAt(status, "readyReplicas")),
                     .available = static_cast<int>(IntAt(status, "availableReplicas")),
                     .current_revision = IntAt(status, "currentRevision"),
                     .update_revision = IntAt(status, "updateRevision")};
  const Json args = json["spec"]["template"]["image"].value("args", Json::array());
  for (const Json& arg : args) {
    view.args.push_back(arg.get<std::string>());
  }
  for (const Json& instance : status.value("instances", Json::array())) {
    view.instances.push_back(ParseInstance(instance));
  }
  return view;
}

const char* ControllerBinary() { return NP_CONTROLLER_BINARY; }
const char* AgentBinary() { return NP_AGENT_BINARY; }
const char* CliBinary() { return NP_CLI_BINARY; }

int UnikernelView::ReadyInstances() const {
  int ready_instances = 0;
  for (const InstanceView& instance : instances) {
    ready_instances += instance.ready ? 1 : 0;
  }
  return ready_instances;
}

bool UnikernelView::RolledOut() const {
  if (observed_generation != generation || static_cast<int>(instances.size()) != replicas) {
    return false;
  }
  for (const InstanceView& instance : instances) {
    if (!instance.ready || instance.revision != update_revision) {
      return false;
    }
  }
  return updated == replicas && available == replicas;
}

absl::StatusOr<CommandResult> Cli::Run(std::vector<std::string> args,
                                       absl::Duration timeout) const {
  // --controller belongs to the (sub)command: after its arguments.
  args.insert(args.begin(), CliBinary());
  args.insert(args.end(), {"--controller", controller_});
  return RunCommand(args, timeout);
}

absl::StatusOr<UnikernelView> Cli::Get(const std::string& name) const {
  absl::StatusOr<CommandResult> result = Run({"get", "unikernel", name, "-o", "json"});
  if (!result.ok()) {
    return result.status();
  }
  if (result->exit_code != 0) {
    return absl::UnavailableError(StrCat("get: ", result->output));
  }
  Json json = Json::parse(result->output, nullptr, false);
  if (json.is_discarded() || !json.contains("spec")) {
    return absl::UnavailableError(StrCat("get: not a Unikernel: ", result->output));
  }
  return ParseUnikernelView(json);
}

RolloutMonitor::RolloutMonitor(const Cli& cli, std::string name, RolloutBounds bounds,
                               absl::Duration period)
    : cli_(cli), name_(std::move(name)), bounds_(bounds), period_(period) {
  thread_ = std::thread([this] { Loop(); });
}

RolloutMonitor::~RolloutMonitor() { Stop(); }

void RolloutMonitor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

void RolloutMonitor::Loop() {
  while (true) {
    absl::StatusOr<UnikernelView> view = cli_.Get(name_);
    absl::MutexLock lock(&mu_);
    if (view.ok()) {
      Check(*view);
    }
    if (mu_.AwaitWithTimeout(absl::Condition(&stop_), period_)) {
      return;
    }
  }
}

namespace {

// One line per sample for a failure message: name rREVISION phase ready@host.
std::string Describe(const UnikernelView& view) {
  std::vector<std::string> parts;
  for (const InstanceView& instance : view.instances) {
    parts.push_back(StrCat(instance.name, " r", instance.revision, " ", instance.phase,
                           instance.ready ? " ready" : "", "@", instance.host));
  }
  return StrCat("[", absl::FormatTime(absl::Now()), "] ", StrJoin(parts, ", "));
}

}  // namespace

void RolloutMonitor::Check(const UnikernelView& view) {
  ++samples_;
  last_ = view;
  const int ready = view.ReadyInstances();
  int count = 0;
  for (const InstanceView& instance : view.instances) {
    count += instance.phase == "Terminating" ? 0 : 1;
  }
  min_ready_ = std::min(min_ready_, ready);
  max_instances_ = std::max(max_instances_, count);
  std::set<std::string> names;
  for (const InstanceView& instance : view.instances) {
    if (!names.insert(instance.name).second) {
      violations_.push_back(StrCat("instance ", instance.name, " listed twice"));
    }
  }
  if (count > bounds_.replicas + bounds_.max_surge) {
    violations_.push_back(StrCat(count, " instances > replicas + maxSurge (", bounds_.replicas,
                                 " + ", bounds_.max_surge, "): ", Describe(view)));
  }
  if (ready < bounds_.replicas - bounds_.max_unavailable) {
    violations_.push_back(StrCat(ready, " ready < replicas - maxUnavailable (", bounds_.replicas,
                                 " - ", bounds_.max_unavailable, "): ", Describe(view)));
  }
}

std::vector<std::string> RolloutMonitor::Violations() const {
  absl::MutexLock lock(&mu_);
  return violations_;
}

int RolloutMonitor::Samples() const {
  absl::MutexLock lock(&mu_);
  return samples_;
}

int RolloutMonitor::MinReady() const {
  absl::MutexLock lock(&mu_);
  return min_ready_;
}

int RolloutMonitor::MaxInstances() const {
  absl::MutexLock lock(&mu_);
  return max_instances_;
}

UnikernelView RolloutMonitor::Last() const {
  absl::MutexLock lock(&mu_);
  return last_;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

absl::StatusOr<std::unique_ptr<Process>> StartController(const std::string& dir,
                                                         const std::string& api,
                                                         const std::string& hub) {
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(
      {ControllerBinary(), "--data-dir", dir + "/controller", "--api-address", api,
       "--agent-address", hub, "--metrics-address", "127.0.0.1:0", "--join-token", "e2e"},
      dir + "/controller.log");
  if (!process.ok()) {
    return process.status();
  }
  absl::StatusOr<std::string> serving =
      (*process)->WaitForOutput("nanoplane-controller: API", absl::Seconds(30));
  if (!serving.ok()) {
    return serving.status();
  }
  return process;
}

std::vector<std::string> SimulatedAgentArgv(const std::string& hub, int i,
                                            const std::string& state_dir, absl::Duration boot) {
  return {AgentBinary(),    "--controller",        hub,
          "--join-token",   "e2e",                 "--host",
          StrCat("sim-", i), "--state-dir",        state_dir,
          "--metrics-address", "127.0.0.1:0",      "--driver",
          "simulated",      "--simulated-boot",    absl::FormatDuration(boot),
          "--cpu-overcommit", "8",                 "--report-interval",
          "1"};
}

RunningVms ReadRunningVms(const std::vector<std::string>& state_dirs, absl::Duration boot) {
  RunningVms vms;
  for (const std::string& dir : state_dirs) {
    std::ifstream in(dir + "/vms/simulated-vms.tsv");
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string_view> f = StrSplit(line, '\t');
      if (f.size() < 8 || f[6] != "1") {
        continue;
      }
      std::string name(f[0]);
      if (vms.revisions.contains(name)) {
        vms.twice.push_back(name);
      }
      vms.revisions[name] = ParseInt64(f[4]).value_or(0);
      const absl::Time started = absl::FromUnixNanos(ParseInt64(f[7]).value_or(0));
      vms.booted += absl::Now() - started >= boot ? 1 : 0;
    }
  }
  return vms;
}

}  // namespace nanoplane::e2e
