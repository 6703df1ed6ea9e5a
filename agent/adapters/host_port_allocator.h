#pragma once

// Allocates host ports for user-mode port forwards.
//
// A port is handed out only when no allocation of this allocator holds it and
// the `is_free` check (by default: binding it on the address) succeeds, so
// ports that other programs use are skipped. Allocations are remembered until
// Release; Reserve records ports found on adopted VMs. Allocation scans the
// range round-robin from after the last port handed out, so a just-released
// port is not reused at once. Thread-safe.

#include <functional>
#include <set>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/ports/vm_driver.h"

namespace nanoplane::agent {

class HostPortAllocator {
 public:
  using FreeCheck = std::function<bool(const std::string& address, Protocol protocol, int port)>;

  // REQUIRES: 0 < first <= last <= 65535. The first scan starts at `start`
  // (0: at `first`).
  HostPortAllocator(int first, int last, FreeCheck is_free = BindCheck, int start = 0);

  // A free port on `address`; ResourceExhausted when the range has none.
  [[nodiscard]] absl::StatusOr<int> Allocate(const std::string& address, Protocol protocol);

  // Marks a port as in use (a spec's fixed port, or an adopted VM's). Returns
  // AlreadyExists when this allocator already holds it.
  [[nodiscard]] absl::Status Reserve(const std::string& address, Protocol protocol, int port);

  void Release(const std::string& address, Protocol protocol, int port);

  bool Holds(const std::string& address, Protocol protocol, int port) const;

  // True when a socket of `protocol` can bind `address`:`port` right now.
  static bool BindCheck(const std::string& address, Protocol protocol, int port);

 private:
  using Key = std::tuple<std::string, Protocol, int>;

  const int first_;
  const int last_;
  const FreeCheck is_free_;
  mutable absl::Mutex mu_;
  std::set<Key> held_ ABSL_GUARDED_BY(mu_);
  int next_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanoplane::agent
