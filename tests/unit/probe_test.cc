#include "exporter/web/probe.h"

#include <gtest/gtest.h>

namespace cdb_sync {
namespace {

using Params = std::multimap<std::string, std::string>;

TEST(ProbeTargetTest, ValidTarget) {
  const Expected<Job> job =
      ParseProbeTarget(Params{{"job_id", "206"}, {"src_type", "2"}});
  ASSERT_TRUE(job.ok()) << job.error();
  EXPECT_EQ(job.value().job_id, 206);
  EXPECT_EQ(job.value().src_type, SrcType::kPublicNetwork);

  const Expected<Job> largest = ParseProbeTarget(
      Params{{"job_id", "9223372036854775807"}, {"src_type", "10"}});
  ASSERT_TRUE(largest.ok()) << largest.error();
  EXPECT_EQ(largest.value().src_type, SrcType::kDisasterRecovery);
}

TEST(ProbeTargetTest, InvalidJobIds) {
  for (const char* value :
       {"", "0", "-1", "+5", " 5", "5 ", "abc", "1e3", "0x10", "2.0",
        "9223372036854775808", "99999999999999999999999"}) {
    const Expected<Job> job =
        ParseProbeTarget(Params{{"job_id", value}, {"src_type", "2"}});
    ASSERT_FALSE(job.ok()) << value;
    EXPECT_NE(job.error().find("invalid job_id \"" + std::string(value) + "\""),
              std::string::npos)
        << job.error();
    EXPECT_NE(job.error().find("positive integer"), std::string::npos);
  }
}

TEST(ProbeTargetTest, InvalidSrcTypes) {
  for (const char* value : {"", "0", "3", "-2", "02x", "ten"}) {
    const Expected<Job> job =
        ParseProbeTarget(Params{{"job_id", "206"}, {"src_type", value}});
    ASSERT_FALSE(job.ok()) << value;
    EXPECT_NE(job.error().find("invalid src_type"), std::string::npos)
        << job.error();
    EXPECT_NE(job.error().find("1 (self-built), 2 (public network) or 10"),
              std::string::npos);
  }
}

TEST(ProbeTargetTest, MissingParameters) {
  const Expected<Job> no_job = ParseProbeTarget(Params{{"src_type", "2"}});
  ASSERT_FALSE(no_job.ok());
  EXPECT_NE(no_job.error().find("missing parameter job_id"), std::string::npos);

  const Expected<Job> no_type = ParseProbeTarget(Params{{"job_id", "206"}});
  ASSERT_FALSE(no_type.ok());
  EXPECT_NE(no_type.error().find("missing parameter src_type"),
            std::string::npos);
}

TEST(ProbeTargetTest, RepeatedParameter) {
  const Expected<Job> job = ParseProbeTarget(
      Params{{"job_id", "206"}, {"job_id", "207"}, {"src_type", "2"}});
  ASSERT_FALSE(job.ok());
  EXPECT_NE(job.error().find("job_id is given more than once"),
            std::string::npos)
      << job.error();
}

TEST(ProbeTargetTest, UnknownParameterNamed) {
  const Expected<Job> job = ParseProbeTarget(
      Params{{"job_id", "206"}, {"src_type", "2"}, {"target", "x"}});
  ASSERT_FALSE(job.ok());
  EXPECT_NE(job.error().find("unknown parameter \"target\""), std::string::npos)
      << job.error();
}

TEST(ProbeTargetTest, ControlCharactersNotEchoed) {
  const Expected<Job> job = ParseProbeTarget(
      Params{{"job_id", "1\r\nX-Injected: 1"}, {"src_type", "2"}});
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().find('\r'), std::string::npos);
  EXPECT_EQ(job.error().find('\n'), std::string::npos);
}

TEST(ProbeTargetTest, LongValueCut) {
  const std::string value(10000, '7');
  const Expected<Job> job =
      ParseProbeTarget(Params{{"job_id", value}, {"src_type", "2"}});
  ASSERT_FALSE(job.ok());
  EXPECT_LT(job.error().size(), 300u) << job.error();
}

TEST(ProbeTargetTest, DtsTargets) {
  const Expected<Job> sync = ParseProbeTarget(
      Params{{"api", "dts_sync_check"}, {"job_id", "sync-bllmn8x9"}});
  ASSERT_TRUE(sync.ok()) << sync.error();
  EXPECT_EQ(sync.value(), Job(JobApi::kDtsSyncCheck, "sync-bllmn8x9"));

  const Expected<Job> migration = ParseProbeTarget(
      Params{{"api", "dts_migration_check"}, {"job_id", "dts-1ewjspuw"}});
  ASSERT_TRUE(migration.ok()) << migration.error();
  EXPECT_EQ(migration.value().api, JobApi::kDtsMigrationCheck);

  const Expected<Job> explicit_v2 = ParseProbeTarget(
      Params{{"api", "cdb_sync_check"}, {"job_id", "206"}, {"src_type", "2"}});
  ASSERT_TRUE(explicit_v2.ok()) << explicit_v2.error();
  EXPECT_EQ(explicit_v2.value(), (Job{206, SrcType::kPublicNetwork}));
}

TEST(ProbeTargetTest, DtsTargetErrors) {
  struct Case {
    Params params;
    std::string expected;
  };
  for (const Case& c : {
           Case{{{"api", "dts"}, {"job_id", "sync-1"}},
                "invalid api \"dts\": expected cdb_sync_check, "
                "dts_sync_check or dts_migration_check"},
           Case{{{"api", "dts_sync_check"},
                 {"job_id", "sync-1"},
                 {"src_type", "2"}},
                "src_type applies only to API 2.0 jobs"},
           Case{{{"api", "dts_sync_check"}, {"job_id", "sync 1<b>"}},
                "invalid job_id \"sync 1<b>\": expected a DTS job id"},
           Case{{{"api", "dts_sync_check"}, {"job_id", ""}},
                "invalid job_id \"\""},
           Case{{{"api", "dts_sync_check"}, {"job_id", std::string(65, 'a')}},
                "at most 64"},
           Case{{{"api", "dts_sync_check"},
                 {"api", "dts_sync_check"},
                 {"job_id", "a"}},
                "parameter api is given more than once"},
       }) {
    const Expected<Job> job = ParseProbeTarget(c.params);
    ASSERT_FALSE(job.ok()) << c.expected;
    EXPECT_NE(job.error().find(c.expected), std::string::npos) << job.error();
  }
}

}  // namespace
}  // namespace cdb_sync
