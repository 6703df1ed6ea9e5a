#include "agent/image/release/release_store.h"

#include <cpprest/http_listener.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/image/archive/test_tar.h"
#include "common/sha256.h"
#include "common/testing/net_wait.h"

namespace nanoplane::image {
namespace {

using ::nanoplane::test_support::FreePort;

namespace fs = std::filesystem;
using web::http::experimental::listener::http_listener;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Serves files from a map on 127.0.0.1, counting requests.
class FileServer {
 public:
  FileServer() : port_(FreePort()), listener_(web::uri(base())) {
    listener_.support(web::http::methods::GET, [this](web::http::http_request request) {
      ++requests_;
      std::string path = request.relative_uri().path();
      auto it = files_.find(path);
      if (it == files_.end()) {
        request.reply(web::http::status_codes::NotFound);
        return;
      }
      request.reply(web::http::status_codes::OK, it->second, "application/gzip");
    });
    listener_.open().wait();
  }
  ~FileServer() { listener_.close().wait(); }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Serve(const std::string& path, std::string content) { files_[path] = std::move(content); }
  int requests() const { return requests_; }

 private:
  int port_;
  http_listener listener_;
  std::map<std::string, std::string> files_;
  std::atomic<int> requests_{0};
};

class ReleaseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            ("release-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // A release tarball the way Nanos ships one: everything under one directory.
  std::string ReleaseTarball(const std::vector<TestTarEntry>& extra = {}) {
    std::vector<TestTarEntry> entries = {{"nanos-release/", 'd', ""},
                                         {"nanos-release/kernel.img", 'f', "KERNEL"},
                                         {"nanos-release/boot.img", 'f', "BOOT"},
                                         {"nanos-release/klibs/tls", 'f', "TLS"}};
    entries.insert(entries.end(), extra.begin(), extra.end());
    fs::path tar = root_ / "release.tar.gz";
    WriteTestTar(tar.string(), entries);
    return ReadFile(tar);
  }

  ReleaseStoreOptions Options(const FileServer& server, const std::string& sha) {
    return {.release_dir = "",
            .cache_dir = (root_ / "cache").string(),
            .url_template = server.base() + "/{version}/nanos.tar.gz",
            .sha256_by_version = {{"0.1.54", sha}}};
  }

  fs::path root_;
};

TEST_F(ReleaseStoreTest, UsesABareReleaseDirectoryForAnyVersion) {
  fs::create_directories(root_ / "mine/klibs");
  std::ofstream(root_ / "mine/kernel.img") << "k";
  std::ofstream(root_ / "mine/boot.img") << "b";
  ReleaseStore store({.release_dir = (root_ / "mine").string(), .url_template = ""}, nullptr);
  auto release = store.Get("0.1.54");
  ASSERT_TRUE(release.ok()) << release.status();
  EXPECT_EQ(release->kernel(), root_ / "mine/kernel.img");
  EXPECT_EQ(store.LocalVersions(), std::vector<std::string>{"local"});
}

TEST_F(ReleaseStoreTest, SaysWhatIsMissingAndHowToProvideIt) {
  ReleaseStore store({.release_dir = (root_ / "none").string(), .url_template = ""}, nullptr);
  auto release = store.Get("0.1.54");
  EXPECT_EQ(release.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(release.status().message().find("--nanos-dir"), std::string::npos);
  EXPECT_NE(release.status().message().find("kernel.img"), std::string::npos);
}

TEST_F(ReleaseStoreTest, DownloadsVerifiesAndUnpacksOnceThenUsesTheCache) {
  FileServer server;
  std::string tarball = ReleaseTarball();
  server.Serve("/0.1.54/nanos.tar.gz", tarball);
  ReleaseStore store(Options(server, Sha256Hex(tarball)), std::make_unique<HttpDownloader>());
  auto release = store.Get("0.1.54");
  ASSERT_TRUE(release.ok()) << release.status();
  EXPECT_EQ(ReadFile(release->kernel()), "KERNEL");
  EXPECT_EQ(ReadFile(release->klibs() / "tls"), "TLS");
  ASSERT_TRUE(store.Get("0.1.54").ok());
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(store.LocalVersions(), std::vector<std::string>{"0.1.54"});
}

TEST_F(ReleaseStoreTest, ConcurrentUsersOfOneVersionDownloadItOnce) {
  FileServer server;
  std::string tarball = ReleaseTarball();
  server.Serve("/0.1.54/nanos.tar.gz", tarball);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    // Separate stores: like separate processes, they meet only at the lock file.
    threads.emplace_back([&] {
      ReleaseStore store(Options(server, Sha256Hex(tarball)), std::make_unique<HttpDownloader>());
      ok += store.Get("0.1.54").ok();
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(ReleaseStoreTest, RefusesATarballThatDoesNotMatchItsSha256AndKeepsNothing) {
  FileServer server;
  server.Serve("/0.1.54/nanos.tar.gz", ReleaseTarball());
  ReleaseStore store(Options(server, std::string(64, 'a')), std::make_unique<HttpDownloader>());
  auto release = store.Get("0.1.54");
  EXPECT_EQ(release.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(release.status().message().find("sha256 is"), std::string::npos);
  for (const auto& entry : fs::directory_iterator(root_ / "cache")) {
    EXPECT_TRUE(entry.path().filename().string().ends_with(".lock")) << entry.path();
  }
}

TEST_F(ReleaseStoreTest, RefusesAHostileTarballNamingTheEntry) {
  FileServer server;
  std::string tarball = ReleaseTarball({{"nanos-release/klibs/evil", 'l', "/etc/passwd"}});
  server.Serve("/0.1.54/nanos.tar.gz", tarball);
  ReleaseStore store(Options(server, Sha256Hex(tarball)), std::make_unique<HttpDownloader>());
  auto release = store.Get("0.1.54");
  EXPECT_EQ(release.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(release.status().message().find("nanos-release/klibs/evil"), std::string::npos);
  EXPECT_FALSE(fs::exists(root_ / "cache/0.1.54"));
}

TEST_F(ReleaseStoreTest, AMissingDownloadIsNotFound) {
  FileServer server;
  ReleaseStore store(Options(server, std::string(64, 'a')), std::make_unique<HttpDownloader>());
  EXPECT_EQ(store.Get("0.1.54").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ReleaseStoreTest, RejectsVersionsThatAreNotNames) {
  ReleaseStore store({.release_dir = root_.string(), .url_template = ""}, nullptr);
  EXPECT_EQ(store.Get("../etc").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseReleasePinsTest, TakesVersionEqualsHexAndNamesABadFlag) {
  const std::string hex(64, 'a');
  absl::StatusOr<std::map<std::string, std::string>> pins =
      ParseReleasePins({"0.1.54=" + hex, "0.1.53=" + std::string(64, '0')});
  ASSERT_TRUE(pins.ok()) << pins.status();
  EXPECT_EQ(pins->at("0.1.54"), hex);
  EXPECT_EQ(pins->size(), 2u);
  for (const std::string& bad : {std::string("0.1.54"), "=" + hex, "0.1.54=" + hex.substr(1),
                                 "0.1.54=" + std::string(64, 'A')}) {
    absl::StatusOr<std::map<std::string, std::string>> parsed = ParseReleasePins({bad});
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(parsed.status().message().find("--nanos-sha256 \"" + bad + "\""), std::string::npos);
  }
}

}  // namespace
}  // namespace nanoplane::image
