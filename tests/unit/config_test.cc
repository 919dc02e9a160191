#include "exporter/config/config.h"

#include <gtest/gtest.h>

namespace cdb_sync {
namespace {

Config ParseOk(std::string_view yaml) {
  Expected<Config> config = ParseConfig(yaml, "test.yml");
  EXPECT_TRUE(config.ok()) << config.error();
  return config.ok() ? config.value() : Config();
}

std::string ParseError(std::string_view yaml) {
  Expected<Config> config = ParseConfig(yaml, "test.yml");
  EXPECT_FALSE(config.ok()) << "accepted:\n" << yaml;
  return config.error();
}

TEST(ConfigTest, FullExample) {
  const Config config = ParseOk(R"(
api:
  endpoint: https://cdb.api.qcloud.com/v2/index.php
  region: ap-guangzhou
  signature_method: HmacSHA1
  http_method: POST
  timeout: 3s
  connect_timeout: 500ms
  max_concurrency: 4
jobs:
  - job_id: 206
    src_type: 2
  - job_id: 207
    src_type: 10
)");
  EXPECT_EQ(config.api.endpoint.url, "https://cdb.api.qcloud.com/v2/index.php");
  EXPECT_EQ(config.api.endpoint.scheme, "https");
  EXPECT_EQ(config.api.endpoint.host, "cdb.api.qcloud.com");
  EXPECT_EQ(config.api.endpoint.path, "/v2/index.php");
  EXPECT_EQ(config.api.region, "ap-guangzhou");
  EXPECT_EQ(config.api.signature_method, SignatureMethod::kHmacSha1);
  EXPECT_EQ(config.api.http_method, HttpMethod::kPost);
  EXPECT_EQ(config.api.timeout, std::chrono::seconds(3));
  EXPECT_EQ(config.api.connect_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(config.api.max_concurrency, 4);
  ASSERT_EQ(config.jobs.size(), 2u);
  EXPECT_EQ(config.jobs[0], (Job{206, SrcType::kPublicNetwork}));
  EXPECT_EQ(config.jobs[1], (Job{207, SrcType::kDisasterRecovery}));
}

TEST(ConfigTest, RetryAndSizeSettings) {
  const Config config = ParseOk(
      "api: {region: r, retries: 0, retry_backoff: 250ms, "
      "max_response_size: 512KiB, secret_id_file: /run/id, "
      "secret_key_file: /run/key, token_file: /run/token}\n"
      "jobs: [{job_id: 1, src_type: 1}]\n");
  EXPECT_EQ(config.api.retries, 0);
  EXPECT_EQ(config.api.retry_backoff, std::chrono::milliseconds(250));
  EXPECT_EQ(config.api.max_response_size, 512u * 1024);
  EXPECT_EQ(config.api.secret_id_file, "/run/id");
  EXPECT_EQ(config.api.secret_key_file, "/run/key");
  EXPECT_EQ(config.api.token_file, "/run/token");
}

TEST(ConfigTest, RateLimitSettings) {
  const Config both = ParseOk(
      "api: {region: r, rate_limit: 5, rate_limit_burst: 20}\n"
      "jobs: [{job_id: 1, src_type: 1}]\n");
  EXPECT_EQ(both.api.rate_limit, 5);
  EXPECT_EQ(both.api.rate_limit_burst, 20);

  // The burst follows the rate unless it is set.
  const Config rate_only = ParseOk(
      "api: {region: r, rate_limit: 8}\njobs: [{job_id: 1, src_type: 1}]\n");
  EXPECT_EQ(rate_only.api.rate_limit_burst, 8);

  const Config off = ParseOk(
      "api: {region: r, rate_limit: 0}\njobs: [{job_id: 1, src_type: 1}]\n");
  EXPECT_EQ(off.api.rate_limit, 0);
}

TEST(ConfigTest, CacheTtl) {
  EXPECT_EQ(ParseOk("api: {region: r, cache_ttl: 30s}\n"
                    "jobs: [{job_id: 1, src_type: 1}]\n")
                .api.cache_ttl,
            std::chrono::seconds(30));
  EXPECT_EQ(ParseOk("api: {region: r, cache_ttl: 0}\n"
                    "jobs: [{job_id: 1, src_type: 1}]\n")
                .api.cache_ttl,
            std::chrono::milliseconds(0));
  EXPECT_EQ(ParseOk("api: {region: r}\njobs: [{job_id: 1, src_type: 1}]\n")
                .api.cache_ttl,
            std::chrono::milliseconds(0));
}

TEST(ConfigTest, DiscoverySection) {
  const Config config = ParseOk(
      "api: {region: r}\n"
      "discovery:\n"
      "  interval: 2m\n"
      "  statuses: [2, 3]\n"
      "  name_pattern: '^prod-'\n"
      "  default_src_type: 10\n"
      "  include_in_metrics: false\n");
  EXPECT_TRUE(config.discovery.enabled);
  EXPECT_EQ(config.discovery.interval, std::chrono::minutes(2));
  EXPECT_EQ(config.discovery.statuses, (std::vector<int>{2, 3}));
  EXPECT_EQ(config.discovery.name_pattern, "^prod-");
  EXPECT_EQ(config.discovery.default_src_type, SrcType::kDisasterRecovery);
  EXPECT_FALSE(config.discovery.include_in_metrics);
  EXPECT_TRUE(config.jobs.empty());

  const Config empty_section =
      ParseOk("api: {region: r}\ndiscovery:\njobs: []\n");
  EXPECT_TRUE(empty_section.discovery.enabled);
  EXPECT_EQ(empty_section.discovery.interval, std::chrono::minutes(5));
  EXPECT_TRUE(empty_section.discovery.include_in_metrics);

  const Config without =
      ParseOk("api: {region: r}\njobs: [{job_id: 1, src_type: 1}]\n");
  EXPECT_FALSE(without.discovery.enabled);
}

TEST(ConfigTest, Defaults) {
  const Config config =
      ParseOk("api: {region: ap-shanghai}\njobs: [{job_id: 1, src_type: 1}]\n");
  EXPECT_EQ(config.api.endpoint.url, kDefaultEndpoint);
  EXPECT_EQ(config.api.endpoint.host, "cdb.api.qcloud.com");
  EXPECT_EQ(config.api.signature_method, SignatureMethod::kHmacSha256);
  EXPECT_EQ(config.api.http_method, HttpMethod::kGet);
  EXPECT_EQ(config.api.timeout, std::chrono::seconds(5));
  EXPECT_EQ(config.api.connect_timeout, std::chrono::seconds(2));
  EXPECT_EQ(config.api.max_concurrency, 16);
  EXPECT_EQ(config.api.rate_limit, 15);
  EXPECT_EQ(config.api.rate_limit_burst, 15);
  EXPECT_EQ(config.api.retries, 2);
  EXPECT_EQ(config.api.retry_backoff, std::chrono::milliseconds(100));
  EXPECT_EQ(config.api.max_response_size, 4u << 20);
  EXPECT_EQ(config.api.secret_key_file, "");
}

TEST(ConfigTest, EndpointPortIsPartOfSignedHost) {
  const Config config = ParseOk(
      "api: {region: r, endpoint: 'http://127.0.0.1:8080/v2/index.php'}\n"
      "jobs: [{job_id: 1, src_type: 1}]\n");
  EXPECT_EQ(config.api.endpoint.host, "127.0.0.1:8080");
  EXPECT_EQ(config.api.endpoint.path, "/v2/index.php");
}

TEST(ConfigTest, ShortTimeoutCapsDefaultConnectTimeout) {
  const Config config = ParseOk(
      "api: {region: r, timeout: 1s}\njobs: [{job_id: 1, src_type: 1}]\n");
  EXPECT_EQ(config.api.connect_timeout, std::chrono::seconds(1));
}

TEST(ConfigTest, ErrorsNameKeyAndValue) {
  struct Case {
    const char* yaml;
    std::vector<const char*> expected;
  };
  const Case cases[] = {
      {"api: {region: r}\njobs: [{job_id: 1, src_type: 3}]\n",
       {"test.yml:2:", "jobs[0].src_type", "invalid value 3", "1", "2", "10"}},
      {"api: {region: r, regoin: x}\njobs: [{job_id: 1, src_type: 1}]\n",
       {"api.regoin", "unknown key"}},
      {"api: {}\njobs: [{job_id: 1, src_type: 1}]\n",
       {"api.region", "missing"}},
      {"jobs: [{job_id: 1, src_type: 1}]\n", {"api", "missing"}},
      {"api: {region: r}\n", {"jobs", "missing"}},
      {"api: {region: r}\njobs: []\n", {"jobs", "empty"}},
      {"api: {region: r}\njobs: [{job_id: 1, src_type: 2}, "
       "{job_id: 1, src_type: 2}]\n",
       {"jobs[1]", "duplicate job", "job_id 1"}},
      {"api: {region: r}\njobs: [{job_id: abc, src_type: 2}]\n",
       {"jobs[0].job_id", "\"abc\"", "integer"}},
      {"api: {region: r}\njobs: [{job_id: -5, src_type: 2}]\n",
       {"jobs[0].job_id", "-5", "positive"}},
      {"api: {region: r}\njobs: [{job_id: 1}]\n", {"jobs[0].src_type"}},
      {"api: {region: r}\njobs: [{src_type: 1}]\n", {"jobs[0].job_id"}},
      {"api: {region: r}\njobs: [{job_id: 1, src_type: 1, name: x}]\n",
       {"jobs[0].name", "unknown key"}},
      {"api: {region: r, timeout: 5}\njobs: [{job_id: 1, src_type: 1}]\n",
       {"api.timeout", "\"5\"", "5s"}},
      {"api: {region: r, timeout: 0s}\njobs: [{job_id: 1, src_type: 1}]\n",
       {"api.timeout", "positive"}},
      {"api: {region: r, timeout: 1s, connect_timeout: 2s}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.connect_timeout", "api.timeout"}},
      {"api: {region: r, signature_method: sha1}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.signature_method", "\"sha1\"", "HmacSHA256"}},
      {"api: {region: r, http_method: PUT}\njobs: [{job_id: 1, src_type: 1}]\n",
       {"api.http_method", "\"PUT\""}},
      {"api: {region: r, endpoint: 'ftp://x/y'}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.endpoint", "https or http"}},
      {"api: {region: r, endpoint: 'https://h/p?a=b'}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.endpoint", "query"}},
      {"api: {region: r, endpoint: 'https://u:p@h/p'}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.endpoint", "password"}},
      {"api: {region: r, max_concurrency: 0}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.max_concurrency", "invalid value 0"}},
      {"api: {region: r, rate_limit: -1}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.rate_limit", "invalid value -1", "0 (no limit) to 1000"}},
      {"api: {region: r, rate_limit: 1001}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.rate_limit", "invalid value 1001"}},
      {"api: {region: r, rate_limit_burst: 0}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.rate_limit_burst", "invalid value 0"}},
      {"api: {region: r, rate_limit: 1.5}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.rate_limit"}},
      {"api: {region: [a]}\njobs: [{job_id: 1, src_type: 1}]\n",
       {"api.region", "single value"}},
      {"api: {region: r}\n", {"jobs", "missing", "discovery section"}},
      {"api: {region: r, cache_ttl: 2h}\njobs: [{job_id: 1, src_type: 1}]\n",
       {"api.cache_ttl", "at most 1h"}},
      {"api: {region: r, cache_ttl: -1s}\njobs: [{job_id: 1, src_type: 1}]\n",
       {"api.cache_ttl", "invalid duration"}},
      {"api: {region: r}\njobs: []\n", {"jobs", "is empty"}},
      {"api: {region: r}\ndiscovery: {interval: 5s}\n",
       {"discovery.interval", "at least 10s"}},
      {"api: {region: r}\ndiscovery: {interval: 25h}\n",
       {"discovery.interval", "at most 24h"}},
      {"api: {region: r}\ndiscovery: {statuses: [10]}\n",
       {"discovery.statuses[0]", "invalid status 10"}},
      {"api: {region: r}\ndiscovery: {statuses: 2}\n",
       {"discovery.statuses", "must be a list"}},
      {"api: {region: r}\ndiscovery: {name_pattern: '(unclosed'}\n",
       {"discovery.name_pattern", "invalid regular expression"}},
      {"api: {region: r}\ndiscovery: {default_src_type: 3}\n",
       {"discovery.default_src_type", "invalid value 3"}},
      {"api: {region: r}\ndiscovery: {include_in_metrics: yes}\n",
       {"discovery.include_in_metrics", "true or false"}},
      {"api: {region: r}\ndiscovery: {include_in_metrics: 'false'}\n",
       {"discovery.include_in_metrics", "remove the quotes"}},
      {"api: {region: r}\ndiscovery: {intervall: 5m}\n",
       {"discovery.intervall"}},
      {"api: {region: r}\napi: {region: s}\njobs: [{job_id: 1, src_type: 1}]\n",
       {"api", "duplicate key"}},
      {"api: {region: r}\njobs: {job_id: 1}\n", {"jobs", "list"}},
      {"", {"empty"}},
      {"api: [\n", {"invalid YAML"}},
      // yaml-cpp 0.7.0's LoadAll never returns on a lone comma.
      {",", {"test.yml"}},
      {"- a\n- b\n", {"mapping"}},
      {"api: {region: r, retries: 11}\njobs: [{job_id: 1, src_type: 1}]\n",
       {"api.retries", "invalid value 11", "0 to 10"}},
      {"api: {region: r, retry_backoff: fast}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.retry_backoff", "\"fast\""}},
      {"api: {region: r, max_response_size: 4GB}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.max_response_size", "\"4GB\"", "64MiB"}},
      {"api: {region: r, max_response_size: 100}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.max_response_size", "1KiB"}},
      {"api: {region: r, secret_key_file: ''}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.secret_key_file", "empty"}},
      {"api: {region: r}\njobs: [{job_id: 1, src_type: \"2\"}]\n",
       {"jobs[0].src_type", "quoted"}},
      {"api: {region: r}\njobs: [{job_id: '1', src_type: 2}]\n",
       {"jobs[0].job_id", "quoted"}},
      {"api: {region: r, timeout: 100000000h}\n"
       "jobs: [{job_id: 1, src_type: 1}]\n",
       {"api.timeout", "100000000h"}},
      {"api: {region: r, timeout: 6m}\njobs: [{job_id: 1, src_type: 1}]\n",
       {"api.timeout", "at most 5m"}},
      {"api: {region: r}\njobs: [{job_id: 1, src_type: 1}]\n---\n"
       "api: {region: s}\n",
       {"2 YAML documents"}},
      {"api: {region: r}\njobs: [{job_id: 1, src_type: 1}]\n---\n---\n---\n",
       {"2 YAML documents"}},
  };
  for (const Case& test : cases) {
    const std::string error = ParseError(test.yaml);
    for (const char* part : test.expected) {
      EXPECT_NE(error.find(part), std::string::npos)
          << "error \"" << error << "\" lacks \"" << part << "\" for:\n"
          << test.yaml;
    }
  }
}

