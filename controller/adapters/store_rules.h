#pragma once

// The write semantics both in-process stores share (SqliteStore and the fake):
// what Create, Update, UpdateStatus and Delete do to a stored Unikernel, as pure
// functions. The API server implements the same rules for a KubeStore. The
// caller assigns the new resourceVersion when the outcome is not kUnchanged.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/api.h"
#include "controller/ports/store_types.h"

namespace nanoplane::controller {

enum class WriteOutcome {
  kUnchanged,  // nothing to write, no event
  kAdded,
  kModified,
  kRemoved,  // the object is gone; `object` is its last state
};

struct WriteResult {
  WriteOutcome outcome = WriteOutcome::kUnchanged;
  v1alpha1::Unikernel object;
};

ports::ObjectKey KeyOf(const v1alpha1::Unikernel& object);

// The object to store for a Create, without resourceVersion. InvalidArgument
// for a missing name or a resourceVersion already set.
[[nodiscard]] absl::StatusOr<v1alpha1::Unikernel> PrepareCreate(const v1alpha1::Unikernel& in,
                                                                std::string_view uid,
                                                                absl::Time now);

// Aborted "conflict" when `preconditions` do not match `stored`.
[[nodiscard]] absl::Status CheckPreconditions(const v1alpha1::Unikernel& stored,
                                              const ports::Preconditions& preconditions);

// Update: spec, labels, annotations and finalizers from `in`; generation bumped
// when the spec changed; removal when a deleting object loses its last
// finalizer. Aborted on a precondition; InvalidArgument when a deleting object
// would gain a finalizer.
[[nodiscard]] absl::StatusOr<WriteResult> ApplyUpdate(const v1alpha1::Unikernel& stored,
                                                      const v1alpha1::Unikernel& in);

// UpdateStatus: only the status from `in`. Aborted on a precondition.
[[nodiscard]] absl::StatusOr<WriteResult> ApplyStatusUpdate(const v1alpha1::Unikernel& stored,
                                                            const v1alpha1::Unikernel& in);

// Delete: removal without finalizers, else deletionTimestamp set once.
[[nodiscard]] absl::StatusOr<WriteResult> ApplyDelete(const v1alpha1::Unikernel& stored,
                                                      const ports::Preconditions& preconditions,
                                                      absl::Time now);

// The stored form: the codec's JSON.
std::string EncodeObject(const google::protobuf::Message& message);
// Internal when `json` is not a stored object.
[[nodiscard]] absl::StatusOr<v1alpha1::Unikernel> DecodeObject(std::string_view json);

// A random RFC 4122 version 4 UUID.
std::string NewUid();

// RFC 3339 in UTC to the second, as Kubernetes writes metadata times.
std::string FormatMetaTime(absl::Time time);

// A resourceVersion of the in-process stores: a positive decimal counter.
// InvalidArgument otherwise.
[[nodiscard]] absl::StatusOr<int64_t> ParseResourceVersion(std::string_view text);

}  // namespace nanoplane::controller
