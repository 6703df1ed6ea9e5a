#include "controller/app/reconciler.h"

#include <algorithm>

#include "absl/random/random.h"
#include "common/log.h"
#include "common/status.h"
#include "common/strings.h"
#include "controller/app/action_executor.h"
#include "controller/core/convert.h"

namespace nanoplane::controller::app {
namespace {

bool HasFinalizer(const v1alpha1::Unikernel& object) {
  const auto& finalizers = object.metadata().finalizers();
  return std::find(finalizers.begin(), finalizers.end(), std::string(core::kFinalizer)) !=
         finalizers.end();
}

core::Revision FromRecord(const ports::RevisionRecord& record) {
  return core::Revision{.number = record.number,
                        .hash = record.hash,
                        .canonical = record.template_json,
                        .created_time = record.created_time,
                        .progress_time = record.progress_time};
}

}  // namespace

std::string KeyString(const ports::ObjectKey& key) { return StrCat(key.ns, "/", key.name); }

ports::ObjectKey ParseKey(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) {
    return ports::ObjectKey{.name = key};
  }
  return ports::ObjectKey{.ns = key.substr(0, slash), .name = key.substr(slash + 1)};
}

Reconciler::Reconciler(ports::Store& store, ports::AgentHub& hub, AssignmentTable& table,
                       ReconcilerOptions options)
    : store_(store),
      hub_(hub),
      table_(table),
      options_(std::move(options)),
      expectations_(options_.expectation_timeout) {}

void Reconciler::SetRegistry(std::vector<ports::HostRecord> registry, absl::Time started) {
  auto shared = std::make_shared<const std::vector<ports::HostRecord>>(std::move(registry));
  absl::MutexLock lock(&mu_);
  registry_ = std::move(shared);
  started_ = started;
}

absl::Time Reconciler::started() const {
  absl::MutexLock lock(&mu_);
  return started_;
}

FleetView Reconciler::MeasureFleet() const {
  std::shared_ptr<const std::vector<ports::HostRecord>> registry;
  FleetOptions fleet{.host_grace_period = options_.host_grace_period};
  {
    absl::MutexLock lock(&mu_);
    registry = registry_;
    fleet.started = started_;
  }
  std::shared_ptr<const std::vector<core::Host>> previous;
  {
    absl::MutexLock lock(&hosts_mu_);
    previous = last_hosts_;
  }
  FleetView view(fleet_.Update(hub_.SharedHosts(), std::move(registry), fleet),
                 *table_.AssignedByHost(), options_.now(), fleet, previous);
  absl::MutexLock lock(&hosts_mu_);
  last_hosts_ = view.SharedHosts();
  return view;
}

absl::StatusOr<std::optional<v1alpha1::Unikernel>> Reconciler::ReadObject(
    const ports::ObjectKey& key) {
  absl::StatusOr<v1alpha1::Unikernel> object = store_.Get(key);
  if (absl::IsNotFound(object.status())) {
    return std::nullopt;
  }
  NP_RETURN_IF_ERROR(object.status());
  if (!object->metadata().deletion_timestamp().empty() || HasFinalizer(*object)) {
    return *std::move(object);
  }
  // First sight: the finalizer goes on before any instance is started, so a
  // delete can never drop the object while instances still run. A conflict
  // fails the pass; the retry reads the newer object.
  v1alpha1::Unikernel with_finalizer = *object;
  with_finalizer.mutable_metadata()->add_finalizers(std::string(core::kFinalizer));
  NP_ASSIGN_OR_RETURN(v1alpha1::Unikernel updated, store_.Update(with_finalizer));
  return updated;
}

