#include "agent/image/builder/image_builder.h"

#include <filesystem>

#include "agent/image/builder/image_plan.h"
#include "agent/image/disk/bootable_disk.h"
#include "common/status.h"

namespace nanoplane::image {

absl::StatusOr<BuiltImage> ImageBuilder::Build(const BuildRequest& request) {
  NP_ASSIGN_OR_RETURN(NanosRelease release, releases_.Get(request.nanos_version));
  NP_ASSIGN_OR_RETURN(ImagePlan plan, PlanImage(request, release));
  NP_ASSIGN_OR_RETURN(std::string key, ImageKey(plan, digests_));
  auto result = cache_.GetOrBuild(key, [&](const std::string& temp_path) -> absl::Status {
    NP_ASSIGN_OR_RETURN(TfsTree boot, BootTree(plan));
    NP_ASSIGN_OR_RETURN(TfsTree root, RootTree(plan));
    return WriteBootableDisk(temp_path, {.boot_img_path = release.boot().string(),
                                         .boot_tree = &boot,
                                         .root_tree = &root,
                                         .root_fs_size = plan.base_volume_size})
        .status();
  });
  NP_RETURN_IF_ERROR(result.status());
  std::error_code ec;
  return BuiltImage{.path = result->path,
                    .key = key,
                    .cache_hit = result->hit,
                    .files = plan.root.size(),
                    .bytes = std::filesystem::file_size(result->path, ec),
                    .release = release};
}

absl::StatusOr<std::string> ImageBuilder::Manifest(const BuildRequest& request) {
  NP_ASSIGN_OR_RETURN(NanosRelease release, releases_.Get(request.nanos_version));
  NP_ASSIGN_OR_RETURN(ImagePlan plan, PlanImage(request, release));
  return ManifestText(plan);
}

}  // namespace nanoplane::image
