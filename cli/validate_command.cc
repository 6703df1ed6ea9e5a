#include "cli/validate_command.h"

#include <fstream>
#include <ostream>
#include <set>

#include "common/codec.h"
#include "common/crd.h"
#include "common/manifest_reader.h"
#include "common/yaml_json.h"

namespace nanoplane::cli {

int RunValidate(const std::vector<std::string>& paths, OutputFormat format, std::ostream& out,
                std::ostream& err) {
  ManifestSet set = ReadManifests(paths);
  for (const ManifestError& error : set.errors) {
    err << "error: " << error.ToString() << "\n";
  }
  if (format == OutputFormat::kSummary) {
    for (const ManifestDocument& doc : set.documents) {
      const auto& meta = doc.unikernel.metadata();
      out << "valid  " << meta.namespace_() << "/" << meta.name() << "  (" << doc.source << "["
          << doc.document << "])\n";
    }
  } else {
    for (size_t i = 0; i < set.documents.size(); ++i) {
      Json json = EncodeMessage(set.documents[i].unikernel);
      if (format == OutputFormat::kJson) {
        out << json.dump(2) << "\n";
      } else {
        out << (i > 0 ? "---\n" : "") << JsonToYaml(json);
      }
    }
  }
  if (!set.ok()) {
    std::set<std::string> files;
    for (const ManifestError& error : set.errors) {
      files.insert(error.source);
    }
    err << set.errors.size() << (set.errors.size() == 1 ? " error" : " errors") << " in "
        << files.size() << (files.size() == 1 ? " file" : " files") << "\n";
    return 1;
  }
  if (format == OutputFormat::kSummary) {
    out << set.documents.size() << (set.documents.size() == 1 ? " Unikernel" : " Unikernels")
        << " valid\n";
  }
  return 0;
}

int RunCrd(const std::string& dir, std::ostream& out, std::ostream& err) {
  std::vector<GeneratedCrd> crds = AllCrds();
  for (size_t i = 0; i < crds.size(); ++i) {
    if (dir.empty()) {
      out << (i > 0 ? "---\n" : "") << crds[i].yaml;
      continue;
    }
    std::string path = dir + "/" + crds[i].file;
    std::ofstream file(path, std::ios::trunc);
    file << crds[i].yaml;
    if (!file.flush()) {
      err << "error: " << path << ": cannot be written\n";
      return 1;
    }
    out << "wrote " << path << "\n";
  }
  return 0;
}

}  // namespace nanoplane::cli
