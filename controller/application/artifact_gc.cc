#include "controller/application/artifact_gc.h"

#include "common/log.h"
#include "common/status.h"
#include "common/strings.h"
#include "controller/application/apply.h"
#include "controller/application/rollout.h"

namespace nanoplane::controller::application {

absl::StatusOr<std::set<std::string>> ReferencedArtifacts(ports::Store& store) {
  NP_ASSIGN_OR_RETURN(ports::UnikernelList all, store.List({}));
  std::set<std::string> digests;
  for (const v1alpha1::Unikernel& object : all.items) {
    digests.merge(ReferencedDigests(object.spec().template_()));
    const ports::ObjectKey key = KeyOf(object.metadata().namespace_(), object.metadata().name());
    NP_ASSIGN_OR_RETURN(std::vector<ports::RevisionRecord> revisions, store.ListRevisions(key));
    for (const ports::RevisionRecord& revision : revisions) {
      NP_ASSIGN_OR_RETURN(v1alpha1::UnikernelTemplate tmpl, TemplateOf(revision));
      digests.merge(ReferencedDigests(tmpl));
    }
  }
  return digests;
}

absl::StatusOr<ports::GcResult> CollectArtifacts(ports::Store& store, ports::ArtifactStore& blobs,
                                                 absl::Duration min_age) {
  NP_ASSIGN_OR_RETURN(std::set<std::string> referenced, ReferencedArtifacts(store));
  NP_ASSIGN_OR_RETURN(ports::GcResult result, blobs.GarbageCollect(referenced, min_age));
  for (const std::string& digest : result.deleted) {
    absl::Status dropped = store.DeleteArtifact(digest);
    if (!dropped.ok() && !absl::IsNotFound(dropped)) {
      return dropped;
    }
  }
  return result;
}

ArtifactCollector::ArtifactCollector(ports::Store& store, ports::ArtifactStore& blobs,
                                     ArtifactCollectorOptions options)
    : store_(store), blobs_(blobs), options_(options), thread_([this] { Loop(); }) {}

ArtifactCollector::~ArtifactCollector() {
  stop_.Notify();
  thread_.join();
}

void ArtifactCollector::Loop() {
  while (!stop_.WaitForNotificationWithTimeout(options_.interval)) {
    absl::StatusOr<ports::GcResult> result = CollectArtifacts(store_, blobs_, options_.min_age);
    if (!result.ok()) {
      Log(LogLevel::kWarn, "artifact garbage collection failed",
          {{"error", std::string(result.status().message())}});
    } else if (!result->deleted.empty()) {
      Log(LogLevel::kInfo, "collected unused artifacts",
          {{"blobs", StrCat(result->deleted.size())}, {"bytes", StrCat(result->bytes_freed)}});
    }
  }
}

}  // namespace nanoplane::controller::application
