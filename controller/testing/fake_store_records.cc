// FakeStore: revisions, events, hosts, the artifact index and leases.

#include <algorithm>

#include "common/status.h"
#include "common/strings.h"
#include "controller/testing/fake_store.h"

namespace nanoplane::controller {

using ports::ArtifactRecord;
using ports::EventRecord;
using ports::HostRecord;
using ports::LeaseRecord;
using ports::ObjectKey;
using ports::RevisionRecord;

namespace {

bool SameEvent(const EventRecord& a, const EventRecord& b) {
  return a.object == b.object && a.type == b.type && a.reason == b.reason && a.message == b.message;
}

absl::Time OrNow(absl::Time time, absl::Time now) { return time == absl::UnixEpoch() ? now : time; }

}  // namespace

absl::StatusOr<std::vector<RevisionRecord>> FakeStore::ListRevisions(const ObjectKey& unikernel) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kListRevisions));
  std::vector<RevisionRecord> out;
  for (const auto& [hash, revision] : revisions_[unikernel]) {
    out.push_back(revision);
  }
  std::sort(out.begin(), out.end(),
            [](const RevisionRecord& a, const RevisionRecord& b) { return a.number < b.number; });
  return out;
}

absl::Status FakeStore::CreateRevision(const RevisionRecord& revision) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kCreateRevision));
  auto& history = revisions_[revision.unikernel];
  for (const auto& [hash, existing] : history) {
    if (hash == revision.hash || existing.number == revision.number) {
      return absl::AlreadyExistsError(StrCat("revision ", revision.number, " (", revision.hash,
                                             ") of ", ToString(revision.unikernel),
                                             " already exists"));
    }
  }
  history[revision.hash] = revision;
  return absl::OkStatus();
}

absl::Status FakeStore::UpdateRevision(const RevisionRecord& revision) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kUpdateRevision));
  auto& history = revisions_[revision.unikernel];
  if (!history.contains(revision.hash)) {
    return absl::NotFoundError(
        StrCat("revision ", revision.hash, " of ", ToString(revision.unikernel), " not found"));
  }
  for (const auto& [hash, existing] : history) {
    if (hash != revision.hash && existing.number == revision.number) {
      return absl::AlreadyExistsError(StrCat("revision ", revision.number, " of ",
                                             ToString(revision.unikernel), " already exists"));
    }
  }
  history[revision.hash] = revision;
  return absl::OkStatus();
}

absl::Status FakeStore::DeleteRevision(const ObjectKey& unikernel, const std::string& hash) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kDeleteRevision));
  if (revisions_[unikernel].erase(hash) == 0) {
    return absl::NotFoundError(
        StrCat("revision ", hash, " of ", ToString(unikernel), " not found"));
  }
  return absl::OkStatus();
}

absl::Status FakeStore::RecordEvent(const EventRecord& event) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kRecordEvent));
  absl::Time when = OrNow(event.last_time, options_.now());
  for (EventRecord& existing : events_) {
    if (SameEvent(existing, event)) {
      ++existing.count;
      existing.last_time = std::max(existing.last_time, when);
      return absl::OkStatus();
    }
  }
  EventRecord record = event;
  record.count = 1;
  record.first_time = record.last_time = when;
  events_.push_back(record);
  if (events_.size() > options_.max_events) {
    auto oldest = std::min_element(
        events_.begin(), events_.end(),
        [](const EventRecord& a, const EventRecord& b) { return a.last_time < b.last_time; });
    events_.erase(oldest);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<EventRecord>> FakeStore::ListEvents(const ports::EventFilter& filter) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kListEvents));
  std::vector<EventRecord> out;
  for (const EventRecord& event : events_) {
    if ((!filter.ns || event.object.ns == *filter.ns) &&
        (!filter.name || event.object.name == *filter.name)) {
      out.push_back(event);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const EventRecord& a, const EventRecord& b) {
    return a.last_time < b.last_time;
  });
  return out;
}

absl::Status FakeStore::PutHost(const HostRecord& host) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kPutHost));
  hosts_[host.name] = host;
  return absl::OkStatus();
}

