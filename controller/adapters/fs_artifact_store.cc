#include "controller/adapters/fs_artifact_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "absl/random/random.h"
#include "common/sha256.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::controller {
namespace {

namespace fs = std::filesystem;

absl::Status Errno(std::string_view what, const std::string& path) {
  int error = errno;
  std::string message = StrCat(what, " ", path, ": ", std::strerror(error));
  return error == ENOENT ? absl::NotFoundError(message) : absl::InternalError(message);
}

absl::Status CheckDigest(const std::string& digest) {
  if (!IsSha256Digest(digest)) {
    return absl::InvalidArgumentError(
        StrCat("\"", digest, "\" is not a sha256 digest (64 lower-case hex digits)"));
  }
  return absl::OkStatus();
}

// The rename of a new blob is durable only once its directory is synced.
absl::Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return Errno("open", dir);
  }
  int result = fsync(fd);
  close(fd);
  return result == 0 ? absl::OkStatus() : Errno("fsync", dir);
}

// Marks a blob as used now (its mtime is its age for the collector).
absl::Status Touch(const std::string& path) {
  if (utimensat(AT_FDCWD, path.c_str(), nullptr, 0) != 0) {
    return Errno("touch", path);
  }
  return absl::OkStatus();
}

class FsBlobReader : public ports::BlobReader {
 public:
  FsBlobReader(int fd, int64_t size) : fd_(fd), size_(size) {}
  ~FsBlobReader() override { close(fd_); }
  int64_t size() const override { return size_; }
  absl::StatusOr<std::string> Read(size_t max) override {
    std::string buffer(max, '\0');
    ssize_t got;
    do {
      got = read(fd_, buffer.data(), max);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
      return Errno("read", "blob");
    }
    buffer.resize(static_cast<size_t>(got));
    return buffer;
  }

 private:
  int fd_;
  int64_t size_;
};

}  // namespace

