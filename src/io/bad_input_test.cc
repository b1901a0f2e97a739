// Every file in tests/bad-input/ must fail to load with exactly the error listed for it in
// tests/bad-input/expected.txt (`<file name><TAB><Error::ToString()>`), and every line there
// must name a file that exists. Paths are passed relative to the repository root, as the
// tests run there (CTest's working directory), so the messages start "tests/bad-input/...".
// The file name picks the reader: trace-nodes-*.csv, trace-pods-*.csv and
// trace-arrivals-*.csv go to the trace CSV readers, scenario-*.yaml to LoadScenario, and
// everything else to LoadManifests.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "io/manifests.h"
#include "io/trace.h"

namespace tessera::io {
namespace {

namespace fs = std::filesystem;

constexpr char kDir[] = "tests/bad-input";

// The repository root: the working directory if it holds tests/bad-input, else the source
// directory the build was configured from.
fs::path RepoRoot() {
  if (fs::exists(fs::path(kDir) / "expected.txt")) return fs::current_path();
  return fs::path(TESSERA_SOURCE_DIR);
}

// Loads `path` with the reader its file name `name` selects; the error text, or "" when the
// file loaded.
std::string LoadError(const std::string& name, const std::string& path) {
  auto error_of = [](const auto& result) {
    return result.ok() ? std::string() : result.error().ToString();
  };
  if (name.starts_with("trace-nodes-")) return error_of(LoadTraceNodes(path));
  if (name.starts_with("trace-pods-")) return error_of(LoadTraceTasks(path));
  if (name.starts_with("trace-arrivals-")) return error_of(LoadArrivals(path));
  if (name.starts_with("scenario-")) return error_of(LoadScenario(path));
  EXPECT_FALSE(name.ends_with(".csv")) << name << ": a CSV file must be named trace-nodes-*, "
                                       << "trace-pods-* or trace-arrivals-*";
  const std::vector<std::string> paths = {path};
  return error_of(LoadManifests(paths));
}

std::map<std::string, std::string> ReadExpected(const fs::path& file) {
  std::map<std::string, std::string> expected;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    EXPECT_NE(tab, std::string::npos) << "no TAB in expected.txt line: " << line;
    if (tab == std::string::npos) continue;
    EXPECT_TRUE(expected.emplace(line.substr(0, tab), line.substr(tab + 1)).second)
        << "listed twice: " << line.substr(0, tab);
  }
  return expected;
}

TEST(BadInputTest, EveryFileFailsWithItsExpectedError) {
  const fs::path root = RepoRoot();
  fs::current_path(root);
  const auto expected = ReadExpected(fs::path(kDir) / "expected.txt");
  ASSERT_GE(expected.size(), 22u);

  std::set<std::string> files;
  for (const auto& entry : fs::directory_iterator(kDir)) {
    const std::string name = entry.path().filename().string();
    if (name != "expected.txt") files.insert(name);
  }
  for (const std::string& name : files) {
    SCOPED_TRACE(name);
    auto it = expected.find(name);
    EXPECT_NE(it, expected.end()) << name << " is not listed in expected.txt";
    if (it == expected.end()) continue;
    const auto start = std::chrono::steady_clock::now();
    const std::string error = LoadError(name, std::string(kDir) + "/" + name);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(error.empty()) << name << " loaded without an error";
    EXPECT_EQ(error, it->second);
    // Hostile inputs (alias bomb, deep nesting) must fail fast, not merely eventually.
    EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 5);
  }
  for (const auto& [name, message] : expected) {
    EXPECT_TRUE(files.contains(name)) << "expected.txt lists a missing file: " << name;
  }
}

// Generated at run time rather than committed: a Pod whose name is 5 MB long.
TEST(BadInputTest, FiveMegabyteNameFailsWithAShortMessage) {
  const fs::path dir =
      fs::temp_directory_path() /
      ("tessera_bad_input_" +
       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(dir);
  const std::string file = (dir / "huge-name.yaml").generic_string();
  const size_t length = 5u << 20;
  {
    std::ofstream out(file, std::ios::binary);
    out << "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " << std::string(length, 'x')
        << "\nspec:\n  containers:\n  - name: main\n";
  }
  const std::vector<std::string> paths = {file};
  auto loaded = LoadManifests(paths);
  std::error_code ec;
  fs::remove_all(dir, ec);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().ToString(),
            file + ": Pod (document 1): metadata.name: \"" + std::string(64, 'x') + "\"... (" +
                std::to_string(length) +
                " bytes) is too long: must be no more than 253 characters");
  EXPECT_LT(loaded.error().ToString().size(), 400u);
}

// The same 5 MB value as a label key: the field path must not carry it either.
TEST(BadInputTest, FiveMegabyteLabelKeyIsTruncatedInTheFieldPath) {
  std::istringstream in("apiVersion: v1\nkind: Node\nmetadata:\n  name: n\n  labels:\n    " +
                        std::string(5u << 20, 'k') + ": v\n");
  LoadOptions options;
  options.stdin_stream = &in;
  const std::vector<std::string> paths = {"-"};
  auto loaded = LoadManifests(paths, options);
  ASSERT_FALSE(loaded.ok());
  EXPECT_LT(loaded.error().ToString().size(), 400u) << loaded.error().ToString().substr(0, 400);
}

}  // namespace
}  // namespace tessera::io
