#include "agent/image/tfs/tfs_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

#include "agent/image/tfs/tfs_io.h"
#include "agent/image/tfs/tfs_layout.h"
#include "agent/image/tfs/tuple_codec.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

uint64_t SectorsFor(uint64_t bytes) { return (bytes + kTfsSectorSize - 1) / kTfsSectorSize; }

uint64_t AlignSector(uint64_t sector) {
  constexpr uint64_t kAlign = kTfsExtentAlignBytes / kTfsSectorSize;
  return (sector + kAlign - 1) / kAlign * kAlign;
}

absl::StatusOr<uint64_t> SourceSize(const FileSource& source, const std::string& path) {
  switch (source.kind()) {
    case FileSource::Kind::kBytes:
      return source.bytes().size();
    case FileSource::Kind::kStream:
      return source.stream_size();
    case FileSource::Kind::kHostPath:
      break;
  }
  struct stat st;
  if (::stat(source.path().c_str(), &st) != 0) {
    int err = errno;
    std::string msg = StrCat("tfs file ", path, ": stat ", source.path(), ": ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::InvalidArgumentError(msg);
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        StrCat("tfs file ", path, ": ", source.path(), " is not a regular file"));
  }
  return static_cast<uint64_t>(st.st_size);
}

// Lists regular files in tree order (names sorted, depth first).
absl::Status CollectFiles(const TfsTree::Node& dir, const std::string& prefix,
                          std::vector<PlannedFile>* out) {
  for (const auto& [name, child] : dir.children) {
    std::string path = StrCat(prefix, "/", name);
    if (child->kind == TfsTree::Node::Kind::kDirectory) {
      NP_RETURN_IF_ERROR(CollectFiles(*child, path, out));
    } else if (child->kind == TfsTree::Node::Kind::kFile) {
      NP_ASSIGN_OR_RETURN(uint64_t size, SourceSize(child->source, path));
      out->push_back(PlannedFile{.node = child.get(), .path = path, .size = size});
    }
  }
  return absl::OkStatus();
}

// Places files back to back from `sector`; returns the end.
uint64_t PlaceFiles(uint64_t sector, std::vector<PlannedFile>* files) {
  for (PlannedFile& f : *files) {
    f.first_sector = 0;
    if (f.size > 0) {
      // Files of a page or more start on a page; smaller ones pack densely
      // (as mkfs packs everything) so thousands of tiny files stay small.
      f.first_sector = f.size >= kTfsExtentAlignBytes ? AlignSector(sector) : sector;
      sector = f.first_sector + SectorsFor(f.size);
    }
  }
  return sector;
}

Tuple FileTuple(const PlannedFile& f) {
  Tuple extents;
  constexpr uint64_t kExtentSectors = kTfsMaxExtentBytes / kTfsSectorSize;
  uint64_t total = SectorsFor(f.size);
  for (uint64_t done = 0; done < total; done += kExtentSectors) {
    uint64_t length = std::min(kExtentSectors, total - done);
    extents.Set(StrCat(done), Tuple{{"offset", Value::Integer(f.first_sector + done)},
                                    {"length", Value::Integer(length)},
                                    {"allocated", Value::Integer(length)}});
  }
  return Tuple{{"extents", std::move(extents)}, {"filelength", Value::Integer(f.size)}};
}

// Builds the metadata of a directory; `next_file` walks `files` in the same
// order CollectFiles produced them.
Tuple DirectoryTuple(const TfsTree::Node& dir, const std::vector<PlannedFile>& files,
                     size_t* next_file) {
  Tuple children;
  for (const auto& [name, child] : dir.children) {
    switch (child->kind) {
      case TfsTree::Node::Kind::kDirectory:
        children.Set(name, DirectoryTuple(*child, files, next_file));
        break;
      case TfsTree::Node::Kind::kFile:
        children.Set(name, FileTuple(files[(*next_file)++]));
        break;
      case TfsTree::Node::Kind::kSymlink:
        children.Set(name, Tuple{{"linktarget", Value(child->link_target)}});
        break;
    }
  }
  return Tuple{{"children", std::move(children)}};
}

std::string EncodeMetadata(const TfsTree& tree, const std::vector<PlannedFile>& files) {
  size_t next_file = 0;
  Tuple root = DirectoryTuple(tree.root(), files, &next_file);
  for (const auto& [name, value] : tree.root_entries()) {
    root.Set(name, value);
  }
  std::string entry;
  TupleEncoder().EncodeEntry(root, &entry);
  return entry;
}

