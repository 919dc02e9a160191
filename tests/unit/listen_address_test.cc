#include "exporter/web/listen_address.h"

#include <gtest/gtest.h>

namespace cdb_sync {
namespace {

TEST(ListenAddressTest, PortOnlyListensEverywhere) {
  Expected<ListenAddress> address = ParseListenAddress(":10025");
  ASSERT_TRUE(address.ok()) << address.error();
  EXPECT_EQ(address.value().host, "0.0.0.0");
  EXPECT_EQ(address.value().port, 10025);
}

TEST(ListenAddressTest, HostAndPort) {
  Expected<ListenAddress> address = ParseListenAddress("127.0.0.1:0");
  ASSERT_TRUE(address.ok()) << address.error();
  EXPECT_EQ(address.value().host, "127.0.0.1");
  EXPECT_EQ(address.value().port, 0);
}

TEST(ListenAddressTest, BracketedIpv6) {
  Expected<ListenAddress> address = ParseListenAddress("[::1]:9000");
  ASSERT_TRUE(address.ok()) << address.error();
  EXPECT_EQ(address.value().host, "::1");
  EXPECT_EQ(address.value().port, 9000);
}

TEST(ListenAddressTest, SchemeGetsItsOwnMessage) {
  Expected<ListenAddress> address = ParseListenAddress("http://127.0.0.1:1");
  ASSERT_FALSE(address.ok());
  EXPECT_NE(address.error().find("without a scheme"), std::string::npos)
      << address.error();
}

TEST(ListenAddressTest, FormatsIpv6InBrackets) {
  EXPECT_EQ(FormatHostPort("::1", 80), "[::1]:80");
  EXPECT_EQ(FormatHostPort("127.0.0.1", 80), "127.0.0.1:80");
}

TEST(ListenAddressTest, RejectsBadValues) {
  for (const char* text : {"", "10025", "host:", ":65536", ":-1", ":12x",
                           "::1:80", "host:port", "http://127.0.0.1:1"}) {
    Expected<ListenAddress> address = ParseListenAddress(text);
    EXPECT_FALSE(address.ok()) << text;
    EXPECT_NE(address.error().find(text), std::string::npos) << address.error();
  }
}

}  // namespace
}  // namespace cdb_sync
