#include "agent/image/elf/root_fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/strings.h"

namespace nanoplane::image {
namespace {

// Linux's limit (MAXSYMLINKS); beyond it open() fails with ELOOP.
constexpr int kMaxSymlinks = 40;

absl::Status LookupError(int error, std::string_view path) {
  if (error == ENOENT || error == ENOTDIR) {
    return absl::NotFoundError(StrCat(path, ": no such file"));
  }
  return absl::ErrnoToStatus(error, StrCat("lstat ", path));
}

// Pushes the components of `path` so that the first one is popped first.
void PushComponents(std::string_view path, std::vector<std::string>& pending) {
  std::vector<std::string_view> parts = StrSplit(path, '/');
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!it->empty()) {
      pending.emplace_back(*it);
    }
  }
}

absl::StatusOr<std::string> ReadLink(const std::string& host_path) {
  std::string target(256, '\0');
  while (true) {
    ssize_t n = ::readlink(host_path.c_str(), target.data(), target.size());
    if (n < 0) {
      return absl::ErrnoToStatus(errno, StrCat("readlink ", host_path));
    }
    if (static_cast<size_t>(n) < target.size()) {
      target.resize(static_cast<size_t>(n));
      return target;
    }
    target.resize(target.size() * 2);
  }
}

}  // namespace

RootFs::RootFs(std::string root) : root_(std::move(root)) {
  while (!root_.empty() && root_.back() == '/') {
    root_.pop_back();
  }
}

std::string RootFs::HostPath(std::string_view path) const { return StrCat(root_, path); }

absl::StatusOr<ResolvedPath> RootFs::Resolve(std::string_view path) const {
  ResolvedPath result;
  std::vector<std::string> pending;
  PushComponents(path, pending);
  std::string resolved;  // empty stands for "/"
  int followed = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.back());
    pending.pop_back();
    if (part == ".") {
      continue;
    }
    if (part == "..") {
      resolved = resolved.substr(0, resolved.empty() ? 0 : resolved.rfind('/'));
      continue;
    }
    std::string candidate = StrCat(resolved, "/", part);
    struct stat st {};
    if (::lstat(HostPath(candidate).c_str(), &st) != 0) {
      return LookupError(errno, path);
    }
    if (S_ISLNK(st.st_mode)) {
      if (++followed > kMaxSymlinks) {
        return absl::InvalidArgumentError(StrCat(path, ": too many levels of symlinks"));
      }
      absl::StatusOr<std::string> target = ReadLink(HostPath(candidate));
      if (!target.ok()) {
        return target.status();
      }
      if (target->empty()) {
        return absl::NotFoundError(StrCat(path, ": empty symlink ", candidate));
      }
      if (target->front() == '/') {
        resolved.clear();
      }
      PushComponents(*target, pending);
      result.links.push_back({.path = std::move(candidate), .target = *std::move(target)});
      continue;
    }
    if (!pending.empty() && !S_ISDIR(st.st_mode)) {
      return LookupError(ENOTDIR, path);
    }
    resolved = std::move(candidate);
    result.regular_file = S_ISREG(st.st_mode);
  }
  result.real_path = resolved.empty() ? "/" : resolved;
  return result;
}

absl::StatusOr<std::string> RootFs::ReadPrefix(std::string_view path, size_t length) const {
  std::string host = HostPath(path);
  int fd = ::open(host.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, StrCat("open ", host));
  }
  std::string bytes(length, '\0');
  size_t filled = 0;
  while (filled < length) {
    ssize_t n = ::read(fd, bytes.data() + filled, length - filled);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      return absl::ErrnoToStatus(saved, StrCat("read ", host));
    }
    if (n == 0) {
      break;
    }
    filled += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(filled);
  return bytes;
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  while (!dir.empty() && dir.back() == '/') {
    dir.remove_suffix(1);
  }
  return StrCat(dir, "/", name);
}

std::string DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) {
    return "/";
  }
  return std::string(path.substr(0, slash));
}

}  // namespace nanoplane::image
