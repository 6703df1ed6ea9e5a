#include "controller/manifests/directory_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/strings.h"

namespace nanoplane::controller::manifests {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                           IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;

bool IsHidden(const fs::path& path) {
  std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

int PollMillis(absl::Time deadline) {
  absl::Duration left = std::max(deadline - absl::Now(), absl::ZeroDuration());
  return static_cast<int>(absl::ToInt64Milliseconds(left + absl::Microseconds(999)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<DirectoryWatcher>> DirectoryWatcher::Open(std::string dir,
                                                                         absl::Duration quiet) {
  int inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd < 0) {
    return absl::InternalError(StrCat("inotify_init1: ", std::strerror(errno)));
  }
  int stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd < 0) {
    close(inotify_fd);
    return absl::InternalError(StrCat("eventfd: ", std::strerror(errno)));
  }
  std::unique_ptr<DirectoryWatcher> watcher(
      new DirectoryWatcher(std::move(dir), quiet, inotify_fd, stop_fd));
  watcher->WatchTree();
  return watcher;
}

DirectoryWatcher::DirectoryWatcher(std::string dir, absl::Duration quiet, int inotify_fd,
                                   int stop_fd)
    : dir_(std::move(dir)), quiet_(quiet), inotify_fd_(inotify_fd), stop_fd_(stop_fd) {}

DirectoryWatcher::~DirectoryWatcher() {
  close(inotify_fd_);
  close(stop_fd_);
}

void DirectoryWatcher::WatchTree() {
  // Adding a watch twice returns the same one, so the whole tree is walked
  // each time rather than tracking which directories are watched already.
  inotify_add_watch(inotify_fd_, dir_.c_str(), kMask);
  std::error_code ec;
  auto it =
      fs::recursive_directory_iterator(dir_, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code ignored;
    if (!it->is_directory(ignored)) {
      continue;
    }
    if (IsHidden(it->path())) {
      it.disable_recursion_pending();
      continue;
    }
    inotify_add_watch(inotify_fd_, it->path().c_str(), kMask);
  }
}

void DirectoryWatcher::Stop() {
  uint64_t one = 1;
  // A full counter already wakes Wait.
  [[maybe_unused]] ssize_t written = write(stop_fd_, &one, sizeof(one));
}

bool DirectoryWatcher::Drain() {
  alignas(inotify_event) char buffer[16 * 1024];
  bool directory_event = false;
  for (;;) {
    ssize_t n = read(inotify_fd_, buffer, sizeof(buffer));
    if (n <= 0) {
      return directory_event;  // EAGAIN: drained (EINTR: the next poll reads on)
    }
    for (ssize_t offset = 0; offset < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      // An overflow may have hidden a new directory.
      directory_event |= (event->mask & (IN_ISDIR | IN_Q_OVERFLOW)) != 0;
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
}

DirectoryWatcher::Wake DirectoryWatcher::PollOnce(absl::Time deadline) {
  for (;;) {
    pollfd fds[2] = {{.fd = stop_fd_, .events = POLLIN}, {.fd = inotify_fd_, .events = POLLIN}};
    int ready = poll(fds, 2, PollMillis(deadline));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready < 0) {
      return Wake::kTimeout;  // not expected with our own descriptors; the caller rereads
    }
    if (fds[0].revents != 0) {
      return Wake::kStopped;
    }
    if (ready > 0 && fds[1].revents != 0) {
      if (Drain()) {
        WatchTree();
      }
      return Wake::kChanged;
    }
    if (absl::Now() >= deadline) {
      return Wake::kTimeout;
    }
  }
}

DirectoryWatcher::Wake DirectoryWatcher::Wait(absl::Duration timeout) {
  Wake wake = PollOnce(absl::Now() + timeout);
  if (wake != Wake::kChanged) {
    return wake;
  }
  absl::Time give_up = absl::Now() + 10 * quiet_;
  while (absl::Now() < give_up) {
    Wake next = PollOnce(std::min(absl::Now() + quiet_, give_up));
    if (next == Wake::kStopped) {
      return next;
    }
    if (next == Wake::kTimeout) {
      break;
    }
  }
  return Wake::kChanged;
}

}  // namespace nanoplane::controller::manifests
