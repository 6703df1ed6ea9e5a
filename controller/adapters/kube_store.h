#pragma once

// KubeStore: the Store port over a Kubernetes API server (kube_resources.h has
// the objects). It honours the contract in controller/ports/store.h:
// - Unikernels: Create is a POST; Update a PUT of the object with its
//   resourceVersion (a 409 Conflict is Aborted; without a resourceVersion the
//   stored one is read first, and a conflict read again); UpdateStatus a PUT of
//   the /status subresource; Delete sends DeleteOptions preconditions. List
//   pages with limit/continue. Watch uses resourceVersion and bookmarks; a
//   watch the server ends is resumed from the last version seen, a bookmark
//   moves that version on, and 410 Gone is OutOfRange.
// - A cluster need not run a garbage collector: when a Unikernel goes (its
//   last finalizer removed, or deleted without one), KubeStore deletes its
//   ControllerRevisions itself.
// - Events are events.k8s.io/v1, deduplicated in this process: a repeat
//   counts up the event's series.
// - Leases are judged as client-go does: another holder's lease has expired
//   when its record has not changed for its duration, as seen by this
//   process's clock (the holder's clock is never compared with ours).
// - The artifact index stays in `artifact_index` (a local store on the
//   controller's data directory); only its artifact calls are used. Without
//   one (the kubectl plugin) they fail with FailedPrecondition.
//
// Thread-safe, as the client is. The client and the index must outlive it.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/kube/kube_client.h"
#include "controller/ports/store.h"

namespace nanoplane::controller {

struct KubeStoreOptions {
  // Every namespace (nullopt), or only this one (--namespace).
  std::optional<std::string> ns;
  // Where the controller's Leases are: its own namespace.
  std::string lease_namespace = "nanoplane-system";
  int list_page_size = 500;
  // The watch's timeoutSeconds: the server ends it then, and it is resumed.
  absl::Duration watch_timeout = absl::Minutes(5);
  // Events' reportingInstance: the controller's pod or host name.
  std::string reporting_instance = "nanoplane-controller";
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class KubeStore : public ports::Store {
 public:
  KubeStore(kube::KubeClient& client, ports::Store* artifact_index, KubeStoreOptions options = {});

  // NotFound naming crds/ when the API server has no nanoplane.dev resources;
  // what the server says otherwise (unreachable, 401, 403).
  [[nodiscard]] absl::Status CheckInstalled();

  // ports::Store
  absl::StatusOr<v1alpha1::Unikernel> Create(const v1alpha1::Unikernel& object) override;
  absl::StatusOr<v1alpha1::Unikernel> Get(const ports::ObjectKey& key) override;
  absl::StatusOr<ports::UnikernelList> List(const ports::ListOptions& options) override;
  absl::StatusOr<v1alpha1::Unikernel> Update(const v1alpha1::Unikernel& object) override;
  absl::StatusOr<v1alpha1::Unikernel> UpdateStatus(const v1alpha1::Unikernel& object) override;
  absl::StatusOr<v1alpha1::Unikernel> Delete(const ports::ObjectKey& key,
                                             const ports::Preconditions& preconditions) override;
  absl::StatusOr<std::unique_ptr<ports::Watcher>> Watch(
      const ports::WatchOptions& options) override;
  absl::StatusOr<std::vector<ports::RevisionRecord>> ListRevisions(
      const ports::ObjectKey& unikernel) override;
  absl::Status CreateRevision(const ports::RevisionRecord& revision) override;
  absl::Status UpdateRevision(const ports::RevisionRecord& revision) override;
  absl::Status DeleteRevision(const ports::ObjectKey& unikernel, const std::string& hash) override;
  absl::Status RecordEvent(const ports::EventRecord& given) override;
  absl::StatusOr<std::vector<ports::EventRecord>> ListEvents(
      const ports::EventFilter& filter) override;
  absl::Status PutHost(const ports::HostRecord& host) override;
  absl::StatusOr<ports::HostRecord> GetHost(const std::string& name) override;
  absl::StatusOr<std::vector<ports::HostRecord>> ListHosts() override;
  absl::Status DeleteHost(const std::string& name) override;
  absl::Status PutArtifact(const ports::ArtifactRecord& artifact) override;
  absl::StatusOr<ports::ArtifactRecord> GetArtifact(const std::string& digest) override;
  absl::StatusOr<std::vector<ports::ArtifactRecord>> ListArtifacts() override;
  absl::Status SetArtifactReferences(const std::string& referrer,
                                     const std::set<std::string>& digests) override;
  absl::Status DeleteArtifact(const std::string& digest) override;
  absl::StatusOr<ports::LeaseRecord> AcquireLease(const std::string& name,
                                                  const std::string& holder,
                                                  absl::Duration duration) override;
  absl::Status ReleaseLease(const std::string& name, const std::string& holder) override;

 private:
  // Every page of a list at `path`; the list's resourceVersion.
  absl::StatusOr<std::pair<std::vector<Json>, std::string>> ListAll(const std::string& path,
                                                                    kube::Query query);
  // PUT of `object` at `path` (the object or its /status). Without a
  // resourceVersion, the stored one's is used, and a conflict is read again.
  absl::StatusOr<v1alpha1::Unikernel> Put(const v1alpha1::Unikernel& object, bool status);
  // A Unikernel that is gone takes its revisions with it.
  absl::Status DeleteRevisionsOf(const ports::ObjectKey& key);
  // The revision record with `hash` as stored (with its object's name).
  absl::StatusOr<std::pair<ports::RevisionRecord, Json>> FindRevision(
      const ports::ObjectKey& unikernel, const std::string& hash);
  // The object's namespace as this store writes it ("default" when empty).
  static std::string NamespaceOf(const v1alpha1::Unikernel& object);

  kube::KubeClient& client_;
  // The index, or FailedPrecondition when there is none.
  absl::StatusOr<ports::Store*> ArtifactIndex();

  ports::Store* const artifact_index_;
  const KubeStoreOptions options_;

  // Events recorded by this process: dedup key -> its object's name and count.
  struct RecordedEvent {
    std::string name;
    int32_t count = 0;
  };
  absl::Mutex events_mu_;
  std::map<std::string, RecordedEvent> events_ ABSL_GUARDED_BY(events_mu_);
  uint64_t event_serial_ ABSL_GUARDED_BY(events_mu_) = 0;

  // Leases as last seen: the raw renew time and holder, and when this process
  // saw them change (client-go's observedTime).
  struct ObservedLease {
    std::string holder;
    std::string renew_time;
    absl::Time observed_at;
  };
  absl::Mutex leases_mu_;
  std::map<std::string, ObservedLease> leases_ ABSL_GUARDED_BY(leases_mu_);

  // Hosts as this process last wrote them: a heartbeat is then one PUT of
  // the status, not a GET and a PUT. A conflict (a person labelled the host)
  // or a host deleted meanwhile reads it again.
  absl::Mutex hosts_mu_;
  std::map<std::string, Json> hosts_ ABSL_GUARDED_BY(hosts_mu_);
};

}  // namespace nanoplane::controller
