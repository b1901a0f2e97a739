// Runs the built `tessera` binary the way a user would, for the tests in tests/: one place
// for the shell quoting, the scratch folder and the exit-status handling. Test-only.
// Requires the compile definitions TESSERA_BIN and TESSERA_SOURCE_DIR (tests/CMakeLists.txt).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace tessera::cli_testing {

namespace fs = std::filesystem;

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void WriteFile(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// Single-quotes `s` for /bin/sh.
inline std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// A private scratch folder for this test process, removed at exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "tessera_test.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline const fs::path& Scratch() {
  static const ScratchDir dir;
  return dir.path();
}

inline fs::path SourcePath(std::string_view relative) {
  return fs::path(TESSERA_SOURCE_DIR) / relative;
}

struct RunResult {
  int status = -1;  // the exit status, or -1 when the process did not exit normally
  std::string out;
  std::string err;
};

// Runs `tessera <args>` (shell words, already quoted) in the repository root, with
// `stdin_text` as standard input.
inline RunResult Tessera(const std::string& args, std::string_view stdin_text = "") {
  const fs::path in = Scratch() / "stdin";
  const fs::path out = Scratch() / "stdout";
  const fs::path err = Scratch() / "stderr";
  WriteFile(in, stdin_text);
  const std::string command = "cd " + ShellQuote(TESSERA_SOURCE_DIR) + " && " +
                              ShellQuote(TESSERA_BIN) + " " + args + " <" +
                              ShellQuote(in.string()) + " >" + ShellQuote(out.string()) + " 2>" +
                              ShellQuote(err.string());
  const int wait_status = std::system(command.c_str());
  RunResult result;
  if (wait_status != -1 && WIFEXITED(wait_status)) result.status = WEXITSTATUS(wait_status);
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  return result;
}

}  // namespace tessera::cli_testing
