#include "controller/manifests/manifest_syncer.h"

#include <algorithm>
#include <filesystem>

#include "common/files.h"
#include "common/log.h"
#include "common/strings.h"
#include "controller/application/apply.h"
#include "controller/application/use_cases.h"
#include "controller/manifests/manifest_directory.h"

namespace nanoplane::controller::manifests {
namespace {

namespace pb = ::nanoplane::v1alpha1;

ports::ObjectReference UnikernelReference(const ports::ObjectKey& key) {
  return {.kind = "Unikernel", .ns = key.ns, .name = key.name};
}

const std::string& FileOf(const pb::Unikernel& object) {
  return object.metadata().annotations().at(std::string(kManifestFileAnnotation));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ManifestSyncer>> ManifestSyncer::Start(
    ManifestSyncerOptions options, ports::Store& store, application::UseCases& use_cases) {
  std::error_code ec;
  if (!std::filesystem::is_directory(options.dir, ec)) {
    return absl::InvalidArgumentError(StrCat("--manifests ", options.dir, ": not a directory"));
  }
  // Watching starts before the first round reads, so no change falls between.
  absl::StatusOr<std::unique_ptr<DirectoryWatcher>> watcher =
      DirectoryWatcher::Open(options.dir, options.debounce);
  if (!watcher.ok()) {
    return watcher.status();
  }
  std::unique_ptr<ManifestSyncer> syncer(
      new ManifestSyncer(std::move(options), store, use_cases, *std::move(watcher)));
  syncer->loop_ = std::thread([s = syncer.get()] { s->Run(); });
  return syncer;
}

ManifestSyncer::ManifestSyncer(ManifestSyncerOptions options, ports::Store& store,
                               application::UseCases& use_cases,
                               std::unique_ptr<DirectoryWatcher> watcher)
    : options_(std::move(options)),
      store_(store),
      use_cases_(use_cases),
      watcher_(std::move(watcher)) {}

ManifestSyncer::~ManifestSyncer() {
  watcher_->Stop();
  if (loop_.joinable()) {
    loop_.join();
  }
}

void ManifestSyncer::Run() {
  DirectoryWatcher::Wake wake = DirectoryWatcher::Wake::kChanged;
  while (wake != DirectoryWatcher::Wake::kStopped) {
    if (wake == DirectoryWatcher::Wake::kTimeout) {
      watcher_->WatchTree();  // the directory may have been replaced
    }
    SyncRound round = SyncOnce();
    Log(LogLevel::kDebug, "manifests synced",
        {{"dir", options_.dir},
         {"changed", StrCat(round.changed)},
         {"unchanged", StrCat(round.unchanged)},
         {"deleted", StrCat(round.deleted)},
         {"problems", StrCat(round.problems)}});
    wake = watcher_->Wait(round.waiting > 0
                              ? std::min(options_.waiting_retry, options_.resync_interval)
                              : options_.resync_interval);
  }
}

absl::StatusOr<SyncPlan> ManifestSyncer::Plan(std::map<std::string, std::string>* local_files) {
  DirectoryContents directory = ReadManifestDirectory(options_.dir);
  if (local_files != nullptr) {
    *local_files = directory.local_files;
  }
  absl::StatusOr<ports::UnikernelList> list = store_.List({});
  if (!list.ok()) {
    return list.status();
  }
  std::vector<StoredObject> stored;
  for (const pb::Unikernel& object : list->items) {
    stored.push_back(StoredObjectOf(object));
  }
  return PlanSync(directory, stored);
}

std::vector<Deletion> ManifestSyncer::Confirm(const std::vector<Deletion>& removals) {
  absl::SleepFor(options_.debounce);
  absl::StatusOr<SyncPlan> again = Plan();
  std::vector<Deletion> out;
  if (!again.ok()) {
    return out;  // the next round decides again
  }
  // By key: the reconciler writes status all the time, so the resourceVersion
  // moves; the second read's is the fresher precondition.
  for (const Deletion& deletion : again->remove) {
    auto first = std::find_if(removals.begin(), removals.end(),
                              [&](const Deletion& d) { return d.key == deletion.key; });
    if (first != removals.end()) {
      out.push_back(deletion);
    }
  }
  return out;
}

SyncRound ManifestSyncer::SyncOnce() {
  absl::MutexLock lock(&round_mu_);
  SyncRound round;
  std::vector<Problem> problems;
  std::map<std::string, std::string> local_files;
  absl::StatusOr<SyncPlan> plan = Plan(&local_files);
  if (!plan.ok()) {
    // The store is unavailable: the next round tries again; nothing to decide.
    problems.push_back({StrCat("list Unikernels: ", plan.status().message()),
                        {.kind = "ManifestFile", .name = options_.dir},
                        "ManifestSyncFailed"});
    Report(problems);
    round.problems = 1;
    return round;
  }
  for (const SyncError& error : plan->errors) {
    ports::ObjectReference object =
        error.object.has_value()
            ? UnikernelReference(*error.object)
            : ports::ObjectReference{.kind = "ManifestFile", .name = error.error.source};
    problems.push_back({error.error.ToString(), object, "InvalidManifest"});
  }
  round.waiting = static_cast<int>(plan->waiting.size());
  for (const pb::Unikernel& object : plan->apply) {
    Apply(object, local_files, round, problems);
  }
  std::vector<Deletion> removals = plan->remove.empty() ? plan->remove : Confirm(plan->remove);
  for (const Deletion& deletion : removals) {
    Remove(deletion, round, problems);
  }
  Report(problems);
  round.problems = static_cast<int>(problems.size());
  return round;
}

absl::Status ManifestSyncer::AttachLocalFiles(const pb::Unikernel& object,
                                              const std::map<std::string, std::string>& local_files,
                                              application::ApplyRequest& request) {
  for (const application::ArtifactReference& ref :
       application::ArtifactReferences(object.spec().template_())) {
    auto file = local_files.find(ref.digest);
    if (file == local_files.end()) {
      continue;
    }
    absl::StatusOr<std::optional<int64_t>> present = use_cases_.StatArtifact(ref.digest);
    if (!present.ok()) {
      return absl::UnavailableError(StrCat("artifact store: ", present.status().message()));
    }
    if (present->has_value()) {
      continue;
    }
    absl::StatusOr<std::string> data = ReadFileToString(file->second);
    if (!data.ok()) {
      return absl::FailedPreconditionError(
          StrCat(ref.path, ": ", file->second, ": ", data.status().message()));
    }
    request.artifacts.push_back({.sha256 = ref.digest, .data = *std::move(data)});
  }
  return absl::OkStatus();
}

void ManifestSyncer::Apply(const pb::Unikernel& object,
                           const std::map<std::string, std::string>& local_files, SyncRound& round,
                           std::vector<Problem>& problems) {
  ports::ObjectKey key = KeyOfUnikernel(object);
  application::ApplyRequest request{.objects = {object}};
  if (absl::Status attached = AttachLocalFiles(object, local_files, request); !attached.ok()) {
    problems.push_back(
        {StrCat(FileOf(object), ": ", attached.message()), UnikernelReference(key), "ApplyFailed"});
    return;
  }
  // The CLI's apply: validation, the artifact check, merge, conflict retries
  // and artifact references.
  absl::StatusOr<std::vector<application::ApplyResult>> results = use_cases_.Apply(request);
  if (!results.ok()) {
    problems.push_back({StrCat(FileOf(object), ": apply: ", results.status().message()),
                        UnikernelReference(key), "ApplyFailed"});
    return;
  }
  const application::ApplyResult& result = results->at(0);
  if (result.action == application::ApplyAction::kUnchanged) {
    ++round.unchanged;
    return;
  }
  ++round.changed;
  Log(LogLevel::kInfo, "applied from manifests",
      {{"unikernel", ports::ToString(key)},
       {"file", FileOf(object)},
       {"action", application::ApplyActionName(result.action)},
       {"generation", StrCat(result.generation)}});
}

void ManifestSyncer::Remove(const Deletion& deletion, SyncRound& round,
                            std::vector<Problem>& problems) {
  absl::Status status = use_cases_.Delete(deletion.key, deletion.resource_version).status();
  if (absl::IsNotFound(status)) {
    return;  // gone already
  }
  if (absl::IsAborted(status)) {
    ++round.waiting;  // written since the read: decide again soon
    return;
  }
  if (!status.ok()) {
    problems.push_back({StrCat(deletion.manifest_file, ": delete: ", status.message()),
                        UnikernelReference(deletion.key), "DeleteFailed"});
    return;
  }
  ++round.deleted;
  Log(LogLevel::kInfo, "deleted, its manifest is gone",
      {{"unikernel", ports::ToString(deletion.key)}, {"file", deletion.manifest_file}});
}

// Each problem once while it lasts: a resync every 30 s must not repeat the
// same warning, and the event's count would only say how often we looked.
void ManifestSyncer::Report(const std::vector<Problem>& problems) {
  std::set<std::string> current;
  for (const Problem& problem : problems) {
    current.insert(problem.message);
    if (reported_.contains(problem.message)) {
      continue;
    }
    Log(LogLevel::kWarn, "manifests: not applied",
        {{"dir", options_.dir}, {"reason", problem.reason}, {"error", problem.message}});
    absl::Time now = options_.now();
    absl::Status recorded = store_.RecordEvent({.object = problem.object,
                                                .type = ports::EventType::kWarning,
                                                .reason = problem.reason,
                                                .message = problem.message,
                                                .first_time = now,
                                                .last_time = now});
    if (!recorded.ok()) {
      Log(LogLevel::kWarn, "manifests: record event", {{"error", recorded.ToString()}});
    }
  }
  reported_ = std::move(current);
}

}  // namespace nanoplane::controller::manifests
