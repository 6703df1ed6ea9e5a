#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace nanoplane::cli {

enum class OutputFormat { kSummary, kYaml, kJson };

// `nanoplane validate PATH...`: reads every manifest, prints every error to
// `err` and a summary (or the defaulted objects) to `out`. Returns the exit
// code: 0 when all are valid, 1 otherwise.
int RunValidate(const std::vector<std::string>& paths, OutputFormat format, std::ostream& out,
                std::ostream& err);

// `nanoplane crd [--dir DIR]`: every CRD to `out` as one YAML stream, or each
// into its file under `dir`. Returns the exit code.
int RunCrd(const std::string& dir, std::ostream& out, std::ostream& err);

}  // namespace nanoplane::cli
