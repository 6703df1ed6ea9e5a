#pragma once

// The tables of `get` and `describe`, as kubectl lays them out. Pure: data
// and `now` in, rows out (the first row is the header).

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cli/table.h"
#include "nanoplane/api/v1/controller.pb.h"
#include "nanoplane/v1alpha1/unikernel.pb.h"

namespace nanoplane::cli {

// NAME DESIRED READY UP-TO-DATE AVAILABLE AGE [REVISION PAUSED PROGRAM]
std::vector<Row> UnikernelTable(const std::vector<v1alpha1::Unikernel>& objects, bool wide,
                                absl::Time now);

struct InstanceRow {
  std::string unikernel;
  v1alpha1::InstanceStatus status;
};

// The instances in the objects' status, sorted by name; only `name` when set.
std::vector<InstanceRow> InstancesOf(const std::vector<v1alpha1::Unikernel>& objects,
                                     const std::string& name = "");

// NAME UNIKERNEL HOST REVISION PHASE READY RESTARTS ADDRESS AGE [PORTS MESSAGE]
std::vector<Row> InstanceTable(const std::vector<InstanceRow>& instances, bool wide,
                               absl::Time now);

// NAME STATE ACCEL CPUS MEMORY INSTANCES AGE [AGENT LABELS]
std::vector<Row> HostTable(const std::vector<api::v1::Host>& hosts, bool wide, absl::Time now);

// LAST SEEN TYPE REASON OBJECT MESSAGE
std::vector<Row> EventTable(const std::vector<api::v1::Event>& events, absl::Time now);

// "a=b,c=d" or "<none>".
std::string FormatLabels(const google::protobuf::Map<std::string, std::string>& labels);

}  // namespace nanoplane::cli
