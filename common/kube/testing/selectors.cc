#include "common/strings.h"
#include "common/kube/testing/selectors.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/kube/testing/api_errors.h"

namespace nanoplane::kube::testing {
namespace {

bool Contains(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// Splits at commas outside parentheses: "a in (x,y),b" -> {"a in (x,y)", "b"}.
std::vector<std::string> SplitTopLevel(absl::string_view text) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    }
    if (c == ',' && depth == 0) {
      parts.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  parts.push_back(current);
  return parts;
}

absl::Status ParseError(absl::string_view part, absl::string_view why) {
  return BadRequest(StrCat("unable to parse requirement: ", why, ": \"", part, "\""));
}

bool ValidKey(absl::string_view key) {
  if (key.empty() || key.size() > 316) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/';
  });
}

absl::StatusOr<LabelRequirement> ParseSet(absl::string_view part, absl::string_view key,
                                          absl::string_view rest, LabelRequirement::Op op) {
  rest = absl::StripAsciiWhitespace(rest);
  if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') {
    return ParseError(part, "found '', expected: '('");
  }
  LabelRequirement r{.key = std::string(key), .op = op, .values = {}};
  for (absl::string_view v : absl::StrSplit(rest.substr(1, rest.size() - 2), ',')) {
    r.values.emplace_back(absl::StripAsciiWhitespace(v));
  }
  return r;
}

absl::StatusOr<LabelRequirement> ParseRequirement(absl::string_view part) {
  absl::string_view s = absl::StripAsciiWhitespace(part);
  if (s.empty()) {
    return ParseError(part, "found '', expected: !, identifier, or 'end of string'");
  }
  if (s.front() == '!') {
    absl::string_view key = absl::StripAsciiWhitespace(s.substr(1));
    if (!ValidKey(key)) {
      return ParseError(part, "invalid label key");
    }
    return LabelRequirement{.key = std::string(key), .op = LabelRequirement::Op::kDoesNotExist};
  }
  size_t op_at = s.find_first_of("=!");
  size_t space = s.find(' ');
  if (space != absl::string_view::npos && (op_at == absl::string_view::npos || space < op_at)) {
    absl::string_view key = s.substr(0, space);
    absl::string_view rest = absl::StripAsciiWhitespace(s.substr(space));
    if (absl::StartsWith(rest, "notin")) {
      return ParseSet(part, key, rest.substr(5), LabelRequirement::Op::kNotIn);
    }
    if (absl::StartsWith(rest, "in")) {
      return ParseSet(part, key, rest.substr(2), LabelRequirement::Op::kIn);
    }
    if (rest.front() != '=' && rest.front() != '!') {
      return ParseError(part, "found '" + std::string(rest) + "', expected: in, notin, =, ==, !=");
    }
    op_at = s.find_first_of("=!");
  }
  if (op_at == absl::string_view::npos) {
    if (!ValidKey(s)) {
      return ParseError(part, "invalid label key");
    }
    return LabelRequirement{.key = std::string(s), .op = LabelRequirement::Op::kExists};
  }
  absl::string_view key = absl::StripAsciiWhitespace(s.substr(0, op_at));
  absl::string_view rest = s.substr(op_at);
  LabelRequirement r{.key = std::string(key)};
  if (absl::StartsWith(rest, "!=")) {
    r.op = LabelRequirement::Op::kNotEquals;
    rest.remove_prefix(2);
  } else if (absl::StartsWith(rest, "==")) {
    rest.remove_prefix(2);
  } else if (absl::StartsWith(rest, "=")) {
    rest.remove_prefix(1);
  } else {
    return ParseError(part, "found '!', expected: =, !=, ==");
  }
  if (!ValidKey(key)) {
    return ParseError(part, "invalid label key");
  }
  r.values.emplace_back(absl::StripAsciiWhitespace(rest));
  return r;
}

}  // namespace

bool LabelSelector::Matches(const StringMap& labels) const {
  for (const LabelRequirement& r : requirements) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    switch (r.op) {
      case LabelRequirement::Op::kEquals:
      case LabelRequirement::Op::kIn:
        if (!has || !Contains(r.values, it->second)) {
          return false;
        }
        break;
      case LabelRequirement::Op::kNotEquals:
      case LabelRequirement::Op::kNotIn:
        if (has && Contains(r.values, it->second)) {
          return false;
        }
        break;
      case LabelRequirement::Op::kExists:
        if (!has) {
          return false;
        }
        break;
      case LabelRequirement::Op::kDoesNotExist:
        if (has) {
          return false;
        }
        break;
    }
  }
  return true;
}

absl::StatusOr<LabelSelector> ParseLabelSelector(absl::string_view text) {
  LabelSelector selector;
  if (absl::StripAsciiWhitespace(text).empty()) {
    return selector;
  }
  for (const std::string& part : SplitTopLevel(text)) {
    auto r = ParseRequirement(part);
    if (!r.ok()) {
      return r.status();
    }
    selector.requirements.push_back(*std::move(r));
  }
  return selector;
}

bool FieldSelector::Matches(const StringMap& fields) const {
  for (const FieldRequirement& r : requirements) {
    auto it = fields.find(r.field);
    const std::string value = it == fields.end() ? "" : it->second;
    if ((value == r.value) != r.equals) {
      return false;
    }
  }
  return true;
}

const std::string* FieldSelector::ExactMatch(absl::string_view field) const {
  for (const FieldRequirement& r : requirements) {
    if (r.equals && r.field == field) {
      return &r.value;
    }
  }
  return nullptr;
}

absl::StatusOr<FieldSelector> ParseFieldSelector(absl::string_view text,
                                                 const std::vector<std::string>& supported) {
  FieldSelector selector;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    FieldRequirement r;
    size_t at = part.find("!=");
    size_t len = 2;
    if (at != absl::string_view::npos) {
      r.equals = false;
    } else if ((at = part.find("==")) == absl::string_view::npos) {
      at = part.find('=');
      len = 1;
    }
    if (at == absl::string_view::npos) {
      return BadRequest(StrCat("invalid selector: '", text,
                                     "'; can't understand '", part, "'"));
    }
    r.field = std::string(absl::StripAsciiWhitespace(part.substr(0, at)));
    r.value = std::string(absl::StripAsciiWhitespace(part.substr(at + len)));
    if (!Contains(supported, r.field)) {
      return BadRequest(StrCat("field label not supported: ", r.field));
    }
    selector.requirements.push_back(std::move(r));
  }
  return selector;
}

absl::StatusOr<Selectors> ParseSelectors(absl::string_view label_text,
                                         absl::string_view field_text,
                                         const std::vector<std::string>& supported) {
  auto labels = ParseLabelSelector(label_text);
  if (!labels.ok()) {
    return labels.status();
  }
  auto fields = ParseFieldSelector(field_text, supported);
  if (!fields.ok()) {
    return fields.status();
  }
  return Selectors{*std::move(labels), *std::move(fields)};
}

}  // namespace nanoplane::kube::testing
