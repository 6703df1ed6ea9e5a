#include "common/schema.h"

namespace nanoplane {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const schema::FieldRules& RulesOf(const FieldDescriptor& field) {
  return field.options().GetExtension(schema::field);
}

std::string EnumJsonName(const EnumValueDescriptor& value) {
  const std::string& json = value.options().GetExtension(schema::json_value);
  return json.empty() ? value.name() : json;
}

const EnumValueDescriptor* FindEnumByJsonName(const EnumDescriptor& type, std::string_view name) {
  for (int i = 0; i < type.value_count(); ++i) {
    const EnumValueDescriptor* value = type.value(i);
    if (value->number() != 0 && EnumJsonName(*value) == name) {
      return value;
    }
  }
  return nullptr;
}

std::vector<std::string> EnumJsonNames(const EnumDescriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.value_count(); ++i) {
    if (type.value(i)->number() != 0) {
      names.push_back(EnumJsonName(*type.value(i)));
    }
  }
  return names;
}

bool IsIntOrString(const Descriptor& type) {
  return type.full_name() == "nanoplane.v1alpha1.IntOrString";
}

bool IsStruct(const Descriptor& type) { return type.full_name() == "google.protobuf.Struct"; }

bool IsFieldSet(const Message& message, const FieldDescriptor& field) {
  const auto* reflection = message.GetReflection();
  if (field.is_repeated()) {
    return reflection->FieldSize(message, &field) > 0;
  }
  if (field.has_presence()) {
    return reflection->HasField(message, &field);
  }
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return !reflection->GetString(message, &field).empty();
    case FieldDescriptor::CPPTYPE_INT32:
      return reflection->GetInt32(message, &field) != 0;
    case FieldDescriptor::CPPTYPE_INT64:
      return reflection->GetInt64(message, &field) != 0;
    case FieldDescriptor::CPPTYPE_UINT32:
      return reflection->GetUInt32(message, &field) != 0;
    case FieldDescriptor::CPPTYPE_UINT64:
      return reflection->GetUInt64(message, &field) != 0;
    case FieldDescriptor::CPPTYPE_BOOL:
      return reflection->GetBool(message, &field);
    case FieldDescriptor::CPPTYPE_ENUM:
      return reflection->GetEnumValue(message, &field) != 0;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return reflection->GetDouble(message, &field) != 0;
    case FieldDescriptor::CPPTYPE_FLOAT:
      return reflection->GetFloat(message, &field) != 0;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return reflection->HasField(message, &field);
  }
  return false;
}

}  // namespace nanoplane
