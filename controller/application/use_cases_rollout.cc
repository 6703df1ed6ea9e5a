// UseCases: the rollout verbs, and the streams (watch, rollout status).

#include "common/status.h"
#include "common/strings.h"
#include "controller/application/apply.h"
#include "controller/application/rollout.h"
#include "controller/application/use_cases.h"

namespace nanoplane::controller::application {
namespace {

namespace pb = ::nanoplane::v1alpha1;

std::string Named(const std::string& name, std::string_view what) {
  return StrCat("unikernel \"", name, "\" ", what);
}

absl::Status ClientGone() { return absl::CancelledError("the client went away"); }

}  // namespace

absl::StatusOr<std::vector<HistoryEntry>> UseCases::RolloutHistory(const ports::ObjectKey& key,
                                                                   int64_t revision) {
  NP_ASSIGN_OR_RETURN(pb::Unikernel object, store_.Get(key));
  NP_ASSIGN_OR_RETURN(std::vector<ports::RevisionRecord> history, store_.ListRevisions(key));
  std::string current = TemplateHash(object.spec().template_());
  std::string previous;
  std::vector<HistoryEntry> out;
  for (const ports::RevisionRecord& record : history) {
    std::string cause = ChangeCause(previous, record.template_json);
    previous = record.template_json;
    if (revision != 0 && record.number != revision) {
      continue;
    }
    HistoryEntry entry{.number = record.number,
                       .hash = record.hash,
                       .created = record.created_time,
                       .change_cause = std::move(cause),
                       .current = record.hash == current};
    if (revision != 0) {
      absl::StatusOr<pb::UnikernelTemplate> tmpl = TemplateOf(record);
      if (tmpl.ok()) {
        entry.template_ = *std::move(tmpl);
      }
    }
    out.push_back(std::move(entry));
  }
  if (revision != 0 && out.empty()) {
    return absl::NotFoundError(StrCat("unable to find the specified revision ", revision));
  }
  return out;
}

absl::StatusOr<RolloutResult> UseCases::RolloutUndo(const ports::ObjectKey& key,
                                                    int64_t to_revision) {
  NP_ASSIGN_OR_RETURN(std::vector<ports::RevisionRecord> history, store_.ListRevisions(key));
  bool skipped = false;
  int64_t number = 0;
  NP_ASSIGN_OR_RETURN(pb::Unikernel object, Modify(key, [&](pb::Unikernel& u) -> absl::Status {
                        std::string current = TemplateHash(u.spec().template_());
                        NP_ASSIGN_OR_RETURN(ports::RevisionRecord target,
                                            FindUndoTarget(history, current, to_revision));
                        number = target.number;
                        NP_ASSIGN_OR_RETURN(pb::UnikernelTemplate tmpl, TemplateOf(target));
                        skipped = target.hash == current;
                        *u.mutable_spec()->mutable_template_() = std::move(tmpl);
                        return absl::OkStatus();
                      }));
  std::string message =
      skipped ? StrCat("skipped rollback (current template already matches revision ", number, ")")
              : StrCat("rolled back to revision ", number);
  return RolloutResult{.message = Named(key.name, message), .object = std::move(object)};
}

absl::StatusOr<RolloutResult> UseCases::RolloutPause(const ports::ObjectKey& key) {
  bool already = false;
  NP_ASSIGN_OR_RETURN(pb::Unikernel object, Modify(key, [&](pb::Unikernel& u) {
                        already = u.spec().paused();
                        u.mutable_spec()->set_paused(true);
                        return absl::OkStatus();
                      }));
  return RolloutResult{.message = Named(key.name, already ? "is already paused" : "paused"),
                       .object = std::move(object)};
}

absl::StatusOr<RolloutResult> UseCases::RolloutResume(const ports::ObjectKey& key) {
  bool paused = false;
  NP_ASSIGN_OR_RETURN(pb::Unikernel object, Modify(key, [&](pb::Unikernel& u) {
                        paused = u.spec().paused();
                        u.mutable_spec()->set_paused(false);
                        return absl::OkStatus();
                      }));
  return RolloutResult{.message = Named(key.name, paused ? "resumed" : "is not paused"),
                       .object = std::move(object)};
}

absl::StatusOr<RolloutResult> UseCases::RolloutRestart(const ports::ObjectKey& key) {
  absl::Time now = options_.now();
  NP_ASSIGN_OR_RETURN(pb::Unikernel object, Modify(key, [&](pb::Unikernel& u) {
                        // As kubectl: a paused rollout would not replace anything.
                        if (u.spec().paused()) {
                          return absl::FailedPreconditionError(
                              StrCat("can't restart paused unikernel \"", u.metadata().name(),
                                     "\" (run rollout resume first)"));
                        }
                        *u.mutable_spec()->mutable_template_() =
                            WithRestartMarker(u.spec().template_(), now);
                        return absl::OkStatus();
                      }));
  return RolloutResult{.message = Named(key.name, "restarted"), .object = std::move(object)};
}

absl::Status UseCases::WatchUnikernels(const WatchQuery& query,
                                       const std::function<bool(const UnikernelChange&)>& sink,
                                       const std::function<bool()>& cancelled) {
  std::optional<std::string> ns;
  if (query.ns.has_value()) {
    ns = KeyOf(*query.ns, "").ns;
  }
  auto deliver = [&](ports::WatchEventType type, pb::Unikernel object) {
    if (!query.name.empty() && object.metadata().name() != query.name) {
      return true;
    }
    return sink(UnikernelChange{.type = type, .object = std::move(object)});
  };
  std::string version = query.resource_version;
  if (version.empty()) {
    NP_ASSIGN_OR_RETURN(ports::UnikernelList list, store_.List({.ns = ns}));
    for (pb::Unikernel& object : list.items) {
      if (!deliver(ports::WatchEventType::kAdded, std::move(object))) {
        return ClientGone();
      }
    }
    version = list.resource_version;
  }
  NP_ASSIGN_OR_RETURN(std::unique_ptr<ports::Watcher> watcher,
                      store_.Watch({.resource_version = version, .ns = ns}));
  while (!cancelled()) {
    NP_ASSIGN_OR_RETURN(std::vector<ports::WatchEvent> events,
                        watcher->Next(absl::Now() + options_.poll_interval));
    for (ports::WatchEvent& event : events) {
      if (!deliver(event.type, std::move(event.object))) {
        return ClientGone();
      }
    }
  }
  return ClientGone();
}

absl::Status UseCases::RolloutStatus(const RolloutStatusQuery& query,
                                     const std::function<bool(const RolloutUpdate&)>& sink,
                                     const std::function<bool()>& cancelled) {
  NP_ASSIGN_OR_RETURN(pb::Unikernel object, store_.Get(query.key));
  std::string last_message;
  bool gone = false;
  // True when the stream is over: the rollout ended, one look was asked for,
  // or the client went away.
  auto send = [&](const pb::Unikernel& current) {
    RolloutState state = RolloutStateOf(current, query.revision);
    if (state.message != last_message) {
      last_message = state.message;
      if (!sink(RolloutUpdate{.state = state, .object = current})) {
        gone = true;
        return true;
      }
    }
    return state.done || state.failed || !query.watch;
  };
  if (send(object)) {
    return gone ? ClientGone() : absl::OkStatus();
  }
  NP_ASSIGN_OR_RETURN(
      std::unique_ptr<ports::Watcher> watcher,
      store_.Watch({.resource_version = object.metadata().resource_version(), .ns = query.key.ns}));
  while (!cancelled()) {
    NP_ASSIGN_OR_RETURN(std::vector<ports::WatchEvent> events,
                        watcher->Next(absl::Now() + options_.poll_interval));
    for (const ports::WatchEvent& event : events) {
      if (event.object.metadata().name() != query.key.name) {
        continue;
      }
      if (event.type == ports::WatchEventType::kDeleted) {
        return absl::NotFoundError(Named(query.key.name, "was deleted"));
      }
      if (send(event.object)) {
        return gone ? ClientGone() : absl::OkStatus();
      }
    }
  }
  return ClientGone();
}

}  // namespace nanoplane::controller::application
