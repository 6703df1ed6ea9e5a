#include "agent/image/tfs/tfs_log.h"

#include <algorithm>
#include <set>
#include <utility>

#include "agent/image/tfs/tuple_codec.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

// Room kept at the end of an extension for a link frame and END_OF_LOG, and
// the largest frame header; the same reserves the kernel's log writer keeps.
constexpr size_t kLinkReserve = 1 + 2 * kMaxVarintBytes;
constexpr size_t kFrameHeaderReserve = 1 + 2 * kMaxVarintBytes;
constexpr size_t kMinFramePayload = 32;
// A hostile link cannot make the reader allocate more than this per extension.
constexpr uint64_t kMaxExtensionBytes = 64ull * 1024 * 1024;
// ...and no more than this for the whole log (the kernel's is a few MiB).
constexpr uint64_t kMaxLogBytes = 1ull << 30;

void AppendHeader(uint64_t sectors, std::string* out) {
  out->append(kTfsMagic);
  AppendVarint(kTfsVersion, out);
  AppendVarint(sectors, out);
}

class LogBuilder {
 public:
  LogBuilder(const TfsUuid& uuid, const std::string& label) {
    LogExtension& first = extensions_.emplace_back();
    first.start_sector = 0;
    first.sectors = kTfsInitialLogSectors;
    AppendHeader(first.sectors, &first.bytes);
    first.bytes.append(reinterpret_cast<const char*>(uuid.data()), uuid.size());
    first.bytes.append(label);
    first.bytes.push_back('\0');
    Extend();
  }

  void Add(const std::string& entry) {
    size_t written = 0;
    do {
      std::string& b = extensions_.back().bytes;
      if (b.size() + kLinkReserve + kFrameHeaderReserve + kMinFramePayload >=
          kTfsLogExtensionBytes) {
        Extend();
        continue;
      }
      size_t avail = kTfsLogExtensionBytes - (b.size() + kLinkReserve + kFrameHeaderReserve);
      size_t length = std::min(avail, entry.size() - written);
      if (written == 0) {
        b.push_back(static_cast<char>(kFrameTupleAvailable));
        AppendVarint(entry.size(), &b);
      } else {
        b.push_back(static_cast<char>(kFrameTupleExtended));
      }
      AppendVarint(length, &b);
      b.append(entry, written, length);
      written += length;
    } while (written < entry.size());
  }

  std::vector<LogExtension> Finish() && {
    for (LogExtension& ext : extensions_) {
      ext.bytes.push_back(static_cast<char>(kFrameEndOfLog));
      ext.bytes.resize(ext.sectors * kTfsSectorSize, '\0');
    }
    return std::move(extensions_);
  }

 private:
  // Closes the current extension with a link to a new one right after the
  // previous full-size extension.
  void Extend() {
    uint64_t start = kTfsInitialLogSectors + (extensions_.size() - 1) * kTfsLogExtensionSectors;
    std::string& b = extensions_.back().bytes;
    b.push_back(static_cast<char>(kFrameExtensionLink));
    AppendVarint(start, &b);
    AppendVarint(kTfsLogExtensionSectors, &b);
    LogExtension& next = extensions_.emplace_back();
    next.start_sector = start;
    next.sectors = kTfsLogExtensionSectors;
    next.bytes.reserve(kTfsLogExtensionBytes);
    AppendHeader(next.sectors, &next.bytes);
  }

  std::vector<LogExtension> extensions_;
};

// Reads the frames of one log, following links.
class LogReader {
 public:
  explicit LogReader(const ByteSource& source) : source_(source) {}

  absl::StatusOr<LogContents> Read() {
    uint64_t start = 0;
    uint64_t sectors = kTfsInitialLogSectors;
    while (true) {
      NP_ASSIGN_OR_RETURN(std::string ext, LoadExtension(start, sectors));
      ByteCursor in(ext);
      NP_RETURN_IF_ERROR(ParseHeader(in, start == 0));
      NP_ASSIGN_OR_RETURN(bool linked, ParseFrames(in, &start, &sectors));
      if (!linked) {
        break;
      }
    }
    NP_ASSIGN_OR_RETURN(out_.root, decoder_.Root());
    return std::move(out_);
  }

 private:
  absl::StatusOr<std::string> LoadExtension(uint64_t start, uint64_t sectors) {
    uint64_t total_sectors = source_.size() / kTfsSectorSize;
    if (sectors == 0 || start >= total_sectors || sectors > total_sectors - start ||
        sectors > kMaxExtensionBytes / kTfsSectorSize) {
      return absl::InvalidArgumentError(StrCat("tfs: log extension at sector ", start, " (",
                                               sectors, " sectors) is outside the filesystem"));
    }
    if (!visited_.insert(start).second) {
      return absl::InvalidArgumentError("tfs: log extensions form a loop");
    }
    out_.log_sectors += sectors;
    if (out_.log_sectors > total_sectors || out_.log_sectors > kMaxLogBytes / kTfsSectorSize) {
      return absl::InvalidArgumentError("tfs: log larger than the filesystem");
    }
    std::string ext(sectors * kTfsSectorSize, '\0');
    NP_RETURN_IF_ERROR(source_.ReadAt(start * kTfsSectorSize, ext.data(), ext.size()));
    return ext;
  }

