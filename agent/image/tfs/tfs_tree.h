#pragma once

// An in-memory description of a TFS filesystem to build: directories, regular
// files (their content comes from a host file, a byte string or a stream and is
// only read when the image is written), symlinks, and extra attributes of the
// root tuple (the manifest: program, arguments, environment, ...).
//
// Paths use '/' and are relative to the filesystem root whether or not they
// start with '/'; empty components are ignored, "." and ".." are rejected.
// Not thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "agent/image/tfs/value.h"

namespace nanoplane::image {

class FileSource {
 public:
  // Fills up to n bytes; returns how many (0 only at the end).
  using ReadFn = std::function<absl::StatusOr<size_t>(char* out, size_t n)>;

  // The host file's size is taken when the image is laid out; if it changes
  // before it is copied the write fails with Aborted.
  static FileSource HostPath(std::string path);
  static FileSource Bytes(std::string bytes);
  // `read` must produce exactly `size` bytes across its calls.
  static FileSource Stream(uint64_t size, ReadFn read);

  enum class Kind { kHostPath, kBytes, kStream };
  Kind kind() const { return kind_; }
  const std::string& path() const { return data_; }   // kHostPath
  const std::string& bytes() const { return data_; }  // kBytes
  uint64_t stream_size() const { return size_; }      // kStream
  const ReadFn& read() const { return read_; }        // kStream

 private:
  Kind kind_ = Kind::kBytes;
  std::string data_;
  uint64_t size_ = 0;
  ReadFn read_;
};

class TfsTree {
 public:
  struct Node {
    enum class Kind { kDirectory, kFile, kSymlink } kind = Kind::kDirectory;
    std::map<std::string, std::unique_ptr<Node>, std::less<>> children;  // kDirectory
    FileSource source;                                                   // kFile
    std::string link_target;                                             // kSymlink
  };

  TfsTree();
  ~TfsTree();
  TfsTree(TfsTree&&) noexcept;
  TfsTree& operator=(TfsTree&&) noexcept;

  // Like `mkdir -p`. InvalidArgument for a bad path; AlreadyExists if a
  // component is a file or symlink.
  [[nodiscard]] absl::Status AddDirectory(std::string_view path);
  // Creates missing parent directories. AlreadyExists if the path exists.
  [[nodiscard]] absl::Status AddFile(std::string_view path, FileSource source);
  [[nodiscard]] absl::Status AddSymlink(std::string_view path, std::string target);
  // An attribute of the root tuple. InvalidArgument for "children", which
  // holds the file tree.
  [[nodiscard]] absl::Status SetRootEntry(std::string_view name, Value value);

  const Node& root() const { return *root_; }
  const Tuple& root_entries() const { return root_entries_; }

 private:
  absl::StatusOr<Node*> Parent(std::string_view path, std::string* leaf);
  absl::Status AddLeaf(std::string_view path, std::unique_ptr<Node> node);

  std::unique_ptr<Node> root_;
  Tuple root_entries_;
};

}  // namespace nanoplane::image