absl::StatusOr<core::ReconcileInput> Reconciler::MeasureInput(
    const ports::ObjectKey& key, const std::optional<v1alpha1::Unikernel>& object,
    const std::vector<ports::RevisionRecord>& revisions) {
  core::ReconcileInput input{.now = options_.now(), .eviction_timeout = options_.eviction_timeout};
  if (!object.has_value()) {
    absl::MutexLock lock(&desired_mu_);
    desired_.erase(key);
  } else {
    absl::StatusOr<core::DesiredUnikernel> desired = Desired(key, *object);
    if (!desired.ok()) {
      return absl::FailedPreconditionError(desired.status().message());
    }
    input.desired = *std::move(desired);
  }
  for (const ports::RevisionRecord& record : revisions) {
    input.revisions.push_back(FromRecord(record));
  }
  FleetView fleet = MeasureFleet();
  input.hosts = core::HostList(fleet.SharedHosts());
  // Only the fields merging reads are copied out, and merged outside the
  // table's lock, which every worker's pass needs.
  std::vector<AssignedCopy> assigned;
  table_.VisitKey(key, [&](const AssignedInstance& instance) {
    assigned.push_back(AssignedCopy::Of(instance));
  });
  input.instances.reserve(assigned.size());
  for (AssignedCopy& copy : assigned) {
    const std::string& name = copy.instance.name;
    const std::string& host = copy.instance.host;
    const ParsedReport* report = fleet.Parsed(host, name);
    if (report != nullptr) {
      expectations_.Observed(name);
    }
    bool expected = expectations_.Pending(name, input.now);
    const ports::HostSession* session = fleet.Session(host);
    input.instances.push_back(MergeCopy(std::move(copy), session, report, expected));
  }
  // Only the names a new instance of this Unikernel could collide with: the
  // fleet's names would cost a copy of the whole fleet per pass.
  std::string prefix = core::InstanceNamePrefix(key.name);
  table_.AddNamesWithPrefix(prefix, input.taken_names);
  fleet.AddReportedNames(prefix, input.taken_names);
  return input;
}

absl::StatusOr<core::DesiredUnikernel> Reconciler::Desired(const ports::ObjectKey& key,
                                                           const v1alpha1::Unikernel& object) {
  const std::string& version = object.metadata().resource_version();
  {
    absl::MutexLock lock(&desired_mu_);
    auto it = desired_.find(key);
    if (!version.empty() && it != desired_.end() && it->second.first == version) {
      return it->second.second;
    }
  }
  NP_ASSIGN_OR_RETURN(core::DesiredUnikernel desired, core::DesiredFromProto(object));
  absl::MutexLock lock(&desired_mu_);
  desired_[key] = {version, desired};
  return desired;
}

std::optional<absl::Duration> Reconciler::ExpectationRequeue(const ports::ObjectKey& key,
                                                             absl::Time now) const {
  std::optional<absl::Duration> earliest;
  for (const std::string& name : table_.NamesOfKey(key)) {
    std::optional<absl::Time> deadline = expectations_.Deadline(name);
    if (deadline.has_value() && *deadline > now) {
      absl::Duration after = *deadline - now;
      earliest = earliest.has_value() ? std::min(*earliest, after) : after;
    }
  }
  return earliest;
}

absl::StatusOr<std::optional<absl::Duration>> Reconciler::Reconcile(const ports::ObjectKey& key) {
  NP_ASSIGN_OR_RETURN(std::optional<v1alpha1::Unikernel> object, ReadObject(key));
  NP_ASSIGN_OR_RETURN(std::vector<ports::RevisionRecord> revisions, store_.ListRevisions(key));
  NP_ASSIGN_OR_RETURN(core::ReconcileInput input, MeasureInput(key, object, revisions));
  // Instance names only need to be unpredictable, not reproducible.
  absl::BitGen rng;
  core::ReconcileResult result = core::Reconcile(input, rng);
  ActionExecutor executor(store_, table_, expectations_, key, std::move(object), revisions,
                          input.hosts, input.now);
  NP_RETURN_IF_ERROR(executor.Execute(result.actions));
  std::optional<absl::Duration> requeue = result.requeue_after;
  std::optional<absl::Duration> expectation = ExpectationRequeue(key, input.now);
  if (expectation.has_value() && (!requeue.has_value() || *expectation < *requeue)) {
    requeue = expectation;
  }
  return requeue;
}

}  // namespace nanoplane::controller::app
