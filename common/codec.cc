#include "common/codec.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/quantity.h"
#include "common/schema.h"
#include "common/strings.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace nanoplane {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Never throws: invalid UTF-8 (which the YAML reader already rejects) is replaced.
std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string KindOf(const Json& json) {
  switch (json.type()) {
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "a list";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a number";
    default:
      return "null";
  }
}

// The value as shown in messages, shortened.
std::string Shown(const Json& json) {
  std::string text = json.is_structured() ? KindOf(json) : Dump(json);
  if (text.size() > 60) {
    text = text.substr(0, 57) + "...";
  }
  return text;
}

void AddError(FieldErrors& errors, std::string_view path, std::string message) {
  errors.push_back({std::string(path), std::move(message)});
}

void TypeError(FieldErrors& errors, std::string_view path, std::string_view expected,
               const Json& got) {
  std::string message = StrCat("expected ", expected, ", got ", KindOf(got));
  if (!got.is_structured() && !got.is_null()) {
    StrAppend(&message, " ", Shown(got));
  }
  if (expected == "a string" && got.is_primitive() && !got.is_null()) {
    StrAppend(&message, " (quote it)");
  }
  AddError(errors, path, std::move(message));
}

// An integer from JSON; false (with an error) when it is not one or out of range.
bool ReadInteger(const Json& json, int64_t min, int64_t max, std::string_view path,
                 FieldErrors& errors, int64_t& out) {
  if (json.is_number_unsigned()) {
    if (json.get<uint64_t>() > static_cast<uint64_t>(max)) {
      AddError(errors, path, StrCat(Dump(json), " is too large"));
      return false;
    }
    out = static_cast<int64_t>(json.get<uint64_t>());
    return true;
  }
  if (json.is_number_integer()) {
    out = json.get<int64_t>();
    if (out < min || out > max) {
      AddError(errors, path,
               StrCat(out, " is out of range for a ",
                      max == std::numeric_limits<int32_t>::max() ? 32 : 64, "-bit integer"));
      return false;
    }
    return true;
  }
  if (json.is_number_float()) {
    // 3.0 is the integer 3; range first: casting an out-of-range double is undefined.
    double value = json.get<double>();
    if (std::isfinite(value) && std::fabs(value) < 9e18 && value == std::trunc(value)) {
      int64_t whole = static_cast<int64_t>(value);
      if (whole >= min && whole <= max) {
        out = whole;
        return true;
      }
    }
  }
  TypeError(errors, path, "an integer", json);
  return false;
}

bool ReadQuantity(const Json& json, std::string_view path, FieldErrors& errors, int64_t& out) {
  if (json.is_string()) {
    auto bytes = ParseQuantity(json.get_ref<const std::string&>());
    if (!bytes.ok()) {
      AddError(errors, path, std::string(bytes.status().message()));
      return false;
    }
    out = *bytes;
    return true;
  }
  if (json.is_number()) {
    return ReadInteger(json, 0, std::numeric_limits<int64_t>::max(), path, errors, out);
  }
  TypeError(errors, path, "a quantity such as 256Mi", json);
  return false;
}

// By json_name, which is the camel-cased name unless the proto spells it out
// (hostIP: Kubernetes capitalizes initialisms).
const FieldDescriptor* FieldByJsonName(const Descriptor& type, const std::string& name) {
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == name) {
      return type.field(i);
    }
  }
  return nullptr;
}

class Decoder {
 public:
  explicit Decoder(FieldErrors& errors) : errors_(errors) {}

  void DecodeObject(const Json& json, Message& message, std::string_view path) {
    const Descriptor& type = *message.GetDescriptor();
    if (IsStruct(type)) {
      DecodeStruct(json, message, path);
      return;
    }
    if (!json.is_object()) {
      TypeError(errors_, path, "an object", json);
      return;
    }
    for (const auto& [key, value] : json.items()) {
      const FieldDescriptor* field = FieldByJsonName(type, key);
      if (field == nullptr) {
        UnknownField(type, key, path);
        continue;
      }
      if (value.is_null()) {
        continue;
      }
      Decode(value, message, *field, ChildPath(path, key));
    }
  }

  void Decode(const Json& json, Message& message, const FieldDescriptor& field,
              std::string_view path) {
    if (field.is_map()) {
      DecodeMap(json, message, field, path);
    } else if (field.is_repeated()) {
      if (!json.is_array()) {
        TypeError(errors_, path, "a list", json);
        return;
      }
      for (size_t i = 0; i < json.size(); ++i) {
        if (!json[i].is_null()) {
          DecodeValue(json[i], message, field, IndexPath(path, i));
        }
      }
    } else {
      DecodeValue(json, message, field, path);
    }
  }

