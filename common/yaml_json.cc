#include "common/yaml_json.h"

#include <map>
#include <optional>
#include <sstream>

#include "absl/strings/numbers.h"
#include "common/strings.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace nanoplane {
namespace {

// Limits that keep hostile input from exhausting the stack or memory.
constexpr size_t kMaxDepth = 64;
constexpr size_t kMaxNodes = 1'000'000;

bool IsNullText(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

bool IsTrueText(std::string_view s) { return s == "true" || s == "True" || s == "TRUE"; }
bool IsFalseText(std::string_view s) { return s == "false" || s == "False" || s == "FALSE"; }

bool AllOf(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!pred(c)) {
      return false;
    }
  }
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsOctal(char c) { return c >= '0' && c <= '7'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string_view WithoutSign(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    s.remove_prefix(1);
  }
  return s;
}

// YAML 1.2 core schema: [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+
bool IsIntText(std::string_view s) {
  if (s.starts_with("0o")) {
    return AllOf(s.substr(2), IsOctal);
  }
  if (s.starts_with("0x")) {
    return AllOf(s.substr(2), IsHex);
  }
  return AllOf(WithoutSign(s), IsDigit);
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? | [-+]?\.inf | \.nan (three casings)
bool IsFloatText(std::string_view s) {
  std::string_view body = WithoutSign(s);
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    return true;
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    return true;
  }
  std::string_view mantissa = body.substr(0, body.find_first_of("eE"));
  if (mantissa.size() < body.size()) {
    std::string_view exponent = WithoutSign(body.substr(mantissa.size() + 1));
    if (!AllOf(exponent, IsDigit)) {
      return false;
    }
  }
  size_t dot = mantissa.find('.');
  if (dot == std::string_view::npos) {
    return AllOf(mantissa, IsDigit);
  }
  std::string_view whole = mantissa.substr(0, dot);
  std::string_view fraction = mantissa.substr(dot + 1);
  if (whole.empty()) {
    return AllOf(fraction, IsDigit);
  }
  return AllOf(whole, IsDigit) && (fraction.empty() || AllOf(fraction, IsDigit));
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

// Builds one JSON value per YAML document straight from yaml-cpp's parser
// events. We do not use YAML::LoadAll: in yaml-cpp 0.7 it never returns on some
// malformed input (a lone ","), and building a YAML::Node first would double the
// work. A problem in a document marks that document failed; its remaining events
// are consumed and ignored, so the next document still parses.
class JsonBuilder : public YAML::EventHandler {
 public:
  struct Document {
    absl::StatusOr<Json> value = Json(nullptr);
    YAML::Mark first_mark;  // of the document's first node, for the stuck-parser check
    bool has_mark = false;
  };

  std::vector<Document>& documents() { return documents_; }

  void OnDocumentStart(const YAML::Mark&) override {
    documents_.emplace_back();
    frames_.clear();
    anchors_.clear();
    nodes_ = 0;
    failed_ = false;
  }

  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Note(mark);
    Add(mark, Json(nullptr), anchor, /*is_scalar_key=*/false, "");
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Note(mark);
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      Fail(mark, "unknown alias");
      return;
    }
    // An alias copies its anchor's nodes: count them, so alias bombs are stopped.
    nodes_ += it->second.second;
    Add(mark, it->second.first, 0, false, "");
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Note(mark);
    if (!IsValidUtf8(value)) {
      Fail(mark, "invalid UTF-8");
      return;
    }
    Add(mark, ScalarValue(tag, value), anchor, true, value);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, Json::array(), anchor);
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, Json::object(), anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    Json value;
    YAML::anchor_t anchor;
    size_t first_node;               // nodes_ when the frame opened, to size its anchor
    std::optional<std::string> key;  // in a map: the key awaiting its value
  };

  static Json ScalarValue(const std::string& tag, const std::string& text) {
    if (tag == "?" || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
        tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
      return PlainScalar(text);
    }
    return text;  // quoted ("!"), !!str, or any other tag
  }

  void Note(const YAML::Mark& mark) {
    if (!documents_.empty() && !documents_.back().has_mark) {
      documents_.back().first_mark = mark;
      documents_.back().has_mark = true;
    }
  }

  void Fail(const YAML::Mark& mark, const std::string& message) {
    if (failed_ || documents_.empty()) {
      return;
    }
    failed_ = true;
    documents_.back().value = absl::InvalidArgumentError(
        StrCat("line ", mark.line + 1, ", column ", mark.column + 1, ": ", message));
  }

  void Open(const YAML::Mark& mark, Json value, YAML::anchor_t anchor) {
    Note(mark);
    if (failed_) {
      frames_.push_back({});
      return;
    }
    if (!frames_.empty() && frames_.back().value.is_object() && !frames_.back().key) {
      Fail(mark, "a key must be a scalar");
    } else if (frames_.size() >= kMaxDepth) {
      Fail(mark, StrCat("nested more than ", kMaxDepth, " levels deep"));
    }
    frames_.push_back({std::move(value), anchor, ++nodes_, std::nullopt});
    last_mark_ = mark;
  }

  void Close() {
    if (frames_.empty()) {
      return;
    }
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    if (failed_) {
      return;
    }
    if (frame.anchor != 0) {
      anchors_[frame.anchor] = {frame.value, nodes_ - frame.first_node + 1};
    }
    Place(last_mark_, std::move(frame.value));
  }

  void Add(const YAML::Mark& mark, Json value, YAML::anchor_t anchor, bool is_scalar,
           const std::string& text) {
    if (failed_) {
      return;
    }
    ++nodes_;
    if (anchor != 0) {
      anchors_[anchor] = {value, 1};
    }
    last_mark_ = mark;
    if (!frames_.empty() && frames_.back().value.is_object() && !frames_.back().key) {
      if (!is_scalar && !value.is_null()) {
        Fail(mark, "a key must be a scalar");
        return;
      }
      if (frames_.back().value.contains(text)) {
        Fail(mark, StrCat("duplicate key \"", text, "\""));
        return;
      }
      frames_.back().key = text;
      return;
    }
    Place(mark, std::move(value));
  }

  // Puts a finished value into its parent, or makes it the document.
  void Place(const YAML::Mark& mark, Json value) {
    if (nodes_ > kMaxNodes) {
      Fail(mark, StrCat("document expands to more than ", kMaxNodes, " nodes"));
      return;
    }
    if (frames_.empty()) {
      documents_.back().value = std::move(value);
      return;
    }
    Frame& parent = frames_.back();
    if (parent.value.is_array()) {
      parent.value.push_back(std::move(value));
    } else {
      parent.value[*parent.key] = std::move(value);
      parent.key.reset();
    }
  }

  std::vector<Document> documents_;
  std::vector<Frame> frames_;
  std::map<YAML::anchor_t, std::pair<Json, size_t>> anchors_;
  YAML::Mark last_mark_;
  size_t nodes_ = 0;
  bool failed_ = false;
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
  JsonBuilder builder;
  try {
    std::stringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    while (parser.HandleNextDocument(builder)) {
      auto& documents = builder.documents();
      // yaml-cpp 0.7 can report the same document forever without consuming input.
      if (documents.size() >= 2) {
        const auto& previous = documents[documents.size() - 2];
        const auto& last = documents.back();
        if (last.has_mark && previous.has_mark && last.first_mark.pos == previous.first_mark.pos) {
          const YAML::Mark& mark = last.first_mark;
          char c = static_cast<size_t>(mark.pos) < text.size() ? text[mark.pos] : ' ';
          return absl::InvalidArgumentError(StrCat("line ", mark.line + 1, ", column ",
                                                   mark.column + 1, ": unexpected '", c, "'"));
        }
      }
    }
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) {
      return absl::InvalidArgumentError(StrCat("invalid YAML: ", e.msg));
    }
    return absl::InvalidArgumentError(
        StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(StrCat("invalid YAML: ", e.what()));
  }
  std::vector<absl::StatusOr<Json>> documents;
  for (auto& document : builder.documents()) {
    documents.push_back(std::move(document.value));
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
