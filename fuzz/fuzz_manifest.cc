// libFuzzer target: the manifest reader on arbitrary bytes. Beyond "never
// crashes", it checks a property: every document the reader accepts encodes to
// YAML that the reader accepts again as the same object.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/codec.h"
#include "common/manifest_reader.h"
#include "common/yaml_json.h"
#include "google/protobuf/util/message_differencer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  nanoplane::ManifestSet set = nanoplane::ParseManifests(text, "fuzz.yaml");
  for (const nanoplane::ManifestDocument& doc : set.documents) {
    std::string yaml = nanoplane::JsonToYaml(nanoplane::EncodeMessage(doc.unikernel));
    nanoplane::ManifestSet again = nanoplane::ParseManifests(yaml, "again.yaml");
    if (!again.ok() || again.documents.size() != 1 ||
        !google::protobuf::util::MessageDifferencer::Equals(doc.unikernel,
                                                            again.documents[0].unikernel)) {
      std::fprintf(stderr, "round trip failed for:\n%s\n", yaml.c_str());
      for (const auto& error : again.errors) {
        std::fprintf(stderr, "  %s\n", error.ToString().c_str());
      }
      std::abort();
    }
  }
  return 0;
}
