#include "agent/adapters/libvirt_events.h"

#include "agent/adapters/libvirt_handle.h"

namespace nanoplane::agent {

std::optional<VmEventType> EventTypeFor(int event) {
  switch (event) {
    case VIR_DOMAIN_EVENT_DEFINED:
      return VmEventType::kDefined;
    case VIR_DOMAIN_EVENT_UNDEFINED:
      return VmEventType::kUndefined;
    case VIR_DOMAIN_EVENT_STARTED:
      return VmEventType::kStarted;
    case VIR_DOMAIN_EVENT_SUSPENDED:
    case VIR_DOMAIN_EVENT_PMSUSPENDED:
      return VmEventType::kSuspended;
    case VIR_DOMAIN_EVENT_RESUMED:
      return VmEventType::kResumed;
    case VIR_DOMAIN_EVENT_STOPPED:
      return VmEventType::kStopped;
    case VIR_DOMAIN_EVENT_CRASHED:
      return VmEventType::kCrashed;
    default:
      return std::nullopt;
  }
}

LibvirtEventStream::LibvirtEventStream(Resolver resolve, VmEventCallback callback)
    : resolve_(std::move(resolve)),
      callback_(std::move(callback)),
      queue_(std::make_shared<Queue>()),
      dispatcher_([this] { Run(); }) {}

LibvirtEventStream::~LibvirtEventStream() {
  Unsubscribe();
  {
    absl::MutexLock lock(&queue_->mu);
    queue_->closed = true;
  }
  dispatcher_.join();
}

absl::Status LibvirtEventStream::Subscribe(virConnectPtr conn) {
  Unsubscribe();
  // libvirt owns a copy of the queue pointer and frees it through the
  // callback's free function, so an event in flight never sees a dead queue.
  auto* opaque = new std::shared_ptr<Queue>(queue_);
  int id = virConnectDomainEventRegisterAny(
      conn, nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle), opaque,
      [](void* p) { delete static_cast<std::shared_ptr<Queue>*>(p); });
  if (id < 0) {
    delete opaque;
    return LibvirtError("subscribe to domain events");
  }
  virConnectRef(conn);
  conn_ = conn;
  callback_id_ = id;
  return absl::OkStatus();
}

void LibvirtEventStream::Unsubscribe() {
  if (conn_ == nullptr) {
    return;
  }
  // Fails harmlessly when the connection already died.
  virConnectDomainEventDeregisterAny(conn_, callback_id_);
  virConnectClose(conn_);
  conn_ = nullptr;
  callback_id_ = -1;
}

int LibvirtEventStream::OnLifecycle(virConnectPtr, virDomainPtr domain, int event, int detail,
                                    void* opaque) {
  auto& queue = *static_cast<std::shared_ptr<Queue>*>(opaque);
  const char* name = virDomainGetName(domain);
  absl::MutexLock lock(&queue->mu);
  queue->events.push_back({.name = name != nullptr ? name : "", .event = event, .detail = detail});
  return 0;
}

void LibvirtEventStream::Run() {
  while (true) {
    RawDomainEvent raw;
    {
      absl::MutexLock lock(&queue_->mu);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(queue_->mu) {
        return queue_->closed || !queue_->events.empty();
      };
      queue_->mu.Await(absl::Condition(&ready));
      if (queue_->closed) {
        return;
      }
      raw = std::move(queue_->events.front());
      queue_->events.pop_front();
    }
    if (std::optional<VmEvent> event = resolve_(raw)) {
      callback_(*event);
    }
  }
}

}  // namespace nanoplane::agent
