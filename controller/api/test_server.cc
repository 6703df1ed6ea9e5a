#include "controller/api/test_server.h"

#include <stdlib.h>

#include <filesystem>

#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::controller::api {

ApiTestServer::ApiTestServer(application::UseCaseOptions options, ports::Store* store) {
  std::string pattern = (std::filesystem::temp_directory_path() / "np-api-XXXXXX").string();
  NP_CHECK(mkdtemp(pattern.data()) != nullptr);
  dir_ = pattern;
  artifacts_ = FsArtifactStore::Open(dir_ + "/artifacts").value();
  ports::Store& served = store != nullptr ? *store : store_;
  use_cases_ = std::make_unique<application::UseCases>(served, *artifacts_, std::move(options));
  fleet_ = std::make_unique<application::FleetUseCases>(served, hub_);
  service_ = std::make_unique<ControllerService>(*use_cases_, *fleet_);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  NP_CHECK(server_ != nullptr && port != 0);
  address_ = StrCat("127.0.0.1:", port);
}

ApiTestServer::~ApiTestServer() {
  // Streaming calls notice the cancellation within the service's poll interval.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_->Wait();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::unique_ptr<apiv1::Controller::Stub> ApiTestServer::NewStub() const {
  return apiv1::Controller::NewStub(
      grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
}

}  // namespace nanoplane::controller::api
