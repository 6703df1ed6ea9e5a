#pragma once

// LdSoCache: the x86-64 entries of a glibc /etc/ld.so.cache, read natively
// (ldconfig is never run).
//
// Understands the "glibc-ld.so.cache1.1" format, alone or behind the legacy
// "ld.so-1.7.0" table that older ldconfig versions still write first, and a
// legacy-only file. Only 64-bit x86-64 libc6 entries without hardware
// capabilities are kept: the image must run on any x86-64 CPU, so the
// baseline library is the one to copy even where ld.so on this host would
// pick a glibc-hwcaps variant.
//
// Parse never reads outside `bytes`; a malformed cache is InvalidArgument
// naming the file. Immutable after construction, so safe to share.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace nanoplane::image {

struct LdSoCacheEntry {
  std::string soname;  // "libc.so.6"
  std::string path;    // "/lib/x86_64-linux-gnu/libc.so.6"

  bool operator==(const LdSoCacheEntry&) const = default;
};

class LdSoCache {
 public:
  LdSoCache() = default;

  // `name` labels error messages.
  [[nodiscard]] static absl::StatusOr<LdSoCache> Parse(std::string_view bytes,
                                                       std::string_view name);

  // Reads the cache at the host path `path`. A missing file is an empty
  // cache, as it is for ld.so.
  [[nodiscard]] static absl::StatusOr<LdSoCache> Load(const std::string& path);

  // The path of the first entry for `soname`, in cache order (ldconfig sorts
  // the entries so the first is the one ld.so uses).
  std::optional<std::string> Lookup(std::string_view soname) const;

  const std::vector<LdSoCacheEntry>& entries() const { return entries_; }

 private:
  std::vector<LdSoCacheEntry> entries_;
};

}  // namespace nanoplane::image
