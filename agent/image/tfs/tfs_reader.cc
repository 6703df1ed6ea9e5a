#include "agent/image/tfs/tfs_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <utility>

#include "agent/image/tfs/tfs_log.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

// Block numbers beyond this would overflow when turned into byte offsets.
constexpr uint64_t kMaxBlock = 1ull << 54;

struct Extent {
  uint64_t file_block = 0;
  uint64_t storage_block = 0;
  uint64_t blocks = 0;
  bool uninited = false;
};

TfsEntryType TypeOf(const Tuple& t) {
  if (t.FindTuple("children") != nullptr) {
    return TfsEntryType::kDirectory;
  }
  const Value* target = t.Find("linktarget");
  if (target != nullptr && target->is_string()) {
    return TfsEntryType::kSymlink;
  }
  return TfsEntryType::kFile;
}

uint64_t LengthOf(const Tuple& file) {
  uint64_t length = 0;
  const Value* v = file.Find("filelength");
  if (v == nullptr || !v->AsUint64(&length)) {
    return 0;  // The kernel treats a missing length as an empty file.
  }
  return length;
}

absl::Status Corrupt(std::string_view what) {
  return absl::InvalidArgumentError(StrCat("tfs: corrupt extent: ", what));
}

absl::StatusOr<Extent> ParseExtent(std::string_view key, const Value& v, uint64_t fs_blocks) {
  Extent e;
  auto [end, err] = std::from_chars(key.data(), key.data() + key.size(), e.file_block);
  if (err != std::errc() || end != key.data() + key.size() || key.empty() || !v.is_tuple()) {
    return Corrupt(StrCat("bad extent \"", key, "\""));
  }
  const Tuple& t = v.tuple();
  const Value* offset = t.Find("offset");
  const Value* length = t.Find("length");
  if (offset == nullptr || length == nullptr || !offset->AsUint64(&e.storage_block) ||
      !length->AsUint64(&e.blocks)) {
    return Corrupt(StrCat("extent ", key, " lacks offset or length"));
  }
  if (e.file_block > kMaxBlock || e.blocks > kMaxBlock || e.storage_block > fs_blocks ||
      e.blocks > fs_blocks - e.storage_block) {
    return Corrupt(StrCat("extent ", key, " is outside the filesystem"));
  }
  e.uninited = t.Find("uninited") != nullptr;
  return e;
}

absl::StatusOr<std::vector<Extent>> ParseExtents(const Tuple& file, uint64_t fs_blocks) {
  std::vector<Extent> out;
  const Tuple* extents = file.FindTuple("extents");
  if (extents == nullptr) {
    return out;
  }
  for (const auto& [key, value] : *extents) {
    NP_ASSIGN_OR_RETURN(Extent e, ParseExtent(key, value, fs_blocks));
    out.push_back(e);
  }
  std::sort(out.begin(), out.end(),
            [](const Extent& a, const Extent& b) { return a.file_block < b.file_block; });
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i - 1].file_block + out[i - 1].blocks > out[i].file_block) {
      return Corrupt("overlapping extents");
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TfsReader>> TfsReader::Open(std::unique_ptr<ByteSource> source) {
  NP_ASSIGN_OR_RETURN(LogContents log, ReadLog(*source));
  std::unique_ptr<TfsReader> r(new TfsReader());
  r->source_ = std::move(source);
  r->root_ = std::move(log.root);
  r->uuid_ = log.uuid;
  r->label_ = std::move(log.label);
  return r;
}

absl::StatusOr<std::unique_ptr<TfsReader>> TfsReader::OpenFile(const std::string& path,
                                                               uint64_t offset, uint64_t size) {
  NP_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, FileByteSource(path, offset, size));
  absl::StatusOr<std::unique_ptr<TfsReader>> r = Open(std::move(source));
  if (!r.ok()) {
    return Annotate(r.status(), path);
  }
  return r;
}

absl::StatusOr<const Tuple*> TfsReader::Lookup(std::string_view path) const {
  const Tuple* node = &root_;
  for (std::string_view part : StrSplit(path, '/')) {
    if (part.empty()) {
      continue;
    }
    const Tuple* children = node->FindTuple("children");
    if (children == nullptr) {
      return absl::FailedPreconditionError(
          StrCat("tfs path \"", path, "\": a component is not a directory"));
    }
    node = children->FindTuple(part);
    if (node == nullptr) {
      return absl::NotFoundError(StrCat("tfs path \"", path, "\" not found"));
    }
  }
  return node;
}

