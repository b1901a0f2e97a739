// Every CEL selector in the upstream example manifests (../shared/reference/k8s-examples/dra)
// compiles, and evaluates on the fixture to what a reader of the manifest expects.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "dra/cel/cel.h"
#include "dra/cel/cel_test_fixture.h"

namespace tessera::dra::cel {
namespace {

using testing::BuildCelFixture;
using testing::FixtureDevice;

struct Found {
  std::string file;
  std::string expression;
};

size_t Indent(const std::string& line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t n = 0;
  while (n < s.size() && s[n] == ' ') ++n;
  return s.substr(n);
}

// Extracts `expression:` values from YAML text: plain, single- or double-quoted scalars and
// literal/folded block scalars. Enough for the example manifests; not a YAML parser.
std::vector<std::string> ExtractExpressions(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    size_t key = line.find("expression:");
    if (key == std::string::npos || Trim(line).rfind("expression:", 0) != 0) continue;
    std::string value = Trim(line.substr(key + 11));
    if (!value.empty() && (value[0] == '|' || value[0] == '>')) {
      bool folded = value[0] == '>';
      size_t indent = Indent(line);
      std::string block;
      for (size_t j = i + 1; j < lines.size(); ++j) {
        if (!Trim(lines[j]).empty() && Indent(lines[j]) <= indent) break;
        if (!block.empty()) block += folded ? " " : "\n";
        block += Trim(lines[j]);
      }
      out.push_back(Trim(block));
    } else if (!value.empty() && value[0] == '"') {
      std::string s;
      for (size_t k = 1; k < value.size() && value[k] != '"'; ++k) {
        if (value[k] == '\\' && k + 1 < value.size()) ++k;
        s += value[k];
      }
      out.push_back(s);
    } else if (!value.empty() && value[0] == '\'') {
      std::string s;
      for (size_t k = 1; k < value.size(); ++k) {
        if (value[k] == '\'') {
          if (k + 1 < value.size() && value[k + 1] == '\'') {
            s += '\'';
            ++k;
            continue;
          }
          break;
        }
        s += value[k];
      }
      out.push_back(s);
    } else {
      out.push_back(value);
    }
  }
  return out;
}

// What a reader expects on the fixture, per device of the selector's own driver: T(rue),
// F(alse) or E(rror: the selector names an attribute that device does not publish, which
// the device class's driver/type check would have filtered out first). Keyed by a substring
// of the expression; the first matching key wins.
const std::vector<std::pair<std::string, std::map<std::string, char>>>& Expectations() {
  static const auto* table = new std::vector<std::pair<std::string, std::map<std::string, char>>>{
      {"model == 'BLEEDING-EDGE-GPU'", {{"ex-0", 'F'}}},
      {"compareTo(quantity('1Ti'))", {{"ex-0", 'F'}}},
      {"model == 'LATEST-GPU-MODEL'", {{"ex-0", 'T'}}},
      {"compareTo(quantity('4Gi'))", {{"ex-0", 'T'}}},
      {"device.attributes[\"driver.example.com\"].type == \"gpu\"", {{"drv-0", 'T'}}},
      {"profile == '1g.12gb'", {{"gpu-0", 'F'}, {"gpu-1", 'F'}, {"mig-0", 'F'}}},
      {"isLessThan(quantity(\"30\"))", {{"gpu-0", 'E'}, {"mig-0", 'T'}}},
      {"isGreaterThan(quantity(\"50\"))", {{"gpu-0", 'E'}, {"mig-0", 'F'}}},
      {"multiprocessors.isGreaterThan(quantity(\"10\"))", {{"gpu-0", 'E'}, {"mig-0", 'F'}}},
      {"matches('^.*a100.*$')", {{"gpu-0", 'T'}, {"gpu-1", 'F'}, {"mig-0", 'E'}}},
      {"profile == '1g.5gb'", {{"gpu-0", 'E'}, {"mig-0", 'T'}}},
      {"profile == '2g.10gb'", {{"gpu-0", 'E'}, {"mig-0", 'F'}}},
      {"profile == '3g.20gb'", {{"gpu-0", 'E'}, {"mig-0", 'F'}}},
      {"type == 'mig'", {{"gpu-0", 'F'}, {"gpu-1", 'F'}, {"mig-0", 'T'}, {"ex-0", 'F'}}},
      {"type == 'gpu'", {{"gpu-0", 'T'}, {"gpu-1", 'T'}, {"mig-0", 'F'}, {"ex-0", 'F'}}},
      {"allowMultipleAllocations == true", {{"share-0", 'T'}, {"gpu-0", 'F'}}},
      {"counters.compareTo(quantity('2')) >= 0", {{"share-0", 'T'}}},
      {"device.driver == \"test-driver.cdi.k8s.io\"", {{"share-0", 'T'}, {"gpu-0", 'F'}}},
  };
  return *table;
}

TEST(CelExamplesTest, EveryUpstreamSelectorCompilesAndAnswersAsExpected) {
  const std::filesystem::path root =
      std::filesystem::path(TESSERA_SHARED_DIR) / "reference" / "k8s-examples" / "dra";
  if (!std::filesystem::exists(root)) {
    GTEST_SKIP() << "shared reference examples not found at " << root;
  }
  std::vector<Found> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::string& e : ExtractExpressions(text)) found.push_back({entry.path().string(), e});
  }
  ASSERT_GE(found.size(), 21u);

  model::Snapshot snapshot = BuildCelFixture();
  EvalScratch scratch;
  for (const Found& f : found) {
    SCOPED_TRACE(f.file + ": " + f.expression);
    Result<Program> program = Compile(f.expression, snapshot);
    ASSERT_TRUE(program.ok()) << program.error().message();
    const std::map<std::string, char>* expected = nullptr;
    for (const auto& [key, answers] : Expectations()) {
      if (f.expression.find(key) != std::string::npos) {
        expected = &answers;
        break;
      }
    }
    ASSERT_NE(expected, nullptr) << "no expectation for this selector";
    for (const auto& [device, answer] : *expected) {
      Result<bool> r = Evaluate(*program, snapshot, FixtureDevice(snapshot, device), scratch);
      char got = r.ok() ? (*r ? 'T' : 'F') : 'E';
      EXPECT_EQ(got, answer) << "on " << device
                             << (r.ok() ? std::string() : ": " + r.error().message());
      if (!r.ok()) {
        EXPECT_NE(r.error().message().find("no such key"), std::string::npos);
      }
    }
  }
}

}  // namespace
}  // namespace tessera::dra::cel
