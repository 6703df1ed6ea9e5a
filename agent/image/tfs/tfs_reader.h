#pragma once

// Reads a Nanos TFS filesystem: decodes the log into the root tuple, then
// resolves paths through `children`, reads files through their `extents`
// (holes and uninitialized extents read as zeros) and reads symlink targets.
//
// Every offset and length taken from the image is checked; a corrupt or hostile
// image yields InvalidArgument, never a crash, and memory use is bounded by the
// log's size (plus what the caller asks ReadFile to return).
// Paths resolve like lstat: symlinks are not followed.
//
// Thread-safe for concurrent const use once opened.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/image/tfs/tfs_format.h"
#include "agent/image/tfs/tfs_io.h"
#include "agent/image/tfs/value.h"

namespace nanoplane::image {

enum class TfsEntryType { kDirectory, kFile, kSymlink };

struct TfsDirEntry {
  std::string name;
  TfsEntryType type = TfsEntryType::kFile;
  uint64_t size = 0;  // Files: length in bytes.
};

class TfsReader {
 public:
  // `source` spans exactly the filesystem (a partition).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TfsReader>> Open(
      std::unique_ptr<ByteSource> source);
  // The filesystem at [offset, offset + size) of a file; size 0: to the end.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TfsReader>> OpenFile(const std::string& path,
                                                                           uint64_t offset = 0,
                                                                           uint64_t size = 0);

  // The whole metadata: the manifest attributes and `children`.
  const Tuple& root() const { return root_; }
  const TfsUuid& uuid() const { return uuid_; }
  const std::string& label() const { return label_; }
  uint64_t size_bytes() const { return source_->size(); }

  // NotFound if a component is missing; FailedPrecondition if the entry (or
  // an intermediate component) has the wrong type.
  [[nodiscard]] absl::StatusOr<TfsEntryType> Type(std::string_view path) const;
  [[nodiscard]] absl::StatusOr<std::vector<TfsDirEntry>> List(std::string_view path) const;
  [[nodiscard]] absl::StatusOr<std::string> ReadLink(std::string_view path) const;
  [[nodiscard]] absl::StatusOr<uint64_t> FileSize(std::string_view path) const;
  // Reads up to n bytes at `offset`; returns how many (short only at the end).
  [[nodiscard]] absl::StatusOr<size_t> ReadFileRange(std::string_view path, uint64_t offset,
                                                     char* out, size_t n) const;
  // The whole file; ResourceExhausted if it is longer than max_bytes.
  [[nodiscard]] absl::StatusOr<std::string> ReadFile(std::string_view path,
                                                     uint64_t max_bytes = 1ull << 30) const;

 private:
  TfsReader() = default;
  absl::StatusOr<const Tuple*> Lookup(std::string_view path) const;
  absl::Status ReadExtents(const Tuple& file, uint64_t offset, char* out, size_t n) const;

  std::unique_ptr<ByteSource> source_;
  Tuple root_;
  TfsUuid uuid_{};
  std::string label_;
};

}  // namespace nanoplane::image
