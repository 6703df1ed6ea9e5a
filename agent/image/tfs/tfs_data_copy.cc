// Copies file contents into the image. Files are laid out in ascending disk
// order, so all data goes through one buffer as a nearly sequential stream:
// thousands of small files cost a handful of large writes, and a large file
// is read and written in buffer-sized pieces.

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "agent/image/tfs/tfs_io.h"
#include "agent/image/tfs/tfs_layout.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

constexpr size_t kBufferBytes = 4 * 1024 * 1024;

class SequentialWriter {
 public:
  // Starts writing at filesystem offset `start`.
  SequentialWriter(int fd, uint64_t base, uint64_t start, const std::string& path)
      : fd_(fd), base_(base), path_(path), buffer_(new char[kBufferBytes]), start_(start) {}

  // Moves to `pos` (relative to the filesystem start), zero-filling a short
  // gap so the stream stays contiguous. REQUIRES: pos >= the current position.
  absl::Status SeekTo(uint64_t pos) {
    uint64_t here = start_ + used_;
    if (pos - here <= kTfsExtentAlignBytes) {
      return Zeros(pos - here);
    }
    NP_RETURN_IF_ERROR(Flush());
    start_ = pos;
    return absl::OkStatus();
  }

  absl::Status Zeros(size_t n) {
    while (n > 0) {
      NP_ASSIGN_OR_RETURN(size_t avail, Space());
      size_t k = std::min(avail, n);
      std::memset(buffer_.get() + used_, 0, k);
      used_ += k;
      n -= k;
    }
    return absl::OkStatus();
  }

  // Free bytes at the end of the buffer, flushing first if it is full.
  absl::StatusOr<size_t> Space() {
    if (used_ == kBufferBytes) {
      NP_RETURN_IF_ERROR(Flush());
    }
    return kBufferBytes - used_;
  }
  char* cursor() { return buffer_.get() + used_; }
  void Commit(size_t n) { used_ += n; }

  absl::Status Flush() {
    NP_RETURN_IF_ERROR(PwriteFull(fd_, base_ + start_, buffer_.get(), used_, path_));
    start_ += used_;
    used_ = 0;
    return absl::OkStatus();
  }

 private:
  int fd_;
  uint64_t base_;
  const std::string& path_;
  std::unique_ptr<char[]> buffer_;
  uint64_t start_;  // Filesystem offset of buffer_[0].
  size_t used_ = 0;
};

// Fills `out` from one file source; returns 0 at its end.
class SourceReader {
 public:
  explicit SourceReader(const FileSource& source) : source_(source) {}

  absl::Status Open() {
    if (source_.kind() != FileSource::Kind::kHostPath) {
      return absl::OkStatus();
    }
    fd_ = UniqueFd(::open(source_.path().c_str(), O_RDONLY | O_CLOEXEC));
    if (fd_.get() < 0) {
      int err = errno;
      std::string msg = StrCat("open ", source_.path(), ": ", std::strerror(err));
      return err == ENOENT ? absl::NotFoundError(msg) : absl::PermissionDeniedError(msg);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> Read(char* out, size_t n) {
    switch (source_.kind()) {
      case FileSource::Kind::kHostPath:
        return ReadSome(fd_.get(), out, n, source_.path());
      case FileSource::Kind::kStream:
        return source_.read()(out, n);
      case FileSource::Kind::kBytes:
        break;
    }
    size_t k = std::min<size_t>(n, source_.bytes().size() - offset_);
    std::memcpy(out, source_.bytes().data() + offset_, k);
    offset_ += k;
    return k;
  }

 private:
  const FileSource& source_;
  UniqueFd fd_;
  size_t offset_ = 0;
};

absl::Status CopyOne(const PlannedFile& f, SequentialWriter& out) {
  SourceReader in(f.node->source);
  NP_RETURN_IF_ERROR(in.Open());
  NP_RETURN_IF_ERROR(out.SeekTo(f.first_sector * kTfsSectorSize));
  uint64_t remaining = f.size;
  while (remaining > 0) {
    NP_ASSIGN_OR_RETURN(size_t avail, out.Space());
    size_t want = static_cast<size_t>(std::min<uint64_t>(avail, remaining));
    NP_ASSIGN_OR_RETURN(size_t got, in.Read(out.cursor(), want));
    if (got == 0 || got > want) {
      return absl::AbortedError(StrCat("tfs file ", f.path, ": source shrank while being copied"));
    }
    out.Commit(got);
    remaining -= got;
  }
  if (f.node->source.kind() == FileSource::Kind::kHostPath) {
    char extra;
    NP_ASSIGN_OR_RETURN(size_t more, in.Read(&extra, 1));
    if (more != 0) {
      return absl::AbortedError(StrCat("tfs file ", f.path, ": source grew while being copied"));
    }
  }
  // Zero the tail of the last sector: the kernel reads whole sectors.
  return out.Zeros((kTfsSectorSize - f.size % kTfsSectorSize) % kTfsSectorSize);
}

}  // namespace

absl::Status CopyFileData(const TfsLayout& layout, int fd, uint64_t offset,
                          const std::string& image_path) {
  auto first = std::find_if(layout.files.begin(), layout.files.end(),
                            [](const PlannedFile& f) { return f.size > 0; });
  if (first == layout.files.end()) {
    return absl::OkStatus();
  }
  SequentialWriter out(fd, offset, first->first_sector * kTfsSectorSize, image_path);
  for (auto it = first; it != layout.files.end(); ++it) {
    if (it->size > 0) {
      NP_RETURN_IF_ERROR(CopyOne(*it, out));
    }
  }
  return out.Flush();
}

}  // namespace nanoplane::image
