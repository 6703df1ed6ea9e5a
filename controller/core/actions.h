#pragma once

// What the core decides, as data. The app executes actions in order through its
// ports; every action is idempotent, and the app re-observes and reconciles
// again rather than assuming an action worked.

#include <cstdint>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "controller/core/types.h"

namespace nanoplane::controller::core {

// Adds a revision to the Unikernel's history.
struct CreateRevision {
  Revision revision;
  bool operator==(const CreateRevision&) const = default;
};

// Replaces the history entry with the same hash (a new number on undo, or a
// new progress time).
struct UpdateRevision {
  Revision revision;
  bool operator==(const UpdateRevision&) const = default;
};

// Drops an old, unused revision (revisionHistoryLimit).
struct DeleteRevision {
  int64_t number = 0;
  std::string hash;
  bool operator==(const DeleteRevision&) const = default;
};

// Assigns a new instance to a host. The app records it as kPending at once, so
// the next reconcile counts it even before the agent reports.
struct StartInstance {
  std::string name;
  std::string host;
  int64_t revision = 0;
  std::string revision_hash;
  Resources resources;
  bool operator==(const StartInstance&) const = default;
};

// Asks the host to stop an instance; it stays assigned (stop_requested) until
// its agent reports it stopped.
struct StopInstance {
  std::string name;
  std::string host;
  std::string reason;  // "ScaleDown", "RollingUpdate", "Recreate", "Deleting", ...
  bool operator==(const StopInstance&) const = default;
};

// Forgets an instance that no longer runs (or whose host is gone).
struct DeleteInstance {
  std::string name;
  std::string host;
  bool operator==(const DeleteInstance&) const = default;
};

// Writes the status subresource; emitted only when the status changed.
struct PatchStatus {
  UnikernelStatus status;
  bool operator==(const PatchStatus&) const = default;
};

enum class EventType { kNormal, kWarning };

struct RecordEvent {
  EventType type = EventType::kNormal;
  std::string reason;
  std::string message;
  bool operator==(const RecordEvent&) const = default;
};

// Lets a deleted Unikernel go: nothing of it runs any more.
struct RemoveFinalizer {
  bool operator==(const RemoveFinalizer&) const = default;
};

using Action =
    std::variant<CreateRevision, UpdateRevision, DeleteRevision, StartInstance, StopInstance,
                 DeleteInstance, PatchStatus, RecordEvent, RemoveFinalizer>;

// One line per action, e.g. `StartInstance{web-6f1c0a9b2e-x7k2p on h1 rev 2}`.
std::string ToString(const Action& action);

void PrintTo(const Action& action, std::ostream* os);
void PrintTo(const CreateRevision& action, std::ostream* os);
void PrintTo(const UpdateRevision& action, std::ostream* os);
void PrintTo(const DeleteRevision& action, std::ostream* os);
void PrintTo(const StartInstance& action, std::ostream* os);
void PrintTo(const StopInstance& action, std::ostream* os);
void PrintTo(const DeleteInstance& action, std::ostream* os);
void PrintTo(const PatchStatus& action, std::ostream* os);
void PrintTo(const RecordEvent& action, std::ostream* os);
void PrintTo(const RemoveFinalizer& action, std::ostream* os);

}  // namespace nanoplane::controller::core
