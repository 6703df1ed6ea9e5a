#pragma once

// The agent's real build function: a template's image spec to a bootable
// Nanos image in the image cache.
//
// Sources resolve by kind: sha256 alone names an artifact in the controller's
// store, fetched once through the ControllerLink into the artifact cache (and
// verified); url + sha256 is downloaded and verified; path is a file on this
// machine, allowed only for local use (`nanoplane run`), since a path on the
// machine that ran the CLI means nothing to an agent. The image's manifest
// gets debug_exit:t so the guest's exit code becomes QEMU's (VmSpec
// debug_exit). Built images are pinned in the cache: VMs' overlays sit on
// them.

#include <mutex>
#include <set>
#include <string>

#include "agent/app/agent.h"
#include "agent/image/builder/image_builder.h"
#include "agent/image/builder/spec_request.h"
#include "agent/ports/controller_link.h"

namespace nanoplane::agent::app {

struct NanosImageOptions {
  std::string artifact_dir;  // fetched and downloaded sources, by sha256
  std::string package_dir;   // unpacked packages
  bool allow_local_paths = false;
  // Boot the release's kernel.img directly instead of the disk's boot sector.
  bool direct_boot = false;
};

// The returned function is thread-safe; `builder`, `cache` and `link` (may
// be null: no controller) must outlive it.
ImageBuildFn MakeNanosImageBuild(image::ImageBuilder& builder, image::ImageCache& cache,
                                 ControllerLink* link, NanosImageOptions options);

// Resolves sources as described above (exposed for `nanoplane run` and tests).
image::SourceResolver MakeSourceResolver(ControllerLink* link, const NanosImageOptions& options);

}  // namespace nanoplane::agent::app
