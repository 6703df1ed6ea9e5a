#include "common/formats.h"

#include "absl/strings/ascii.h"
#include "common/strings.h"

namespace nanoplane {
namespace {

// Checked by hand rather than with std::regex: libstdc++'s regex recurses per
// character and would overflow the stack on hostile input.

bool IsLowerAlnum(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); }

std::optional<std::string> CheckDnsLabel(std::string_view s) {
  if (s.empty()) {
    return "must not be empty";
  }
  if (s.size() > 63) {
    return StrCat("must be no more than 63 characters (has ", s.size(), ")");
  }
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') {
      return "must consist of lower case alphanumeric characters or '-' (a DNS-1123 label)";
    }
  }
  if (s.front() == '-' || s.back() == '-') {
    return "must start and end with an alphanumeric character (a DNS-1123 label)";
  }
  return std::nullopt;
}

std::optional<std::string> CheckPortName(std::string_view s) {
  if (s.empty() || s.size() > 15) {
    return "must be 1 to 15 characters (an IANA service name)";
  }
  bool has_letter = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsLowerAlnum(s[i]) && s[i] != '-') {
      return "must consist of lower case alphanumeric characters or '-'";
    }
    has_letter |= absl::ascii_islower(s[i]);
    if (s[i] == '-' && (i == 0 || i + 1 == s.size() || s[i + 1] == '-')) {
      return "must not begin or end with '-' or contain '--'";
    }
  }
  if (!has_letter) {
    return "must contain at least one letter";
  }
  return std::nullopt;
}

std::optional<std::string> CheckAbsolutePath(std::string_view s) {
  if (s.empty() || s.front() != '/') {
    return "must be an absolute path (start with '/')";
  }
  if (s.size() > 4096) {
    return "must be no more than 4096 characters";
  }
  for (std::string_view part : StrSplit(s, '/')) {
    if (part == "..") {
      return "must not contain '..'";
    }
  }
  if (s.find('\0') != std::string_view::npos) {
    return "must not contain NUL";
  }
  return std::nullopt;
}

std::optional<std::string> CheckSha256(std::string_view s) {
  if (s.size() != 64) {
    return "must be 64 hex digits (a sha256)";
  }
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) {
      return "must be 64 lower-case hex digits (a sha256)";
    }
  }
  return std::nullopt;
}

std::optional<std::string> CheckUrl(std::string_view s) {
  std::string_view rest = s;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return "must be an http:// or https:// URL";
  }
  if (rest.empty() || rest.front() == '/') {
    return "must name a host";
  }
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= ' ') {
      return "must not contain spaces or control characters";
    }
  }
  return std::nullopt;
}

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 characters.
bool IsQualifiedName(std::string_view s) {
  if (s.empty() || s.size() > 63) {
    return false;
  }
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return absl::ascii_isalnum(s.front()) && absl::ascii_isalnum(s.back());
}

}  // namespace

std::optional<std::string> CheckFormat(schema::Format format, std::string_view value) {
  switch (format) {
    case schema::DNS_LABEL:
      return CheckDnsLabel(value);
    case schema::PORT_NAME:
      return CheckPortName(value);
    case schema::ABSOLUTE_PATH:
      return CheckAbsolutePath(value);
    case schema::SHA256:
      return CheckSha256(value);
    case schema::URL:
      return CheckUrl(value);
    default:
      return std::nullopt;
  }
}

std::string FormatPattern(schema::Format format) {
  switch (format) {
    case schema::DNS_LABEL:
      return "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
    case schema::PORT_NAME:
      return "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
    case schema::ABSOLUTE_PATH:
      return "^/";
    case schema::SHA256:
      return "^[a-f0-9]{64}$";
    case schema::URL:
      return "^https?://[^/\\s]+";
    default:
      return "";
  }
}

int FormatMaxLength(schema::Format format) {
  switch (format) {
    case schema::DNS_LABEL:
      return 63;
    case schema::PORT_NAME:
      return 15;
    case schema::ABSOLUTE_PATH:
      return 4096;
    default:
      return 0;
  }
}

std::optional<std::string> CheckLabelKey(std::string_view key) {
  std::string_view name = key;
  if (size_t slash = key.rfind('/'); slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 253) {
      return "prefix must be a DNS subdomain of at most 253 characters";
    }
    for (std::string_view label : StrSplit(prefix, '.')) {
      if (CheckDnsLabel(label).has_value()) {
        return "prefix must be a DNS subdomain (lower case alphanumerics, '-' and '.')";
      }
    }
  }
  if (!IsQualifiedName(name)) {
    return "name part must be 1 to 63 alphanumerics, '-', '_' or '.', starting and ending with "
           "an alphanumeric";
  }
  return std::nullopt;
}

std::optional<std::string> CheckLabelValue(std::string_view value) {
  if (value.empty() || IsQualifiedName(value)) {
    return std::nullopt;
  }
  return "must be at most 63 alphanumerics, '-', '_' or '.', starting and ending with an "
         "alphanumeric";
}

}  // namespace nanoplane
