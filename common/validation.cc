#include "common/validation.h"

#include <map>

#include "absl/strings/ascii.h"
#include "common/formats.h"
#include "common/quantity.h"
#include "common/schema.h"
#include "common/strings.h"

namespace nanoplane {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void Add(FieldErrors& errors, std::string path, std::string message) {
  errors.push_back({std::move(path), std::move(message)});
}

std::string ShowInt(const FieldDescriptor& field, int64_t value) {
  return RulesOf(field).format() == schema::QUANTITY ? FormatQuantity(value) : StrCat(value);
}

void CheckBounds(const FieldDescriptor& field, int64_t value, const std::string& path,
                 FieldErrors& errors) {
  const schema::FieldRules& rules = RulesOf(field);
  bool below = rules.has_minimum() && value < rules.minimum();
  bool above = rules.has_maximum() && value > rules.maximum();
  if (!below && !above) {
    return;
  }
  if (rules.has_minimum() && rules.has_maximum()) {
    Add(errors, path,
        StrCat(ShowInt(field, value), " is out of range ", ShowInt(field, rules.minimum()), "-",
               ShowInt(field, rules.maximum())));
  } else if (below) {
    Add(errors, path,
        StrCat(ShowInt(field, value), " must be at least ", ShowInt(field, rules.minimum())));
  } else {
    Add(errors, path,
        StrCat(ShowInt(field, value), " must be at most ", ShowInt(field, rules.maximum())));
  }
}

void CheckString(schema::Format format, const std::string& value, const std::string& path,
                 FieldErrors& errors) {
  if (auto why = CheckFormat(format, value)) {
    Add(errors, path, StrCat("\"", value.substr(0, 80), "\" ", *why));
  }
}

void CheckIntOrString(const FieldDescriptor& field, const v1alpha1::IntOrString& value,
                      const std::string& path, FieldErrors& errors) {
  schema::Format format = RulesOf(field).format();
  if (value.has_string_value()) {
    const std::string& s = value.string_value();
    if (format == schema::PORT_OR_NAME) {
      CheckString(schema::PORT_NAME, s, path, errors);
      return;
    }
    bool digits = s.size() > 1 && s.size() <= 4 && s.back() == '%';
    for (size_t i = 0; digits && i + 1 < s.size(); ++i) {
      digits = absl::ascii_isdigit(s[i]);
    }
    if (!digits) {
      Add(errors, path,
          StrCat("\"", s.substr(0, 80), "\" must be an integer or a percentage such as 25%"));
    }
    return;
  }
  int32_t n = value.int_value();
  if (format == schema::PORT_OR_NAME && (n < 1 || n > 65535)) {
    Add(errors, path, StrCat(n, " is out of range 1-65535"));
  } else if (format == schema::INT_OR_PERCENT && n < 0) {
    Add(errors, path, StrCat(n, " must be at least 0"));
  }
}

std::string UniqueKeyOf(const Message& element, const std::string& key) {
  const FieldDescriptor* field = element.GetDescriptor()->FindFieldByName(key);
  if (field == nullptr) {
    return "";
  }
  const Reflection& r = *element.GetReflection();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return r.GetString(element, field);
    case FieldDescriptor::CPPTYPE_INT32:
      return StrCat(r.GetInt32(element, field));
    default:
      return "";
  }
}

void CheckUnique(const Message& message, const FieldDescriptor& field, const std::string& path,
                 FieldErrors& errors) {
  const std::string& key = RulesOf(field).unique_key();
  if (key.empty()) {
    return;
  }
  const Reflection& r = *message.GetReflection();
  std::map<std::string, int> seen;
  for (int i = 0; i < r.FieldSize(message, &field); ++i) {
    std::string value;
    std::string element_path = IndexPath(path, i);
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      value = UniqueKeyOf(r.GetRepeatedMessage(message, &field, i), key);
      const auto* key_field = field.message_type()->FindFieldByName(key);
      element_path = ChildPath(element_path, key_field ? key_field->json_name() : key);
    } else {
      value = r.GetRepeatedString(message, &field, i);
    }
    if (value.empty()) {
      continue;
    }
    auto [it, inserted] = seen.emplace(value, i);
    if (!inserted) {
      Add(errors, element_path,
          StrCat("duplicate value \"", value.substr(0, 80), "\" (also at [", it->second, "])"));
    }
  }
}

void CheckSingular(const Message& message, const FieldDescriptor& field, const std::string& path,
                   FieldErrors& errors) {
  const Reflection& r = *message.GetReflection();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      CheckBounds(field, r.GetInt32(message, &field), path, errors);
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      CheckBounds(field, r.GetInt64(message, &field), path, errors);
      return;
    case FieldDescriptor::CPPTYPE_STRING:
      CheckString(RulesOf(field).format(), r.GetString(message, &field), path, errors);
      return;
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& child = r.GetMessage(message, &field);
      if (IsIntOrString(*child.GetDescriptor())) {
        CheckIntOrString(field, static_cast<const v1alpha1::IntOrString&>(child), path, errors);
      } else if (!IsStruct(*child.GetDescriptor())) {
        ValidateSchema(child, path, errors);
      }
      return;
    }
    default:
      return;
  }
}

void CheckRepeated(const Message& message, const FieldDescriptor& field, const std::string& path,
                   FieldErrors& errors) {
  const Reflection& r = *message.GetReflection();
  if (const schema::FieldRules& rules = RulesOf(field);
      rules.has_max_items() && r.FieldSize(message, &field) > rules.max_items()) {
    Add(errors, path,
        StrCat(r.FieldSize(message, &field), " items; at most ", rules.max_items(),
               " are allowed"));
  }
  for (int i = 0; i < r.FieldSize(message, &field); ++i) {
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      ValidateSchema(r.GetRepeatedMessage(message, &field, i), IndexPath(path, i), errors);
    } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      CheckString(RulesOf(field).key_format(), r.GetRepeatedString(message, &field, i),
                  IndexPath(path, i), errors);
    }
  }
  CheckUnique(message, field, path, errors);
}

}  // namespace

void ValidateSchema(const Message& message, std::string_view path, FieldErrors& errors) {
  const auto& type = *message.GetDescriptor();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    const schema::FieldRules& rules = RulesOf(field);
    if (rules.output_only()) {
      continue;
    }
    std::string field_path = ChildPath(path, field.json_name());
    if (!IsFieldSet(message, field)) {
      if (rules.required()) {
        Add(errors, field_path, "is required");
      }
      continue;
    }
    if (field.is_map()) {
      continue;  // map contents are checked by the object's own rules
    }
    if (field.is_repeated()) {
      CheckRepeated(message, field, field_path, errors);
    } else {
      CheckSingular(message, field, field_path, errors);
    }
  }
}

}  // namespace nanoplane
