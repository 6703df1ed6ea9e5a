#include "common/local_sources.h"

#include "common/sha256.h"
#include "common/strings.h"

namespace nanoplane {
namespace {

namespace fs = std::filesystem;

void CollectSource(v1alpha1::Source* source, const std::string& path, const ManifestDocument& doc,
                   const fs::path& manifest_dir, std::vector<LocalSource>& out) {
  if (source->path().empty()) {
    return;
  }
  fs::path file(source->path());
  if (file.is_relative()) {
    file = manifest_dir / file;
  }
  const std::string field = StrCat(path, ".path");
  out.push_back({source, file.lexically_normal().string(), field,
                 StrCat(doc.source, "[", doc.document, "] ", field)});
}

}  // namespace

std::vector<LocalSource> LocalSources(ManifestDocument& doc, const fs::path& manifest_dir) {
  std::vector<LocalSource> out;
  v1alpha1::ImageSpec& image = *doc.unikernel.mutable_spec()->mutable_template_()->mutable_image();
  const std::string base = "spec.template.image";
  if (image.has_source()) {
    CollectSource(image.mutable_source(), base + ".source", doc, manifest_dir, out);
  }
  for (int i = 0; i < image.files_size(); ++i) {
    if (image.files(i).has_source()) {
      CollectSource(image.mutable_files(i)->mutable_source(),
                    StrCat(base, ".files[", i, "].source"), doc, manifest_dir, out);
    }
  }
  for (int i = 0; i < image.packages_size(); ++i) {
    CollectSource(image.mutable_packages(i)->mutable_source(),
                  StrCat(base, ".packages[", i, "].source"), doc, manifest_dir, out);
  }
  return out;
}

std::vector<LocalDigest> DigestLocalSources(const std::vector<LocalSource>& sources) {
  std::vector<LocalDigest> digests(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) {
    std::error_code ec;
    if (fs::is_directory(sources[i].file, ec)) {
      continue;
    }
    absl::StatusOr<std::string> digest = Sha256OfFile(sources[i].file);
    if (digest.ok()) {
      digests[i].sha256 = *digest;
    } else {
      digests[i].error =
          StrCat(sources[i].file, ": ",
                 fs::exists(sources[i].file, ec) ? digest.status().message() : "no such file");
    }
  }
  return digests;
}

}  // namespace nanoplane
