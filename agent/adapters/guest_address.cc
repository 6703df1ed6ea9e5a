#include "agent/adapters/guest_address.h"

#include <algorithm>
#include <cctype>

#include "common/strings.h"

namespace nanoplane::agent {
namespace {

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// Whitespace-separated fields of one line.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t at = 0;
  while (at < line.size()) {
    size_t start = line.find_first_not_of(" \t", at);
    if (start == std::string_view::npos) {
      break;
    }
    size_t end = std::min(line.find_first_of(" \t", start), line.size());
    fields.push_back(line.substr(start, end - start));
    at = end;
  }
  return fields;
}

}  // namespace

std::vector<std::string> MacAddresses(std::string_view domain_xml) {
  std::vector<std::string> macs;
  for (std::string_view quote : {"'", "\""}) {
    const std::string opening = StrCat("<mac address=", quote);
    for (size_t at = domain_xml.find(opening); at != std::string_view::npos;
         at = domain_xml.find(opening, at + 1)) {
      const size_t start = at + opening.size();
      const size_t end = domain_xml.find(quote, start);
      if (end != std::string_view::npos) {
        macs.push_back(Lower(domain_xml.substr(start, end - start)));
      }
    }
  }
  return macs;
}

std::string Ipv4ForMac(std::string_view table, const std::vector<std::string>& macs) {
  // Columns: IP address, HW type, Flags, HW address, Mask, Device.
  for (std::string_view line : StrSplit(table, '\n')) {
    std::vector<std::string_view> fields = Fields(line);
    // Flags 0x0: an incomplete entry (the neighbour did not answer).
    if (fields.size() < 4 || fields[2] == "0x0") {
      continue;
    }
    if (std::find(macs.begin(), macs.end(), Lower(fields[3])) != macs.end()) {
      return std::string(fields[0]);
    }
  }
  return "";
}

}  // namespace nanoplane::agent
