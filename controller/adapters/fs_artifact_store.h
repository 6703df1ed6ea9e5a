#pragma once

// FsArtifactStore: the ArtifactStore port in a directory (the data directory's
// artifacts/). Blobs live at `sha256/<digest>`; uploads are written to
// `tmp/`, fsynced, checked and renamed into place, and the directory is
// fsynced, so a blob is whole or absent even across kill -9 and power loss.
// A blob's mtime is its last use (upload, Has, Get): the garbage collector's
// age.
//
// Thread-safe. Several processes may share the directory; the collector's
// check-then-delete is atomic only against this process's Has/Get/Commit.

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "controller/ports/artifact_store.h"

namespace nanoplane::controller {

class FsArtifactStore : public ports::ArtifactStore {
 public:
  // Creates `dir` and its subdirectories if needed. Internal on failure.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<FsArtifactStore>> Open(
      const std::string& dir);

  // Where the blob is (or would be) stored. REQUIRES: a valid digest.
  std::string BlobPath(const std::string& digest) const;

  // ports::ArtifactStore
  absl::StatusOr<std::unique_ptr<ports::BlobWriter>> StartPut(const std::string& digest) override;
  absl::StatusOr<std::unique_ptr<ports::BlobReader>> Get(const std::string& digest) override;
  absl::StatusOr<bool> Has(const std::string& digest) override;
  absl::StatusOr<int64_t> Size(const std::string& digest) override;
  absl::StatusOr<std::vector<std::string>> List() override;
  absl::StatusOr<ports::GcResult> GarbageCollect(const std::set<std::string>& referenced,
                                                 absl::Duration min_age) override;

 private:
  class FsBlobWriter;
  explicit FsArtifactStore(std::string dir) : dir_(std::move(dir)) {}

  // Moves a checked upload into place (under mu_, so GC cannot interleave).
  absl::Status Publish(const std::string& temp_path, const std::string& digest);
  absl::Status CollectTemporaries(absl::Time cutoff, ports::GcResult& result);

  const std::string dir_;
  // Orders Has/Get/Publish against the collector's check-then-delete.
  absl::Mutex mu_;
};

// True for 64 lower-case hex digits.
bool IsSha256Digest(const std::string& digest);

}  // namespace nanoplane::controller
