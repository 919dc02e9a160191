#include "exporter/api/credentials.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace cdb_sync {
namespace {

auto Environment(const std::map<std::string, std::string>& values) {
  return [values](std::string_view name) -> std::optional<std::string> {
    auto found = values.find(std::string(name));
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

TEST(CredentialsTest, ReadsIdKeyAndToken) {
  Expected<Credentials> credentials = CredentialsFromEnvironment(Environment({
      {"TENCENTCLOUD_SECRET_ID", "AKIDexample123"},
      {"TENCENTCLOUD_SECRET_KEY", "key"},
      {"TENCENTCLOUD_SESSION_TOKEN", "token"},
  }));
  ASSERT_TRUE(credentials.ok()) << credentials.error();
  EXPECT_EQ(credentials.value().secret_id, "AKIDexample123");
  EXPECT_EQ(credentials.value().secret_key, "key");
  EXPECT_EQ(credentials.value().session_token, "token");
}

TEST(CredentialsTest, TokenIsOptional) {
  Expected<Credentials> credentials = CredentialsFromEnvironment(Environment(
      {{"TENCENTCLOUD_SECRET_ID", "id"}, {"TENCENTCLOUD_SECRET_KEY", "key"}}));
  ASSERT_TRUE(credentials.ok()) << credentials.error();
  EXPECT_EQ(credentials.value().session_token, "");
}

TEST(CredentialsTest, MissingKeyNamesVariable) {
  Expected<Credentials> credentials = CredentialsFromEnvironment(
      Environment({{"TENCENTCLOUD_SECRET_ID", "id"}}));
  ASSERT_FALSE(credentials.ok());
  EXPECT_NE(credentials.error().find("TENCENTCLOUD_SECRET_KEY"),
            std::string::npos);
}

TEST(CredentialsTest, EmptyIdIsMissing) {
  Expected<Credentials> credentials = CredentialsFromEnvironment(Environment(
      {{"TENCENTCLOUD_SECRET_ID", ""}, {"TENCENTCLOUD_SECRET_KEY", "key"}}));
  ASSERT_FALSE(credentials.ok());
  EXPECT_NE(credentials.error().find("TENCENTCLOUD_SECRET_ID"),
            std::string::npos);
}

TEST(CredentialsTest, TrailingNewlineRejectedWithoutEchoingValue) {
  Expected<Credentials> credentials = CredentialsFromEnvironment(
      Environment({{"TENCENTCLOUD_SECRET_ID", "id"},
                   {"TENCENTCLOUD_SECRET_KEY", "topsecret\n"}}));
  ASSERT_FALSE(credentials.ok());
  EXPECT_NE(credentials.error().find("trailing newline"), std::string::npos);
  EXPECT_EQ(credentials.error().find("topsecret"), std::string::npos);
}

TEST(CredentialsTest, MaskedSecretId) {
  Credentials credentials;
  credentials.secret_id = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA";
  EXPECT_EQ(credentials.MaskedSecretId(),
            "AKID*****************************ESA");
  credentials.secret_id = "AKIDshort";
  EXPECT_EQ(credentials.MaskedSecretId(), "*********");
  // A secret key in the id's variable is hidden completely.
  credentials.secret_id = "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA";
  EXPECT_EQ(credentials.MaskedSecretId(), std::string(32, '*'));
}

class CredentialFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("cdb_sync_credentials_" + std::to_string(getpid()));
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string Write(const std::string& name, const std::string& contents) {
    const std::filesystem::path path = directory_ / name;
    std::ofstream(path, std::ios::binary) << contents;
    return path.string();
  }

  std::filesystem::path directory_;
};

TEST_F(CredentialFilesTest, FilesTakePrecedenceAndLoseOneNewline) {
  ApiConfig api;
  api.secret_id_file = Write("id", "AKIDfromfile\n");
  api.secret_key_file = Write("key", "keyfromfile\r\n");
  api.token_file = Write("token", "tokenfromfile");
  Expected<Credentials> credentials = LoadCredentials(
      api, Environment({{"TENCENTCLOUD_SECRET_ID", "env-id"},
                        {"TENCENTCLOUD_SECRET_KEY", "env-key"}}));
  ASSERT_TRUE(credentials.ok()) << credentials.error();
  EXPECT_EQ(credentials.value().secret_id, "AKIDfromfile");
  EXPECT_EQ(credentials.value().secret_key, "keyfromfile");
  EXPECT_EQ(credentials.value().session_token, "tokenfromfile");
}

TEST_F(CredentialFilesTest, EnvironmentFillsWhatFilesDoNotName) {
  ApiConfig api;
  api.secret_key_file = Write("key", "keyfromfile\n");
  Expected<Credentials> credentials = LoadCredentials(
      api, Environment({{"TENCENTCLOUD_SECRET_ID", "AKIDenv"}}));
  ASSERT_TRUE(credentials.ok()) << credentials.error();
  EXPECT_EQ(credentials.value().secret_id, "AKIDenv");
  EXPECT_EQ(credentials.value().secret_key, "keyfromfile");
}

TEST_F(CredentialFilesTest, MissingFileNamesPathNotContents) {
  ApiConfig api;
  api.secret_key_file = (directory_ / "absent").string();
  Expected<Credentials> credentials =
      LoadCredentials(api, Environment({{"TENCENTCLOUD_SECRET_ID", "AKIDx"}}));
  ASSERT_FALSE(credentials.ok());
  EXPECT_NE(credentials.error().find(api.secret_key_file), std::string::npos);
  EXPECT_NE(credentials.error().find("TENCENTCLOUD_SECRET_KEY"),
            std::string::npos);
}

TEST_F(CredentialFilesTest, DeviceAndLargeFilesRejected) {
  ApiConfig api;
  api.secret_key_file = "/dev/zero";
  Expected<Credentials> credentials =
      LoadCredentials(api, Environment({{"TENCENTCLOUD_SECRET_ID", "AKIDx"}}));
  ASSERT_FALSE(credentials.ok());
  EXPECT_NE(credentials.error().find("not a regular file"), std::string::npos);

  api.secret_key_file = Write("big", std::string(5000, 'k'));
  credentials =
      LoadCredentials(api, Environment({{"TENCENTCLOUD_SECRET_ID", "AKIDx"}}));
  ASSERT_FALSE(credentials.ok());
  EXPECT_NE(credentials.error().find("limit"), std::string::npos);
}

TEST_F(CredentialFilesTest, EmptyFileRejected) {
  ApiConfig api;
  api.secret_key_file = Write("key", "\n");
  Expected<Credentials> credentials =
      LoadCredentials(api, Environment({{"TENCENTCLOUD_SECRET_ID", "AKIDx"}}));
  ASSERT_FALSE(credentials.ok());
  EXPECT_NE(credentials.error().find("is empty"), std::string::npos);
}

TEST_F(CredentialFilesTest, ControlCharacterErrorHidesValue) {
  ApiConfig api;
  api.secret_key_file = Write("key", "secret with space\n");
  Expected<Credentials> credentials =
      LoadCredentials(api, Environment({{"TENCENTCLOUD_SECRET_ID", "AKIDx"}}));
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().find("secret with space"), std::string::npos);
}

}  // namespace
}  // namespace cdb_sync
