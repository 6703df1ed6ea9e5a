#include "controller/manifests/manifest_directory.h"

#include <filesystem>

#include "common/local_sources.h"

namespace nanoplane::controller::manifests {
namespace {

namespace fs = std::filesystem;

// Rewrites the file sources of `contents` to their digests; a source that
// cannot be read is an error of the file, which then changes nothing.
void ResolveLocalSources(const fs::path& manifest_dir, ManifestSet& contents,
                         std::map<std::string, std::string>& local_files) {
  for (ManifestDocument& doc : contents.documents) {
    std::vector<LocalSource> sources = LocalSources(doc, manifest_dir);
    std::vector<LocalDigest> digests = DigestLocalSources(sources);
    for (size_t i = 0; i < sources.size(); ++i) {
      if (!digests[i].error.empty()) {
        contents.errors.push_back({doc.source, doc.document, {sources[i].field, digests[i].error}});
      } else if (!digests[i].sha256.empty()) {
        local_files[digests[i].sha256] = sources[i].file;
        sources[i].source->Clear();
        sources[i].source->set_sha256(digests[i].sha256);
      }
    }
  }
}

}  // namespace

DirectoryContents ReadManifestDirectory(const std::string& dir) {
  DirectoryContents out;
  for (const std::string& path : FindManifestFiles(dir, out.errors)) {
    std::string relative = fs::path(path).lexically_relative(dir).string();
    ManifestSet contents = ReadManifestFile(path, relative);
    ResolveLocalSources(fs::absolute(path).parent_path(), contents, out.local_files);
    out.files.push_back({relative, std::move(contents)});
  }
  return out;
}

}  // namespace nanoplane::controller::manifests
