#include "agent/image/archive/safe_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "absl/status/statusor.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;

using ArchivePtr = std::unique_ptr<archive, decltype(&archive_read_free)>;

absl::Status EntryError(const std::string& archive_path, const std::string& entry,
                        std::string_view why) {
  return absl::InvalidArgumentError(StrCat(archive_path, ": entry \"", entry, "\" ", why));
}

// The entry's path, normalized: "./a//b/" becomes "a/b"; empty for the root.
absl::StatusOr<std::string> CleanPath(const std::string& archive_path, const std::string& raw) {
  if (raw.empty() || raw.front() == '/') {
    return EntryError(archive_path, raw, "has an absolute path");
  }
  std::string clean;
  for (std::string_view part : StrSplit(raw, '/')) {
    if (part.empty() || part == ".") {
      continue;
    }
    if (part == "..") {
      return EntryError(archive_path, raw, "climbs out of the archive with \"..\"");
    }
    if (!clean.empty()) {
      clean += '/';
    }
    clean.append(part);
  }
  return clean;
}

absl::Status WriteData(archive* reader, const std::string& archive_path, const std::string& entry,
                       const fs::path& path, mode_t mode, uint64_t& total, uint64_t max_total) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 0755);
  if (fd < 0) {
    return absl::InternalError(StrCat(path.string(), ": ", std::strerror(errno)));
  }
  const void* block = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  absl::Status status;
  while (status.ok()) {
    int r = archive_read_data_block(reader, &block, &size, &offset);
    if (r == ARCHIVE_EOF) {
      break;
    }
    if (r != ARCHIVE_OK) {
      status =
          EntryError(archive_path, entry, StrCat("is corrupt: ", archive_error_string(reader)));
      break;
    }
    total += size;
    if (total > max_total) {
      status = EntryError(archive_path, entry, "makes the archive larger than allowed");
      break;
    }
    if (::pwrite(fd, block, size, offset) != static_cast<ssize_t>(size)) {
      status = absl::InternalError(StrCat(path.string(), ": ", std::strerror(errno)));
    }
  }
  ::close(fd);
  return status;
}

absl::Status ExtractEntry(archive* reader, archive_entry* entry, const std::string& archive_path,
                          const fs::path& dest, uint64_t& total, const ExtractLimits& limits) {
  const char* raw = archive_entry_pathname(entry);
  std::string raw_path = raw ? raw : "";
  auto clean = CleanPath(archive_path, raw_path);
  if (!clean.ok()) {
    return clean.status();
  }
  if (clean->empty()) {
    return absl::OkStatus();  // "./": the root itself
  }
  fs::path path = dest / *clean;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return EntryError(archive_path, raw_path, StrCat("cannot be created: ", ec.message()));
  }
  // Parents must be real directories: a symlinked parent could lead outside.
  for (fs::path p = path.parent_path(); p != dest && p.has_relative_path(); p = p.parent_path()) {
    if (fs::is_symlink(p)) {
      return EntryError(archive_path, raw_path, "lies below a symlink");
    }
  }
  if (archive_entry_hardlink(entry) != nullptr) {
    return EntryError(archive_path, raw_path, "is a hard link, which is not supported");
  }
  switch (archive_entry_filetype(entry)) {
    case AE_IFDIR:
      fs::create_directories(path, ec);
      return ec ? EntryError(archive_path, raw_path, ec.message()) : absl::OkStatus();
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      std::string link_target = target ? target : "";
      if (link_target.empty() || !SymlinkStaysInside(*clean, link_target)) {
        return EntryError(archive_path, raw_path,
                          StrCat("is a symlink to \"", link_target, "\", outside the archive"));
      }
      if (::symlink(link_target.c_str(), path.c_str()) != 0) {
        return EntryError(archive_path, raw_path, std::strerror(errno));
      }
      return absl::OkStatus();
    }
    case AE_IFREG:
      return WriteData(reader, archive_path, raw_path, path, archive_entry_perm(entry), total,
                       limits.max_total_bytes);
    default:
      return EntryError(archive_path, raw_path, "is not a file, directory or symlink");
  }
}

}  // namespace

bool SymlinkStaysInside(const std::string& link_path, const std::string& target) {
  if (target.empty() || target.front() == '/') {
    return false;
  }
  // Depth of the directory holding the link, then walk the target's parts.
  int depth = 0;
  std::vector<std::string_view> parts = StrSplit(link_path, '/');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    depth += (parts[i].empty() || parts[i] == ".") ? 0 : 1;
  }
  // ".." only leads: after a name, the name could itself be a symlink, and ".."
  // from where it points is not where the text says.
  bool leading = true;
  for (std::string_view part : StrSplit(target, '/')) {
    if (part == "..") {
      if (!leading || --depth < 0) {
        return false;
      }
    } else if (!part.empty() && part != ".") {
      leading = false;
      ++depth;
    }
  }
  return true;
}

absl::Status ExtractArchive(const std::string& archive_path, const std::string& dest_dir,
                            const ExtractLimits& limits) {
  ArchivePtr reader(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_gnutar(reader.get());
  archive_read_support_filter_all(reader.get());
  if (archive_read_open_filename(reader.get(), archive_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return absl::InvalidArgumentError(
        StrCat(archive_path, ": not a readable tar archive: ", archive_error_string(reader.get())));
  }
  fs::path dest(dest_dir);
  uint64_t total = 0;
  uint64_t entries = 0;
  archive_entry* entry = nullptr;
  while (true) {
    int r = archive_read_next_header(reader.get(), &entry);
    if (r == ARCHIVE_EOF) {
      break;
    }
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return absl::InvalidArgumentError(
          StrCat(archive_path, ": corrupt archive: ", archive_error_string(reader.get())));
    }
    if (++entries > limits.max_entries) {
      return absl::InvalidArgumentError(
          StrCat(archive_path, ": more than ", limits.max_entries, " entries"));
    }
    absl::Status status = ExtractEntry(reader.get(), entry, archive_path, dest, total, limits);
    if (!status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace nanoplane::image