TfsUuid RandomUuid() {
  std::random_device rd;
  TfsUuid uuid;
  for (size_t i = 0; i < uuid.size(); i += 4) {
    uint32_t r = rd();
    std::memcpy(&uuid[i], &r, 4);
  }
  return uuid;
}

absl::Status CheckOptions(const TfsWriteOptions& options) {
  if (options.label.size() >= kTfsLabelMax || options.label.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        StrCat("tfs label \"", options.label, "\": at most ", kTfsLabelMax - 1, " bytes, no NUL"));
  }
  if (options.size_bytes % kTfsSectorSize != 0) {
    return absl::InvalidArgumentError(
        StrCat("tfs size ", options.size_bytes, " is not a multiple of 512"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TfsLayout> PlanTfs(const TfsTree& tree, const TfsWriteOptions& options) {
  NP_RETURN_IF_ERROR(CheckOptions(options));
  TfsLayout layout;
  layout.uuid = options.uuid.has_value() ? *options.uuid : RandomUuid();
  NP_RETURN_IF_ERROR(CollectFiles(tree.root(), "", &layout.files));
  // Data goes after the log, but the log's length depends on the extent
  // numbers written into it; grow the log estimate until it holds still.
  uint64_t log_extensions = 1;
  for (int round = 0;; ++round) {
    uint64_t log_end = kTfsInitialLogSectors + log_extensions * kTfsLogExtensionSectors;
    layout.end_sector = PlaceFiles(log_end, &layout.files);
    layout.log = BuildLog(layout.uuid, options.label, {EncodeMetadata(tree, layout.files)});
    if (layout.log.size() - 1 <= log_extensions) {
      break;
    }
    if (round >= 16) {
      return absl::InternalError("tfs: log layout did not converge");
    }
    log_extensions = layout.log.size() - 1;
  }
  uint64_t used = layout.end_sector * kTfsSectorSize;
  if (options.size_bytes == 0) {
    layout.size_bytes =
        (used + 2 * kTfsLogExtensionBytes - 1) / kTfsLogExtensionBytes * kTfsLogExtensionBytes;
  } else if (options.size_bytes < used) {
    return absl::InvalidArgumentError(
        StrCat("tfs contents need ", used, " bytes, more than the size ", options.size_bytes));
  } else {
    layout.size_bytes = options.size_bytes;
  }
  return layout;
}

absl::StatusOr<uint64_t> ComputeTfsSize(const TfsTree& tree, const TfsWriteOptions& options) {
  NP_ASSIGN_OR_RETURN(TfsLayout layout, PlanTfs(tree, options));
  return layout.size_bytes;
}

absl::StatusOr<TfsWriteResult> WriteTfs(const TfsTree& tree, const std::string& path,
                                        uint64_t offset, const TfsWriteOptions& options) {
  if (offset % kTfsSectorSize != 0) {
    return absl::InvalidArgumentError(StrCat("tfs offset ", offset, " is not sector aligned"));
  }
  NP_ASSIGN_OR_RETURN(TfsLayout layout, PlanTfs(tree, options));
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    return absl::InternalError(StrCat("open ", path, ": ", std::strerror(errno)));
  }
  TfsWriteResult result{.size_bytes = layout.size_bytes,
                        .used_bytes = layout.end_sector * kTfsSectorSize,
                        .file_count = layout.files.size(),
                        .uuid = layout.uuid};
  for (const LogExtension& ext : layout.log) {
    NP_RETURN_IF_ERROR(PwriteFull(fd.get(), offset + ext.start_sector * kTfsSectorSize,
                                  ext.bytes.data(), ext.bytes.size(), path));
    result.log_bytes += ext.bytes.size();
  }
  NP_RETURN_IF_ERROR(CopyFileData(layout, fd.get(), offset, path));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    return absl::InternalError(StrCat("stat ", path, ": ", std::strerror(errno)));
  }
  uint64_t end = offset + layout.size_bytes;
  if (static_cast<uint64_t>(st.st_size) < end && ::ftruncate(fd.get(), end) != 0) {
    return absl::InternalError(StrCat("extend ", path, ": ", std::strerror(errno)));
  }
  return result;
}

}  // namespace nanoplane::image
