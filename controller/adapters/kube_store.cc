// KubeStore: Unikernels and their watch.

#include "controller/adapters/kube_store.h"

#include <algorithm>

#include "common/kube/api_status.h"
#include "common/status.h"
#include "common/strings.h"
#include "controller/adapters/kube_resources.h"

namespace nanoplane::controller {
namespace {

namespace pb = ::nanoplane::v1alpha1;
namespace kr = kube_resources;

constexpr int kUnconditionalRetries = 5;

bool Deleting(const pb::Unikernel& object) {
  return !object.metadata().deletion_timestamp().empty();
}

// A write the API server refused for a stale resourceVersion (409), a failed
// precondition (409) or a changed uid (422, an invalid update): the Store's
// contract calls each a conflict.
absl::Status AsConflict(const absl::Status& status) {
  bool conflict = absl::IsAborted(status);
  std::optional<kube::ApiStatus> api = kube::ApiStatusOf(status);
  if (absl::IsInvalidArgument(status) && api.has_value()) {
    for (const kube::ApiStatus::Cause& cause : api->causes) {
      conflict = conflict || cause.field == "metadata.uid";
    }
  }
  return conflict ? absl::AbortedError(StrCat("conflict: ", status.message())) : status;
}

class KubeWatcher : public ports::Watcher {
 public:
  KubeWatcher(kube::KubeClient& client, std::string path, std::string version,
              absl::Duration timeout)
      : client_(client), path_(std::move(path)), timeout_(timeout), version_(std::move(version)) {}

  // ports::Watcher
  absl::StatusOr<std::vector<ports::WatchEvent>> Next(absl::Time deadline) override {
    std::vector<ports::WatchEvent> out;
    while (true) {
      kube::WatchStream* stream = nullptr;
      NP_ASSIGN_OR_RETURN(stream, Stream());
      absl::StatusOr<std::vector<kube::WatchEvent>> events = stream->Next(deadline);
      if (!events.ok()) {
        if (!kube::IsWatchEnded(events.status())) {
          return stopped() ? absl::CancelledError("watch stopped") : events.status();
        }
        // The server ended it (its timeout, a restart): resume where it was.
        Reset();
      } else {
        NP_RETURN_IF_ERROR(Convert(*events, out));
      }
      if (!out.empty() || absl::Now() >= deadline) {
        return out;
      }
    }
  }

  absl::Status Start() { return Stream().status(); }

  void Stop() override {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    if (stream_ != nullptr) {
      stream_->Stop();
    }
  }

  std::string resource_version() const override {
    absl::MutexLock lock(&mu_);
    return version_;
  }

 private:
  bool stopped() const {
    absl::MutexLock lock(&mu_);
    return stopped_;
  }

  void Reset() {
    absl::MutexLock lock(&mu_);
    stream_.reset();
  }

  // The open stream, started from the last version when there is none.
  absl::StatusOr<kube::WatchStream*> Stream() {
    std::string version;
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) {
        return absl::CancelledError("watch stopped");
      }
      if (stream_ != nullptr) {
        return stream_.get();
      }
      version = version_;
    }
    NP_ASSIGN_OR_RETURN(
        std::unique_ptr<kube::WatchStream> stream,
        client_.Watch(path_, {{"resourceVersion", version},
                              {"allowWatchBookmarks", "true"},
                              {"timeoutSeconds", StrCat(absl::ToInt64Seconds(timeout_))}}));
    absl::MutexLock lock(&mu_);
    if (stopped_) {
      return absl::CancelledError("watch stopped");
    }
    stream_ = std::move(stream);
    return stream_.get();
  }

  absl::Status Convert(const std::vector<kube::WatchEvent>& events,
                       std::vector<ports::WatchEvent>& out) {
    for (const kube::WatchEvent& event : events) {
      std::string version =
          event.object.value("metadata", Json::object()).value("resourceVersion", std::string());
      if (event.type != "BOOKMARK") {
        ports::WatchEventType type = event.type == "ADDED"     ? ports::WatchEventType::kAdded
                                     : event.type == "DELETED" ? ports::WatchEventType::kDeleted
                                                               : ports::WatchEventType::kModified;
        NP_ASSIGN_OR_RETURN(pb::Unikernel object, kr::UnikernelFromJson(event.object));
        out.push_back({.type = type, .object = std::move(object)});
      }
      if (!version.empty()) {
        absl::MutexLock lock(&mu_);
        version_ = version;  // a bookmark moves it on without an event
      }
    }
    return absl::OkStatus();
  }

