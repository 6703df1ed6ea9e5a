#include "agent/image/tfs/tfs_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace nanoplane::image {
namespace {

absl::Status ErrnoError(std::string_view op, std::string_view what, int err) {
  std::string msg = StrCat(op, " ", what, ": ", std::strerror(err));
  if (err == ENOENT) {
    return absl::NotFoundError(msg);
  }
  if (err == EACCES || err == EPERM) {
    return absl::PermissionDeniedError(msg);
  }
  return absl::InternalError(msg);
}

class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::string_view data) : data_(data) {}
  uint64_t size() const override { return data_.size(); }
  absl::Status ReadAt(uint64_t offset, char* out, size_t n) const override {
    if (offset > data_.size() || n > data_.size() - offset) {
      return absl::InvalidArgumentError("tfs: read beyond the end of the image");
    }
    std::memcpy(out, data_.data() + offset, n);
    return absl::OkStatus();
  }

 private:
  std::string_view data_;
};

class FileSource : public ByteSource {
 public:
  FileSource(UniqueFd fd, std::string path, uint64_t offset, uint64_t size)
      : fd_(std::move(fd)), path_(std::move(path)), offset_(offset), size_(size) {}
  uint64_t size() const override { return size_; }
  absl::Status ReadAt(uint64_t offset, char* out, size_t n) const override {
    if (offset > size_ || n > size_ - offset) {
      return absl::InvalidArgumentError("tfs: read beyond the end of the image");
    }
    return PreadFull(fd_.get(), offset_ + offset, out, n, path_);
  }

 private:
  UniqueFd fd_;
  std::string path_;
  uint64_t offset_;
  uint64_t size_;
};

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = other.Release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

int UniqueFd::Release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

absl::Status PreadFull(int fd, uint64_t offset, char* out, size_t n, std::string_view what) {
  while (n > 0) {
    ssize_t r = ::pread(fd, out, n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoError("read", what, errno);
    }
    if (r == 0) {
      return absl::InvalidArgumentError(StrCat("read ", what, ": unexpected end of file"));
    }
    out += r;
    offset += r;
    n -= r;
  }
  return absl::OkStatus();
}

absl::Status PwriteFull(int fd, uint64_t offset, const char* data, size_t n,
                        std::string_view what) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, data, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoError("write", what, errno);
    }
    data += w;
    offset += w;
    n -= w;
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> ReadSome(int fd, char* out, size_t n, std::string_view what) {
  while (true) {
    ssize_t r = ::read(fd, out, n);
    if (r >= 0) {
      return static_cast<size_t>(r);
    }
    if (errno != EINTR) {
      return ErrnoError("read", what, errno);
    }
  }
}

std::unique_ptr<ByteSource> MemoryByteSource(std::string_view data) {
  return std::make_unique<MemorySource>(data);
}

absl::StatusOr<std::unique_ptr<ByteSource>> FileByteSource(const std::string& path, uint64_t offset,
                                                           uint64_t size) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return ErrnoError("open", path, errno);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    return ErrnoError("stat", path, errno);
  }
  uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (offset > file_size || size > file_size - offset) {
    return absl::InvalidArgumentError(
        StrCat(path, ": window at ", offset, " of ", size, " bytes is outside the file"));
  }
  if (size == 0) {
    size = file_size - offset;
  }
  return std::make_unique<FileSource>(std::move(fd), path, offset, size);
}

}  // namespace nanoplane::image
