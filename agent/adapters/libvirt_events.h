#pragma once

// Carries libvirt domain lifecycle events off libvirt's event-loop thread to a
// dispatcher thread, which resolves them (is the domain ours? how did it stop?)
// and calls the watcher. Resolving needs libvirt calls, which must not run on
// the event loop itself, and the watcher may call back into the driver.

#include <libvirt/libvirt.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "agent/ports/vm_driver.h"

namespace nanoplane::agent {

struct RawDomainEvent {
  std::string name;
  int event = 0;   // virDomainEventType
  int detail = 0;  // virDomainEvent*DetailType
};

class LibvirtEventStream {
 public:
  // Returns the event to deliver, or nullopt to drop it (not our domain).
  using Resolver = std::function<std::optional<VmEvent>(const RawDomainEvent&)>;

  LibvirtEventStream(Resolver resolve, VmEventCallback callback);
  // Deregisters and joins the dispatcher; pending events are dropped.
  ~LibvirtEventStream();

  // Subscribes to lifecycle events on `conn`, replacing an earlier subscription.
  [[nodiscard]] absl::Status Subscribe(virConnectPtr conn);

 private:
  struct Queue {
    absl::Mutex mu;
    std::deque<RawDomainEvent> events ABSL_GUARDED_BY(mu);
    bool closed ABSL_GUARDED_BY(mu) = false;
  };

  static int OnLifecycle(virConnectPtr conn, virDomainPtr domain, int event, int detail,
                         void* opaque);
  void Unsubscribe();
  void Run();

  const Resolver resolve_;
  const VmEventCallback callback_;
  std::shared_ptr<Queue> queue_;
  virConnectPtr conn_ = nullptr;  // referenced while subscribed
  int callback_id_ = -1;
  std::thread dispatcher_;
};

// The port's event type for a libvirt lifecycle event; nullopt for events the
// port does not report (a guest-initiated shutdown in progress).
std::optional<VmEventType> EventTypeFor(int event);

}  // namespace nanoplane::agent
