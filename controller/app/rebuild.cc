#include "controller/app/rebuild.h"

#include "common/codec.h"
#include "common/status.h"
#include "common/strings.h"
#include "controller/core/convert.h"

namespace nanoplane::controller::app {

absl::StatusOr<v1alpha1::UnikernelTemplate> DecodeTemplate(const std::string& json_text) {
  Json json = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InternalError("stored revision template is not JSON");
  }
  v1alpha1::UnikernelTemplate tmpl;
  FieldErrors errors;
  DecodeMessage(json, tmpl, "template", errors);
  if (!errors.empty()) {
    return absl::InternalError(StrCat("stored revision template: ", FormatFieldError(errors[0])));
  }
  return tmpl;
}

const ports::RevisionRecord* TemplateCache::Find(const ports::ObjectKey& key,
                                                 const std::string& hash, int64_t number) {
  auto it = revisions_.find(key);
  if (it == revisions_.end()) {
    absl::StatusOr<std::vector<ports::RevisionRecord>> list = store_.ListRevisions(key);
    it =
        revisions_.emplace(key, list.ok() ? *std::move(list) : std::vector<ports::RevisionRecord>{})
            .first;
  }
  for (const ports::RevisionRecord& record : it->second) {
    if (hash.empty() ? record.number == number : record.hash == hash) {
      return &record;
    }
  }
  return nullptr;
}

namespace {

// Sets the instance's assignment to `identity` and, when the revision is
// known, its template, and the resources from it.
void Attach(agent::v1::InstanceIdentity identity, const ports::RevisionRecord* revision,
            AssignedInstance& instance) {
  instance.assignment.identity =
      std::make_shared<const agent::v1::InstanceIdentity>(std::move(identity));
  if (revision != nullptr) {
    absl::StatusOr<v1alpha1::UnikernelTemplate> tmpl = DecodeTemplate(revision->template_json);
    if (tmpl.ok()) {
      instance.resources = core::TemplateFromProto(*tmpl).resources;
      instance.assignment.tmpl =
          std::make_shared<const v1alpha1::UnikernelTemplate>(*std::move(tmpl));
    }
  }
}

}  // namespace

void AdoptReported(const ports::HostSession& session, TemplateCache& templates,
                   AssignmentTable& table) {
  core::NameSet known = table.Names();
  for (const agent::v1::InstanceReport& report : session.instances) {
    const agent::v1::InstanceIdentity& identity = report.identity();
    if (known.contains(identity.name()) || identity.unikernel().empty()) {
      continue;  // ours already, or not a Unikernel's instance at all
    }
    AssignedInstance instance{
        .key = {.ns = identity.namespace_().empty() ? "default" : identity.namespace_(),
                .name = identity.unikernel()},
        .host = session.host};
    absl::StatusOr<absl::Time> started = core::ParseTimestamp(report.started_at());
    instance.created_time = started.ok() ? *started : absl::InfinitePast();
    Attach(identity, templates.Find(instance.key, identity.spec_hash()), instance);
    table.Adopt(std::move(instance));
  }
}

namespace {

void AdoptStored(const v1alpha1::Unikernel& object, const std::set<std::string>& hosts_heard,
                 TemplateCache& templates, AssignmentTable& table) {
  ports::ObjectKey key{.ns = object.metadata().namespace_(), .name = object.metadata().name()};
  if (key.ns.empty()) {
    key.ns = "default";
  }
  for (const v1alpha1::InstanceStatus& status : object.status().instances()) {
    if (hosts_heard.contains(status.host())) {
      continue;  // its agent's hello is the truth
    }
    const ports::RevisionRecord* revision = templates.Find(key, "", status.revision());
    AssignedInstance instance{.key = key, .host = status.host()};
    agent::v1::InstanceIdentity identity;
    identity.set_name(status.name());
    identity.set_namespace_(key.ns);
    identity.set_unikernel(key.name);
    identity.set_uid(object.metadata().uid());
    identity.set_revision(status.revision());
    identity.set_spec_hash(revision != nullptr ? revision->hash : "");
    Attach(std::move(identity), revision, instance);
    table.Adopt(std::move(instance));
  }
}

}  // namespace

absl::Status RebuildTable(ports::Store& store, const std::vector<ports::HostSession>& sessions,
                          AssignmentTable& table) {
  TemplateCache templates(store);
  std::set<std::string> hosts_heard;
  for (const ports::HostSession& session : sessions) {
    hosts_heard.insert(session.host);
    AdoptReported(session, templates, table);
  }
  NP_ASSIGN_OR_RETURN(ports::UnikernelList list, store.List(ports::ListOptions{}));
  for (const v1alpha1::Unikernel& object : list.items) {
    AdoptStored(object, hosts_heard, templates, table);
  }
  return absl::OkStatus();
}

}  // namespace nanoplane::controller::app