absl::StatusOr<TfsEntryType> TfsReader::Type(std::string_view path) const {
  NP_ASSIGN_OR_RETURN(const Tuple* node, Lookup(path));
  return TypeOf(*node);
}

absl::StatusOr<std::vector<TfsDirEntry>> TfsReader::List(std::string_view path) const {
  NP_ASSIGN_OR_RETURN(const Tuple* node, Lookup(path));
  const Tuple* children = node->FindTuple("children");
  if (children == nullptr) {
    return absl::FailedPreconditionError(StrCat("tfs path \"", path, "\" is not a directory"));
  }
  std::vector<TfsDirEntry> out;
  for (const auto& [name, value] : *children) {
    if (!value.is_tuple()) {
      continue;  // Not an entry the kernel could open either.
    }
    TfsDirEntry e{.name = name, .type = TypeOf(value.tuple())};
    if (e.type == TfsEntryType::kFile) {
      e.size = LengthOf(value.tuple());
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::string> TfsReader::ReadLink(std::string_view path) const {
  NP_ASSIGN_OR_RETURN(const Tuple* node, Lookup(path));
  if (TypeOf(*node) != TfsEntryType::kSymlink) {
    return absl::FailedPreconditionError(StrCat("tfs path \"", path, "\" is not a symlink"));
  }
  return node->Find("linktarget")->string();
}

absl::StatusOr<uint64_t> TfsReader::FileSize(std::string_view path) const {
  NP_ASSIGN_OR_RETURN(const Tuple* node, Lookup(path));
  if (TypeOf(*node) != TfsEntryType::kFile) {
    return absl::FailedPreconditionError(StrCat("tfs path \"", path, "\" is not a file"));
  }
  return LengthOf(*node);
}

absl::Status TfsReader::ReadExtents(const Tuple& file, uint64_t offset, char* out, size_t n) const {
  NP_ASSIGN_OR_RETURN(std::vector<Extent> extents,
                      ParseExtents(file, source_->size() / kTfsSectorSize));
  std::memset(out, 0, n);  // Holes and uninitialized extents read as zeros.
  uint64_t end = offset + n;
  for (const Extent& e : extents) {
    uint64_t e_start = e.file_block * kTfsSectorSize;
    uint64_t e_end = e_start + e.blocks * kTfsSectorSize;
    uint64_t lo = std::max(offset, e_start);
    uint64_t hi = std::min(end, e_end);
    if (lo >= hi || e.uninited) {
      continue;
    }
    uint64_t disk = e.storage_block * kTfsSectorSize + (lo - e_start);
    NP_RETURN_IF_ERROR(source_->ReadAt(disk, out + (lo - offset), hi - lo));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> TfsReader::ReadFileRange(std::string_view path, uint64_t offset, char* out,
                                                size_t n) const {
  NP_ASSIGN_OR_RETURN(const Tuple* node, Lookup(path));
  if (TypeOf(*node) != TfsEntryType::kFile) {
    return absl::FailedPreconditionError(StrCat("tfs path \"", path, "\" is not a file"));
  }
  uint64_t length = LengthOf(*node);
  if (offset >= length) {
    return 0;
  }
  n = static_cast<size_t>(std::min<uint64_t>(n, length - offset));
  NP_RETURN_IF_ERROR(ReadExtents(*node, offset, out, n));
  return n;
}

absl::StatusOr<std::string> TfsReader::ReadFile(std::string_view path, uint64_t max_bytes) const {
  NP_ASSIGN_OR_RETURN(uint64_t length, FileSize(path));
  if (length > max_bytes) {
    return absl::ResourceExhaustedError(
        StrCat("tfs file \"", path, "\" is ", length, " bytes, over the limit ", max_bytes));
  }
  std::string out(length, '\0');
  NP_ASSIGN_OR_RETURN(size_t got, ReadFileRange(path, 0, out.data(), out.size()));
  out.resize(got);
  return out;
}

}  // namespace nanoplane::image
