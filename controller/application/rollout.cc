#include "controller/application/rollout.h"

#include <algorithm>
#include <set>

#include "common/codec.h"
#include "common/strings.h"
#include "controller/application/apply.h"
#include "controller/core/convert.h"

namespace nanoplane::controller::application {
namespace {

namespace pb = ::nanoplane::v1alpha1;

constexpr char kDeadlineExceeded[] = "ProgressDeadlineExceeded";

const pb::Condition* FindCondition(const pb::UnikernelStatus& status, std::string_view type,
                                   std::string_view reason) {
  for (const pb::Condition& c : status.conditions()) {
    if (c.type() == type && c.reason() == reason) {
      return &c;
    }
  }
  return nullptr;
}

std::string Waiting(const std::string& name, const std::string& what) {
  return StrCat("Waiting for unikernel \"", name, "\" rollout to finish: ", what, "...");
}

// "/image/args/0" -> "image.args": the first two levels name the field well enough.
std::string FieldOfPointer(const std::string& pointer) {
  std::vector<std::string_view> parts = StrSplit(pointer, '/');
  std::string out;
  for (size_t i = 1; i < parts.size() && i <= 2; ++i) {
    if (!parts[i].empty() && !std::isdigit(static_cast<unsigned char>(parts[i][0]))) {
      StrAppend(&out, out.empty() ? "" : ".", parts[i]);
    }
  }
  return out;
}

}  // namespace

RolloutState RolloutStateOf(const pb::Unikernel& object, int64_t revision) {
  const std::string& name = object.metadata().name();
  const pb::UnikernelStatus& status = object.status();
  if (object.metadata().generation() > status.observed_generation()) {
    return {.message = "Waiting for unikernel spec update to be observed..."};
  }
  if (revision > 0 && status.update_revision() != revision) {
    return {.message =
                StrCat("desired revision (", revision, ") is different from the running revision (",
                       status.update_revision(), ")"),
            .failed = true};
  }
  // The controller will not act on this spec: waiting would never end.
  if (const pb::Condition* invalid = FindCondition(status, "Degraded", "InvalidSpec");
      invalid != nullptr && invalid->status() == pb::TRUE) {
    return {.message =
                StrCat("error: unikernel \"", name, "\" has an invalid spec: ", invalid->message()),
            .failed = true};
  }
  if (FindCondition(status, "Progressing", kDeadlineExceeded) != nullptr) {
    return {.message = StrCat("error: unikernel \"", name, "\" exceeded its progress deadline"),
            .failed = true};
  }
  int32_t replicas = object.spec().replicas();
  if (status.updated_replicas() < replicas) {
    return {.message = Waiting(name, StrCat(status.updated_replicas(), " out of ", replicas,
                                            " new replicas have been updated"))};
  }
  if (status.replicas() > status.updated_replicas()) {
    return {.message = Waiting(name, StrCat(status.replicas() - status.updated_replicas(),
                                            " old replicas are pending termination"))};
  }
  if (status.available_replicas() < status.updated_replicas()) {
    return {.message =
                Waiting(name, StrCat(status.available_replicas(), " of ", status.updated_replicas(),
                                     " updated replicas are available"))};
  }
  return {.message = StrCat("unikernel \"", name, "\" successfully rolled out"), .done = true};
}

absl::StatusOr<ports::RevisionRecord> FindUndoTarget(
    const std::vector<ports::RevisionRecord>& history, const std::string& current_hash,
    int64_t to_revision) {
  if (to_revision > 0) {
    for (const ports::RevisionRecord& revision : history) {
      if (revision.number == to_revision) {
        return revision;
      }
    }
    return absl::NotFoundError(
        StrCat("unable to find specified revision ", to_revision, " in history"));
  }
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (it->hash != current_hash) {
      return *it;
    }
  }
  return absl::FailedPreconditionError("no rollout history found: no previous revision");
}

absl::StatusOr<pb::UnikernelTemplate> TemplateOf(const ports::RevisionRecord& revision) {
  Json json = Json::parse(revision.template_json, nullptr, /*allow_exceptions=*/false);
  pb::UnikernelTemplate tmpl;
  FieldErrors errors;
  if (!json.is_discarded()) {
    DecodeMessage(json, tmpl, "template", errors);
  }
  if (json.is_discarded() || !errors.empty()) {
    return absl::InternalError(StrCat("revision ", revision.number, " of ",
                                      ToString(revision.unikernel),
                                      ": stored template does not decode"));
  }
  return tmpl;
}

std::string TemplateHash(const pb::UnikernelTemplate& tmpl) {
  return core::TemplateFromProto(tmpl).hash;
}

pb::UnikernelTemplate WithRestartMarker(const pb::UnikernelTemplate& tmpl, absl::Time now) {
  pb::UnikernelTemplate out = tmpl;
  (*out.mutable_metadata()->mutable_annotations())[std::string(kRestartedAtAnnotation)] =
      core::FormatTimestamp(now);
  return out;
}

std::string ChangeCause(const std::string& previous, const std::string& next) {
  if (previous.empty()) {
    return "initial";
  }
  Json before = Json::parse(previous, nullptr, false);
  Json after = Json::parse(next, nullptr, false);
  if (before.is_discarded() || after.is_discarded()) {
    return "";
  }
  std::set<std::string> fields;
  for (const Json& op : Json::diff(before, after)) {
    fields.insert(FieldOfPointer(op.value("path", "")));
  }
  fields.erase("");
  return StrJoin(fields, ", ");
}

}  // namespace nanoplane::controller::application
