#include "common/crd.h"

#include "common/api.h"
#include "common/formats.h"
#include "common/schema.h"
#include "common/strings.h"
#include "common/yaml_json.h"

namespace nanoplane {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

Json ObjectSchema(const Descriptor& type);

Json IntOrStringSchema() {
  return Json{{"anyOf", Json::array({Json{{"type", "integer"}}, Json{{"type", "string"}}})},
              {"x-kubernetes-int-or-string", true}};
}

// The default as the CRD writes it: the same YAML text Default() decodes.
Json DefaultOf(const FieldDescriptor& field) {
  auto documents = ParseYamlDocuments(RulesOf(field).default_value());
  if (!documents.ok() || documents->size() != 1 || !(*documents)[0].ok()) {
    return nullptr;
  }
  return *(*documents)[0];
}

Json ScalarSchema(const FieldDescriptor& field, schema::Format format) {
  Json s = Json::object();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
      if (format == schema::QUANTITY) {
        s = IntOrStringSchema();
        s["pattern"] = "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$";
        break;
      }
      s["type"] = "integer";
      s["format"] = field.cpp_type() == FieldDescriptor::CPPTYPE_INT32 ? "int32" : "int64";
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      s["type"] = "boolean";
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      s["type"] = "string";
      Json values = Json::array();
      for (const std::string& name : EnumJsonNames(*field.enum_type())) {
        values.push_back(name);
      }
      s["enum"] = std::move(values);
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Descriptor& type = *field.message_type();
      if (IsIntOrString(type)) {
        s = IntOrStringSchema();
      } else if (IsStruct(type)) {
        s = Json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
      } else {
        s = ObjectSchema(type);
      }
      break;
    }
    default:
      s["type"] = "string";
      if (format == schema::DATE_TIME) {
        s["format"] = "date-time";
      } else if (std::string pattern = FormatPattern(format); !pattern.empty()) {
        s["pattern"] = pattern;
      }
      if (int max = FormatMaxLength(format); max > 0) {
        s["maxLength"] = max;
      }
      break;
  }
  return s;
}

Json FieldSchema(const FieldDescriptor& field) {
  const schema::FieldRules& rules = RulesOf(field);
  Json s;
  if (field.is_map()) {
    s = Json{{"type", "object"},
             {"additionalProperties",
              ScalarSchema(*field.message_type()->map_value(), schema::FORMAT_UNSPECIFIED)}};
  } else if (field.is_repeated()) {
    s = Json{{"type", "array"}, {"items", ScalarSchema(field, rules.key_format())}};
    if (rules.unique_key() == ".") {
      s["x-kubernetes-list-type"] = "set";
    } else if (!rules.unique_key().empty()) {
      s["x-kubernetes-list-type"] = "map";
      s["x-kubernetes-list-map-keys"] =
          Json::array({field.message_type()->FindFieldByName(rules.unique_key())->json_name()});
    }
  } else {
    s = ScalarSchema(field, rules.format());
  }
  if (!rules.description().empty()) {
    // Description first reads best in `kubectl explain` and in the file.
    Json described = Json{{"description", rules.description()}};
    described.update(s);
    s = std::move(described);
  }
  if (rules.has_minimum()) {
    s["minimum"] = rules.minimum();
  }
  if (rules.has_maximum()) {
    s["maximum"] = rules.maximum();
  }
  if (!rules.default_value().empty()) {
    s["default"] = DefaultOf(field);
  }
  return s;
}

Json ObjectSchema(const Descriptor& type) {
  Json s = Json::object();
  if (const std::string& description = type.options().GetExtension(schema::description);
      !description.empty()) {
    s["description"] = description;
  }
  s["type"] = "object";
  Json properties = Json::object();
  Json required = Json::array();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    properties[field.json_name()] = FieldSchema(field);
    // Output-only fields are required of the system, never of the user.
    if (RulesOf(field).required() && !RulesOf(field).output_only()) {
      required.push_back(field.json_name());
    }
  }
  s["properties"] = std::move(properties);
  if (!required.empty()) {
    s["required"] = std::move(required);
  }
  return s;
}

Json PrinterColumn(std::string_view name, std::string_view type, std::string_view path,
                   std::string_view description) {
  return Json{{"name", name}, {"type", type}, {"jsonPath", path}, {"description", description}};
}

Json RootSchema() {
  Json root = ObjectSchema(*v1alpha1::Unikernel::descriptor());
  // The API server owns metadata's schema; a CRD may only say it is an object.
  root["properties"]["metadata"] = Json{{"type", "object"}};
  root["required"] = Json::array({"spec"});
  return root;
}

}  // namespace

Json UnikernelCrd() {
  Json columns = Json::array({
      PrinterColumn("Desired", "integer", ".spec.replicas", "Instances wanted."),
      PrinterColumn("Ready", "integer", ".status.readyReplicas", "Instances ready."),
      PrinterColumn("Up-to-date", "integer", ".status.updatedReplicas",
                    "Instances of the newest revision."),
      PrinterColumn("Available", "integer", ".status.availableReplicas",
                    "Instances ready for at least minReadySeconds."),
      PrinterColumn("Age", "date", ".metadata.creationTimestamp", "Time since creation."),
  });
  Json version = Json{
      {"name", kVersion},
      {"served", true},
      {"storage", true},
      {"schema", Json{{"openAPIV3Schema", RootSchema()}}},
      {"subresources", Json{{"status", Json::object()},
                            {"scale", Json{{"specReplicasPath", ".spec.replicas"},
                                           {"statusReplicasPath", ".status.replicas"},
                                           {"labelSelectorPath", ".status.selector"}}}}},
      {"additionalPrinterColumns", std::move(columns)},
  };
  return Json{
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", Json{{"name", StrCat("unikernels.", kGroup)}}},
      {"spec", Json{{"group", kGroup},
                    {"names", Json{{"kind", kKind},
                                   {"listKind", "UnikernelList"},
                                   {"plural", "unikernels"},
                                   {"singular", "unikernel"},
                                   {"shortNames", Json::array({"uk"})},
                                   {"categories", Json::array({"all", "nanoplane"})}}},
                    {"scope", "Namespaced"},
                    {"versions", Json::array({std::move(version)})}}},
  };
}

std::string UnikernelCrdYaml() {
  return "# Generated by `nanoplane crd` from proto/nanoplane/v1alpha1/unikernel.proto.\n"
         "# Do not edit: change the proto and run `nanoplane crd > "
         "crds/unikernels.nanoplane.dev.yaml`.\n" +
         JsonToYaml(UnikernelCrd());
}

}  // namespace nanoplane
