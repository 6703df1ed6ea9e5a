#include "agent/adapters/domain_metadata.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>

#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::agent {
namespace {

std::string Element(int indent, std::string_view name, std::string_view text) {
  return StrCat(std::string(indent, ' '), "<", kMetadataPrefix, ":", name, ">", XmlEscape(text),
                "</", kMetadataPrefix, ":", name, ">\n");
}

std::string PortElement(int indent, const PortBinding& port) {
  return StrCat(std::string(indent, ' '), "<", kMetadataPrefix, ":port name='",
                XmlEscape(port.forward.name), "' protocol='",
                port.forward.protocol == Protocol::kUdp ? "udp" : "tcp", "' guest='",
                port.forward.guest_port, "' hostAddress='", XmlEscape(port.host_address),
                "' host='", port.forward.host_port, "'/>\n");
}

struct XmlDocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};

std::string Text(xmlNode* node) {
  xmlChar* content = xmlNodeGetContent(node);
  std::string text = content == nullptr ? "" : reinterpret_cast<const char*>(content);
  xmlFree(content);
  return text;
}

std::string Attribute(xmlNode* node, const char* name) {
  xmlChar* value = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  std::string text = value == nullptr ? "" : reinterpret_cast<const char*>(value);
  xmlFree(value);
  return text;
}

int AttributeInt(xmlNode* node, const char* name) {
  std::optional<int64_t> value = ParseInt64(Attribute(node, name));
  return value.has_value() ? static_cast<int>(*value) : 0;
}

PortBinding ParsePort(xmlNode* node) {
  PortBinding port;
  port.forward.name = Attribute(node, "name");
  port.forward.protocol = Attribute(node, "protocol") == "udp" ? Protocol::kUdp : Protocol::kTcp;
  port.forward.guest_port = AttributeInt(node, "guest");
  port.forward.host_port = AttributeInt(node, "host");
  port.host_address = Attribute(node, "hostAddress");
  return port;
}

// Applies one child element of <instance> to `metadata`; unknown ones are
// skipped so that an older agent can read a newer agent's domains.
void ApplyField(xmlNode* node, DomainMetadata& metadata) {
  std::string_view name = reinterpret_cast<const char*>(node->name);
  InstanceIdentity& id = metadata.identity;
  if (name == "name") {
    id.name = Text(node);
  } else if (name == "namespace") {
    id.namespace_name = Text(node);
  } else if (name == "unikernel") {
    id.unikernel = Text(node);
  } else if (name == "uid") {
    id.uid = Text(node);
  } else if (name == "revision") {
    id.revision = ParseInt64(Text(node)).value_or(0);
  } else if (name == "specHash") {
    id.spec_hash = Text(node);
  } else if (name == "accelerator") {
    metadata.accelerator = Text(node) == "kvm" ? Accelerator::kKvm : Accelerator::kTcg;
  } else if (name == "consoleLog") {
    metadata.console_log = Text(node);
  } else if (name == "stateDir") {
    metadata.state_dir = Text(node);
  } else if (name == "debugExit") {
    metadata.debug_exit = Text(node) == "true";
  } else if (name == "bridged") {
    metadata.bridged = Text(node) == "true";
  } else if (name == "port") {
    metadata.ports.push_back(ParsePort(node));
  }
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderMetadata(const DomainMetadata& metadata, int indent) {
  const int inner = indent + 2;
  const InstanceIdentity& id = metadata.identity;
  std::string out = StrCat(std::string(indent, ' '), "<", kMetadataPrefix,
                           ":instance xmlns:", kMetadataPrefix, "='", kMetadataNamespace, "'>\n");
  StrAppend(&out, Element(inner, "name", id.name), Element(inner, "namespace", id.namespace_name),
            Element(inner, "unikernel", id.unikernel), Element(inner, "uid", id.uid),
            Element(inner, "revision", StrCat(id.revision)),
            Element(inner, "specHash", id.spec_hash),
            Element(inner, "accelerator", ToString(metadata.accelerator)),
            Element(inner, "consoleLog", metadata.console_log),
            Element(inner, "stateDir", metadata.state_dir),
            Element(inner, "debugExit", metadata.debug_exit ? "true" : "false"),
            Element(inner, "bridged", metadata.bridged ? "true" : "false"));
  for (const PortBinding& port : metadata.ports) {
    out += PortElement(inner, port);
  }
  StrAppend(&out, std::string(indent, ' '), "</", kMetadataPrefix, ":instance>\n");
  return out;
}

absl::StatusOr<DomainMetadata> ParseMetadata(std::string_view xml) {
  std::unique_ptr<xmlDoc, XmlDocFree> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "metadata.xml", nullptr,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (doc == nullptr) {
    return absl::InvalidArgumentError("nanoplane metadata is not well-formed XML");
  }
  xmlNode* root = xmlDocGetRootElement(doc.get());
  // libvirt returns the element it found by namespace without the namespace.
  if (root == nullptr ||
      std::string_view(reinterpret_cast<const char*>(root->name)) != "instance" ||
      (root->ns != nullptr &&
       std::string_view(reinterpret_cast<const char*>(root->ns->href)) != kMetadataNamespace)) {
    return absl::InvalidArgumentError("metadata is not a nanoplane instance element");
  }
  DomainMetadata metadata;
  for (xmlNode* child = root->children; child != nullptr; child = child->next) {
    if (child->type == XML_ELEMENT_NODE) {
      ApplyField(child, metadata);
    }
  }
  if (metadata.identity.name.empty()) {
    return absl::InvalidArgumentError("nanoplane metadata has no instance name");
  }
  return metadata;
}

}  // namespace nanoplane::agent
