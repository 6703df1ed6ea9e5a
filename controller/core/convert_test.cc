#include "controller/core/convert.h"

#include "controller/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::core {
namespace {

using testing::At;

v1alpha1::Unikernel MakeUnikernel() {
  v1alpha1::Unikernel u;
  u.set_api_version("nanoplane.dev/v1alpha1");
  u.set_kind("Unikernel");
  u.mutable_metadata()->set_name("web");
  u.mutable_metadata()->set_generation(7);
  u.mutable_spec()->set_replicas(5);
  u.mutable_spec()->mutable_template_()->mutable_image()->set_program("/web");
  u.mutable_spec()->mutable_template_()->mutable_image()->add_args("-p");
  return u;
}

TEST(ConvertTest, DefaultedSpecReachesTheCore) {
  v1alpha1::Unikernel u = MakeUnikernel();
  (*u.mutable_spec()->mutable_placement()->mutable_host_selector())["disk"] = "ssd";
  u.mutable_metadata()->add_finalizers(std::string(kFinalizer));
  absl::StatusOr<DesiredUnikernel> d = DesiredFromProto(u);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->name, "web");
  EXPECT_EQ(d->ns, "default");
  EXPECT_EQ(d->generation, 7);
  EXPECT_EQ(d->replicas, 5);
  EXPECT_TRUE(d->has_finalizer);
  EXPECT_FALSE(d->deleting);
  EXPECT_EQ(d->progress_deadline_seconds, 600);
  EXPECT_EQ(d->revision_history_limit, 10);
  EXPECT_EQ(d->strategy, StrategyType::kRollingUpdate);
  EXPECT_EQ(d->max_surge, (IntOrPercent{25, true}));
  EXPECT_EQ(d->max_unavailable, (IntOrPercent{25, true}));
  EXPECT_EQ(d->host_selector, (Labels{{"disk", "ssd"}}));
  EXPECT_EQ(d->spread, (Spread{1, WhenUnsatisfiable::kScheduleAnyway}));
  EXPECT_EQ(d->tmpl.resources, (Resources{256 * testing::kMi, 1}));
  EXPECT_EQ(d->tmpl.hash.size(), 64u);
}

TEST(ConvertTest, TemplateHashIgnoresEverythingOutsideTheTemplate) {
  v1alpha1::Unikernel a = MakeUnikernel();
  v1alpha1::Unikernel b = MakeUnikernel();
  b.mutable_spec()->set_replicas(1);
  b.mutable_spec()->set_paused(true);
  b.mutable_metadata()->set_generation(9);
  EXPECT_EQ(DesiredFromProto(a)->tmpl, DesiredFromProto(b)->tmpl);
}

TEST(ConvertTest, TemplateHashSeesDefaultsAsWrittenOrNot) {
  v1alpha1::Unikernel a = MakeUnikernel();
  v1alpha1::Unikernel b = MakeUnikernel();
  b.mutable_spec()->mutable_template_()->mutable_resources()->set_memory(256 * testing::kMi);
  EXPECT_EQ(DesiredFromProto(a)->tmpl.hash, DesiredFromProto(b)->tmpl.hash);
  b.mutable_spec()->mutable_template_()->mutable_image()->add_args("8080");
  EXPECT_NE(DesiredFromProto(a)->tmpl.hash, DesiredFromProto(b)->tmpl.hash);
}

TEST(ConvertTest, BadIntOrPercentIsInvalidArgumentWithItsPath) {
  v1alpha1::Unikernel u = MakeUnikernel();
  u.mutable_spec()
      ->mutable_strategy()
      ->mutable_rolling_update()
      ->mutable_max_surge()
      ->set_string_value("lots");
  absl::StatusOr<DesiredUnikernel> d = DesiredFromProto(u);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(),
            "spec.strategy.rollingUpdate.maxSurge: \"lots\" is neither an integer nor a "
            "percentage");
}

TEST(ConvertTest, DeletionAndRecreate) {
  v1alpha1::Unikernel u = MakeUnikernel();
  u.mutable_metadata()->set_deletion_timestamp("2026-01-02T03:04:05Z");
  u.mutable_spec()->mutable_strategy()->set_type(v1alpha1::RECREATE);
  absl::StatusOr<DesiredUnikernel> d = DesiredFromProto(u);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->deleting);
  EXPECT_EQ(d->strategy, StrategyType::kRecreate);
}

TEST(ConvertTest, StatusRoundTrips) {
  UnikernelStatus status{.observed_generation = 3,
                         .replicas = 2,
                         .updated_replicas = 1,
                         .ready_replicas = 2,
                         .available_replicas = 1,
                         .unavailable_replicas = 1,
                         .current_revision = 1,
                         .update_revision = 2,
                         .conditions = {{.type = "Available",
                                         .status = ConditionStatus::kFalse,
                                         .reason = "MinimumReplicasUnavailable",
                                         .message = "1/2",
                                         .last_transition_time = At(5)}},
                         .instances = {{.name = "web-1",
                                        .host = "h1",
                                        .revision = 2,
                                        .phase = InstancePhase::kBackOff,
                                        .restarts = 4,
                                        .address = "10.0.0.2",
                                        .ports = {{"http", 80, "TCP", "127.0.0.1", 30080}},
                                        .message = "exited",
                                        .exit_code = 1,
                                        .started_time = At(2)}},
                         .selector = "nanoplane.dev/unikernel=web"};
  v1alpha1::UnikernelStatus proto = StatusToProto(status);
  EXPECT_EQ(proto.conditions(0).last_transition_time(), "2023-11-14T22:13:25Z");
  EXPECT_EQ(proto.instances(0).phase(), v1alpha1::BACK_OFF);
  absl::StatusOr<UnikernelStatus> back = StatusFromProto(proto);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, status);
}

TEST(ConvertTest, BadTimestampInStatusIsInvalidArgument) {
  v1alpha1::UnikernelStatus proto;
  proto.add_conditions()->set_last_transition_time("yesterday");
  EXPECT_EQ(StatusFromProto(proto).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nanoplane::controller::core
