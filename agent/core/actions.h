#pragma once

// What the local reconciler decides, as data. The app executes the actions in
// order through the VM driver and the image builder. Every action is
// idempotent, and the app never assumes one worked: it re-observes and calls
// DecideLocal again until the plan is empty.

#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "agent/core/types.h"

namespace nanoplane::agent::core {

// Builds (or fetches from the cache) the image of `instance`'s template. One
// per spec hash, however many instances share it.
struct BuildImage {
  std::string spec_hash;
  std::string instance;  // whose assigned template to build
  bool operator==(const BuildImage&) const = default;
};

// Defines the VM (overlay disk over `image_key`, identity in its metadata) and
// boots it. Used for instances with no VM, or one defined and never started.
struct StartInstance {
  InstanceIdentity identity;
  std::string image_key;
  bool operator==(const StartInstance&) const = default;
};

// Boots an existing VM again after its run ended (destroying it first if it is
// left in the crashed state). Counts as a restart.
struct RestartInstance {
  std::string name;
  std::string reason;  // how the last run ended
  bool operator==(const RestartInstance&) const = default;
};

// Stops a running VM: graceful asks the guest (ACPI) and destroys it after the
// app's timeout; otherwise it is destroyed at once. The VM stays defined.
struct StopInstance {
  std::string name;
  bool graceful = true;
  std::string reason;  // "not assigned", "spec changed", "liveness probe failed"
  bool operator==(const StopInstance&) const = default;
};

// Undefines a VM that is not running (destroying it first if it is left in
// the crashed state) and removes its disk; the console log stays.
struct DeleteInstance {
  std::string name;
  std::string reason;
  bool operator==(const DeleteInstance&) const = default;
};

using Action =
    std::variant<BuildImage, StartInstance, RestartInstance, StopInstance, DeleteInstance>;

// One line per action, e.g. `StopInstance{web-0 graceful: not assigned}`.
std::string ToString(const Action& action);

void PrintTo(const Action& action, std::ostream* os);
void PrintTo(const BuildImage& action, std::ostream* os);
void PrintTo(const StartInstance& action, std::ostream* os);
void PrintTo(const RestartInstance& action, std::ostream* os);
void PrintTo(const StopInstance& action, std::ostream* os);
void PrintTo(const DeleteInstance& action, std::ostream* os);

}  // namespace nanoplane::agent::core
