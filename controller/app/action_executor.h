#pragma once

// ActionExecutor: carries out the core's actions for one Unikernel through the
// ports. Every action is idempotent, so a pass that fails half-way is simply
// run again: a revision that exists is left as it is, a stop of an instance
// that is stopping already or a delete of one that is gone does nothing.
//
//   CreateRevision/UpdateRevision/DeleteRevision -> Store, through the RevisionCache
//   StartInstance        -> the host's assignment (AgentHub) + an expectation
//   StopInstance         -> out of the host's assignment, kept as stopping
//   DeleteInstance       -> forgotten; out of the host's assignment
//   PatchStatus          -> Store::UpdateStatus, re-read and retried on conflict
//   RecordEvent          -> Store::RecordEvent (best effort: logged, not retried)
//   RemoveFinalizer      -> Store::Update, re-read and retried on conflict
//
// Not thread-safe; one per pass.

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "controller/app/assignment_table.h"
#include "controller/app/expectations.h"
#include "controller/app/object_cache.h"
#include "controller/app/revision_cache.h"
#include "controller/core/actions.h"
#include "controller/ports/store.h"

namespace nanoplane::controller::app {

class ActionExecutor {
 public:
  // `object` is the Unikernel as read for this pass (null when gone);
  // `revisions` its history as read; `hosts` the fleet as measured (starts
  // beyond a host's allocatable capacity are refused: a concurrent pass for
  // another Unikernel placed there first). All references must outlive the
  // executor.
  ActionExecutor(ports::Store& store, RevisionCache& revision_cache, AssignmentTable& table,
                 Expectations& expectations, const ports::ObjectKey& key,
                 ObjectCache::Object object,
                 const std::vector<ports::RevisionRecord>& revisions,
                 const std::vector<core::Host>& hosts, absl::Time now);

  // Stops at the first failure and returns it.
  [[nodiscard]] absl::Status Execute(const std::vector<core::Action>& actions);

  // Whether an action wrote the object (also when a later one failed), and
  // the object as the last write returned it.
  bool wrote() const { return wrote_; }
  const ObjectCache::Object& object() const { return object_; }

 private:
  absl::Status Run(const core::CreateRevision& action);
  absl::Status Run(const core::UpdateRevision& action);
  absl::Status Run(const core::DeleteRevision& action);
  absl::Status Run(const core::StartInstance& action);
  absl::Status Run(const core::StopInstance& action);
  absl::Status Run(const core::DeleteInstance& action);
  absl::Status Run(const core::PatchStatus& action);
  absl::Status Run(const core::RecordEvent& action);
  absl::Status Run(const core::RemoveFinalizer& action);

  ports::RevisionRecord ToRecord(const core::Revision& revision) const;
  // The (defaulted) template of the revision with `hash`.
  absl::StatusOr<std::shared_ptr<const v1alpha1::UnikernelTemplate>> TemplateOf(
      const std::string& hash) const;
  // Applies `change` to the freshest object and writes it with `write`,
  // re-reading and retrying when the write conflicts.
  absl::Status WriteWithRetry(
      const std::function<void(v1alpha1::Unikernel&)>& change,
      const std::function<absl::StatusOr<v1alpha1::Unikernel>(const v1alpha1::Unikernel&)>& write);

  ports::Store& store_;
  RevisionCache& revision_cache_;
  AssignmentTable& table_;
  Expectations& expectations_;
  const ports::ObjectKey key_;
  ObjectCache::Object object_;
  bool wrote_ = false;
  const std::vector<ports::RevisionRecord>& revisions_;
  const std::vector<core::Host>& hosts_;
  std::vector<ports::RevisionRecord> created_;  // revisions this pass created
  const absl::Time now_;
};

}  // namespace nanoplane::controller::app
