#include "exporter/web/web_config.h"

#include <gtest/gtest.h>

#include "exporter/web/basic_auth.h"

namespace cdb_sync {
namespace {

// A bcrypt hash (cost 4) of "s3cret", made with libxcrypt's crypt().
constexpr char kHash[] =
    "$2b$04$kX1FudV1rn45eaw2JqwbReEgxdljMHpogSXSZN/tt7iD1RDN8ssla";

std::string Header(const std::string& user_and_password) {
  // Base64 of a few fixed strings, computed with the base64 command.
  if (user_and_password == "alice:s3cret") return "Basic YWxpY2U6czNjcmV0";
  if (user_and_password == "alice:wrong") return "Basic YWxpY2U6d3Jvbmc=";
  if (user_and_password == "bob:s3cret") return "Basic Ym9iOnMzY3JldA==";
  return "";
}

TEST(WebConfigTest, EmptyFileServesPlainHttp) {
  Expected<WebConfig> config = ParseWebConfig("", "web.yml");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_FALSE(config.value().tls.has_value());
  EXPECT_TRUE(config.value().basic_auth_users.empty());
}

TEST(WebConfigTest, BasicAuthUsers) {
  Expected<WebConfig> config = ParseWebConfig(
      std::string("basic_auth_users:\n  alice: '") + kHash + "'\n", "web.yml");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config.value().basic_auth_users.at("alice"), kHash);
}

TEST(WebConfigTest, RejectsPlainPasswordWithoutEchoingIt) {
  Expected<WebConfig> config =
      ParseWebConfig("basic_auth_users:\n  alice: hunter2\n", "web.yml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find("basic_auth_users.alice"), std::string::npos);
  EXPECT_EQ(config.error().find("hunter2"), std::string::npos);
}

TEST(WebConfigTest, RejectsUnknownKeys) {
  Expected<WebConfig> config =
      ParseWebConfig("http_server_config: {http2: true}\n", "web.yml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find("http_server_config"), std::string::npos);
}

TEST(WebConfigTest, TlsNeedsReadableFiles) {
  Expected<WebConfig> config = ParseWebConfig(
      "tls_server_config: {cert_file: /nonexistent.crt, key_file: /x.key}\n",
      "web.yml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find("/nonexistent.crt"), std::string::npos);
}

TEST(BasicAuthenticatorTest, ChecksPasswords) {
  BasicAuthenticator authenticator(
      std::map<std::string, std::string>{{"alice", kHash}});
  EXPECT_TRUE(authenticator.Check(Header("alice:s3cret")));
  // The second check takes the cached result.
  EXPECT_TRUE(authenticator.Check(Header("alice:s3cret")));
  EXPECT_FALSE(authenticator.Check(Header("alice:wrong")));
  EXPECT_FALSE(authenticator.Check(Header("bob:s3cret")));
  EXPECT_FALSE(authenticator.Check(""));
  EXPECT_FALSE(authenticator.Check("Bearer YWxpY2U6czNjcmV0"));
  EXPECT_FALSE(authenticator.Check("Basic !!!!"));
  EXPECT_FALSE(authenticator.Check("Basic YWxpY2U="));  // "alice", no colon
  // The scheme name is case-insensitive.
  EXPECT_TRUE(authenticator.Check("basic YWxpY2U6czNjcmV0"));
  // "alice:s3cret\0x": bcrypt would ignore everything after the NUL.
  EXPECT_FALSE(authenticator.Check("Basic YWxpY2U6czNjcmV0AHg="));
}

}  // namespace
}  // namespace cdb_sync
