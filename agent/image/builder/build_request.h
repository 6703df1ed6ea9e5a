#pragma once

// What goes into an image, with every source already resolved to a host path
// (the CLI resolves paths relative to the manifest; the agent fetches artifacts).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "agent/image/tfs/value.h"

namespace nanoplane::image {

struct FileInput {
  std::string image_path;  // absolute
  std::string host_path;   // where the content is; empty when inline
  std::string content;     // inline content
};

struct MapDirInput {
  std::string host_path;
  std::string image_path;
};

struct BuildRequest {
  std::string program;            // absolute path in the image
  std::string program_source;     // host path; empty: from a package, else the host's `program`
  std::vector<std::string> args;  // after argv0
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<FileInput> files;
  std::vector<std::string> dirs;  // host directories, copied to the same path
  std::vector<MapDirInput> map_dirs;
  std::vector<std::string> packages;  // unpacked package directories (see package.h)
  std::string nanos_version;
  std::vector<std::string> klibs;
  std::vector<std::string> debug_flags;
  Tuple manifest;  // passthrough root tuples
  uint64_t base_volume_size = 0;
  bool ssl_certs = false;  // add the host's CA bundle at /etc/ssl/certs
  // The host directory standing for "/" when looking for programs and their
  // libraries; empty for the real root. Tests point it at a fixture tree.
  std::string host_root;
};

}  // namespace nanoplane::image
