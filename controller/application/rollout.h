#pragma once

// The rollout verbs as pure functions: the progress message of `rollout
// status` (kubectl's DeploymentStatusViewer, for Unikernels), the revision
// `rollout undo` goes back to, the restart marker and the history's change
// summary.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/api.h"
#include "controller/ports/store_types.h"

namespace nanoplane::controller::application {

struct RolloutState {
  std::string message;
  bool done = false;
  bool failed = false;
  bool operator==(const RolloutState&) const = default;
};

// Where the rollout of `object` stands. `revision` > 0 asks for that revision
// (failed when another one is rolling out).
RolloutState RolloutStateOf(const v1alpha1::Unikernel& object, int64_t revision = 0);

// The revision `rollout undo` restores: `to_revision`, or with 0 the newest
// one whose template is not `current_hash`. NotFound for an unknown number;
// FailedPrecondition when there is no other revision.
// REQUIRES: `history` sorted by number.
[[nodiscard]] absl::StatusOr<ports::RevisionRecord> FindUndoTarget(
    const std::vector<ports::RevisionRecord>& history, const std::string& current_hash,
    int64_t to_revision);

// A revision's template, decoded from its canonical JSON. Internal when the
// stored JSON does not decode.
[[nodiscard]] absl::StatusOr<v1alpha1::UnikernelTemplate> TemplateOf(
    const ports::RevisionRecord& revision);

// The template's hash, as the reconciler names revisions.
std::string TemplateHash(const v1alpha1::UnikernelTemplate& tmpl);

// `tmpl` with the restart marker set to `now`: a new template, so a new
// revision that replaces every instance.
v1alpha1::UnikernelTemplate WithRestartMarker(const v1alpha1::UnikernelTemplate& tmpl,
                                              absl::Time now);

// Which fields changed from `previous` to `next` (canonical template JSON), as
// "image.args, resources.memory"; "initial" without a previous one.
std::string ChangeCause(const std::string& previous, const std::string& next);

}  // namespace nanoplane::controller::application