TEST(ConfigTest, DtsJobsAndSection) {
  const Config config = ParseOk(R"(
api:
  region: ap-guangzhou
dts:
  endpoint: http://127.0.0.1:9000/
  region: ap-shanghai
jobs:
  - job_id: 206
    src_type: 2
  - api: dts_sync_check
    job_id: sync-bllmn8x9
  - api: dts_migration_check
    job_id: dts-1ewjspuw
  - api: cdb_sync_check
    job_id: 207
    src_type: 1
)");
  ASSERT_EQ(config.jobs.size(), 4u);
  EXPECT_EQ(config.jobs[0], (Job{206, SrcType::kPublicNetwork}));
  EXPECT_EQ(config.jobs[1], Job(JobApi::kDtsSyncCheck, "sync-bllmn8x9"));
  EXPECT_EQ(config.jobs[2], Job(JobApi::kDtsMigrationCheck, "dts-1ewjspuw"));
  EXPECT_EQ(config.jobs[3], (Job{207, SrcType::kSelfBuilt}));
  EXPECT_EQ(config.api.dts.endpoint.host, "127.0.0.1:9000");
  EXPECT_EQ(config.api.dts.endpoint.path, "/");
  EXPECT_EQ(config.api.dts.region, "ap-shanghai");
}

TEST(ConfigTest, DtsOnlyNeedsNoApiSection) {
  const Config config = ParseOk(R"(
dts:
  region: ap-shanghai
jobs:
  - {api: dts_sync_check, job_id: sync-1}
)");
  EXPECT_EQ(config.api.dts.region, "ap-shanghai");
  EXPECT_TRUE(config.api.region.empty());
  EXPECT_EQ(config.api.endpoint.url, std::string(kDefaultEndpoint));

  for (const auto& [yaml, expected] : {
           std::pair{"jobs: [{api: dts_sync_check, job_id: sync-1}]\n",
                     "dts.region: missing; set dts.region (or api.region)"},
           std::pair{"dts: {region: r}\njobs: [{api: dts_sync_check, "
                     "job_id: sync-1}, {job_id: 206, src_type: 2}]\n",
                     "api.region: missing; set the region of the API 2.0 "
                     "tasks"},
           std::pair{"dts: {region: r}\ndiscovery: {}\n",
                     "api.region: missing"},
           std::pair{"api: {rate_limit: 5}\n"
                     "discovery: {apis: [dts_migration_check]}\n",
                     "dts.region: missing"},
       }) {
    const std::string error = ParseError(yaml);
    EXPECT_NE(error.find(expected), std::string::npos)
        << yaml << " -> " << error;
  }
}

