#pragma once

// Sources a manifest gives by local path (`source: {path: ./webserver}`):
// whoever applies the manifest (the CLI, or the controller's manifests
// directory) turns each file into a blob of the artifact store, named by its
// sha256, so that agents on any host can fetch it. Directories stay paths:
// they are read where the image is built.

#include <filesystem>
#include <string>
#include <vector>

#include "common/manifest_reader.h"

namespace nanoplane {

// A local file or directory named by a manifest, and the source that names it.
struct LocalSource {
  v1alpha1::Source* source;  // into the document's object
  std::string file;          // resolved against the manifest's directory
  std::string field;         // spec.template.image.source.path
  std::string where;         // web.yaml[0] spec.template.image.source.path
};

// The sources of `doc` with a path, relative ones resolved against
// `manifest_dir` (the directory of the file the document came from).
std::vector<LocalSource> LocalSources(ManifestDocument& doc,
                                      const std::filesystem::path& manifest_dir);

// A source's file digested: its sha256, or why it could not be read
// ("/srv/web: no such file"); neither for a directory.
struct LocalDigest {
  std::string sha256;
  std::string error;
};

std::vector<LocalDigest> DigestLocalSources(const std::vector<LocalSource>& sources);

}  // namespace nanoplane
