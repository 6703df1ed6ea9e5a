#include "controller/manifests/manifest_directory.h"

#include <filesystem>

namespace nanoplane::controller::manifests {

DirectoryContents ReadManifestDirectory(const std::string& dir) {
  DirectoryContents out;
  for (const std::string& path : FindManifestFiles(dir, out.errors)) {
    std::string relative = std::filesystem::path(path).lexically_relative(dir).string();
    out.files.push_back({relative, ReadManifestFile(path, relative)});
  }
  return out;
}

}  // namespace nanoplane::controller::manifests
