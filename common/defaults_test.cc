#include "common/defaults.h"

#include <gtest/gtest.h>

#include "common/codec.h"
#include "common/schema.h"
#include "google/protobuf/util/message_differencer.h"

namespace nanoplane {
namespace {

v1alpha1::Unikernel Minimal() {
  v1alpha1::Unikernel u;
  u.set_api_version("nanoplane.dev/v1alpha1");
  u.set_kind("Unikernel");
  u.mutable_metadata()->set_name("hello");
  u.mutable_spec()->mutable_template_()->mutable_image()->set_program("/hello");
  return u;
}

TEST(DefaultsTest, FillsTheDefaultsOfTheDesign) {
  v1alpha1::Unikernel u = Minimal();
  DefaultUnikernel(u);
  const auto& spec = u.spec();
  EXPECT_EQ(u.metadata().namespace_(), "default");
  EXPECT_EQ(spec.replicas(), 1);
  EXPECT_FALSE(spec.paused());
  EXPECT_EQ(spec.min_ready_seconds(), 0);
  EXPECT_EQ(spec.progress_deadline_seconds(), 600);
  EXPECT_EQ(spec.revision_history_limit(), 10);
  EXPECT_EQ(spec.strategy().type(), v1alpha1::ROLLING_UPDATE);
  EXPECT_EQ(spec.strategy().rolling_update().max_surge().string_value(), "25%");
  EXPECT_EQ(spec.strategy().rolling_update().max_unavailable().string_value(), "25%");
  EXPECT_EQ(spec.placement().spread().max_skew(), 1);
  EXPECT_EQ(spec.placement().spread().when_unsatisfiable(), v1alpha1::SCHEDULE_ANYWAY);
  EXPECT_EQ(spec.template_().resources().memory(), 256LL << 20);
  EXPECT_EQ(spec.template_().resources().cpus(), 1);
  EXPECT_EQ(spec.template_().restart_policy(), v1alpha1::ALWAYS);
  EXPECT_EQ(spec.template_().image().nanos().version(), "0.1.54");
  EXPECT_EQ(DefaultNanosVersion(), "0.1.54");
}

TEST(DefaultsTest, KeepsWhatTheUserSetIncludingZeroes) {
  v1alpha1::Unikernel u = Minimal();
  u.mutable_spec()->set_replicas(0);
  u.mutable_spec()->set_revision_history_limit(0);
  u.mutable_spec()
      ->mutable_strategy()
      ->mutable_rolling_update()
      ->mutable_max_surge()
      ->set_int_value(0);
  DefaultUnikernel(u);
  EXPECT_EQ(u.spec().replicas(), 0);
  EXPECT_EQ(u.spec().revision_history_limit(), 0);
  EXPECT_EQ(u.spec().strategy().rolling_update().max_surge().int_value(), 0);
  EXPECT_EQ(u.spec().strategy().rolling_update().max_unavailable().string_value(), "25%");
}

TEST(DefaultsTest, RecreateGetsNoRollingUpdate) {
  v1alpha1::Unikernel u = Minimal();
  u.mutable_spec()->mutable_strategy()->set_type(v1alpha1::RECREATE);
  DefaultUnikernel(u);
  EXPECT_FALSE(u.spec().strategy().has_rolling_update());
}

TEST(DefaultsTest, DefaultsProbesAndPortsInsideLists) {
  v1alpha1::Unikernel u = Minimal();
  auto* t = u.mutable_spec()->mutable_template_();
  t->add_ports()->set_port(8080);
  t->mutable_readiness_probe()->mutable_http_get()->mutable_port()->set_int_value(8080);
  DefaultUnikernel(u);
  EXPECT_EQ(t->ports(0).protocol(), v1alpha1::TCP);
  EXPECT_EQ(t->readiness_probe().http_get().path(), "/");
  EXPECT_EQ(t->readiness_probe().http_get().scheme(), v1alpha1::HTTP);
  EXPECT_EQ(t->readiness_probe().period_seconds(), 10);
  EXPECT_EQ(t->readiness_probe().timeout_seconds(), 1);
  EXPECT_EQ(t->readiness_probe().failure_threshold(), 3);
}

TEST(DefaultsTest, IsIdempotent) {
  v1alpha1::Unikernel once = Minimal();
  DefaultUnikernel(once);
  v1alpha1::Unikernel twice = once;
  DefaultUnikernel(twice);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(once, twice));
}

}  // namespace
}  // namespace nanoplane