bool IsSha256Digest(const std::string& digest) {
  return digest.size() == 64 && std::all_of(digest.begin(), digest.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

class FsArtifactStore::FsBlobWriter : public ports::BlobWriter {
 public:
  FsBlobWriter(FsArtifactStore& store, std::string digest, std::string path, int fd)
      : store_(store), digest_(std::move(digest)), path_(std::move(path)), fd_(fd) {}
  ~FsBlobWriter() override { Abort(); }

  absl::Status Append(std::string_view bytes) override {
    if (fd_ < 0) {
      return absl::FailedPreconditionError(StrCat("upload ", digest_, " is finished"));
    }
    hasher_.Update(bytes);
    size_ += static_cast<int64_t>(bytes.size());
    while (!bytes.empty()) {
      ssize_t wrote = write(fd_, bytes.data(), bytes.size());
      if (wrote < 0 && errno == EINTR) {
        continue;
      }
      if (wrote < 0) {
        absl::Status status = Errno("write", path_);
        Abort();
        return status;
      }
      bytes.remove_prefix(static_cast<size_t>(wrote));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> Commit() override {
    if (fd_ < 0) {
      return absl::FailedPreconditionError(StrCat("upload ", digest_, " is finished"));
    }
    std::string actual = hasher_.HexDigest();
    if (actual != digest_) {
      Abort();
      return absl::InvalidArgumentError(
          StrCat("upload ", digest_, ": content has sha256 ", actual, "; refused"));
    }
    // The data must be on disk before the rename makes the blob visible.
    if (fsync(fd_) != 0) {
      absl::Status status = Errno("fsync", path_);
      Abort();
      return status;
    }
    close(fd_);
    fd_ = -1;
    absl::Status published = store_.Publish(path_, digest_);
    if (!published.ok()) {
      unlink(path_.c_str());
      return published;
    }
    return size_;
  }

  void Abort() override {
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
      unlink(path_.c_str());
    }
  }

 private:
  FsArtifactStore& store_;
  const std::string digest_;
  const std::string path_;
  int fd_;
  Sha256 hasher_;
  int64_t size_ = 0;
};

absl::StatusOr<std::unique_ptr<FsArtifactStore>> FsArtifactStore::Open(const std::string& dir) {
  for (const char* sub : {"sha256", "tmp"}) {
    std::error_code error;
    fs::create_directories(fs::path(dir) / sub, error);
    if (error) {
      return absl::InternalError(StrCat("create ", dir, "/", sub, ": ", error.message()));
    }
  }
  return std::unique_ptr<FsArtifactStore>(new FsArtifactStore(dir));
}

std::string FsArtifactStore::BlobPath(const std::string& digest) const {
  return StrCat(dir_, "/sha256/", digest);
}

absl::StatusOr<std::unique_ptr<ports::BlobWriter>> FsArtifactStore::StartPut(
    const std::string& digest) {
  NP_RETURN_IF_ERROR(CheckDigest(digest));
  // A unique staging name per upload: concurrent uploads of one blob never
  // share a file.
  thread_local absl::BitGen gen;
  std::string path =
      StrCat(dir_, "/tmp/", digest, ".", absl::Uniform<uint64_t>(gen), ".", getpid());
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Errno("create", path);
  }
  return std::make_unique<FsBlobWriter>(*this, digest, path, fd);
}

absl::Status FsArtifactStore::Publish(const std::string& temp_path, const std::string& digest) {
  absl::MutexLock lock(&mu_);
  std::string path = BlobPath(digest);
  // rename replaces an identical copy from a concurrent upload atomically;
  // readers of the old copy keep their open file.
  if (rename(temp_path.c_str(), path.c_str()) != 0) {
    return Errno("rename to", path);
  }
  return SyncDirectory(StrCat(dir_, "/sha256"));
}

absl::StatusOr<std::unique_ptr<ports::BlobReader>> FsArtifactStore::Get(const std::string& digest) {
  NP_RETURN_IF_ERROR(CheckDigest(digest));
  absl::MutexLock lock(&mu_);
  std::string path = BlobPath(digest);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Annotate(Errno("open", path), StrCat("artifact ", digest));
  }
  struct stat info;
  if (fstat(fd, &info) != 0) {
    absl::Status status = Errno("stat", path);
    close(fd);
    return status;
  }
  (void)Touch(path);  // best effort: a failed touch only shortens the blob's grace
  return std::make_unique<FsBlobReader>(fd, info.st_size);
}

absl::StatusOr<bool> FsArtifactStore::Has(const std::string& digest) {
  NP_RETURN_IF_ERROR(CheckDigest(digest));
  absl::MutexLock lock(&mu_);
  absl::Status touched = Touch(BlobPath(digest));
  if (absl::IsNotFound(touched)) {
    return false;
  }
  NP_RETURN_IF_ERROR(touched);
  return true;
}

absl::StatusOr<int64_t> FsArtifactStore::Size(const std::string& digest) {
  NP_RETURN_IF_ERROR(CheckDigest(digest));
  struct stat info;
  std::string path = BlobPath(digest);
  if (stat(path.c_str(), &info) != 0) {
    return Annotate(Errno("stat", path), StrCat("artifact ", digest));
  }
  return static_cast<int64_t>(info.st_size);
}

absl::StatusOr<std::vector<std::string>> FsArtifactStore::List() {
  std::vector<std::string> digests;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "sha256", error)) {
    std::string name = entry.path().filename().string();
    if (IsSha256Digest(name)) {
      digests.push_back(name);
    }
  }
  if (error) {
    return absl::InternalError(StrCat("list ", dir_, "/sha256: ", error.message()));
  }
  std::sort(digests.begin(), digests.end());
  return digests;
}

absl::StatusOr<ports::GcResult> FsArtifactStore::GarbageCollect(
    const std::set<std::string>& referenced, absl::Duration min_age) {
  absl::Time cutoff = absl::Now() - min_age;
  NP_ASSIGN_OR_RETURN(std::vector<std::string> digests, List());
  ports::GcResult result;
  for (const std::string& digest : digests) {
    if (referenced.contains(digest)) {
      continue;
    }
    absl::MutexLock lock(&mu_);
    std::string path = BlobPath(digest);
    struct stat info;
    if (stat(path.c_str(), &info) != 0 || absl::TimeFromTimespec(info.st_mtim) > cutoff) {
      continue;
    }
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Errno("delete", path);
    }
    result.deleted.push_back(digest);
    result.bytes_freed += info.st_size;
  }
  NP_RETURN_IF_ERROR(CollectTemporaries(cutoff, result));
  return result;
}

absl::Status FsArtifactStore::CollectTemporaries(absl::Time cutoff, ports::GcResult& result) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "tmp", error)) {
    struct stat info;
    std::string path = entry.path().string();
    // An upload still being written is younger than the cutoff: its writes
    // move its mtime.
    if (stat(path.c_str(), &info) == 0 && absl::TimeFromTimespec(info.st_mtim) <= cutoff &&
        unlink(path.c_str()) == 0) {
      result.bytes_freed += info.st_size;
    }
  }
  if (error) {
    return absl::InternalError(StrCat("list ", dir_, "/tmp: ", error.message()));
  }
  return absl::OkStatus();
}

}  // namespace nanoplane::controller
