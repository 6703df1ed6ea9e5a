#include "agent/image/cache/image_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <vector>

#include "common/file_lock.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSuffix = ".img";

bool IsKey(const std::string& key) {
  return key.size() == 64 && std::all_of(key.begin(), key.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

void Touch(const std::string& path) { ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0); }

}  // namespace

ImageCache::ImageCache(ImageCacheOptions options) : options_(std::move(options)) {
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
}

std::string ImageCache::PathOf(const std::string& key) const {
  return (fs::path(options_.dir) / StrCat(key, kSuffix)).string();
}

absl::StatusOr<std::string> ImageCache::Lookup(const std::string& key) {
  if (!IsKey(key)) {
    return absl::InvalidArgumentError(StrCat("\"", key, "\" is not an image key"));
  }
  std::string path = PathOf(key);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return absl::NotFoundError(StrCat("image ", key, " is not cached"));
  }
  Touch(path);
  return path;
}

absl::StatusOr<ImageCache::Result> ImageCache::GetOrBuild(const std::string& key,
                                                          const Builder& build) {
  if (auto cached = Lookup(key); cached.ok()) {
    return Result{*cached, true};
  } else if (cached.status().code() != absl::StatusCode::kNotFound) {
    return cached.status();
  }
  absl::StatusOr<FileLock> lock =
      FileLock::Acquire((fs::path(options_.dir) / StrCat(".", key, ".lock")).string());
  if (!lock.ok()) {
    return lock.status();
  }
  if (auto cached = Lookup(key); cached.ok()) {
    return Result{*cached, true};  // built by another thread or process meanwhile
  }
  std::random_device random;
  std::string temp =
      (fs::path(options_.dir) / StrCat(".tmp-", key, "-", ::getpid(), "-", random())).string();
  absl::Status status = build(temp);
  std::error_code ec;
  if (status.ok()) {
    fs::rename(temp, PathOf(key), ec);
    if (ec) {
      status = absl::InternalError(StrCat(PathOf(key), ": ", ec.message()));
    }
  }
  if (!status.ok()) {
    fs::remove(temp, ec);
    return status;
  }
  Evict(key);
  return Result{PathOf(key), false};
}

void ImageCache::Pin(const std::string& key) {
  std::lock_guard<std::mutex> guard(mutex_);
  ++pins_[key];
}

void ImageCache::Unpin(const std::string& key) {
  std::lock_guard<std::mutex> guard(mutex_);
  if (auto it = pins_.find(key); it != pins_.end() && --it->second <= 0) {
    pins_.erase(it);
  }
}

void ImageCache::Evict(const std::string& keep) {
  struct Entry {
    fs::path path;
    std::string key;
    uint64_t bytes;
    fs::file_time_type used;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(options_.dir, ec)) {
    std::string name = item.path().filename().string();
    if (!name.ends_with(kSuffix) || !item.is_regular_file(ec)) {
      continue;
    }
    // Allocated bytes, not apparent size: images are sparse.
    struct stat st {};
    if (::stat(item.path().c_str(), &st) != 0) {
      continue;
    }
    uint64_t bytes = static_cast<uint64_t>(st.st_blocks) * 512;
    entries.push_back({item.path(), name.substr(0, name.size() - kSuffix.size()), bytes,
                       item.last_write_time(ec)});
    total += bytes;
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.used < b.used; });
  std::lock_guard<std::mutex> guard(mutex_);
  for (const Entry& entry : entries) {
    if (total <= options_.max_bytes) {
      break;
    }
    if (entry.key == keep || pins_.contains(entry.key)) {
      continue;
    }
    if (fs::remove(entry.path, ec)) {
      total -= entry.bytes;
    }
  }
}

uint64_t ImageCache::TotalBytes() const {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(options_.dir, ec)) {
    struct stat st {};
    if (item.path().filename().string().ends_with(kSuffix) &&
        ::stat(item.path().c_str(), &st) == 0) {
      total += static_cast<uint64_t>(st.st_blocks) * 512;
    }
  }
  return total;
}

}  // namespace nanoplane::image