absl::StatusOr<HostRecord> FakeStore::GetHost(const std::string& name) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kGetHost));
  auto it = hosts_.find(name);
  if (it == hosts_.end()) {
    return absl::NotFoundError(StrCat("host ", name, " not found"));
  }
  return it->second;
}

absl::StatusOr<std::vector<HostRecord>> FakeStore::ListHosts() {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kListHosts));
  std::vector<HostRecord> out;
  for (const auto& [name, host] : hosts_) {
    out.push_back(host);
  }
  return out;
}

absl::Status FakeStore::DeleteHost(const std::string& name) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kDeleteHost));
  if (hosts_.erase(name) == 0) {
    return absl::NotFoundError(StrCat("host ", name, " not found"));
  }
  return absl::OkStatus();
}

ArtifactRecord FakeStore::WithReferences(ArtifactRecord record) const {
  record.referenced_by.clear();
  for (const auto& [referrer, digests] : references_) {
    if (digests.contains(record.digest)) {
      record.referenced_by.insert(referrer);
    }
  }
  return record;
}

absl::Status FakeStore::PutArtifact(const ArtifactRecord& artifact) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kPutArtifact));
  auto it = artifacts_.find(artifact.digest);
  if (it != artifacts_.end()) {
    if (it->second.size != artifact.size) {
      return absl::InvalidArgumentError(StrCat("artifact ", artifact.digest, " has size ",
                                               it->second.size, ", not ", artifact.size));
    }
    return absl::OkStatus();
  }
  ArtifactRecord record = artifact;
  record.referenced_by.clear();
  record.created_time = OrNow(artifact.created_time, options_.now());
  artifacts_[artifact.digest] = record;
  return absl::OkStatus();
}

absl::StatusOr<ArtifactRecord> FakeStore::GetArtifact(const std::string& digest) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kGetArtifact));
  auto it = artifacts_.find(digest);
  if (it == artifacts_.end()) {
    return absl::NotFoundError(StrCat("artifact ", digest, " not found"));
  }
  return WithReferences(it->second);
}

absl::StatusOr<std::vector<ArtifactRecord>> FakeStore::ListArtifacts() {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kListArtifacts));
  std::vector<ArtifactRecord> out;
  for (const auto& [digest, record] : artifacts_) {
    out.push_back(WithReferences(record));
  }
  return out;
}

absl::Status FakeStore::SetArtifactReferences(const std::string& referrer,
                                              const std::set<std::string>& digests) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kSetArtifactReferences));
  if (digests.empty()) {
    references_.erase(referrer);
  } else {
    references_[referrer] = digests;
  }
  return absl::OkStatus();
}

absl::Status FakeStore::DeleteArtifact(const std::string& digest) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kDeleteArtifact));
  if (artifacts_.erase(digest) == 0) {
    return absl::NotFoundError(StrCat("artifact ", digest, " not found"));
  }
  return absl::OkStatus();
}

absl::StatusOr<LeaseRecord> FakeStore::AcquireLease(const std::string& name,
                                                    const std::string& holder,
                                                    absl::Duration duration) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kAcquireLease));
  absl::Time now = options_.now();
  auto it = leases_.find(name);
  if (it != leases_.end() && it->second.holder != holder &&
      it->second.renew_time + it->second.duration > now) {
    return absl::AbortedError(StrCat("lease ", name, " is held by ", it->second.holder));
  }
  LeaseRecord& lease = leases_[name];
  if (lease.holder != holder) {
    lease = {.name = name, .holder = holder, .acquire_time = now};
  }
  lease.renew_time = now;
  lease.duration = duration;
  return lease;
}

absl::Status FakeStore::ReleaseLease(const std::string& name, const std::string& holder) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kReleaseLease));
  auto it = leases_.find(name);
  if (it == leases_.end() || it->second.holder != holder) {
    return absl::NotFoundError(StrCat("lease ", name, " is not held by ", holder));
  }
  leases_.erase(it);
  return absl::OkStatus();
}

}  // namespace nanoplane::controller
