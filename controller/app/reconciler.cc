#include "controller/app/reconciler.h"

#include <algorithm>

#include "absl/random/random.h"
#include "common/defaults.h"
#include "common/log.h"
#include "common/status.h"
#include "common/strings.h"
#include "common/validation.h"
#include "controller/app/action_executor.h"
#include "controller/core/convert.h"
#include "controller/core/invalid_spec.h"

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
      expectations_(options_.expectation_timeout),
      revisions_(store) {}

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
  std::shared_ptr<const FleetBase> base =
      fleet_.Update(hub_.SharedHosts(), std::move(registry), fleet);
  std::shared_ptr<const AssignedResources> assigned = table_.AssignedByHost();
  absl::Time now = options_.now();
  std::optional<FleetView> previous;
  {
    absl::MutexLock lock(&view_mu_);
    // While neither the sessions nor the assignments change, and no silent
    // host's grace period ends, a new view would measure the same.
    if (last_view_.has_value() && last_view_->base() == base.get() && last_assigned_ == assigned &&
        now < last_view_->valid_until()) {
      return *last_view_;
    }
    previous = last_view_;
  }
  FleetView view(std::move(base), *assigned, now, fleet,
                 previous.has_value() ? &previous->SharedHosts() : nullptr);
  absl::MutexLock lock(&view_mu_);
  last_view_ = view;
  last_assigned_ = std::move(assigned);
  return view;
}

absl::StatusOr<ObjectCache::Object> Reconciler::ReadObject(const ports::ObjectKey& key) {
  ObjectCache::Object object = objects_.Get(key);
  if (object == nullptr) {
    // Not listed or watched yet, or gone: only the Store can tell.
    absl::StatusOr<v1alpha1::Unikernel> stored = store_.Get(key);
    if (absl::IsNotFound(stored.status())) {
      return nullptr;
    }
    NP_RETURN_IF_ERROR(stored.status());
    object = std::make_shared<const v1alpha1::Unikernel>(*std::move(stored));
  }
  if (!object->metadata().deletion_timestamp().empty() || HasFinalizer(*object)) {
    return object;
  }
  // First sight: the finalizer goes on before any instance is started, so a
  // delete can never drop the object while instances still run. A conflict
  // fails the pass; the retry reads the newer object.
  v1alpha1::Unikernel with_finalizer = *object;
  with_finalizer.mutable_metadata()->add_finalizers(std::string(core::kFinalizer));
  NP_ASSIGN_OR_RETURN(v1alpha1::Unikernel updated, store_.Update(with_finalizer));
  Remember(key, updated);
  return std::make_shared<const v1alpha1::Unikernel>(std::move(updated));
}