TEST(ConfigTest, DtsDefaults) {
  const Config config = ParseOk(R"(
api:
  region: ap-beijing
jobs:
  - api: dts_sync_check
    job_id: sync-1
)");
  EXPECT_EQ(config.api.dts.endpoint.url, "https://dts.tencentcloudapi.com/");
  EXPECT_EQ(config.api.dts.endpoint.host, "dts.tencentcloudapi.com");
  EXPECT_EQ(config.api.dts.region, "ap-beijing");
}

TEST(ConfigTest, DtsErrorsNameKeyAndFix) {
  const std::string head = "api:\n  region: r\njobs:\n";
  struct Case {
    std::string yaml;
    std::string expected;
  };
  for (const Case& c : {
           Case{head + "  - api: dts_sync\n    job_id: sync-1\n",
                "jobs[0].api: unknown API \"dts_sync\": must be "
                "cdb_sync_check"},
           Case{head + "  - api: dts_sync_check\n    job_id: sync-1\n"
                       "    src_type: 2\n",
                "jobs[0].src_type: applies only to API 2.0 jobs"},
           Case{head + "  - api: dts_sync_check\n    job_id: \"sync 1\"\n",
                "jobs[0].job_id: invalid DTS job id \"sync 1\""},
           Case{head + "  - api: dts_sync_check\n    job_id: -x\n",
                "invalid DTS job id \"-x\""},
           Case{head + "  - api: dts_migration_check\n    job_id: [a]\n",
                "jobs[0].job_id: must be a single value"},
           Case{head + "  - api: dts_sync_check\n", "jobs[0].job_id: missing"},
           Case{head + "  - job_id: sync-bllmn8x9\n",
                "jobs[0].job_id: invalid value \"sync-bllmn8x9\": an API 2.0 "
                "task id must be an integer; for a DTS job add api: "
                "dts_sync_check or api: dts_migration_check"},
           Case{head + "  - {api: dts_sync_check, job_id: a}\ndts: 5\n",
                "dts: must be a mapping"},
           Case{"api:\n  region: \"ap\\r\\nX-Evil: 1\"\njobs:\n"
                "  - {job_id: 1, src_type: 2}\n",
                "api.region: invalid region \"ap??X-Evil: 1\": write a "
                "region such as ap-guangzhou"},
           Case{"api:\n  region: r\ndts:\n  region: \"ap shanghai\"\n"
                "jobs:\n  - {job_id: 1, src_type: 2}\n",
                "dts.region: invalid region \"ap shanghai\""},
           Case{head + "  - {api: dts_sync_check, job_id: sync-1}\n"
                       "  - {api: dts_sync_check, job_id: sync-1}\n",
                "jobs[1]: duplicate job: dts_sync_check job sync-1"},
           Case{"api:\n  region: r\ndts:\n  endpoint: "
                "https://dts.tencentcloudapi.com/v2\n"
                "jobs:\n  - {job_id: 1, src_type: 2}\n",
                "dts.endpoint: invalid URL "
                "\"https://dts.tencentcloudapi.com/v2\": API 3.0 endpoints "
                "have the path /"},
           Case{"api:\n  region: r\ndts:\n  endpoint: ftp://x/\n"
                "jobs:\n  - {job_id: 1, src_type: 2}\n",
                "dts.endpoint: invalid URL"},
           Case{"api:\n  region: r\ndts:\n  region: \"\"\n"
                "jobs:\n  - {job_id: 1, src_type: 2}\n",
                "dts.region: must not be empty"},
           Case{"api:\n  region: r\ndts:\n  zone: x\n"
                "jobs:\n  - {job_id: 1, src_type: 2}\n",
                "dts.zone: unknown key"},
       }) {
    const std::string error = ParseError(c.yaml);
    EXPECT_NE(error.find(c.expected), std::string::npos)
        << c.yaml << "\n-> " << error;
  }
}

