// ControllerService: the rollout verbs.

#include "common/codec.h"
#include "common/status.h"
#include "common/strings.h"
#include "controller/api/apply.h"
#include "controller/api/controller_service.h"
#include "controller/api/rollout.h"
#include "controller/core/convert.h"

namespace nanoplane::controller::api {
namespace {

namespace pb = ::nanoplane::v1alpha1;

std::string Named(const std::string& name, std::string_view what) {
  return StrCat("unikernel \"", name, "\" ", what);
}

}  // namespace

grpc::Status ControllerService::RolloutHistory(grpc::ServerContext*,
                                               const apiv1::RolloutHistoryRequest* request,
                                               apiv1::RolloutHistoryResponse* response) {
  ports::ObjectKey key = KeyOf(request->namespace_(), request->name());
  absl::StatusOr<pb::Unikernel> object = store_.Get(key);
  absl::StatusOr<std::vector<ports::RevisionRecord>> history =
      object.ok() ? store_.ListRevisions(key) : object.status();
  if (!history.ok()) {
    return ToGrpcStatus(history.status());
  }
  std::string current = TemplateHash(object->spec().template_());
  std::string previous;
  for (const ports::RevisionRecord& record : *history) {
    std::string cause = ChangeCause(previous, record.template_json);
    previous = record.template_json;
    if (request->revision() != 0 && record.number != request->revision()) {
      continue;
    }
    apiv1::Revision& revision = *response->add_revisions();
    revision.set_number(record.number);
    revision.set_hash(record.hash);
    revision.set_created(core::FormatTimestamp(record.created_time));
    revision.set_change_cause(cause);
    revision.set_current(record.hash == current);
    absl::StatusOr<pb::UnikernelTemplate> tmpl = TemplateOf(record);
    if (tmpl.ok() && request->revision() != 0) {
      *revision.mutable_template_() = *std::move(tmpl);
    }
  }
  if (request->revision() != 0 && response->revisions().empty()) {
    return ToGrpcStatus(
        absl::NotFoundError(StrCat("unable to find the specified revision ", request->revision())));
  }
  return grpc::Status::OK;
}

absl::Status ControllerService::Undo(const apiv1::RolloutUndoRequest& request,
                                     apiv1::RolloutResponse& response) {
  ports::ObjectKey key = KeyOf(request.namespace_(), request.name());
  NP_ASSIGN_OR_RETURN(std::vector<ports::RevisionRecord> history, store_.ListRevisions(key));
  bool skipped = false;
  int64_t number = 0;
  NP_ASSIGN_OR_RETURN(pb::Unikernel object, Modify(key, [&](pb::Unikernel& u) -> absl::Status {
                        std::string current = TemplateHash(u.spec().template_());
                        NP_ASSIGN_OR_RETURN(
                            ports::RevisionRecord target,
                            FindUndoTarget(history, current, request.to_revision()));
                        number = target.number;
                        NP_ASSIGN_OR_RETURN(pb::UnikernelTemplate tmpl, TemplateOf(target));
                        skipped = target.hash == current;
                        *u.mutable_spec()->mutable_template_() = std::move(tmpl);
                        return absl::OkStatus();
                      }));
  response.set_message(
      skipped ? Named(request.name(), StrCat("skipped rollback (current template already matches "
                                             "revision ",
                                             number, ")"))
              : Named(request.name(), StrCat("rolled back to revision ", number)));
  *response.mutable_object() = std::move(object);
  return absl::OkStatus();
}

grpc::Status ControllerService::RolloutUndo(grpc::ServerContext*,
                                            const apiv1::RolloutUndoRequest* request,
                                            apiv1::RolloutResponse* response) {
  return ToGrpcStatus(Undo(*request, *response));
}

grpc::Status ControllerService::RolloutPause(grpc::ServerContext*, const apiv1::ObjectName* request,
                                             apiv1::RolloutResponse* response) {
  bool already = false;
  absl::StatusOr<pb::Unikernel> object =
      Modify(KeyOf(request->namespace_(), request->name()), [&](pb::Unikernel& u) {
        already = u.spec().paused();
        u.mutable_spec()->set_paused(true);
        return absl::OkStatus();
      });
  if (!object.ok()) {
    return ToGrpcStatus(object.status());
  }
  response->set_message(Named(request->name(), already ? "is already paused" : "paused"));
  *response->mutable_object() = *std::move(object);
  return grpc::Status::OK;
}

grpc::Status ControllerService::RolloutResume(grpc::ServerContext*,
                                              const apiv1::ObjectName* request,
                                              apiv1::RolloutResponse* response) {
  bool paused = false;
  absl::StatusOr<pb::Unikernel> object =
      Modify(KeyOf(request->namespace_(), request->name()), [&](pb::Unikernel& u) {
        paused = u.spec().paused();
        u.mutable_spec()->set_paused(false);
        return absl::OkStatus();
      });
  if (!object.ok()) {
    return ToGrpcStatus(object.status());
  }
  response->set_message(Named(request->name(), paused ? "resumed" : "is not paused"));
  *response->mutable_object() = *std::move(object);
  return grpc::Status::OK;
}

grpc::Status ControllerService::RolloutRestart(grpc::ServerContext*,
                                               const apiv1::ObjectName* request,
                                               apiv1::RolloutResponse* response) {
  absl::Time now = options_.now();
  absl::StatusOr<pb::Unikernel> object =
      Modify(KeyOf(request->namespace_(), request->name()), [&](pb::Unikernel& u) {
        // As kubectl: a paused rollout would not replace anything.
        if (u.spec().paused()) {
          return absl::FailedPreconditionError(StrCat("can't restart paused unikernel \"",
                                                      u.metadata().name(),
                                                      "\" (run rollout resume first)"));
        }
        *u.mutable_spec()->mutable_template_() = WithRestartMarker(u.spec().template_(), now);
        return absl::OkStatus();
      });
  if (!object.ok()) {
    return ToGrpcStatus(object.status());
  }
  response->set_message(Named(request->name(), "restarted"));
  *response->mutable_object() = *std::move(object);
  return grpc::Status::OK;
}

}  // namespace nanoplane::controller::api
