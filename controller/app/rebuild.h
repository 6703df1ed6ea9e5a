#pragma once

// Rebuilding the assignment table after a controller (re)start. The agents own
// the truth about what runs, so a host that said hello contributes exactly the
// instances it reports; a registered host that stayed silent through the
// startup wait contributes the instances the stored status last listed on it
// (they count as on a NotReady host, and are replaced only after the eviction
// timeout, like any host's that went away). Nothing is sent to any agent here.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/app/assignment_table.h"
#include "controller/ports/agent_hub.h"
#include "controller/ports/store.h"

namespace nanoplane::controller::app {

// The template of a revision's canonical JSON. Internal when it does not decode.
[[nodiscard]] absl::StatusOr<v1alpha1::UnikernelTemplate> DecodeTemplate(
    const std::string& json_text);

// Looks up revisions' templates, reading each Unikernel's history once.
class TemplateCache {
 public:
  explicit TemplateCache(ports::Store& store) : store_(store) {}
  // The record of `key`'s revision with `hash`, or with `number` when `hash` is
  // empty; nullptr when there is none (or the store failed: the caller adopts
  // the instance without a template, and the core replaces it as outdated).
  const ports::RevisionRecord* Find(const ports::ObjectKey& key, const std::string& hash,
                                    int64_t number = 0);

 private:
  ports::Store& store_;
  std::map<ports::ObjectKey, std::vector<ports::RevisionRecord>> revisions_;
};

// Adopts every instance `session` reports that the table does not hold yet.
void AdoptReported(const ports::HostSession& session, TemplateCache& templates,
                   AssignmentTable& table);

// The whole rebuild: the sessions' reports, then the stored status for hosts
// without a session. Unavailable and Internal from the Store.
[[nodiscard]] absl::Status RebuildTable(ports::Store& store,
                                        const std::vector<ports::HostSession>& sessions,
                                        AssignmentTable& table);

}  // namespace nanoplane::controller::app
