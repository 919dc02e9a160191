#include "exporter/app/discovery.h"

#include <gtest/gtest.h>

namespace cdb_sync {
namespace {

SyncTask Task(int64_t job_id, std::string name, std::optional<int64_t> type,
              std::optional<int64_t> status) {
  SyncTask task;
  task.job_id = job_id;
  task.name = std::move(name);
  task.type = type;
  task.status = status;
  return task;
}

TEST(FilterTasksTest, KeepsEverythingByDefault) {
  DiscoveryConfig config;
  const DiscoveredTasks found = FilterTasks(
      {Task(1, "a", 2, 4), Task(2, "", std::nullopt, std::nullopt)}, config);
  ASSERT_EQ(found.jobs.size(), 2u);
  EXPECT_EQ(found.jobs[0], (Job{1, SrcType::kPublicNetwork}));
  EXPECT_EQ(found.jobs[1], (Job{2, SrcType::kPublicNetwork}));
  EXPECT_EQ(found.tasks[1].job_id, 2);
}

TEST(FilterTasksTest, SrcTypeFromTypeOrDefault) {
  DiscoveryConfig config;
  config.default_src_type = SrcType::kSelfBuilt;
  const DiscoveredTasks found =
      FilterTasks({Task(1, "", 10, 1), Task(2, "", 1, 1), Task(3, "", 7, 1),
                   Task(4, "", std::nullopt, 1)},
                  config);
  ASSERT_EQ(found.jobs.size(), 4u);
  EXPECT_EQ(found.jobs[0].src_type, SrcType::kDisasterRecovery);
  EXPECT_EQ(found.jobs[1].src_type, SrcType::kSelfBuilt);
  EXPECT_EQ(found.jobs[2].src_type, SrcType::kSelfBuilt);
  EXPECT_EQ(found.jobs[3].src_type, SrcType::kSelfBuilt);
}

TEST(FilterTasksTest, StatusAndNameFilters) {
  DiscoveryConfig config;
  config.statuses = {2, 3};
  config.name_pattern = "prod";
  const DiscoveredTasks found =
      FilterTasks({Task(1, "sync-prod-1", 2, 2), Task(2, "sync-test-2", 2, 2),
                   Task(3, "sync-prod-3", 2, 4), Task(4, "x-prod", 2, 3),
                   Task(5, "sync-prod-5", 2, std::nullopt)},
                  config);
  ASSERT_EQ(found.jobs.size(), 2u);
  EXPECT_EQ(found.jobs[0].job_id, 1);
  EXPECT_EQ(found.jobs[1].job_id, 4);
}

TEST(FilterTasksTest, LongNamesAndNestedRepetition) {
  // A backtracking matcher would recurse once per character of the first
  // name, or take exponential time on the second; RE2 does neither.
  DiscoveryConfig config;
  config.name_pattern = "(a+)+$|ab.*z";
  std::string long_name;
  for (int i = 0; i < 100000; ++i) long_name += "ab";
  const DiscoveredTasks found = FilterTasks(
      {Task(1, long_name, 2, 1), Task(2, std::string(100, 'a') + "!", 2, 1),
       Task(3, "xaaaa", 2, 1)},
      config);
  ASSERT_EQ(found.jobs.size(), 1u);
  EXPECT_EQ(found.jobs[0].job_id, 3);
}

TEST(FilterTasksTest, DuplicateJobsKeptOnce) {
  DiscoveryConfig config;
  const DiscoveredTasks found = FilterTasks(
      {Task(1, "first", 2, 1), Task(1, "second", 2, 1), Task(1, "dr", 10, 1)},
      config);
  ASSERT_EQ(found.jobs.size(), 2u);
  EXPECT_EQ(found.tasks[0].name, "first");
  EXPECT_EQ(found.jobs[1].src_type, SrcType::kDisasterRecovery);
}

SyncTask DtsTask(JobApi api, std::string id, std::string name,
                 std::string status) {
  SyncTask task;
  task.api = api;
  task.dts_job_id = std::move(id);
  task.name = std::move(name);
  task.dts_status = std::move(status);
  return task;
}

TEST(FilterTasksTest, DtsJobsIgnoreStatuses) {
  DiscoveryConfig config;
  config.statuses = {4};
  config.name_pattern = "^prod-";
  const DiscoveredTasks found = FilterTasks(
      {DtsTask(JobApi::kDtsSyncCheck, "sync-1", "prod-orders", "Running"),
       DtsTask(JobApi::kDtsMigrationCheck, "dts-1", "prod-users", "checking"),
       DtsTask(JobApi::kDtsSyncCheck, "sync-2", "test-orders", "Running"),
       DtsTask(JobApi::kDtsSyncCheck, "sync-1", "prod-orders", "Running"),
       Task(7, "prod-legacy", 2, 3)},
      config);
  ASSERT_EQ(found.jobs.size(), 2u);
  EXPECT_EQ(found.jobs[0], Job(JobApi::kDtsSyncCheck, "sync-1"));
  EXPECT_EQ(found.jobs[1], Job(JobApi::kDtsMigrationCheck, "dts-1"));
  EXPECT_EQ(found.tasks[1].StatusText(), "checking");
}

}  // namespace
}  // namespace cdb_sync
