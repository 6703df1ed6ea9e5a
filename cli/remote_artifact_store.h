#pragma once

// RemoteArtifactStore: the controller's artifact store, reached over its gRPC
// API (StatArtifact, UploadArtifact). kubectl-nanoplane runs the use cases in
// its own process over the Kubernetes API server, but the blobs of local
// sources belong to the controller, which the agents fetch them from; this
// adapter sends them there.
//
// Only what a client of the API can do is offered: Has, Size and uploads.
// Get, List and GarbageCollect are the controller's own business and return
// Unimplemented.
//
// The controller is connected on first use, through `connect` (a
// port-forward, say), so that commands that upload nothing never need it.
//
// Thread-safety: not thread-safe (one CLI command at a time).

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "controller/ports/artifact_store.h"
#include "nanoplane/api/v1/controller.grpc.pb.h"

namespace nanoplane::cli {

// Returns the controller's stub, owned by the caller of RemoteArtifactStore;
// Unavailable (with why) when the controller cannot be reached.
using ControllerConnector =
    std::function<absl::StatusOr<::nanoplane::api::v1::Controller::StubInterface*>()>;

class RemoteArtifactStore : public controller::ports::ArtifactStore {
 public:
  explicit RemoteArtifactStore(ControllerConnector connect) : connect_(std::move(connect)) {}

  // ports::ArtifactStore
  absl::StatusOr<std::unique_ptr<controller::ports::BlobWriter>> StartPut(
      const std::string& digest) override;
  absl::StatusOr<std::unique_ptr<controller::ports::BlobReader>> Get(
      const std::string& digest) override;
  absl::StatusOr<bool> Has(const std::string& digest) override;
  absl::StatusOr<int64_t> Size(const std::string& digest) override;
  absl::StatusOr<std::vector<std::string>> List() override;
  absl::StatusOr<controller::ports::GcResult> GarbageCollect(
      const std::set<std::string>& referenced, absl::Duration min_age) override;

 private:
  // The size of the stored blob, or nullopt.
  absl::StatusOr<std::optional<int64_t>> Stat(const std::string& digest);

  ControllerConnector connect_;
};

}  // namespace nanoplane::cli
