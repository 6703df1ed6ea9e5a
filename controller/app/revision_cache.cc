#include "controller/app/revision_cache.h"

#include <algorithm>

namespace nanoplane::controller::app {
namespace {

void SortByNumber(std::vector<ports::RevisionRecord>& revisions) {
  std::sort(revisions.begin(), revisions.end(),
            [](const ports::RevisionRecord& a, const ports::RevisionRecord& b) {
              return a.number < b.number;
            });
}

}  // namespace

absl::StatusOr<std::vector<ports::RevisionRecord>> RevisionCache::List(
    const ports::ObjectKey& key) {
  {
    absl::MutexLock lock(&mu_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      return it->second;
    }
  }
  absl::StatusOr<std::vector<ports::RevisionRecord>> listed = store_.ListRevisions(key);
  if (listed.ok()) {
    absl::MutexLock lock(&mu_);
    entries_[key] = *listed;
  }
  return listed;
}

void RevisionCache::Edit(const ports::ObjectKey& key,
                         const std::function<void(std::vector<ports::RevisionRecord>&)>& change) {
  absl::MutexLock lock(&mu_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    change(it->second);
    SortByNumber(it->second);
  }
}

absl::Status RevisionCache::Create(const ports::RevisionRecord& revision) {
  absl::Status created = store_.CreateRevision(revision);
  if (!created.ok()) {
    Forget(revision.unikernel);
    return created;
  }
  Edit(revision.unikernel, [&](std::vector<ports::RevisionRecord>& revisions) {
    revisions.push_back(revision);
  });
  return created;
}

absl::Status RevisionCache::Update(const ports::RevisionRecord& revision) {
  absl::Status updated = store_.UpdateRevision(revision);
  if (!updated.ok()) {
    Forget(revision.unikernel);
    return updated;
  }
  Edit(revision.unikernel, [&](std::vector<ports::RevisionRecord>& revisions) {
    auto it = std::find_if(revisions.begin(), revisions.end(),
                           [&](const ports::RevisionRecord& r) { return r.hash == revision.hash; });
    if (it != revisions.end()) {
      *it = revision;
    } else {
      revisions.push_back(revision);
    }
  });
  return updated;
}

absl::Status RevisionCache::Delete(const ports::ObjectKey& key, const std::string& hash) {
  absl::Status deleted = store_.DeleteRevision(key, hash);
  if (!deleted.ok()) {
    Forget(key);
    return deleted;
  }
  Edit(key, [&](std::vector<ports::RevisionRecord>& revisions) {
    std::erase_if(revisions, [&](const ports::RevisionRecord& r) { return r.hash == hash; });
  });
  return deleted;
}

void RevisionCache::Forget(const ports::ObjectKey& key) {
  absl::MutexLock lock(&mu_);
  entries_.erase(key);
}

size_t RevisionCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace nanoplane::controller::app
