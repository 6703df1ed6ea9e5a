#pragma once

// The controller's decision for one Unikernel: plain data in, actions out.
//
//   ReconcileResult result = Reconcile(input, rng);
//
// The app measures the input (the stored object, its instances as assigned and
// reported, the hosts, the revision history), executes the actions in order,
// then reconciles again: after its own writes, on reports and watches, and at
// `requeue_after`. Once the world matches the spec the plan is empty.

#include <initializer_list>
#include <memory>
#include <optional>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"
#include "controller/core/actions.h"
#include "controller/core/naming.h"
#include "controller/core/types.h"

namespace nanoplane::controller::core {

// Every registered host, as one immutable vector that passes share: the app
// builds it once per change of the fleet (sessions, assignments, readiness)
// rather than copying a thousand hosts into each pass. Still plain data: it
// compares by value, and writing through it (tests, the simulated world)
// copies first, so a shared vector is never changed under another reader.
class HostList {
 public:
  HostList() = default;
  HostList(std::vector<Host> hosts)  // NOLINT: implicit, as the vector it replaces
      : hosts_(std::make_shared<std::vector<Host>>(std::move(hosts))), writable_(true) {}
  HostList(std::initializer_list<Host> hosts) : HostList(std::vector<Host>(hosts)) {}
  explicit HostList(std::shared_ptr<const std::vector<Host>> shared) : hosts_(std::move(shared)) {}

  const std::vector<Host>& get() const { return hosts_ != nullptr ? *hosts_ : Empty(); }
  operator const std::vector<Host>&() const { return get(); }  // NOLINT: reads as the vector
  size_t size() const { return get().size(); }
  bool empty() const { return get().empty(); }
  std::vector<Host>::const_iterator begin() const { return get().begin(); }
  std::vector<Host>::const_iterator end() const { return get().end(); }
  const Host& operator[](size_t i) const { return get()[i]; }
  // Copy-on-write access; the reference is valid until this list is copied.
  // A non-const list's begin() and [] take this path and copy a shared
  // vector: read through a const list (the core takes its input by const&).
  std::vector<Host>& Mutable();
  std::vector<Host>::iterator begin() { return Mutable().begin(); }
  std::vector<Host>::iterator end() { return Mutable().end(); }
  Host& operator[](size_t i) { return Mutable()[i]; }

  bool operator==(const HostList& other) const {
    return hosts_ == other.hosts_ || get() == other.get();
  }

 private:
  static const std::vector<Host>& Empty();
  std::shared_ptr<const std::vector<Host>> hosts_;
  bool writable_ = false;  // hosts_ was created here, not const
};

struct ReconcileInput {
  // nullopt when the Unikernel no longer exists at all: whatever of it remains
  // is stopped and forgotten, and its history deleted.
  std::optional<DesiredUnikernel> desired;
  std::vector<Instance> instances;  // of this Unikernel, fleet-wide
  HostList hosts;                   // every registered host
  std::vector<Revision> revisions;  // this Unikernel's history
  // Every instance name in use fleet-wide; names without this Unikernel's
  // InstanceNamePrefix may be left out (no new name can equal them).
  NameSet taken_names;
  absl::Time now;
  // How long a host may be NotReady before its instances are replaced.
  absl::Duration eviction_timeout = absl::Minutes(5);
  bool operator==(const ReconcileInput&) const = default;
};

struct ReconcileResult {
  // In execution order: revision changes, forgotten instances, starts, stops,
  // the progress clock, pruned revisions, status, events, finalizer removal.
  std::vector<Action> actions;
  std::optional<UnikernelStatus> status;  // the computed status, also when unchanged
  // When to look again although nothing may change before: an instance
  // becoming available, a host's eviction timeout, the progress deadline.
  std::optional<absl::Duration> requeue_after;
  bool operator==(const ReconcileResult&) const = default;
};

// Decides one pass. Pure: the result depends only on `input` and on the
// values drawn from `rng` (used for instance names).
ReconcileResult Reconcile(const ReconcileInput& input, absl::BitGenRef rng);

}  // namespace nanoplane::controller::core
