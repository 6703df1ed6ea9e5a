#include "agent/image/builder/package.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent/image/archive/test_tar.h"
#include "agent/image/builder/image_plan.h"

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;

class PackageTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("pkg-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(PackageTest, FromHostPackagesAnInterpreterItsLibrariesAndItsStandardLibrary) {
  fs::create_directories(dir_ / "stdlib/lib/lua");
  std::ofstream(dir_ / "stdlib/lib/lua/init.lua") << "return {}";
  auto package_dir = PackageFromHost(
      {.program = "/usr/bin/perl", .dirs = {(dir_ / "stdlib/lib").string()}, .name = "perl"},
      (dir_ / "out").string());
  ASSERT_TRUE(package_dir.ok()) << package_dir.status();
  auto package = ReadPackage(*package_dir);
  ASSERT_TRUE(package.ok()) << package.status();
  EXPECT_EQ(package->name, "perl_host");
  EXPECT_EQ(package->program, "/usr/bin/perl");
  EXPECT_TRUE(fs::exists(package->sysroot() + "/usr/bin/perl"));
  EXPECT_TRUE(fs::exists(package->sysroot() + (dir_ / "stdlib/lib/lua/init.lua").string()));
  bool has_libcrypt = false;
  for (const auto& entry : fs::recursive_directory_iterator(package->sysroot())) {
    has_libcrypt |= entry.path().filename().string().starts_with("libcrypt.so");
  }
  EXPECT_TRUE(has_libcrypt);

  // An image whose program comes from the package needs nothing from the host.
  BuildRequest request{
      .program = "/usr/bin/perl", .packages = {*package_dir}, .nanos_version = "x"};
  fs::create_directories(dir_ / "release");
  auto plan = PlanImage(request, {"x", dir_ / "release"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->manifest.Find("program")->string().starts_with("/usr/bin/perl"));
}

TEST_F(PackageTest, UnpacksATarballOnceAndFindsItsPackageDirectory) {
  std::string tar = (dir_ / "lua.tar.gz").string();
  WriteTestTar(tar,
               {{"lua_5.4/", 'd', ""},
                {"lua_5.4/package.manifest", 'f', R"({"Program": "lua_5.4/lua", "Args": ["lua"]})"},
                {"lua_5.4/sysroot/lib/x", 'f', "x"}});
  auto dir = PackageDir(tar, (dir_ / "cache").string());
  ASSERT_TRUE(dir.ok()) << dir.status();
  auto package = ReadPackage(*dir);
  ASSERT_TRUE(package.ok()) << package.status();
  EXPECT_EQ(package->name, "lua_5.4");
  EXPECT_EQ(package->args, std::vector<std::string>{"lua"});
  EXPECT_EQ(*PackageDir(tar, (dir_ / "cache").string()), *dir);
}

TEST_F(PackageTest, RefusesHostileTarballsAndBadManifests) {
  std::string evil = (dir_ / "evil.tar.gz").string();
  WriteTestTar(evil, {{"p/package.manifest", 'f', "{}"}, {"p/sysroot/etc", 'l', "/etc"}});
  auto dir = PackageDir(evil, (dir_ / "cache").string());
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(dir.status().message().find("p/sysroot/etc"), std::string::npos) << dir.status();

  fs::create_directories(dir_ / "bad/sysroot");
  std::ofstream(dir_ / "bad/package.manifest") << R"({"Program": 3})";
  auto package = ReadPackage((dir_ / "bad").string());
  EXPECT_NE(package.status().message().find("Program"), std::string::npos) << package.status();
}

}  // namespace
}  // namespace nanoplane::image
