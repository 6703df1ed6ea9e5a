#pragma once

// Reading a manifests directory for PlanSync: every manifest file under it
// (common/manifest_reader.h's rules), parsed and validated, named by its path
// relative to the directory. Sources given by local path become the sha256 of
// their file (common/local_sources.h), recorded in `local_files`; a file that
// cannot be read makes its manifest invalid.

#include <string>

#include "controller/manifests/sync_plan.h"

namespace nanoplane::controller::manifests {

// Never fails: a directory that cannot be listed is in `errors`, a file that
// cannot be read or parsed in its file's errors.
DirectoryContents ReadManifestDirectory(const std::string& dir);

}  // namespace nanoplane::controller::manifests
