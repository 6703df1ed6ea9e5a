#include "common/defaults.h"

#include "common/codec.h"
#include "common/schema.h"
#include "common/status.h"
#include "common/yaml_json.h"

namespace nanoplane {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void SetDefault(Message& message, const FieldDescriptor& field, const std::string& text) {
  auto documents = ParseYamlDocuments(text);
  NP_CHECK(documents.ok() && documents->size() == 1 && (*documents)[0].ok());
  FieldErrors errors;
  const Json& value = *(*documents)[0];
  if (value.is_object() && value.empty() && field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    message.GetReflection()->MutableMessage(&message, &field);  // "{}": present, all defaults
    return;
  }
  DecodeField(value, message, field, field.json_name(), errors);
  // A default that does not decode is a mistake in the schema, not in input.
  NP_CHECK(errors.empty());
}

}  // namespace

void ApplySchemaDefaults(Message& message) {
  const auto& type = *message.GetDescriptor();
  const Reflection& r = *message.GetReflection();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    const std::string& default_value = RulesOf(field).default_value();
    if (!default_value.empty() && !IsFieldSet(message, field)) {
      SetDefault(message, field, default_value);
    }
    if (field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field.is_map()) {
      continue;
    }
    if (IsIntOrString(*field.message_type()) || IsStruct(*field.message_type())) {
      continue;
    }
    if (field.is_repeated()) {
      for (int j = 0; j < r.FieldSize(message, &field); ++j) {
        ApplySchemaDefaults(*r.MutableRepeatedMessage(&message, &field, j));
      }
    } else if (r.HasField(message, &field)) {
      ApplySchemaDefaults(*r.MutableMessage(&message, &field));
    }
  }
}

void DefaultUnikernel(v1alpha1::Unikernel& unikernel) {
  ApplySchemaDefaults(unikernel);
  auto& strategy = *unikernel.mutable_spec()->mutable_strategy();
  if (strategy.type() == v1alpha1::ROLLING_UPDATE) {
    ApplySchemaDefaults(*strategy.mutable_rolling_update());
  }
}

std::string DefaultNanosVersion() {
  v1alpha1::NanosSpec nanos;
  ApplySchemaDefaults(nanos);
  return nanos.version();
}

}  // namespace nanoplane
