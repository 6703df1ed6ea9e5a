#include "cli/table.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "common/strings.h"

namespace nanoplane::cli {

std::string RenderTable(const std::vector<Row>& rows) {
  std::vector<size_t> widths;
  for (const Row& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line.append(widths[i] - row[i].size() + 3, ' ');
      }
    }
    StrAppend(&out, line, "\n");
  }
  return out;
}

std::string HumanAge(absl::Duration age) {
  int64_t seconds = absl::ToInt64Seconds(age);
  if (seconds < 0) {
    seconds = 0;
  }
  int64_t minutes = seconds / 60, hours = seconds / 3600, days = seconds / 86400;
  if (seconds < 120) {
    return StrCat(seconds, "s");
  }
  if (minutes < 10) {
    return seconds % 60 == 0 ? StrCat(minutes, "m") : StrCat(minutes, "m", seconds % 60, "s");
  }
  if (minutes < 180) {
    return StrCat(minutes, "m");
  }
  if (hours < 8) {
    return minutes % 60 == 0 ? StrCat(hours, "h") : StrCat(hours, "h", minutes % 60, "m");
  }
  if (hours < 48) {
    return StrCat(hours, "h");
  }
  if (hours < 192) {
    return hours % 24 == 0 ? StrCat(days, "d") : StrCat(days, "d", hours % 24, "h");
  }
  if (days < 730) {
    return StrCat(days, "d");
  }
  return StrCat(days / 365, "y");
}

std::string AgeOf(const std::string& rfc3339, absl::Time now) {
  absl::Time time;
  std::string error;
  if (rfc3339.empty() || !absl::ParseTime(absl::RFC3339_full, rfc3339, &time, &error)) {
    return "<unknown>";
  }
  return HumanAge(now - time);
}

std::string FormatBytes(int64_t bytes) {
  constexpr int64_t kGi = int64_t{1} << 30, kMi = int64_t{1} << 20;
  if (bytes > 0 && bytes % kGi == 0) {
    return StrCat(bytes / kGi, "Gi");
  }
  if (bytes > 0 && bytes % kMi == 0) {
    return StrCat(bytes / kMi, "Mi");
  }
  // A host's memory is rarely a round number: one decimal is what a reader wants.
  if (bytes >= kGi) {
    return absl::StrFormat("%.1fGi", static_cast<double>(bytes) / kGi);
  }
  if (bytes >= kMi) {
    return absl::StrFormat("%.1fMi", static_cast<double>(bytes) / kMi);
  }
  return StrCat(bytes);
}

}  // namespace nanoplane::cli
