#include "io/internal/names.h"

#include <gtest/gtest.h>

#include <string>

#include "io/internal/core_objects.h"
#include "io/internal/documents.h"
#include "io/internal/fields.h"

namespace tessera::io::internal {
namespace {

TEST(NamesTest, AcceptsKubernetesNamesAndRejectsOthers) {
  EXPECT_EQ(CheckDnsLabel("gpu-0"), "");
  EXPECT_NE(CheckDnsLabel("gpu.0"), "");
  EXPECT_NE(CheckDnsLabel("-gpu"), "");
  EXPECT_EQ(CheckDnsSubdomain("gpu.example.com"), "");
  EXPECT_NE(CheckDnsSubdomain("Gpu.example.com"), "");
  EXPECT_NE(CheckDnsSubdomain("gpu..example"), "");
  EXPECT_EQ(CheckDnsSubdomain(std::string(253, 'a')), "");
  EXPECT_NE(CheckDnsSubdomain(std::string(254, 'a')), "");
  EXPECT_EQ(CheckQualifiedName("app.kubernetes.io/name"), "");
  EXPECT_EQ(CheckQualifiedName("Team_A"), "");
  EXPECT_NE(CheckQualifiedName("a/b/c"), "");
  EXPECT_NE(CheckQualifiedName("/name"), "");
  EXPECT_EQ(CheckLabelValue(""), "");
  EXPECT_EQ(CheckLabelValue("A100-SXM4_80GB.v2"), "");
  EXPECT_NE(CheckLabelValue("a b"), "");
  EXPECT_NE(CheckLabelValue(std::string(64, 'a')), "");
}

TEST(NamesTest, ChecksDraQualifiedNames) {
  EXPECT_EQ(CheckDraQualifiedName("productName"), "");
  EXPECT_EQ(CheckDraQualifiedName("gpu.nvidia.com/productName"), "");
  EXPECT_NE(CheckDraQualifiedName("product-name"), "");
  EXPECT_NE(CheckDraQualifiedName("1index"), "");
  EXPECT_NE(CheckDraQualifiedName(std::string(33, 'a')), "");
  EXPECT_NE(CheckDraFullyQualifiedName("pcieRoot"), "");
  EXPECT_EQ(CheckDraFullyQualifiedName("resource.kubernetes.io/pcieRoot"), "");
  EXPECT_EQ(CheckPoolName("node-0/gpus"), "");
  EXPECT_NE(CheckPoolName("node-0//gpus"), "");
}

TEST(NamesTest, ChecksStrictSemanticVersions) {
  EXPECT_EQ(CheckSemVer("1.2.3"), "");
  EXPECT_EQ(CheckSemVer("1.0.0-rc.1+build.5"), "");
  EXPECT_EQ(CheckSemVer("0.0.0-0a"), "");
  EXPECT_NE(CheckSemVer("1.2"), "");
  EXPECT_NE(CheckSemVer("01.2.3"), "");
  EXPECT_NE(CheckSemVer("1.2.3-01"), "");
  EXPECT_NE(CheckSemVer("v1.2.3"), "");
  EXPECT_NE(CheckSemVer("1.2.3+"), "");
}

TEST(NamesTest, ParsesRfc3339Times) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2024-05-01T12:00:00Z"), 1'714'564'800);
  EXPECT_EQ(ParseRfc3339("2024-05-01T14:00:00.123456+02:00"), 1'714'564'800);
  EXPECT_EQ(ParseRfc3339("2024-02-29T00:00:00Z"), 1'709'164'800);
  EXPECT_EQ(ParseRfc3339("1969-12-31T23:59:59Z"), -1);
  EXPECT_FALSE(ParseRfc3339("2024-05-01"));
  EXPECT_FALSE(ParseRfc3339("2024-05-01T12:00:00"));
  EXPECT_FALSE(ParseRfc3339("2024-13-01T12:00:00Z"));
}

TEST(NamesTest, GeneratesNamesInTheKubernetesSuffixAlphabet) {
  EXPECT_EQ(GeneratedName("train-", 0), "train-bbbbb");
  EXPECT_EQ(GeneratedName("train-", 1), "train-bbbbc");
  EXPECT_EQ(GeneratedName("train-", 27), "train-bbbcb");
  EXPECT_EQ(GeneratedName(std::string(70, 'a'), 0), std::string(58, 'a') + "bbbbb");
}

TEST(FieldsTest, QuotesAndTruncatesValues) {
  EXPECT_EQ(Quote("a\"b\n"), "\"a\\\"b\\x0a\"");
  EXPECT_EQ(Quote(std::string(65, 'x')), "\"" + std::string(64, 'x') + "\"... (65 bytes)");
}

TEST(DocumentsTest, FindsTemplateActionsOutsideQuotesCommentsAndBlockScalars) {
  EXPECT_EQ(FindTemplateLine("a: {{ .x }}\n"), 1u);
  EXPECT_EQ(FindTemplateLine("a: b\n{{- if .y }}\n"), 2u);
  EXPECT_FALSE(FindTemplateLine("a: \"{{ x }}\"\nb: '{{ y }}'\n# {{ z }}\n"));
  EXPECT_FALSE(FindTemplateLine("script: |\n  echo {{ x }}\n  more\n"));
  EXPECT_EQ(FindTemplateLine("script: |\n  echo {{ x }}\nname: {{ y }}\n"), 3u);
}

}  // namespace
}  // namespace tessera::io::internal
