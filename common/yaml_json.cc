#include "common/yaml_json.h"

#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "common/strings.h"
#include "yaml-cpp/yaml.h"

namespace nanoplane {
namespace {

// Limits that keep hostile input from exhausting the stack or memory.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxNodes = 1'000'000;

bool IsNullText(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

bool IsTrueText(std::string_view s) { return s == "true" || s == "True" || s == "TRUE"; }
bool IsFalseText(std::string_view s) { return s == "false" || s == "False" || s == "FALSE"; }

bool IsIntText(std::string_view s) {
  static const std::regex kInt("[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+");
  return s.size() < 64 && std::regex_match(s.begin(), s.end(), kInt);
}

bool IsFloatText(std::string_view s) {
  static const std::regex kFloat(
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  return s.size() < 64 && std::regex_match(s.begin(), s.end(), kFloat);
}

// The JSON value of a plain (unquoted, untagged) scalar.
Json PlainScalar(const std::string& s) {
  if (IsNullText(s)) {
    return nullptr;
  }
  if (IsTrueText(s)) {
    return true;
  }
  if (IsFalseText(s)) {
    return false;
  }
  if (IsIntText(s)) {
    std::string_view digits = s;
    int base = 10;
    if (s.starts_with("0o") || s.starts_with("0x")) {
      base = s[1] == 'o' ? 8 : 16;
      digits.remove_prefix(2);
    }
    if (base == 10) {
      if (digits.starts_with('+')) {
        digits.remove_prefix(1);
      }
      if (auto parsed = ParseInt64(digits)) {
        return *parsed;
      }
    }
    if (base != 10) {
      errno = 0;
      char* end = nullptr;
      unsigned long long parsed = std::strtoull(std::string(digits).c_str(), &end, base);
      if (errno == 0 && parsed <= static_cast<unsigned long long>(INT64_MAX)) {
        return static_cast<int64_t>(parsed);
      }
    }
    // Too large for int64: keep it as a number all the same; the codec rejects it.
  }
  if (IsFloatText(s) || IsIntText(s)) {
    double value = 0;
    std::string text = s;
    if (text.find("inf") != std::string::npos || text.find("Inf") != std::string::npos ||
        text.find("INF") != std::string::npos) {
      return text[0] == '-' ? -HUGE_VAL : HUGE_VAL;
    }
    if (text.find("nan") != std::string::npos || text.find("NaN") != std::string::npos ||
        text.find("NAN") != std::string::npos) {
      return NAN;
    }
    if (absl::SimpleAtod(text, &value)) {
      return value;
    }
  }
  return s;
}

class Converter {
 public:
  absl::StatusOr<Json> Convert(const YAML::Node& node, int depth) {
    if (++nodes_ > kMaxNodes) {
      return absl::InvalidArgumentError(
          StrCat("document expands to more than ", kMaxNodes, " nodes"));
    }
    if (depth > kMaxDepth) {
      return absl::InvalidArgumentError(
          StrCat(Where(node), "nested more than ", kMaxDepth, " levels deep"));
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return Json(nullptr);
      case YAML::NodeType::Scalar:
        return Scalar(node);
      case YAML::NodeType::Sequence: {
        Json array = Json::array();
        for (const YAML::Node& item : node) {
          auto value = Convert(item, depth + 1);
          if (!value.ok()) {
            return value.status();
          }
          array.push_back(*std::move(value));
        }
        return array;
      }
      case YAML::NodeType::Map:
        return Map(node, depth);
    }
    return Json(nullptr);
  }

 private:
  static std::string Where(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) {
      return "";
    }
    return StrCat("line ", mark.line + 1, ", column ", mark.column + 1, ": ");
  }

  static Json Scalar(const YAML::Node& node) {
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    if (tag == "?") {
      return PlainScalar(text);
    }
    if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
        tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
      return PlainScalar(text);
    }
    // Quoted ("!"), !!str, or any other tag: the text as a string.
    return text;
  }

  absl::StatusOr<Json> Map(const YAML::Node& node, int depth) {
    Json object = Json::object();
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        return absl::InvalidArgumentError(StrCat(Where(entry.first), "a key must be a scalar"));
      }
      std::string key = entry.first.Scalar();
      if (object.contains(key)) {
        return absl::InvalidArgumentError(
            StrCat(Where(entry.first), "duplicate key \"", key, "\""));
      }
      auto value = Convert(entry.second, depth + 1);
      if (!value.ok()) {
        return value.status();
      }
      object[key] = *std::move(value);
    }
    return object;
  }

  size_t nodes_ = 0;
};

// True when a plain scalar with this text would read back as something else.
bool NeedsQuotes(const std::string& s) {
  if (s.empty() || !PlainScalar(s).is_string()) {
    return true;
  }
  return s.front() == ' ' || s.back() == ' ';
}

void Emit(YAML::Emitter& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      if (value.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key;
        if (NeedsQuotes(key)) {
          out << YAML::DoubleQuoted;
        }
        out << key << YAML::Value;
        Emit(out, item);
      }
      out << YAML::EndMap;
      return;
    case Json::value_t::array:
      if (value.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const Json& item : value) {
        Emit(out, item);
      }
      out << YAML::EndSeq;
      return;
    case Json::value_t::string: {
      const std::string& s = value.get_ref<const std::string&>();
      if (s.find('\n') != std::string::npos && s.find_first_of("\t\r") == std::string::npos &&
          s.back() == '\n' && s.find(" \n") == std::string::npos) {
        out << YAML::Literal << s;
      } else if (NeedsQuotes(s)) {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      return;
    }
    case Json::value_t::boolean:
      out << (value.get<bool>() ? "true" : "false");
      return;
    case Json::value_t::number_integer:
      out << value.get<int64_t>();
      return;
    case Json::value_t::number_unsigned:
      out << value.get<uint64_t>();
      return;
    case Json::value_t::number_float:
      out << value.dump();
      return;
    default:
      out << YAML::Null;
      return;
  }
}

}  // namespace

absl::StatusOr<std::vector<absl::StatusOr<Json>>> ParseYamlDocuments(std::string_view text) {
  std::vector<YAML::Node> nodes;
  try {
    std::stringstream stream{std::string(text)};
    nodes = YAML::LoadAll(stream);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) {
      return absl::InvalidArgumentError(StrCat("invalid YAML: ", e.msg));
    }
    return absl::InvalidArgumentError(StrCat("line ", e.mark.line + 1, ", column ",
                                                   e.mark.column + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(StrCat("invalid YAML: ", e.what()));
  }
  std::vector<absl::StatusOr<Json>> documents;
  documents.reserve(nodes.size());
  for (const YAML::Node& node : nodes) {
    Converter converter;
    documents.push_back(converter.Convert(node, 0));
  }
  return documents;
}

std::string JsonToYaml(const Json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  Emit(out, value);
  return std::string(out.c_str()) + "\n";
}

}  // namespace nanoplane