// The same id may name an API 2.0 job and a DTS job. They are different
// jobs, which the api label distinguishes.
TEST(ConfigTest, SameIdInTwoApisIsNotDuplicate) {
  const Config config = ParseOk(R"(
api: {region: r}
jobs:
  - {api: dts_sync_check, job_id: "206"}
  - {api: dts_migration_check, job_id: "206"}
  - {job_id: 206, src_type: 2}
)");
  EXPECT_EQ(config.jobs.size(), 3u);
}

TEST(ConfigTest, DiscoveryApis) {
  const Config config = ParseOk(R"(
api: {region: r}
discovery:
  apis: [dts_migration_check, cdb_sync_check, dts_sync_check]
)");
  EXPECT_EQ(
      config.discovery.apis,
      (std::vector<JobApi>{JobApi::kDtsMigrationCheck, JobApi::kCdbSyncCheck,
                           JobApi::kDtsSyncCheck}));
  EXPECT_EQ(ParseOk("api: {region: r}\ndiscovery:\n").discovery.apis,
            std::vector<JobApi>{JobApi::kCdbSyncCheck});

  for (const auto& [yaml, expected] : {
           std::pair{"discovery: {apis: []}",
                     "discovery.apis: must be a "
                     "non-empty list"},
           std::pair{"discovery: {apis: dts_sync_check}",
                     "discovery.apis: must be a non-empty list"},
           std::pair{"discovery: {apis: [dts]}",
                     "discovery.apis[0]: unknown API \"dts\""},
           std::pair{"discovery: {apis: [dts_sync_check, dts_sync_check]}",
                     "discovery.apis[1]: \"dts_sync_check\" is listed twice"},
       }) {
    const std::string error =
        ParseError(std::string("api: {region: r}\n") + yaml + "\n");
    EXPECT_NE(error.find(expected), std::string::npos)
        << yaml << " -> " << error;
  }
}

