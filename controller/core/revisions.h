#pragma once

// The revision history of one Unikernel. A revision is identified by the hash
// of its template; numbers only grow. Applying a template that is already in
// the history moves it to the next number instead of adding an entry, which is
// what makes `rollout undo` a plain apply of the old template.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "controller/core/actions.h"
#include "controller/core/types.h"

namespace nanoplane::controller::core {

struct RevisionSync {
  Revision update;                // the desired template's revision
  std::vector<Revision> history;  // `history` with `actions` applied
  std::vector<Action> actions;    // at most one CreateRevision or UpdateRevision
};

// Makes `tmpl` the newest revision. Nothing changes when it already is; an
// older entry with the same hash is renumbered (its progress clock restarts,
// as a new rollout begins); an unknown hash gets a new entry at max + 1.
// REQUIRES: tmpl.hash is not empty.
RevisionSync SyncUpdateRevision(const Template& tmpl, const std::vector<Revision>& history,
                                absl::Time now);

// DeleteRevision for the revisions beyond the newest `limit` old ones. The
// update revision and every revision that `in_use` names (hashes of instances
// that still exist) are never deleted and do not count toward the limit.
std::vector<Action> PruneRevisions(const std::vector<Revision>& history,
                                   const std::string& update_hash,
                                   const std::set<std::string>& in_use, int32_t limit);

// The largest number in `history`, 0 when empty.
int64_t MaxRevisionNumber(const std::vector<Revision>& history);

}  // namespace nanoplane::controller::core
