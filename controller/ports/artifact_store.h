#pragma once

// The ArtifactStore port: content-addressed blobs (sha256), uploaded by the CLI
// for a Unikernel's local sources and fetched by agents by digest.
//
// Contract
// - A blob is named by the lower-case hex sha256 of its content and is
//   immutable. It appears whole or not at all: an upload is staged and only
//   becomes visible by Commit, after its digest was checked.
// - An upload whose content does not match its declared digest is refused with
//   InvalidArgument and leaves nothing behind.
// - Concurrent uploads of the same blob (from threads or processes) all
//   succeed; readers see one whole copy throughout.
// - GarbageCollect deletes the blobs not in the referenced set that are older
//   than a minimum age. Has, Get and a re-upload make a blob young again, so
//   a client that checked Has before referencing the blob is protected for
//   that long.
//
// Thread-safety: implementations are thread-safe; a BlobWriter or BlobReader is
// used by one thread at a time.
//
// Status codes
//   InvalidArgument     a malformed digest; content that does not match it
//   NotFound            no such blob
//   FailedPrecondition  a writer used after Commit or Abort
//   Internal            the filesystem failed (the message names the path)

#include <cstdint>
#include <istream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace nanoplane::controller::ports {

// An upload in progress. Destroying it without Commit discards it.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  [[nodiscard]] virtual absl::Status Append(std::string_view bytes) = 0;
  // Checks the digest and publishes the blob; returns its size. InvalidArgument
  // on a mismatch (the staged bytes are deleted).
  [[nodiscard]] virtual absl::StatusOr<int64_t> Commit() = 0;
  // Discards the staged bytes.
  virtual void Abort() = 0;
};

// A blob opened for reading; it stays readable even if collected meanwhile.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  virtual int64_t size() const = 0;
  // Up to `max` bytes; empty at the end.
  [[nodiscard]] virtual absl::StatusOr<std::string> Read(size_t max) = 0;
};

struct GcResult {
  std::vector<std::string> deleted;  // digests, sorted
  int64_t bytes_freed = 0;
};

class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;

  // Starts an upload of the blob `digest` (64 lower-case hex digits).
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<BlobWriter>> StartPut(
      const std::string& digest) = 0;

  // Opens a blob for reading. NotFound.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<BlobReader>> Get(
      const std::string& digest) = 0;

  // Whether the blob is stored (and, if so, marks it as used now).
  [[nodiscard]] virtual absl::StatusOr<bool> Has(const std::string& digest) = 0;

  // The blob's size in bytes. NotFound.
  [[nodiscard]] virtual absl::StatusOr<int64_t> Size(const std::string& digest) = 0;

  // Every stored digest, sorted.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> List() = 0;

  // Deletes blobs not in `referenced` and unused for at least `min_age`, and
  // abandoned uploads as old.
  [[nodiscard]] virtual absl::StatusOr<GcResult> GarbageCollect(
      const std::set<std::string>& referenced, absl::Duration min_age) = 0;
};

// Uploads everything `in` yields through StartPut/Append/Commit.
[[nodiscard]] absl::StatusOr<int64_t> PutStream(ArtifactStore& store, const std::string& digest,
                                                std::istream& in);
// Uploads a file. NotFound when it does not exist.
[[nodiscard]] absl::StatusOr<int64_t> PutFile(ArtifactStore& store, const std::string& digest,
                                              const std::string& path);

}  // namespace nanoplane::controller::ports
