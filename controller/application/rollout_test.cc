#include "controller/application/rollout.h"

#include "common/codec.h"
#include "controller/application/apply.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::application {
namespace {

namespace pb = ::nanoplane::v1alpha1;

pb::Unikernel Rolling(int generation, int observed, int replicas, int updated, int total,
                      int available) {
  pb::Unikernel u;
  u.mutable_metadata()->set_name("web");
  u.mutable_metadata()->set_generation(generation);
  u.mutable_spec()->set_replicas(replicas);
  u.mutable_status()->set_observed_generation(observed);
  u.mutable_status()->set_updated_replicas(updated);
  u.mutable_status()->set_replicas(total);
  u.mutable_status()->set_available_replicas(available);
  return u;
}

TEST(RolloutStateTest, FollowsKubectlsMessages) {
  EXPECT_EQ(RolloutStateOf(Rolling(2, 1, 3, 3, 3, 3)).message,
            "Waiting for unikernel spec update to be observed...");
  EXPECT_EQ(RolloutStateOf(Rolling(2, 2, 3, 1, 4, 3)).message,
            "Waiting for unikernel \"web\" rollout to finish: 1 out of 3 new replicas have been "
            "updated...");
  EXPECT_EQ(RolloutStateOf(Rolling(2, 2, 3, 3, 4, 3)).message,
            "Waiting for unikernel \"web\" rollout to finish: 1 old replicas are pending "
            "termination...");
  EXPECT_EQ(RolloutStateOf(Rolling(2, 2, 3, 3, 3, 1)).message,
            "Waiting for unikernel \"web\" rollout to finish: 1 of 3 updated replicas are "
            "available...");
  RolloutState done = RolloutStateOf(Rolling(2, 2, 3, 3, 3, 3));
  EXPECT_EQ(done, (RolloutState{"unikernel \"web\" successfully rolled out", true, false}));
}

TEST(RolloutStateTest, ProgressDeadlineExceededFails) {
  pb::Unikernel u = Rolling(2, 2, 3, 1, 3, 1);
  pb::Condition* c = u.mutable_status()->add_conditions();
  c->set_type("Progressing");
  c->set_status(pb::FALSE);
  c->set_reason("ProgressDeadlineExceeded");
  RolloutState state = RolloutStateOf(u);
  EXPECT_TRUE(state.failed);
  EXPECT_FALSE(state.done);
  EXPECT_EQ(state.message, "error: unikernel \"web\" exceeded its progress deadline");
}

std::vector<ports::RevisionRecord> History() {
  return {{.number = 1, .hash = "a"}, {.number = 3, .hash = "c"}, {.number = 4, .hash = "d"}};
}

TEST(RolloutStateTest, AnInvalidSpecFailsAtOnce) {
  pb::Unikernel u = Rolling(2, 2, 3, 3, 3, 3);
  pb::Condition& invalid = *u.mutable_status()->add_conditions();
  invalid.set_type("Degraded");
  invalid.set_status(pb::TRUE);
  invalid.set_reason("InvalidSpec");
  invalid.set_message("spec.replicas: must be >= 0");
  EXPECT_EQ(
      RolloutStateOf(u),
      (RolloutState{"error: unikernel \"web\" has an invalid spec: spec.replicas: must be >= 0",
                    false, true}));
}

TEST(FindUndoTargetTest, PreviousIsTheNewestOtherRevision) {
  EXPECT_EQ(FindUndoTarget(History(), "d", 0)->number, 3);
  // The reconciler has not recorded the current template yet: the newest is previous.
  EXPECT_EQ(FindUndoTarget(History(), "e", 0)->number, 4);
  EXPECT_EQ(FindUndoTarget(History(), "d", 1)->hash, "a");
  EXPECT_EQ(FindUndoTarget(History(), "d", 2).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FindUndoTarget({{.number = 1, .hash = "a"}}, "a", 0).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(TemplateOfTest, DecodesTheCanonicalJsonBack) {
  pb::UnikernelTemplate tmpl;
  tmpl.mutable_image()->set_program("/web");
  tmpl.mutable_image()->add_args("--port=80");
  ports::RevisionRecord record{.number = 1, .template_json = EncodeMessage(tmpl).dump()};
  absl::StatusOr<pb::UnikernelTemplate> decoded = TemplateOf(record);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(TemplateHash(*decoded), TemplateHash(tmpl));
  record.template_json = "{";
  EXPECT_EQ(TemplateOf(record).status().code(), absl::StatusCode::kInternal);
}

TEST(WithRestartMarkerTest, ChangesTheHashAndReplacesAnEarlierMarker) {
  pb::UnikernelTemplate tmpl;
  tmpl.mutable_image()->set_program("/web");
  pb::UnikernelTemplate once = WithRestartMarker(tmpl, absl::FromUnixSeconds(100));
  pb::UnikernelTemplate twice = WithRestartMarker(once, absl::FromUnixSeconds(200));
  EXPECT_NE(TemplateHash(once), TemplateHash(tmpl));
  EXPECT_NE(TemplateHash(twice), TemplateHash(once));
  ASSERT_EQ(twice.metadata().annotations().size(), 1u);
  EXPECT_EQ(twice.metadata().annotations().at(std::string(kRestartedAtAnnotation)),
            "1970-01-01T00:03:20Z");
  EXPECT_TRUE(twice.image().env().empty());
}

TEST(ChangeCauseTest, NamesTheChangedFields) {
  EXPECT_EQ(ChangeCause("", R"({"image":{"program":"/a"}})"), "initial");
  EXPECT_EQ(ChangeCause(R"({"image":{"program":"/a","args":["x"]},"resources":{"cpus":1}})",
                        R"({"image":{"program":"/a","args":["y"]},"resources":{"cpus":2}})"),
            "image.args, resources.cpus");
}

}  // namespace
}  // namespace nanoplane::controller::application