absl::StatusOr<core::ReconcileInput> Reconciler::MeasureInput(
    const ports::ObjectKey& key, const v1alpha1::Unikernel* object,
    const std::vector<ports::RevisionRecord>& revisions, std::optional<absl::Time>& pending_until) {
  core::ReconcileInput input{.now = options_.now(), .eviction_timeout = options_.eviction_timeout};
  if (object == nullptr) {
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
  input.hosts = fleet.SharedHosts();
  // Shared with the table until it changes; merged outside its lock.
  std::shared_ptr<const std::vector<AssignedCopy>> copies = table_.CopiesOfKey(key);
  const std::vector<AssignedCopy>& assigned = *copies;
  std::vector<const IndexedSession*> sessions(assigned.size());
  std::vector<const ParsedReport*> reports(assigned.size());
  std::vector<Expectations::Entry> expected(assigned.size());
  for (size_t i = 0; i < assigned.size(); ++i) {
    sessions[i] = fleet.Find(assigned[i].host);
    reports[i] = sessions[i] != nullptr ? sessions[i]->Parsed(assigned[i].name()) : nullptr;
    expected[i] = {.name = &assigned[i].name(), .reported = reports[i] != nullptr};
  }
  pending_until = expectations_.Check(expected, input.now);
  input.instances.reserve(assigned.size());
  for (size_t i = 0; i < assigned.size(); ++i) {
    const ports::HostSession* session =
        sessions[i] != nullptr ? sessions[i]->session.get() : nullptr;
    input.instances.push_back(MergeCopy(assigned[i], session, reports[i], expected[i].pending));
  }
  // Asked only for the names a pass draws for new instances.
  input.taken_lookup.taken = [this, fleet](std::string_view name) {
    return table_.Contains(name) || fleet.Reported(name);
  };
  return input;
}

void Reconciler::Remember(const ports::ObjectKey& key, const v1alpha1::Unikernel& written) {
  // Converted now, while this pass has the object, rather than by the next
  // pass: until then the cache would hold its status twice.
  if (Desired(key, written).ok()) {
    objects_.Wrote(ObjectCache::WithoutStatus(written));
  } else {
    objects_.Wrote(written);
  }
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
  // What `nanoplane apply` refuses can still reach the store (kubectl apply
  // with a CRD that cannot express every rule): the core acts only on a
  // valid spec, except to let a deleted object go.
  v1alpha1::Unikernel defaulted = object;
  DefaultUnikernel(defaulted);
  FieldErrors errors;
  if (object.metadata().deletion_timestamp().empty()) {
    errors = ValidateUnikernel(defaulted);
  }
  if (!errors.empty()) {
    std::vector<std::string> messages;
    for (const FieldError& error : errors) {
      messages.push_back(FormatFieldError(error));
    }
    return absl::InvalidArgumentError(StrJoin(messages, "; "));
  }
  NP_ASSIGN_OR_RETURN(core::DesiredUnikernel desired, core::DesiredFromProto(object));
  {
    absl::MutexLock lock(&desired_mu_);
    desired_[key] = {version, desired};
  }
  if (!version.empty()) {
    objects_.DropStatus(key, version);  // kept above, in the core's form
  }
  return desired;
}

absl::Status Reconciler::RefuseInvalid(const ports::ObjectKey& key, ObjectCache::Object object,
                                       const absl::Status& invalid) {
  // A status that does not parse is replaced: it is ours to write.
  core::UnikernelStatus previous =
      core::StatusFromProto(object->status()).value_or(core::UnikernelStatus{});
  absl::Time now = options_.now();
  std::vector<core::Action> actions = core::ReportInvalidSpec(
      previous, object->metadata().generation(), std::string(invalid.message()), now);
  std::vector<ports::RevisionRecord> no_revisions;
  std::vector<core::Host> no_hosts;
  ActionExecutor executor(store_, revisions_, table_, expectations_, key, std::move(object),
                          no_revisions, no_hosts, now);
  NP_RETURN_IF_ERROR(executor.Execute(actions));
  if (executor.wrote()) {
    objects_.Wrote(*executor.object());
  }
  return absl::FailedPreconditionError(StrCat("invalid spec: ", invalid.message()));
}

absl::StatusOr<std::optional<absl::Duration>> Reconciler::Reconcile(const ports::ObjectKey& key) {
  NP_ASSIGN_OR_RETURN(ObjectCache::Object object, ReadObject(key));
  // A deleted object is let go whatever its spec says; any other must be
  // valid before the core acts on it.
  if (object != nullptr && object->metadata().deletion_timestamp().empty()) {
    if (absl::Status valid = Desired(key, *object).status(); !valid.ok()) {
      return RefuseInvalid(key, std::move(object), valid);
    }
  }
  NP_ASSIGN_OR_RETURN(std::vector<ports::RevisionRecord> revisions, revisions_.List(key));
  std::optional<absl::Time> pending_until;
  NP_ASSIGN_OR_RETURN(core::ReconcileInput input,
                      MeasureInput(key, object.get(), revisions, pending_until));
  // Instance names only need to be unpredictable, not reproducible.
  absl::BitGen rng;
  core::ReconcileResult result = core::Reconcile(input, rng);
  const bool gone = object == nullptr;
  ActionExecutor executor(store_, revisions_, table_, expectations_, key, std::move(object),
                          revisions, input.hosts, input.now);
  absl::Status executed = executor.Execute(result.actions);
  if (gone) {
    revisions_.Forget(key);  // nothing more to cache for it
  }
  if (executor.wrote()) {
    Remember(key, *executor.object());
  }
  NP_RETURN_IF_ERROR(executed);
  std::optional<absl::Duration> requeue = result.requeue_after;
  // Look again when an expected start would count as lost: the earliest
  // pending expectation, or this pass's own starts.
  for (const core::Action& action : result.actions) {
    if (std::holds_alternative<core::StartInstance>(action)) {
      absl::Time deadline = input.now + expectations_.timeout();
      pending_until = pending_until.has_value() ? std::min(*pending_until, deadline) : deadline;
      break;
    }
  }
  std::optional<absl::Duration> expectation;
  if (pending_until.has_value()) {
    expectation = std::max(*pending_until - input.now, absl::ZeroDuration());
  }
  if (expectation.has_value() && (!requeue.has_value() || *expectation < *requeue)) {
    requeue = expectation;
  }
  return requeue;
}

}  // namespace nanoplane::controller::app
