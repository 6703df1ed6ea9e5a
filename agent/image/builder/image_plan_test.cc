#include "agent/image/builder/image_plan.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent/image/tfs/tuple_text.h"

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;
using Kind = PlannedEntry::Kind;

class ImagePlanTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("plan-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "release/klibs");
    std::ofstream(dir_ / "release/kernel.img") << "kernel";
    std::ofstream(dir_ / "release/boot.img") << "boot";
    std::ofstream(dir_ / "release/klibs/tls") << "tls";
    release_ = {"0.1.54", dir_ / "release"};
  }
  void TearDown() override { fs::remove_all(dir_); }

  BuildRequest Request(const std::string& program) {
    BuildRequest request;
    request.program = program;
    request.nanos_version = "0.1.54";
    return request;
  }

  fs::path dir_;
  NanosRelease release_;
};

TEST_F(ImagePlanTest, ADynamicProgramBringsItsLoaderLibrariesAndLdCache) {
  auto plan = PlanImage(Request("/bin/ls"), release_);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->root.at("/usr/bin/ls").origin, "program") << "through the /bin symlink";
  bool has_libc = false;
  for (const auto& [path, entry] : plan->root) {
    has_libc |= path.find("libc.so.6") != std::string::npos;
  }
  EXPECT_TRUE(has_libc);
  // The loader, as PT_INTERP names it, by way of the planned symlinks
  // (/lib64 -> usr/lib64 on merged-/usr hosts).
  EXPECT_TRUE(plan->root.contains("/lib64/ld-linux-x86-64.so.2") ||
              plan->root.contains("/usr/lib64/ld-linux-x86-64.so.2"));
  EXPECT_TRUE(plan->root.contains("/etc/ld.so.cache"));
  EXPECT_EQ(plan->root.at("/proc/self/exe").link_target, "/usr/bin/ls");
}

TEST_F(ImagePlanTest, WritesTheManifestOpsWrites) {
  BuildRequest request = Request("/bin/ls");
  request.args = {"-l", "/"};
  request.env = {{"GREETING", "hi"}};
  request.klibs = {"tls"};
  request.debug_flags = {"syscall_summary"};
  request.manifest.Set("exec_protection", Value("t"));
  auto plan = PlanImage(request, release_);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(FormatTuple(plan->manifest),
            "(arguments:[ls -l /] environment:(GREETING:hi NANOS_VERSION:0.1.54 PWD:/ USER:root) "
            "exec_protection:t klibs:bootfs program:/usr/bin/ls syscall_summary:t)");
  EXPECT_EQ(plan->boot.at("/klib/tls").host_path, (dir_ / "release/klibs/tls").string());
  EXPECT_EQ(plan->boot.at("/kernel").host_path, (dir_ / "release/kernel.img").string());
}

TEST_F(ImagePlanTest, PlacesFilesDirsAndMapDirs) {
  fs::create_directories(dir_ / "static/css");
  std::ofstream(dir_ / "static/css/site.css") << "body{}";
  fs::create_symlink("css/site.css", dir_ / "static/style.css");
  std::ofstream(dir_ / "config.json") << "{}";
  BuildRequest request = Request("/bin/ls");
  request.files = {{"/etc/app/config.json", (dir_ / "config.json").string(), ""},
                   {"/etc/motd", "", "hello\n"}};
  request.map_dirs = {{(dir_ / "static").string(), "/srv/www"}};
  auto plan = PlanImage(request, release_);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->root.at("/etc/app/config.json").origin, "files[0]");
  EXPECT_EQ(plan->root.at("/etc/motd").content, "hello\n");
  EXPECT_EQ(plan->root.at("/srv/www/css/site.css").host_path,
            (dir_ / "static/css/site.css").string());
  EXPECT_EQ(plan->root.at("/srv/www/style.css").kind, Kind::kSymlink);
  EXPECT_EQ(plan->root.at("/srv/www/style.css").link_target, "css/site.css");
  EXPECT_EQ(plan->root.at("/srv/www/css").kind, Kind::kDirectory);
}

TEST_F(ImagePlanTest, ErrorsNameTheInputAtFault) {
  BuildRequest request = Request("/bin/ls");
  request.klibs = {"nope"};
  EXPECT_NE(PlanImage(request, release_).status().message().find("klib \"nope\""),
            std::string::npos);

  std::ofstream(dir_ / "script.sh") << "#!/bin/sh\necho hi\n";
  request = Request("/app");
  request.program_source = (dir_ / "script.sh").string();
  auto plan = PlanImage(request, release_);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("program /app"), std::string::npos) << plan.status();

  request = Request("/bin/ls");
  request.files = {{"/usr/bin/ls/x", "", "below a file"}};
  plan = PlanImage(request, release_);
  EXPECT_NE(
      plan.status().message().find("/usr/bin/ls/x (files[0]) lies below /usr/bin/ls (program)"),
      std::string::npos)
      << plan.status();

  request = Request("/bin/ls");
  request.dirs = {"/nonexistent-dir"};
  EXPECT_NE(PlanImage(request, release_).status().message().find("/nonexistent-dir"),
            std::string::npos);
}

TEST_F(ImagePlanTest, TheKeyChangesWithAnyInputAndOnlyThen) {
  std::ofstream(dir_ / "data") << "one";
  BuildRequest request = Request("/bin/ls");
  request.files = {{"/data", (dir_ / "data").string(), ""}};
  FileDigests digests;
  auto key = [&](const BuildRequest& r) { return *ImageKey(*PlanImage(r, release_), digests); };
  std::string first = key(request);
  EXPECT_EQ(key(request), first);
  std::ofstream(dir_ / "data") << "two";
  std::string changed_file = key(request);
  EXPECT_NE(changed_file, first);
  request.args = {"-a"};
  EXPECT_NE(key(request), changed_file);
}

TEST_F(ImagePlanTest, PrintsTheManifestWithItsFileTree) {
  BuildRequest request = Request("/bin/ls");
  request.files = {{"/etc/motd", "", "hi"}};
  auto plan = PlanImage(request, release_);
  ASSERT_TRUE(plan.ok());
  std::string text = ManifestText(*plan);
  EXPECT_NE(text.find("ls:(contents:(host:"), std::string::npos) << text;
  EXPECT_NE(text.find("motd:(contents:(host:\"<inline 2 bytes>\"))"), std::string::npos) << text;
  EXPECT_NE(text.find("program:/usr/bin/ls"), std::string::npos) << text;
}

}  // namespace
}  // namespace nanoplane::image
