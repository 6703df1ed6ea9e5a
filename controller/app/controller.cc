#include "controller/app/controller.h"

#include "common/log.h"
#include "common/status.h"
#include "common/strings.h"
#include "controller/app/rebuild.h"

namespace nanoplane::controller::app {
namespace {

constexpr absl::Duration kRetryPause = absl::Milliseconds(100);

LogFields Fields(const std::string& identity, LogFields more = {}) {
  more.insert(more.begin(), {"component", identity});
  return more;
}

}  // namespace

Controller::Controller(ports::Store& store, ports::AgentHub& hub, MetricsRegistry& metrics,
                       ControllerOptions options)
    : store_(store),
      hub_(hub),
      options_(std::move(options)),
      table_(hub),
      reconciler_(store, hub, table_,
                  ReconcilerOptions{.host_grace_period = options_.host_grace_period,
                                    .eviction_timeout = options_.eviction_timeout,
                                    .expectation_timeout = options_.expectation_timeout}),
      queue_(options_.queue),
      reconcile_duration_(metrics.AddHistogram("nanoplane_reconcile_duration_seconds",
                                               "Time of one reconcile pass of one Unikernel.",
                                               MetricsRegistry::LatencyBuckets())),
      reconcile_errors_(metrics.AddCounter(
          "nanoplane_reconcile_errors_total",
          "Reconcile passes that failed, by status code; terminal codes are not retried.")),
      queue_depth_(metrics.AddGauge("nanoplane_workqueue_depth",
                                    "Unikernel keys waiting to be reconciled.")),
      instances_(metrics.AddGauge("nanoplane_instances", "Instances by phase.")),
      hosts_(metrics.AddGauge("nanoplane_hosts", "Hosts by state.")),
      trim_duration_(metrics.AddHistogram("nanoplane_memory_trim_duration_seconds",
                                          "Time of handing freed memory back to the system.",
                                          MetricsRegistry::LatencyBuckets())) {}

Controller::~Controller() { Stop(); }

void Controller::Start() {
  // Registered before the startup wait so that no hello is missed.
  {
    absl::MutexLock lock(&callback_target_->mu);
    callback_target_->controller = this;
  }
  hub_.SetOnChange([target = callback_target_](const std::string& host) {
    absl::MutexLock lock(&target->mu);
    if (target->controller != nullptr) {
      target->controller->OnHostChanged(host);
    }
  });
  run_thread_ = std::thread([this] { Run(); });
}

void Controller::Stop() {
  if (stopping_.exchange(true)) {
    return;
  }
  hub_.SetOnChange(nullptr);
  {
    absl::MutexLock lock(&callback_target_->mu);
    callback_target_->controller = nullptr;
  }
  {
    absl::MutexLock lock(&mu_);
    wake_.SignalAll();
    if (watcher_ != nullptr) {
      watcher_->Stop();
    }
  }
  if (run_thread_.joinable()) {
    run_thread_.join();
  }
  if (watch_thread_.joinable()) {
    watch_thread_.join();
  }
  queue_.ShutDown();
}

std::string Controller::ReadyReason() const {
  return ready_ ? "" : "waiting for the known hosts to report (startup)";
}

void Controller::Enqueue(const ports::ObjectKey& key) { queue_.Add(KeyString(key)); }

void Controller::OnHostChanged(const std::string& host) {
  absl::MutexLock lock(&mu_);
  changed_hosts_.insert(host);
  wake_.Signal();
}

void Controller::AwaitHosts() {
  absl::Time deadline = absl::Now() + options_.host_grace_period;
  std::set<std::string> known;
  while (!stopping_ && absl::Now() < deadline) {
    absl::StatusOr<std::vector<ports::HostRecord>> hosts = store_.ListHosts();
    if (hosts.ok()) {
      for (const ports::HostRecord& host : *hosts) {
        known.insert(host.name);
      }
      break;
    }
    absl::SleepFor(kRetryPause);
  }
  while (!stopping_ && absl::Now() < deadline) {
    std::set<std::string> waiting = known;
    for (const ports::HostSession& session : hub_.Hosts()) {
      if (session.connected) {
        waiting.erase(session.host);
      }
    }
    if (waiting.empty()) {
      return;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  Log(LogLevel::kWarn, "startup wait over; some known hosts did not say hello",
      Fields(options_.identity));
}

void Controller::Run() {
  AwaitHosts();
  // The table must hold everything that runs before the first pass, or that
  // pass would schedule replacements for instances it merely has not seen.
  while (!stopping_) {
    absl::Status status = RebuildTable(store_, hub_.Hosts(), table_);
    if (status.ok()) {
      break;
    }
    Log(LogLevel::kWarn, "rebuild failed; retrying",
        Fields(options_.identity, {{"error", std::string(status.message())}}));
    absl::SleepFor(kRetryPause);
  }
  if (stopping_) {
    return;
  }
  absl::StatusOr<std::vector<ports::HostRecord>> registry = store_.ListHosts();
  reconciler_.SetRegistry(registry.ok() ? *registry : std::vector<ports::HostRecord>{},
                          absl::Now());
  ready_ = true;
  Log(LogLevel::kInfo, "ready", Fields(options_.identity));
  queue_.Start(options_.workers, [this](const std::string& key) { return Process(key); });
  watch_thread_ = std::thread([this] { WatchLoop(); });
  // Hellos that came before the callback was set are measured now: the
  // registry learns every host at once.
  std::set<std::string> all;
  for (const ports::HostSession& session : hub_.Hosts()) {
    all.insert(session.host);
  }
  SyncHosts(all);
  HostLoop();
}

absl::Status Controller::Process(const std::string& key) {
  absl::Time start = absl::Now();
  absl::StatusOr<std::optional<absl::Duration>> requeue = reconciler_.Reconcile(ParseKey(key));
  reconcile_duration_.Observe(absl::ToDoubleSeconds(absl::Now() - start));
  queue_depth_.Set(static_cast<double>(queue_.Len()));
  if (!requeue.ok()) {
    const absl::Status& error = requeue.status();
    reconcile_errors_.Increment({{"code", absl::StatusCodeToString(error.code())}});
    // Returned to the queue, which retries a transient error with back-off
    // and leaves a terminal one until the object changes (the reconciler has
    // written it to the status and an event). Logged here: the queue does not
    // log.
    Log(IsTerminal(error) ? LogLevel::kInfo : LogLevel::kWarn,
        IsTerminal(error) ? "reconcile stopped until the object changes" : "reconcile failed",
        Fields(options_.identity, {{"unikernel", key},
                                   {"code", absl::StatusCodeToString(error.code())},
                                   {"error", std::string(error.message())}}));
    return error;
  }
  if (requeue->has_value()) {
    queue_.AddAfter(key, **requeue);
  }
  return absl::OkStatus();
}

void Controller::EnqueueAll() {
  absl::StatusOr<ports::UnikernelList> list = store_.List(ports::ListOptions{});
  if (list.ok()) {
    for (const v1alpha1::Unikernel& object : list->items) {
      const std::string& ns = object.metadata().namespace_();
      Enqueue({.ns = ns.empty() ? "default" : ns, .name = object.metadata().name()});
    }
  }
  for (const ports::ObjectKey& key : table_.Keys()) {
    Enqueue(key);
  }
}

}  // namespace nanoplane::controller::app