TEST(ConfigTest, MissingFileNamesPathAndFlag) {
  Expected<Config> config = LoadConfigFile("/nonexistent/cdb.yml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find("/nonexistent/cdb.yml"), std::string::npos);
  EXPECT_NE(config.error().find("--config-file"), std::string::npos);
}

TEST(ConfigTest, DirectoryIsNotAFile) {
  Expected<Config> config = LoadConfigFile(CDB_SYNC_SOURCE_DIR);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find("is a directory"), std::string::npos)
      << config.error();
}

TEST(ConfigTest, DeviceIsNotAFile) {
  // Reading /dev/zero would never end.
  Expected<Config> config = LoadConfigFile("/dev/zero");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find("not a regular file"), std::string::npos)
      << config.error();
}

TEST(ConfigTest, ExampleFileLoads) {
  Expected<Config> config =
      LoadConfigFile(std::string(CDB_SYNC_SOURCE_DIR) +
                     "/deploy/cdb_sync_exporter.example.yml");
  ASSERT_TRUE(config.ok()) << config.error();
  ASSERT_EQ(config.value().jobs.size(), 3u);
  EXPECT_EQ(config.value().jobs[0], (Job{206, SrcType::kPublicNetwork}));
  EXPECT_EQ(config.value().jobs[1],
            Job(JobApi::kDtsSyncCheck, "sync-bllmn8x9"));
  EXPECT_EQ(config.value().jobs[2],
            Job(JobApi::kDtsMigrationCheck, "dts-1ewjspuw"));
  EXPECT_EQ(config.value().api.dts.endpoint.url,
            "https://dts.tencentcloudapi.com/");
}

