#include "controller/adapters/store_rules.h"

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "common/codec.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::controller {
namespace {

using v1alpha1::Unikernel;

bool SameMessage(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return EncodeObject(a) == EncodeObject(b);
}

absl::Status Conflict(const Unikernel& stored, std::string_view why) {
  return absl::AbortedError(StrCat("conflict: ", ToString(KeyOf(stored)), ": ", why));
}

bool HasFinalizer(const Unikernel& object, const std::string& finalizer) {
  const auto& list = object.metadata().finalizers();
  return std::find(list.begin(), list.end(), finalizer) != list.end();
}

ports::Preconditions PreconditionsOf(const Unikernel& in) {
  return {.resource_version = in.metadata().resource_version(), .uid = in.metadata().uid()};
}

}  // namespace

ports::ObjectKey KeyOf(const Unikernel& object) {
  const std::string& ns = object.metadata().namespace_();
  return {.ns = ns.empty() ? "default" : ns, .name = object.metadata().name()};
}

absl::StatusOr<Unikernel> PrepareCreate(const Unikernel& in, std::string_view uid, absl::Time now) {
  if (in.metadata().name().empty()) {
    return absl::InvalidArgumentError("metadata.name: required");
  }
  if (!in.metadata().resource_version().empty()) {
    return absl::InvalidArgumentError(
        StrCat(ToString(KeyOf(in)), ": metadata.resourceVersion: must not be set on create"));
  }
  Unikernel out = in;
  if (out.api_version().empty()) {
    out.set_api_version(std::string(kApiVersion));
  }
  if (out.kind().empty()) {
    out.set_kind(std::string(kKind));
  }
  v1alpha1::ObjectMeta& meta = *out.mutable_metadata();
  meta.set_namespace_(KeyOf(in).ns);
  meta.set_uid(std::string(uid));
  meta.set_generation(1);
  meta.set_creation_timestamp(FormatMetaTime(now));
  meta.clear_deletion_timestamp();
  out.clear_status();
  return out;
}

absl::Status CheckPreconditions(const Unikernel& stored,
                                const ports::Preconditions& preconditions) {
  if (!preconditions.uid.empty() && preconditions.uid != stored.metadata().uid()) {
    return Conflict(stored,
                    StrCat("uid is ", stored.metadata().uid(), ", not ", preconditions.uid));
  }
  if (!preconditions.resource_version.empty() &&
      preconditions.resource_version != stored.metadata().resource_version()) {
    return Conflict(stored,
                    StrCat("resourceVersion is ", stored.metadata().resource_version(), ", not ",
                           preconditions.resource_version, "; the object has been modified"));
  }
  return absl::OkStatus();
}

absl::StatusOr<WriteResult> ApplyUpdate(const Unikernel& stored, const Unikernel& in) {
  NP_RETURN_IF_ERROR(CheckPreconditions(stored, PreconditionsOf(in)));
  bool deleting = !stored.metadata().deletion_timestamp().empty();
  if (deleting) {
    for (const std::string& finalizer : in.metadata().finalizers()) {
      if (!HasFinalizer(stored, finalizer)) {
        return absl::InvalidArgumentError(StrCat(ToString(KeyOf(stored)),
                                                 ": metadata.finalizers: no new finalizers can be ",
                                                 "added while the object is being deleted"));
      }
    }
  }
  WriteResult result{.outcome = WriteOutcome::kModified, .object = stored};
  Unikernel& out = result.object;
  v1alpha1::ObjectMeta& meta = *out.mutable_metadata();
  *meta.mutable_labels() = in.metadata().labels();
  *meta.mutable_annotations() = in.metadata().annotations();
  *meta.mutable_finalizers() = in.metadata().finalizers();
  if (!SameMessage(stored.spec(), in.spec())) {
    *out.mutable_spec() = in.spec();
    meta.set_generation(stored.metadata().generation() + 1);
  }
  if (deleting && meta.finalizers().empty()) {
    result.outcome = WriteOutcome::kRemoved;
  } else if (SameMessage(out, stored)) {
    result.outcome = WriteOutcome::kUnchanged;
  }
  return result;
}

absl::StatusOr<WriteResult> ApplyStatusUpdate(const Unikernel& stored, const Unikernel& in) {
  NP_RETURN_IF_ERROR(CheckPreconditions(stored, PreconditionsOf(in)));
  WriteResult result{.outcome = WriteOutcome::kModified, .object = stored};
  *result.object.mutable_status() = in.status();
  if (SameMessage(stored.status(), in.status())) {
    result.outcome = WriteOutcome::kUnchanged;
  }
  return result;
}

absl::StatusOr<WriteResult> ApplyDelete(const Unikernel& stored,
                                        const ports::Preconditions& preconditions, absl::Time now) {
  NP_RETURN_IF_ERROR(CheckPreconditions(stored, preconditions));
  WriteResult result{.outcome = WriteOutcome::kUnchanged, .object = stored};
  if (stored.metadata().finalizers().empty()) {
    result.outcome = WriteOutcome::kRemoved;
  } else if (stored.metadata().deletion_timestamp().empty()) {
    result.outcome = WriteOutcome::kModified;
    result.object.mutable_metadata()->set_deletion_timestamp(FormatMetaTime(now));
    // As the API server's markAsDeleting does: the deletion is a change of
    // the desired state.
    result.object.mutable_metadata()->set_generation(stored.metadata().generation() + 1);
  }
  return result;
}

std::string EncodeObject(const google::protobuf::Message& message) {
  return EncodeMessage(message).dump();
}

absl::StatusOr<Unikernel> DecodeObject(std::string_view json) {
  Json parsed = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InternalError("stored object is not JSON");
  }
  Unikernel object;
  FieldErrors errors;
  DecodeMessage(parsed, object, "", errors);
  if (!errors.empty()) {
    return absl::InternalError(
        StrCat("stored object does not decode: ", FormatFieldError(errors.front())));
  }
  return object;
}

std::string NewUid() {
  // One generator per thread: BitGen is not thread-safe and seeding is costly.
  thread_local absl::BitGen gen;
  uint64_t high = absl::Uniform<uint64_t>(gen);
  uint64_t low = absl::Uniform<uint64_t>(gen);
  high = (high & ~0xF000ULL) | 0x4000ULL;            // version 4
  low = (low & ~(0xC0ULL << 56)) | (0x80ULL << 56);  // RFC 4122 variant
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", high >> 32, (high >> 16) & 0xFFFF,
                         high & 0xFFFF, low >> 48, low & 0xFFFFFFFFFFFFULL);
}

std::string FormatMetaTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<int64_t> ParseResourceVersion(std::string_view text) {
  std::optional<int64_t> value = ParseInt64(text);
  if (!value || *value < 0) {
    return absl::InvalidArgumentError(StrCat("\"", text, "\" is not a resourceVersion"));
  }
  return *value;
}

}  // namespace nanoplane::controller