  kube::KubeClient& client_;
  const std::string path_;
  const absl::Duration timeout_;
  mutable absl::Mutex mu_;
  std::string version_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<kube::WatchStream> stream_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

KubeStore::KubeStore(kube::KubeClient& client, ports::Store* artifact_index,
                     KubeStoreOptions options)
    : client_(client), artifact_index_(artifact_index), options_(std::move(options)) {}

std::string KubeStore::NamespaceOf(const pb::Unikernel& object) {
  return object.metadata().namespace_().empty() ? "default" : object.metadata().namespace_();
}

absl::Status KubeStore::CheckInstalled() {
  absl::StatusOr<Json> group = client_.Get("/apis/nanoplane.dev/v1alpha1");
  if (absl::IsNotFound(group.status())) {
    return absl::NotFoundError(
        "the Kubernetes API server has no resource unikernels.nanoplane.dev; install the CRDs: "
        "kubectl apply -f crds/");
  }
  NP_RETURN_IF_ERROR(group.status());
  std::set<std::string> resources;
  for (const Json& resource : group->value("resources", Json::array())) {
    resources.insert(resource.value("name", std::string()));
  }
  for (const char* wanted : {"unikernels", "hosts"}) {
    if (!resources.contains(wanted)) {
      return absl::NotFoundError(
          StrCat("the Kubernetes API server has no resource ", wanted,
                 ".nanoplane.dev; install the CRDs: kubectl apply -f crds/"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<std::vector<Json>, std::string>> KubeStore::ListAll(
    const std::string& path, kube::Query query) {
  std::vector<Json> items;
  std::string version;
  std::string next;
  do {
    kube::Query page = query;
    page.emplace_back("limit", StrCat(options_.list_page_size));
    if (!next.empty()) {
      page.emplace_back("continue", next);
    }
    absl::StatusOr<Json> list = client_.Get(path, page);
    if (absl::IsOutOfRange(list.status()) && !next.empty()) {
      // The continue token expired (410): start over, as client-go's pager does.
      items.clear();
      next.clear();
      continue;
    }
    NP_RETURN_IF_ERROR(list.status());
    for (Json& item : (*list)["items"]) {
      items.push_back(std::move(item));
    }
    const Json& metadata = list->value("metadata", Json::object());
    version = metadata.value("resourceVersion", std::string());
    next = metadata.value("continue", std::string());
  } while (!next.empty());
  return std::make_pair(std::move(items), std::move(version));
}

absl::StatusOr<pb::Unikernel> KubeStore::Create(const pb::Unikernel& object) {
  if (object.metadata().name().empty()) {
    return absl::InvalidArgumentError("create Unikernel: metadata.name is required");
  }
  if (!object.metadata().resource_version().empty()) {
    return absl::InvalidArgumentError(
        "create Unikernel: metadata.resourceVersion must not be set on create");
  }
  pb::Unikernel body = object;
  pb::ObjectMeta& meta = *body.mutable_metadata();
  meta.set_namespace_(NamespaceOf(object));
  meta.clear_uid();
  meta.clear_generation();
  meta.clear_creation_timestamp();
  meta.clear_deletion_timestamp();
  ports::ObjectKey key{.ns = meta.namespace_(), .name = meta.name()};
  NP_ASSIGN_OR_RETURN(Json created,
                      client_.Create(kr::UnikernelsPath(key.ns), kr::UnikernelToJson(body, false)));
  return kr::UnikernelFromJson(created);
}

absl::StatusOr<pb::Unikernel> KubeStore::Get(const ports::ObjectKey& key) {
  NP_ASSIGN_OR_RETURN(Json object, client_.Get(kr::UnikernelPath(key)));
  return kr::UnikernelFromJson(object);
}

absl::StatusOr<ports::UnikernelList> KubeStore::List(const ports::ListOptions& options) {
  std::optional<std::string> ns = options.ns.has_value() ? options.ns : options_.ns;
  NP_ASSIGN_OR_RETURN(auto listed, ListAll(kr::UnikernelsPath(ns), {}));
  ports::UnikernelList out{.resource_version = listed.second};
  for (const Json& item : listed.first) {
    NP_ASSIGN_OR_RETURN(pb::Unikernel object, kr::UnikernelFromJson(item));
    out.items.push_back(std::move(object));
  }
  std::sort(out.items.begin(), out.items.end(), [](const pb::Unikernel& a, const pb::Unikernel& b) {
    return std::tie(a.metadata().namespace_(), a.metadata().name()) <
           std::tie(b.metadata().namespace_(), b.metadata().name());
  });
  return out;
}

absl::StatusOr<pb::Unikernel> KubeStore::Put(const pb::Unikernel& object, bool status) {
  ports::ObjectKey key{.ns = NamespaceOf(object), .name = object.metadata().name()};
  std::string path = kr::UnikernelPath(key) + (status ? "/status" : "");
  bool unconditional = object.metadata().resource_version().empty();
  pb::Unikernel body = object;
  body.mutable_metadata()->set_namespace_(key.ns);
  absl::Status last;
  for (int attempt = 0; attempt < kUnconditionalRetries; ++attempt) {
    if (unconditional) {
      NP_ASSIGN_OR_RETURN(pb::Unikernel stored, Get(key));
      body.mutable_metadata()->set_resource_version(stored.metadata().resource_version());
    }
    absl::StatusOr<Json> written = client_.Update(path, kr::UnikernelToJson(body, status));
    if (written.ok()) {
      NP_ASSIGN_OR_RETURN(pb::Unikernel result, kr::UnikernelFromJson(*written));
      if (!status && Deleting(result) && result.metadata().finalizers().empty()) {
        // The last finalizer is gone, and so is the object.
        NP_RETURN_IF_ERROR(DeleteRevisionsOf(key));
      }
      return result;
    }
    last = AsConflict(written.status());
    if (!unconditional || !absl::IsAborted(last)) {
      return last;
    }
  }
  return last;
}

absl::StatusOr<pb::Unikernel> KubeStore::Update(const pb::Unikernel& object) {
  return Put(object, false);
}

absl::StatusOr<pb::Unikernel> KubeStore::UpdateStatus(const pb::Unikernel& object) {
  return Put(object, true);
}

absl::StatusOr<pb::Unikernel> KubeStore::Delete(const ports::ObjectKey& key,
                                                const ports::Preconditions& preconditions) {
  // Read first: the server may answer a deletion with a Status instead of the
  // object, and the contract returns the object's state after the call.
  NP_ASSIGN_OR_RETURN(pb::Unikernel before, Get(key));
  Json conditions = Json::object();
  if (!preconditions.resource_version.empty()) {
    conditions["resourceVersion"] = preconditions.resource_version;
  }
  if (!preconditions.uid.empty()) {
    conditions["uid"] = preconditions.uid;
  }
  Json options{{"kind", "DeleteOptions"},
               {"apiVersion", "v1"},
               {"propagationPolicy", "Background"},
               {"preconditions", std::move(conditions)}};
  absl::StatusOr<Json> deleted = client_.Delete(kr::UnikernelPath(key), options);
  NP_RETURN_IF_ERROR(AsConflict(deleted.status()));
  const Json& answer = *deleted;
  pb::Unikernel after = before;
  if (answer.value("kind", std::string()) == "Unikernel") {
    NP_ASSIGN_OR_RETURN(after, kr::UnikernelFromJson(answer));
  }
  bool kept = Deleting(after) && !after.metadata().finalizers().empty();
  if (!kept) {
    NP_RETURN_IF_ERROR(DeleteRevisionsOf(key));
  }
  return after;
}

absl::StatusOr<std::unique_ptr<ports::Watcher>> KubeStore::Watch(
    const ports::WatchOptions& options) {
  std::optional<std::string> ns = options.ns.has_value() ? options.ns : options_.ns;
  std::string path = kr::UnikernelsPath(ns);
  std::string version = options.resource_version;
  if (version.empty()) {
    // "From now on, with no replay": the server's empty version would replay
    // every object as ADDED.
    NP_ASSIGN_OR_RETURN(Json list, client_.Get(path, {{"limit", "1"}}));
    version = list.value("metadata", Json::object()).value("resourceVersion", std::string());
  }
  auto watcher =
      std::make_unique<KubeWatcher>(client_, std::move(path), version, options_.watch_timeout);
  // Started now, so that a version the server refuses fails here; one it
  // finds too old comes as the stream's first event (OutOfRange from Next).
  NP_RETURN_IF_ERROR(watcher->Start());
  return std::unique_ptr<ports::Watcher>(std::move(watcher));
}

absl::Status KubeStore::DeleteRevisionsOf(const ports::ObjectKey& key) {
  NP_ASSIGN_OR_RETURN(std::vector<ports::RevisionRecord> revisions, ListRevisions(key));
  for (const ports::RevisionRecord& revision : revisions) {
    absl::StatusOr<Json> deleted =
        client_.Delete(kr::RevisionPath(key.ns, kr::RevisionName(revision)));
    if (!deleted.ok() && !absl::IsNotFound(deleted.status())) {
      return Annotate(deleted.status(), StrCat("delete the revisions of ", ports::ToString(key)));
    }
  }
  return absl::OkStatus();
}

}  // namespace nanoplane::controller