 private:
  void UnknownField(const Descriptor& type, const std::string& key, std::string_view path) {
    std::vector<std::string> names;
    for (int i = 0; i < type.field_count(); ++i) {
      names.push_back(type.field(i)->json_name());
    }
    std::string message = "unknown field";
    if (std::string suggestion = ClosestMatch(key, names); !suggestion.empty()) {
      StrAppend(&message, " (did you mean \"", suggestion, "\"?)");
    }
    AddError(errors_, ChildPath(path, key), std::move(message));
  }

  void DecodeMap(const Json& json, Message& message, const FieldDescriptor& field,
                 std::string_view path) {
    if (!json.is_object()) {
      TypeError(errors_, path, "an object", json);
      return;
    }
    const Reflection& reflection = *message.GetReflection();
    for (const auto& [key, value] : json.items()) {
      if (value.is_null()) {
        continue;
      }
      Message* entry = reflection.AddMessage(&message, &field);
      const Descriptor& entry_type = *entry->GetDescriptor();
      entry->GetReflection()->SetString(entry, entry_type.map_key(), key);
      DecodeValue(value, *entry, *entry_type.map_value(), KeyPath(path, key));
    }
  }

  void DecodeStruct(const Json& json, Message& message, std::string_view path) {
    if (!json.is_object()) {
      TypeError(errors_, path, "an object", json);
      return;
    }
    auto status = google::protobuf::util::JsonStringToMessage(Dump(json), &message);
    if (!status.ok()) {
      AddError(errors_, path, std::string(status.message()));
    }
  }

  // One value of a singular field or one element of a repeated one.
  void DecodeValue(const Json& json, Message& message, const FieldDescriptor& field,
                   std::string_view path) {
    const Reflection& r = *message.GetReflection();
    const bool repeated = field.is_repeated();
    const schema::Format format = RulesOf(field).format();
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        int64_t v = 0;
        if (ReadInteger(json, std::numeric_limits<int32_t>::min(),
                        std::numeric_limits<int32_t>::max(), path, errors_, v)) {
          repeated ? r.AddInt32(&message, &field, static_cast<int32_t>(v))
                   : r.SetInt32(&message, &field, static_cast<int32_t>(v));
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t v = 0;
        bool ok = format == schema::QUANTITY
                      ? ReadQuantity(json, path, errors_, v)
                      : ReadInteger(json, std::numeric_limits<int64_t>::min(),
                                    std::numeric_limits<int64_t>::max(), path, errors_, v);
        if (ok) {
          repeated ? r.AddInt64(&message, &field, v) : r.SetInt64(&message, &field, v);
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        if (!json.is_boolean()) {
          TypeError(errors_, path, "true or false", json);
          return;
        }
        repeated ? r.AddBool(&message, &field, json.get<bool>())
                 : r.SetBool(&message, &field, json.get<bool>());
        return;
      case FieldDescriptor::CPPTYPE_STRING:
        if (!json.is_string()) {
          TypeError(errors_, path, "a string", json);
          return;
        }
        repeated ? r.AddString(&message, &field, json.get<std::string>())
                 : r.SetString(&message, &field, json.get<std::string>());
        return;
      case FieldDescriptor::CPPTYPE_ENUM:
        DecodeEnum(json, message, field, path);
        return;
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        Message* child =
            repeated ? r.AddMessage(&message, &field) : r.MutableMessage(&message, &field);
        if (IsIntOrString(*child->GetDescriptor())) {
          DecodeIntOrString(json, *child, path);
        } else {
          DecodeObject(json, *child, path);
        }
        return;
      }
      default:
        AddError(errors_, path, "field type not supported by the codec");
        return;
    }
  }

  void DecodeEnum(const Json& json, Message& message, const FieldDescriptor& field,
                  std::string_view path) {
    const auto& type = *field.enum_type();
    if (!json.is_string()) {
      TypeError(errors_, path, StrCat("one of ", StrJoin(EnumJsonNames(type), ", ")), json);
      return;
    }
    const std::string& name = json.get_ref<const std::string&>();
    const auto* value = FindEnumByJsonName(type, name);
    if (value == nullptr) {
      std::vector<std::string> names = EnumJsonNames(type);
      std::string message =
          StrCat("\"", name.substr(0, 60), "\" is not one of ", StrJoin(names, ", "));
      if (std::string suggestion = ClosestMatch(name, names); !suggestion.empty()) {
        StrAppend(&message, " (did you mean \"", suggestion, "\"?)");
      }
      AddError(errors_, path, std::move(message));
      return;
    }
    const Reflection& r = *message.GetReflection();
    field.is_repeated() ? r.AddEnumValue(&message, &field, value->number())
                        : r.SetEnumValue(&message, &field, value->number());
  }

