#include "exporter/web/service_discovery.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cdb_sync {
namespace {

TEST(ServiceDiscoveryTest, OneGroupPerTask) {
  const std::vector<ServiceDiscoveryTarget> targets = {
      {{1003, SrcType::kPublicNetwork}, "sync-prod-1003", "2"},
      {{1015, SrcType::kDisasterRecovery}, "", ""}};
  const std::string json = RenderServiceDiscovery(targets, "exporter:10025");
  EXPECT_NE(json.find(R"({"targets": ["exporter:10025"], "labels": {)"
                      R"("__metrics_path__": "/probe", )"
                      R"("__param_job_id": "1003", "__param_src_type": "2", )"
                      R"("instance": "1003/2", )"
                      R"("__meta_cdb_sync_task_name": "sync-prod-1003", )"
                      R"("__meta_cdb_sync_task_status": "2"}})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("instance": "1015/10")"), std::string::npos);
  EXPECT_NE(json.find(R"("__meta_cdb_sync_task_status": ""}})"),
            std::string::npos);
  EXPECT_EQ(json.front(), '[');
}

TEST(ServiceDiscoveryTest, DtsJobsProbeWithApi) {
  const std::vector<ServiceDiscoveryTarget> targets = {
      {Job(JobApi::kDtsMigrationCheck, "dts-1ewjspuw"), "orders", "checkPass"}};
  const std::string json = RenderServiceDiscovery(targets, "exporter:10025");
  EXPECT_NE(json.find(R"("__param_job_id": "dts-1ewjspuw", )"
                      R"("__param_api": "dts_migration_check", )"
                      R"("instance": "dts-1ewjspuw/dts_migration_check", )"
                      R"("__meta_cdb_sync_task_name": "orders", )"
                      R"("__meta_cdb_sync_task_status": "checkPass"}})"),
            std::string::npos)
      << json;
  EXPECT_EQ(json.find("src_type"), std::string::npos) << json;
}

TEST(ServiceDiscoveryTest, EmptyList) {
  EXPECT_EQ(RenderServiceDiscovery({}, "exporter:10025"), "[]\n");
}

TEST(ServiceDiscoveryTest, NamesEscapedAndCut) {
  const std::vector<ServiceDiscoveryTarget> targets = {
      {{1, SrcType::kSelfBuilt},
       "a\"b\\c\n\x01" + std::string(5000, 'x'),
       "1"}};
  const std::string json = RenderServiceDiscovery(targets, "h:1");
  EXPECT_NE(json.find(R"(a\"b\\c\n\u0001xxx)"), std::string::npos) << json;
  EXPECT_EQ(json.find(std::string(1100, 'x')), std::string::npos);
  EXPECT_NE(json.find(std::string(1000, 'x') + "\""), std::string::npos);
}

TEST(ServiceDiscoveryTest, HostHeaderValidation) {
  for (const char* host : {"127.0.0.1:10025", "exporter", "[::1]:10025",
                           "my-host.example_name:80"}) {
    EXPECT_TRUE(IsValidHostHeader(host)) << host;
  }
  for (const char* host : {"", "a b", "h\"x", "h/x", "h\r\nX: y", "h@x"}) {
    EXPECT_FALSE(IsValidHostHeader(host)) << host;
  }
}

}  // namespace
}  // namespace cdb_sync
