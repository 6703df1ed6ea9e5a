// KubeStore: revisions, events, hosts, leases and the artifact index.

#include <algorithm>

#include "absl/strings/str_format.h"
#include "common/status.h"
#include "common/strings.h"
#include "controller/adapters/kube_resources.h"
#include "controller/adapters/kube_store.h"

namespace nanoplane::controller {
namespace {

namespace kr = kube_resources;

std::string EventKey(const ports::EventRecord& event) {
  return StrCat(event.object.kind, "/", event.object.ns, "/", event.object.name, "/",
                event.object.uid, "|", event.type == ports::EventType::kWarning ? "W" : "N", "|",
                event.reason, "|", event.message);
}

// A DNS subdomain made of the object's name and a suffix unique in this
// process and across restarts (the time).
std::string EventName(const ports::EventRecord& event, uint64_t serial) {
  return StrCat(event.object.name, ".", absl::StrFormat("%x", absl::ToUnixNanos(absl::Now())),
                absl::StrFormat("%x", serial));
}

}  // namespace

// --- Revisions -------------------------------------------------------------------

absl::StatusOr<std::vector<ports::RevisionRecord>> KubeStore::ListRevisions(
    const ports::ObjectKey& unikernel) {
  NP_ASSIGN_OR_RETURN(
      auto listed, ListAll(kr::RevisionsPath(unikernel.ns),
                           {{"labelSelector", StrCat(kr::kUnikernelLabel, "=", unikernel.name)}}));
  std::vector<ports::RevisionRecord> out;
  for (const Json& item : listed.first) {
    NP_ASSIGN_OR_RETURN(ports::RevisionRecord record, kr::RevisionFromJson(item));
    out.push_back(std::move(record));
  }
  std::sort(out.begin(), out.end(),
            [](const ports::RevisionRecord& a, const ports::RevisionRecord& b) {
              return a.number < b.number;
            });
  return out;
}

absl::StatusOr<std::pair<ports::RevisionRecord, Json>> KubeStore::FindRevision(
    const ports::ObjectKey& unikernel, const std::string& hash) {
  ports::RevisionRecord probe{.unikernel = unikernel, .hash = hash};
  absl::StatusOr<Json> stored =
      client_.Get(kr::RevisionPath(unikernel.ns, kr::RevisionName(probe)));
  if (stored.ok()) {
    NP_ASSIGN_OR_RETURN(ports::RevisionRecord record, kr::RevisionFromJson(*stored));
    if (record.hash == hash) {
      return std::make_pair(std::move(record), *std::move(stored));
    }
  } else if (!absl::IsNotFound(stored.status())) {
    return stored.status();
  }
  return absl::NotFoundError(
      StrCat("revision ", hash.substr(0, 10), " of ", ports::ToString(unikernel), " not found"));
}

absl::Status KubeStore::CreateRevision(const ports::RevisionRecord& revision) {
  NP_ASSIGN_OR_RETURN(std::vector<ports::RevisionRecord> existing,
                      ListRevisions(revision.unikernel));
  for (const ports::RevisionRecord& other : existing) {
    if (other.hash == revision.hash || other.number == revision.number) {
      return absl::AlreadyExistsError(StrCat("revision ", revision.number, " (",
                                             revision.hash.substr(0, 10), ") of ",
                                             ports::ToString(revision.unikernel), " exists"));
    }
  }
  return client_.Create(kr::RevisionsPath(revision.unikernel.ns), kr::RevisionToJson(revision))
      .status();
}

absl::Status KubeStore::UpdateRevision(const ports::RevisionRecord& revision) {
  NP_ASSIGN_OR_RETURN(auto found, FindRevision(revision.unikernel, revision.hash));
  // Only a new number (an undo) can collide; a progress update keeps its own,
  // and is most of a rollout's revision writes.
  if (found.first.number != revision.number) {
    NP_ASSIGN_OR_RETURN(std::vector<ports::RevisionRecord> existing,
                        ListRevisions(revision.unikernel));
    for (const ports::RevisionRecord& other : existing) {
      if (other.hash != revision.hash && other.number == revision.number) {
        return absl::AlreadyExistsError(StrCat("revision number ", revision.number, " of ",
                                               ports::ToString(revision.unikernel),
                                               " is taken by ", other.hash.substr(0, 10)));
      }
    }
  }
  // .data is immutable: the number and the annotated times are what move.
  Json updated = found.second;
  Json fresh = kr::RevisionToJson(revision);
  updated["revision"] = revision.number;
  updated["metadata"]["annotations"] = fresh["metadata"]["annotations"];
  return client_
      .Update(kr::RevisionPath(revision.unikernel.ns, kr::RevisionName(revision)), updated)
      .status();
}

absl::Status KubeStore::DeleteRevision(const ports::ObjectKey& unikernel, const std::string& hash) {
  NP_ASSIGN_OR_RETURN(auto found, FindRevision(unikernel, hash));
  return client_.Delete(kr::RevisionPath(unikernel.ns, kr::RevisionName(found.first))).status();
}

// --- Events ----------------------------------------------------------------------

absl::Status KubeStore::RecordEvent(const ports::EventRecord& given) {
  // One occurrence, at last_time (the clock's when unset).
  ports::EventRecord event = given;
  if (event.last_time == absl::UnixEpoch()) {
    event.last_time = options_.now();
  }
  event.first_time = event.last_time;
  std::string key = EventKey(event);
  std::string ns = kr::EventNamespace(event.object);
  std::string name;
  int32_t count = 0;
  {
    absl::MutexLock lock(&events_mu_);
    auto it = events_.find(key);
    if (it == events_.end()) {
      name = EventName(event, ++event_serial_);
    } else {
      name = it->second.name;
      count = it->second.count;
    }
  }
  absl::Status written;
  if (count > 0) {
    written = client_
                  .Patch(kr::EventPath(ns, name), kube::kMergePatch,
                         kr::EventSeriesPatch(count + 1, event.last_time).dump())
                  .status();
  }
  if (count == 0 || absl::IsNotFound(written)) {
    // New, or gone (events expire after an hour): record it afresh.
    count = 0;
    written =
        client_
            .Create(kr::EventsPath(ns), kr::NewEventJson(event, name, options_.reporting_instance))
            .status();
  }
  NP_RETURN_IF_ERROR(written);
  absl::MutexLock lock(&events_mu_);
  events_[key] = {.name = name, .count = count + 1};
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ports::EventRecord>> KubeStore::ListEvents(
    const ports::EventFilter& filter) {
  std::optional<std::string> ns = filter.ns.has_value() ? filter.ns : options_.ns;
  NP_ASSIGN_OR_RETURN(auto listed, ListAll(kr::EventsPath(ns), {}));
  std::vector<ports::EventRecord> out;
  for (const Json& item : listed.first) {
    absl::StatusOr<ports::EventRecord> event = kr::EventFromJson(item);
    // Other components' events share the namespace; an odd one is skipped.
    if (event.ok() && (!filter.name.has_value() || event->object.name == *filter.name)) {
      out.push_back(*std::move(event));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ports::EventRecord& a, const ports::EventRecord& b) {
                     return a.last_time < b.last_time;
                   });
  return out;
}

// --- Hosts -----------------------------------------------------------------------

absl::Status KubeStore::PutHost(const ports::HostRecord& host) {
  std::optional<Json> cached;
  {
    absl::MutexLock lock(&hosts_mu_);
    if (auto it = hosts_.find(host.name); it != hosts_.end()) {
      cached = it->second;
    }
  }
  const std::string status_path = kr::HostPath(host.name) + "/status";
  absl::StatusOr<Json> written = absl::NotFoundError("not cached");
  if (cached.has_value()) {
    written = client_.Update(status_path, kr::HostWithStatus(*std::move(cached), host));
  }
  if (absl::IsAborted(written.status()) || absl::IsNotFound(written.status())) {
    // Not cached, changed by someone else, or deleted: read it (or make it) first.
    absl::StatusOr<Json> stored = client_.Get(kr::HostPath(host.name));
    if (absl::IsNotFound(stored.status())) {
      stored = client_.Create(kr::HostsPath(), kr::NewHostJson(host.name));
    }
    written = stored.ok() ? client_.Update(status_path, kr::HostWithStatus(*stored, host))
                          : stored.status();
  }
  absl::MutexLock lock(&hosts_mu_);
  if (written.ok()) {
    hosts_[host.name] = *std::move(written);
  } else {
    hosts_.erase(host.name);
  }
  return written.status();
}

absl::StatusOr<ports::HostRecord> KubeStore::GetHost(const std::string& name) {
  NP_ASSIGN_OR_RETURN(Json host, client_.Get(kr::HostPath(name)));
  return kr::HostFromJson(host);
}

absl::StatusOr<std::vector<ports::HostRecord>> KubeStore::ListHosts() {
  NP_ASSIGN_OR_RETURN(auto listed, ListAll(kr::HostsPath(), {}));
  std::vector<ports::HostRecord> out;
  for (const Json& item : listed.first) {
    NP_ASSIGN_OR_RETURN(ports::HostRecord host, kr::HostFromJson(item));
    out.push_back(std::move(host));
  }
  std::sort(out.begin(), out.end(),
            [](const ports::HostRecord& a, const ports::HostRecord& b) { return a.name < b.name; });
  return out;
}

absl::Status KubeStore::DeleteHost(const std::string& name) {
  {
    absl::MutexLock lock(&hosts_mu_);
    hosts_.erase(name);
  }
  return client_.Delete(kr::HostPath(name)).status();
}

// --- Artifact index (local) ---------------------------------------------------------

absl::StatusOr<ports::Store*> KubeStore::ArtifactIndex() {
  if (artifact_index_ == nullptr) {
    return absl::FailedPreconditionError(
        "the artifact store is the nanoplane controller's: local sources are uploaded to it "
        "(nanoplane apply --controller ...), or name a source.url with its sha256");
  }
  return artifact_index_;
}

absl::Status KubeStore::PutArtifact(const ports::ArtifactRecord& artifact) {
  NP_ASSIGN_OR_RETURN(ports::Store * index, ArtifactIndex());
  return index->PutArtifact(artifact);
}

absl::StatusOr<ports::ArtifactRecord> KubeStore::GetArtifact(const std::string& digest) {
  NP_ASSIGN_OR_RETURN(ports::Store * index, ArtifactIndex());
  return index->GetArtifact(digest);
}

absl::StatusOr<std::vector<ports::ArtifactRecord>> KubeStore::ListArtifacts() {
  NP_ASSIGN_OR_RETURN(ports::Store * index, ArtifactIndex());
  return index->ListArtifacts();
}

absl::Status KubeStore::SetArtifactReferences(const std::string& referrer,
                                              const std::set<std::string>& digests) {
  NP_ASSIGN_OR_RETURN(ports::Store * index, ArtifactIndex());
  return index->SetArtifactReferences(referrer, digests);
}

absl::Status KubeStore::DeleteArtifact(const std::string& digest) {
  NP_ASSIGN_OR_RETURN(ports::Store * index, ArtifactIndex());
  return index->DeleteArtifact(digest);
}

// --- Leases ----------------------------------------------------------------------

absl::StatusOr<ports::LeaseRecord> KubeStore::AcquireLease(const std::string& name,
                                                           const std::string& holder,
                                                           absl::Duration duration) {
  const std::string& ns = options_.lease_namespace;
  absl::Time now = options_.now();
  absl::StatusOr<Json> stored = client_.Get(kr::LeasePath(ns, name));
  kr::LeaseSpec spec{
      .holder = holder, .acquire_time = now, .renew_time = now, .duration = duration};
  if (absl::IsNotFound(stored.status())) {
    absl::StatusOr<Json> created =
        client_.Create(kr::LeasesPath(ns), kr::LeaseWithSpec(Json::object(), ns, name, spec));
    if (absl::IsAlreadyExists(created.status())) {
      return absl::AbortedError(StrCat("lease ", name, " was just taken by another candidate"));
    }
    NP_RETURN_IF_ERROR(created.status());
  } else {
    NP_RETURN_IF_ERROR(stored.status());
    NP_ASSIGN_OR_RETURN(kr::LeaseSpec current, kr::LeaseSpecFromJson(*stored));
    absl::Time observed_at = now;
    {
      absl::MutexLock lock(&leases_mu_);
      ObservedLease& seen = leases_[name];
      if (seen.holder == current.holder && seen.renew_time == current.raw_renew_time) {
        observed_at = seen.observed_at;
      } else {
        seen = {.holder = current.holder, .renew_time = current.raw_renew_time, .observed_at = now};
      }
    }
    if (!current.holder.empty() && current.holder != holder &&
        observed_at + current.duration > now) {
      return absl::AbortedError(StrCat("lease ", name, " is held by ", current.holder));
    }
    if (current.holder == holder) {
      spec.acquire_time = current.acquire_time;
      spec.transitions = current.transitions;
    } else {
      spec.transitions = current.transitions + 1;
    }
    absl::StatusOr<Json> updated =
        client_.Update(kr::LeasePath(ns, name), kr::LeaseWithSpec(*stored, ns, name, spec));
    NP_RETURN_IF_ERROR(updated.status());  // a conflict (Aborted): another got there first
  }
  {
    // Our own write is an observation too: the next look compares with it.
    absl::MutexLock lock(&leases_mu_);
    leases_[name] = {
        .holder = holder, .renew_time = kr::FormatMicroTime(spec.renew_time), .observed_at = now};
  }
  return ports::LeaseRecord{.name = name,
                            .holder = holder,
                            .acquire_time = spec.acquire_time,
                            .renew_time = spec.renew_time,
                            .duration = duration};
}

absl::Status KubeStore::ReleaseLease(const std::string& name, const std::string& holder) {
  const std::string& ns = options_.lease_namespace;
  NP_ASSIGN_OR_RETURN(Json stored, client_.Get(kr::LeasePath(ns, name)));
  NP_ASSIGN_OR_RETURN(kr::LeaseSpec current, kr::LeaseSpecFromJson(stored));
  if (current.holder != holder) {
    return absl::NotFoundError(StrCat("lease ", name, " is not held by ", holder));
  }
  // As client-go releases: no holder, a one-second duration.
  absl::Time now = options_.now();
  kr::LeaseSpec released{.holder = "",
                         .acquire_time = now,
                         .renew_time = now,
                         .duration = absl::Seconds(1),
                         .transitions = current.transitions};
  return client_.Update(kr::LeasePath(ns, name), kr::LeaseWithSpec(stored, ns, name, released))
      .status();
}

}  // namespace nanoplane::controller
