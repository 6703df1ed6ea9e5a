#include "controller/app/action_executor.h"

#include <algorithm>

#include "common/defaults.h"
#include "common/log.h"
#include "common/status.h"
#include "common/strings.h"
#include "controller/app/rebuild.h"
#include "controller/core/convert.h"

namespace nanoplane::controller::app {
namespace {

constexpr int kConflictRetries = 5;

absl::Status IgnoreCode(absl::Status status, absl::StatusCode code) {
  return status.code() == code ? absl::OkStatus() : status;
}

}  // namespace

ActionExecutor::ActionExecutor(ports::Store& store, RevisionCache& revision_cache,
                               AssignmentTable& table, Expectations& expectations,
                               const ports::ObjectKey& key, ObjectCache::Object object,
                               const std::vector<ports::RevisionRecord>& revisions,
                               const std::vector<core::Host>& hosts, absl::Time now)
    : store_(store),
      revision_cache_(revision_cache),
      table_(table),
      expectations_(expectations),
      key_(key),
      object_(std::move(object)),
      revisions_(revisions),
      hosts_(hosts),
      now_(now) {}

absl::Status ActionExecutor::Execute(const std::vector<core::Action>& actions) {
  for (const core::Action& action : actions) {
    absl::Status status = std::visit([this](const auto& a) { return Run(a); }, action);
    if (!status.ok()) {
      return Annotate(status, core::ToString(action));
    }
    if (!std::holds_alternative<core::PatchStatus>(action)) {
      Log(LogLevel::kInfo, "executed",
          {{"component", "reconciler"},
           {"unikernel", ToString(key_)},
           {"action", core::ToString(action)}});
    }
  }
  return absl::OkStatus();
}

ports::RevisionRecord ActionExecutor::ToRecord(const core::Revision& revision) const {
  return ports::RevisionRecord{.unikernel = key_,
                               .unikernel_uid = object_ != nullptr ? object_->metadata().uid() : "",
                               .number = revision.number,
                               .hash = revision.hash,
                               .template_json = revision.canonical,
                               .created_time = revision.created_time,
                               .progress_time = revision.progress_time};
}

absl::Status ActionExecutor::Run(const core::CreateRevision& action) {
  ports::RevisionRecord record = ToRecord(action.revision);
  created_.push_back(record);
  // AlreadyExists: an earlier, interrupted pass stored it.
  return IgnoreCode(revision_cache_.Create(record), absl::StatusCode::kAlreadyExists);
}

absl::Status ActionExecutor::Run(const core::UpdateRevision& action) {
  return revision_cache_.Update(ToRecord(action.revision));
}

absl::Status ActionExecutor::Run(const core::DeleteRevision& action) {
  // NotFound: gone already (removing a Unikernel removes its revisions).
  return IgnoreCode(revision_cache_.Delete(key_, action.hash), absl::StatusCode::kNotFound);
}

absl::StatusOr<std::shared_ptr<const v1alpha1::UnikernelTemplate>> ActionExecutor::TemplateOf(
    const std::string& hash) const {
  // Decoded once per revision, not once per start.
  if (std::shared_ptr<const v1alpha1::UnikernelTemplate> shared = table_.SharedTemplate(hash)) {
    return shared;
  }
  for (const auto* list : {&created_, &revisions_}) {
    for (const ports::RevisionRecord& record : *list) {
      if (record.hash == hash) {
        NP_ASSIGN_OR_RETURN(v1alpha1::UnikernelTemplate tmpl, DecodeTemplate(record.template_json));
        return std::make_shared<const v1alpha1::UnikernelTemplate>(std::move(tmpl));
      }
    }
  }
  if (object_ != nullptr) {
    v1alpha1::Unikernel defaulted = *object_;
    DefaultUnikernel(defaulted);
    if (core::TemplateFromProto(defaulted.spec().template_()).hash == hash) {
      return std::make_shared<const v1alpha1::UnikernelTemplate>(defaulted.spec().template_());
    }
  }
  return absl::FailedPreconditionError(StrCat("no revision with template hash ", hash));
}

absl::Status ActionExecutor::Run(const core::StartInstance& action) {
  NP_ASSIGN_OR_RETURN(std::shared_ptr<const v1alpha1::UnikernelTemplate> tmpl,
                      TemplateOf(action.revision_hash));
  auto identity = std::make_shared<agent::v1::InstanceIdentity>();
  identity->set_name(action.name);
  identity->set_namespace_(key_.ns);
  identity->set_unikernel(key_.name);
  identity->set_uid(object_ != nullptr ? object_->metadata().uid() : "");
  identity->set_revision(action.revision);
  identity->set_spec_hash(action.revision_hash);
  AssignedInstance instance{
      .key = key_,
      .assignment = {.identity = std::move(identity), .tmpl = std::move(tmpl)},
      .host = action.host,
      .resources = action.resources,
      .created_time = now_};
  // Expect first: the agent may report before Start returns.
  expectations_.ExpectStart(action.name, now_);
  std::optional<core::Resources> capacity;
  for (const core::Host& host : hosts_) {
    if (host.name == action.host) {
      capacity = host.allocatable;
    }
  }
  absl::Status status = table_.Start(std::move(instance), capacity);
  if (!status.ok()) {
    expectations_.Observed(action.name);
    // Another worker took the name or the room between measuring and
    // starting; the retry measures again.
    return absl::AbortedError(status.message());
  }
  return absl::OkStatus();
}

absl::Status ActionExecutor::Run(const core::StopInstance& action) {
  table_.Stop(action.host, action.name);
  return absl::OkStatus();
}

absl::Status ActionExecutor::Run(const core::DeleteInstance& action) {
  table_.Delete(action.host, action.name);
  expectations_.Observed(action.name);
  return absl::OkStatus();
}

absl::Status ActionExecutor::WriteWithRetry(
    const std::function<void(v1alpha1::Unikernel&)>& change,
    const std::function<absl::StatusOr<v1alpha1::Unikernel>(const v1alpha1::Unikernel&)>& write) {
  if (object_ == nullptr) {
    return absl::OkStatus();  // gone: nothing to write to
  }
  absl::Status last;
  for (int attempt = 0; attempt < kConflictRetries; ++attempt) {
    v1alpha1::Unikernel next = *object_;
    change(next);
    absl::StatusOr<v1alpha1::Unikernel> written = write(next);
    if (written.ok()) {
      object_ = std::make_shared<const v1alpha1::Unikernel>(*std::move(written));
      wrote_ = true;
      return absl::OkStatus();
    }
    last = written.status();
    if (!absl::IsAborted(last)) {
      return absl::IsNotFound(last) ? absl::OkStatus() : last;
    }
    // A conflict: someone wrote the object since it was read. Re-read it; the
    // change is re-applied to the fresh copy (the core's decision stays valid
    // for the status, and the next pass corrects anything else).
    absl::StatusOr<v1alpha1::Unikernel> fresh = store_.Get(key_);
    if (absl::IsNotFound(fresh.status())) {
      return absl::OkStatus();
    }
    NP_RETURN_IF_ERROR(fresh.status());
    object_ = std::make_shared<const v1alpha1::Unikernel>(*std::move(fresh));
  }
  return last;
}

absl::Status ActionExecutor::Run(const core::PatchStatus& action) {
  v1alpha1::UnikernelStatus status = core::StatusToProto(action.status);
  return WriteWithRetry(
      [&](v1alpha1::Unikernel& object) { *object.mutable_status() = status; },
      [&](const v1alpha1::Unikernel& object) { return store_.UpdateStatus(object); });
}

absl::Status ActionExecutor::Run(const core::RecordEvent& action) {
  ports::EventRecord event{.object = {.ns = key_.ns,
                                      .name = key_.name,
                                      .uid = object_ != nullptr ? object_->metadata().uid() : ""},
                           .type = action.type == core::EventType::kWarning
                                       ? ports::EventType::kWarning
                                       : ports::EventType::kNormal,
                           .reason = action.reason,
                           .message = action.message,
                           .first_time = now_,
                           .last_time = now_};
  absl::Status status = store_.RecordEvent(event);
  if (!status.ok()) {
    // Events are informational; failing the pass for one would redo actions
    // that worked. The next occurrence records it again.
    Log(LogLevel::kWarn, "record event failed",
        {{"component", "reconciler"},
         {"unikernel", ToString(key_)},
         {"error", std::string(status.message())}});
  }
  return absl::OkStatus();
}

absl::Status ActionExecutor::Run(const core::RemoveFinalizer&) {
  return WriteWithRetry(
      [](v1alpha1::Unikernel& object) {
        auto* finalizers = object.mutable_metadata()->mutable_finalizers();
        finalizers->erase(
            std::remove(finalizers->begin(), finalizers->end(), std::string(core::kFinalizer)),
            finalizers->end());
      },
      [&](const v1alpha1::Unikernel& object) { return store_.Update(object); });
}

}  // namespace nanoplane::controller::app