  absl::Status ParseHeader(ByteCursor& in, bool first) {
    NP_ASSIGN_OR_RETURN(std::string_view magic, in.Bytes(kTfsMagic.size()));
    if (magic != kTfsMagic) {
      return absl::InvalidArgumentError("tfs: bad magic (not a TFS filesystem)");
    }
    NP_ASSIGN_OR_RETURN(uint64_t version, in.Varint());
    if (version != kTfsVersion && version != kTfsOldVersion) {
      return absl::InvalidArgumentError(StrCat("tfs: unsupported version ", version));
    }
    old_encoding_ = version == kTfsOldVersion;
    NP_ASSIGN_OR_RETURN(uint64_t declared_sectors, in.Varint());
    (void)declared_sectors;  // The link that led here is authoritative, as in the kernel.
    if (!first) {
      return absl::OkStatus();
    }
    out_.version = version;
    NP_ASSIGN_OR_RETURN(std::string_view uuid, in.Bytes(kTfsUuidSize));
    std::copy(uuid.begin(), uuid.end(), out_.uuid.begin());
    for (size_t i = 0;; ++i) {
      if (i >= kTfsLabelMax) {
        return absl::InvalidArgumentError("tfs: label not terminated");
      }
      NP_ASSIGN_OR_RETURN(uint8_t c, in.U8());
      if (c == 0) {
        break;
      }
      out_.label.push_back(static_cast<char>(c));
    }
    return absl::OkStatus();
  }

  // Returns true when a link names the next extension in *start / *sectors.
  absl::StatusOr<bool> ParseFrames(ByteCursor& in, uint64_t* start, uint64_t* sectors) {
    while (true) {
      NP_ASSIGN_OR_RETURN(uint8_t frame, in.U8());
      switch (frame) {
        case kFrameEndOfLog:
          // An entry cut short by a crash is dropped, as the kernel does.
          return false;
        case kFrameEndOfSegment:
          break;
        case kFrameExtensionLink: {
          NP_ASSIGN_OR_RETURN(*start, in.Varint());
          NP_ASSIGN_OR_RETURN(*sectors, in.Varint());
          return true;
        }
        case kFrameTupleAvailable:
          NP_RETURN_IF_ERROR(TupleAvailable(in));
          break;
        case kFrameTupleExtended:
          NP_RETURN_IF_ERROR(TupleExtended(in));
          break;
        default:
          return absl::InvalidArgumentError(StrCat("tfs: unknown log frame type ", frame));
      }
    }
  }

  absl::Status TupleAvailable(ByteCursor& in) {
    if (pending_remaining_ > 0) {
      return absl::InvalidArgumentError("tfs: new log entry while another is incomplete");
    }
    NP_ASSIGN_OR_RETURN(uint64_t total, in.Varint());
    NP_ASSIGN_OR_RETURN(uint64_t length, in.Varint());
    if (length > total || length >= in.remaining()) {
      return absl::InvalidArgumentError("tfs: log entry length out of range");
    }
    NP_ASSIGN_OR_RETURN(std::string_view bytes, in.Bytes(length));
    if (length == total) {
      return decoder_.DecodeEntry(bytes, old_encoding_);
    }
    pending_.assign(bytes);
    pending_remaining_ = total - length;
    return absl::OkStatus();
  }

  absl::Status TupleExtended(ByteCursor& in) {
    NP_ASSIGN_OR_RETURN(uint64_t length, in.Varint());
    if (length > pending_remaining_) {
      return absl::InvalidArgumentError("tfs: log entry continuation too long");
    }
    NP_ASSIGN_OR_RETURN(std::string_view bytes, in.Bytes(length));
    pending_.append(bytes);
    pending_remaining_ -= length;
    if (pending_remaining_ > 0) {
      return absl::OkStatus();
    }
    absl::Status s = decoder_.DecodeEntry(pending_, old_encoding_);
    pending_.clear();
    return s;
  }

  const ByteSource& source_;
  LogContents out_;
  TupleDecoder decoder_;
  std::set<uint64_t> visited_;
  bool old_encoding_ = false;
  std::string pending_;
  uint64_t pending_remaining_ = 0;
};

}  // namespace

std::vector<LogExtension> BuildLog(const TfsUuid& uuid, const std::string& label,
                                   const std::vector<std::string>& entries) {
  LogBuilder builder(uuid, label);
  for (const std::string& entry : entries) {
    builder.Add(entry);
  }
  return std::move(builder).Finish();
}

absl::StatusOr<LogContents> ReadLog(const ByteSource& source) { return LogReader(source).Read(); }

}  // namespace nanoplane::image
