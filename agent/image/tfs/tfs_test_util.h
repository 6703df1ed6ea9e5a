#pragma once

// Test helpers shared by the TFS tests.

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "agent/image/tfs/tfs_reader.h"
#include "common/strings.h"
#include "gtest/gtest.h"

namespace nanoplane::image::testing {

// A fresh directory under the test temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = StrCat(::testing::TempDir(), "/np_tfs_", ::getpid(), "_", counter++);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Join(std::string_view name) const { return StrCat(path_, "/", name); }

 private:
  std::string path_;
};

inline std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) {
    c = static_cast<char>(rng());
  }
  return out;
}

inline void WriteHostFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

inline std::string ReadHostFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Visits every entry and reads every file (each capped at max_file_bytes),
// returning the first error. Used on hostile images: must never crash.
inline absl::Status WalkAll(const TfsReader& reader, const std::string& dir,
                            uint64_t max_file_bytes, int* budget) {
  absl::StatusOr<std::vector<TfsDirEntry>> entries = reader.List(dir);
  if (!entries.ok()) {
    return entries.status();
  }
  for (const TfsDirEntry& e : *entries) {
    if (--*budget < 0) {
      return absl::OkStatus();
    }
    std::string path = StrCat(dir, "/", e.name);
    absl::Status s;
    if (e.type == TfsEntryType::kDirectory) {
      s = WalkAll(reader, path, max_file_bytes, budget);
    } else if (e.type == TfsEntryType::kSymlink) {
      s = reader.ReadLink(path).status();
    } else {
      s = reader.ReadFile(path, max_file_bytes).status();
    }
    if (!s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace nanoplane::image::testing