  void DecodeIntOrString(const Json& json, Message& message, std::string_view path) {
    const Descriptor& type = *message.GetDescriptor();
    const Reflection& r = *message.GetReflection();
    if (json.is_string()) {
      r.SetString(&message, type.FindFieldByName("string_value"), json.get<std::string>());
      return;
    }
    int64_t v = 0;
    if (json.is_number() && ReadInteger(json, std::numeric_limits<int32_t>::min(),
                                        std::numeric_limits<int32_t>::max(), path, errors_, v)) {
      r.SetInt32(&message, type.FindFieldByName("int_value"), static_cast<int32_t>(v));
      return;
    }
    if (!json.is_number()) {
      TypeError(errors_, path, "an integer or a string", json);
    }
  }

  FieldErrors& errors_;
};

Json EncodeScalar(const Message& message, const FieldDescriptor& field, int index);

Json EncodeValue(const Message& message, const FieldDescriptor& field, int index) {
  if (field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    return EncodeScalar(message, field, index);
  }
  const Reflection& r = *message.GetReflection();
  const Message& child =
      index < 0 ? r.GetMessage(message, &field) : r.GetRepeatedMessage(message, &field, index);
  const Descriptor& type = *child.GetDescriptor();
  if (IsIntOrString(type)) {
    const Reflection& cr = *child.GetReflection();
    const FieldDescriptor* string_field = type.FindFieldByName("string_value");
    if (cr.HasField(child, string_field)) {
      return cr.GetString(child, string_field);
    }
    return cr.GetInt32(child, type.FindFieldByName("int_value"));
  }
  return EncodeMessage(child);
}

Json EncodeScalar(const Message& message, const FieldDescriptor& field, int index) {
  const Reflection& r = *message.GetReflection();
  const bool repeated = index >= 0;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return repeated ? r.GetRepeatedInt32(message, &field, index) : r.GetInt32(message, &field);
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v =
          repeated ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field);
      if (RulesOf(field).format() == schema::QUANTITY) {
        return FormatQuantity(v);
      }
      return v;
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      return repeated ? r.GetRepeatedBool(message, &field, index) : r.GetBool(message, &field);
    case FieldDescriptor::CPPTYPE_STRING:
      return repeated ? r.GetRepeatedString(message, &field, index) : r.GetString(message, &field);
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* value =
          repeated ? r.GetRepeatedEnum(message, &field, index) : r.GetEnum(message, &field);
      return EnumJsonName(*value);
    }
    case FieldDescriptor::CPPTYPE_UINT32:
      return repeated ? r.GetRepeatedUInt32(message, &field, index) : r.GetUInt32(message, &field);
    case FieldDescriptor::CPPTYPE_UINT64:
      return repeated ? r.GetRepeatedUInt64(message, &field, index) : r.GetUInt64(message, &field);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return repeated ? r.GetRepeatedDouble(message, &field, index) : r.GetDouble(message, &field);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return repeated ? r.GetRepeatedFloat(message, &field, index) : r.GetFloat(message, &field);
    default:
      return nullptr;
  }
}

Json EncodeMap(const Message& message, const FieldDescriptor& field) {
  const Reflection& r = *message.GetReflection();
  std::vector<std::pair<std::string, Json>> entries;
  for (int i = 0; i < r.FieldSize(message, &field); ++i) {
    const Message& entry = r.GetRepeatedMessage(message, &field, i);
    const Descriptor& type = *entry.GetDescriptor();
    entries.emplace_back(entry.GetReflection()->GetString(entry, type.map_key()),
                         EncodeValue(entry, *type.map_value(), -1));
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Json object = Json::object();
  for (auto& [key, value] : entries) {
    object[key] = std::move(value);
  }
  return object;
}

}  // namespace

void DecodeMessage(const Json& json, Message& message, std::string_view path, FieldErrors& errors) {
  Decoder(errors).DecodeObject(json, message, path);
}

void DecodeField(const Json& json, Message& message, const FieldDescriptor& field,
                 std::string_view path, FieldErrors& errors) {
  if (!json.is_null()) {
    Decoder(errors).Decode(json, message, field, path);
  }
}

Json EncodeMessage(const Message& message) {
  const Descriptor& type = *message.GetDescriptor();
  if (IsStruct(type)) {
    // A Struct is a map: go through a key-sorted json so equal messages encode equally.
    std::string text;
    if (!google::protobuf::util::MessageToJsonString(message, &text).ok()) {
      return Json::object();
    }
    return Json::parse(nlohmann::json::parse(text).dump());
  }
  const Reflection& r = *message.GetReflection();
  Json object = Json::object();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    if (!IsFieldSet(message, field)) {
      continue;
    }
    if (field.is_map()) {
      object[field.json_name()] = EncodeMap(message, field);
    } else if (field.is_repeated()) {
      Json array = Json::array();
      for (int j = 0; j < r.FieldSize(message, &field); ++j) {
        array.push_back(EncodeValue(message, field, j));
      }
      object[field.json_name()] = std::move(array);
    } else {
      object[field.json_name()] = EncodeValue(message, field, -1);
    }
  }
  return object;
}

}  // namespace nanoplane