TEST(ByteSizeTest, Units) {
  EXPECT_EQ(ParseByteSize("65536"), 65536u);
  EXPECT_EQ(ParseByteSize("100B"), 100u);
  EXPECT_EQ(ParseByteSize("512KiB"), 512u * 1024);
  EXPECT_EQ(ParseByteSize("4MiB"), 4u << 20);
}

TEST(ByteSizeTest, RejectsMalformed) {
  for (const char* text : {"", "MiB", "4 MiB", "4mb", "4MB", "-1", "1.5MiB",
                           "4GiB", "99999999999999MiB"}) {
    EXPECT_FALSE(ParseByteSize(text).has_value()) << text;
  }
}

TEST(DurationTest, Units) {
  EXPECT_EQ(ParseDuration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(ParseDuration("5s"), std::chrono::seconds(5));
  EXPECT_EQ(ParseDuration("2m"), std::chrono::minutes(2));
  EXPECT_EQ(ParseDuration("1h"), std::chrono::hours(1));
  EXPECT_EQ(ParseDuration("1m30s"), std::chrono::seconds(90));
  EXPECT_EQ(ParseDuration("0s"), std::chrono::milliseconds(0));
}

TEST(DurationTest, RejectsMalformed) {
  for (const char* text : {"", "5", "s", "5 s", "-1s", "1.5s", "5sec", "1d",
                           "99999999999999999999h", "5s5"}) {
    EXPECT_FALSE(ParseDuration(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace cdb_sync
