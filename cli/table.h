#pragma once

// Plain-text output like kubectl's: columns padded to their widest cell plus
// three spaces, and ages as kubectl writes them.

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace nanoplane::cli {

using Row = std::vector<std::string>;

// The rows (the first is the header) as aligned lines, each ending in "\n".
std::string RenderTable(const std::vector<Row>& rows);

// kubectl's HumanDuration: "45s", "5m30s", "3h", "12d", "2y".
std::string HumanAge(absl::Duration age);

// The age of an RFC 3339 time at `now`; "<unknown>" when it does not parse.
std::string AgeOf(const std::string& rfc3339, absl::Time now);

// "256Mi", "2Gi", or bytes.
std::string FormatBytes(int64_t bytes);

}  // namespace nanoplane::cli
