#pragma once

// Garbage collection of the artifact store: a blob stays while a Unikernel
// (one being deleted included) or one of its revisions (kept for `rollout
// undo`) names it. The referenced set is computed from the Store itself each
// pass rather than from the index's reference counts, so a missed
// bookkeeping write can never delete a blob still in use; `min_age` protects
// a blob the CLI has uploaded but not yet applied.

#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "controller/ports/artifact_store.h"
#include "controller/ports/store.h"

namespace nanoplane::controller::application {

// Every digest a stored Unikernel or revision references. A revision whose
// template does not decode fails the pass (Internal): better to keep
// everything than to guess.
[[nodiscard]] absl::StatusOr<std::set<std::string>> ReferencedArtifacts(ports::Store& store);

// One pass: deletes unreferenced blobs unused for `min_age`, and their index
// entries.
[[nodiscard]] absl::StatusOr<ports::GcResult> CollectArtifacts(ports::Store& store,
                                                               ports::ArtifactStore& blobs,
                                                               absl::Duration min_age);

struct ArtifactCollectorOptions {
  absl::Duration interval = absl::Minutes(10);
  absl::Duration min_age = absl::Hours(1);
};

// Runs CollectArtifacts every `interval` on its own thread until destroyed.
class ArtifactCollector {
 public:
  ArtifactCollector(ports::Store& store, ports::ArtifactStore& blobs,
                    ArtifactCollectorOptions options);
  ~ArtifactCollector();

 private:
  void Loop();

  ports::Store& store_;
  ports::ArtifactStore& blobs_;
  const ArtifactCollectorOptions options_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace nanoplane::controller::application
