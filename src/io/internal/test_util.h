// Helpers the io tests share: manifests from a string, an error's text, a temporary folder.
// Test-only; included by *_test.cc files of this module.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/status.h"
#include "io/manifests.h"

namespace tessera::io::test_util {

// Loads `text` as if it came on stdin ("-").
inline Result<LoadedManifests> LoadString(const std::string& text) {
  std::istringstream in(text);
  LoadOptions options;
  options.stdin_stream = &in;
  const std::vector<std::string> paths = {"-"};
  return LoadManifests(paths, options);
}

// "OK", or the error's full text: for messages in failed assertions.
template <class T>
std::string ErrorOf(const Result<T>& result) {
  return result.ok() ? std::string("OK") : result.error().ToString();
}

// A temporary folder removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ =
        std::filesystem::temp_directory_path() /
        ("tessera_io_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + std::to_string(stamp));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to `relative` (parent folders created) and returns the file's path.
  std::string Write(const std::string& relative, const std::string& text) const {
    const std::filesystem::path p = path_ / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.generic_string();
  }
  std::string path() const { return path_.generic_string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace tessera::io::test_util
