#pragma once

// DirectoryWatcher: waits for changes under a directory with inotify, on the
// directory and every subdirectory that is not hidden, new ones included.
// Bursts (an editor's write-and-rename, a git checkout) count once: Wait
// returns after events stopped for `quiet` (or, under a steady stream, after
// ten times that). Events are only a hint to look again; callers re-read
// everything, so a lost or merged event costs nothing but latency.
//
// Wait is for one thread; Stop may be called from any thread.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace nanoplane::controller::manifests {

class DirectoryWatcher {
 public:
  // Internal when inotify cannot be set up. The directory may be missing:
  // WatchTree picks it up later.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DirectoryWatcher>> Open(std::string dir,
                                                                              absl::Duration quiet);
  ~DirectoryWatcher();
  DirectoryWatcher(const DirectoryWatcher&) = delete;
  DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

  enum class Wake { kChanged, kTimeout, kStopped };

  // Blocks until a change under the directory (then quiet), `timeout`, or Stop.
  Wake Wait(absl::Duration timeout);

  // Wakes Wait, and makes every later Wait return kStopped.
  void Stop();

  // Watches the directory and its subdirectories; Wait calls it after a
  // directory event. Missing or vanished directories are skipped.
  void WatchTree();

 private:
  DirectoryWatcher(std::string dir, absl::Duration quiet, int inotify_fd, int stop_fd);
  // One poll until `deadline`; reads the pending events.
  Wake PollOnce(absl::Time deadline);
  // Reads every pending event; true when one was about a directory.
  bool Drain();

  const std::string dir_;
  const absl::Duration quiet_;
  const int inotify_fd_;
  const int stop_fd_;  // an eventfd
};

}  // namespace nanoplane::controller::manifests
