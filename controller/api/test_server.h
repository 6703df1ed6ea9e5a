#pragma once

// ApiTestServer: a ControllerService over a FakeStore, an FsArtifactStore in a
// temporary directory and a StubAgentHub, served over real gRPC on
// 127.0.0.1:<any port>. For the API's tests and the CLI's.

#include <memory>
#include <string>

#include "controller/adapters/fs_artifact_store.h"
#include "controller/api/controller_service.h"
#include "controller/api/stub_agent_hub.h"
#include "controller/testing/fake_store.h"
#include "grpcpp/grpcpp.h"

namespace nanoplane::controller::api {

class ApiTestServer {
 public:
  // Serves over `store` when given (it must outlive the server), else over a FakeStore.
  explicit ApiTestServer(application::UseCaseOptions options = {}, ports::Store* store = nullptr);
  ~ApiTestServer();

  std::string address() const { return address_; }
  std::unique_ptr<apiv1::Controller::Stub> NewStub() const;

  FakeStore& store() { return store_; }  // unused when another store was given
  FsArtifactStore& artifacts() { return *artifacts_; }
  StubAgentHub& hub() { return hub_; }

 private:
  std::string dir_;
  FakeStore store_;
  std::unique_ptr<FsArtifactStore> artifacts_;
  StubAgentHub hub_;
  std::unique_ptr<application::UseCases> use_cases_;
  std::unique_ptr<application::FleetUseCases> fleet_;
  std::unique_ptr<ControllerService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace nanoplane::controller::api
