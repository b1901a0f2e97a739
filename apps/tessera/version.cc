#include "version.h"

#include <ostream>

#include <CLI/CLI.hpp>

#include "exit_status.h"

#ifndef TESSERA_VERSION
#error "TESSERA_VERSION must be defined by apps/tessera/CMakeLists.txt"
#endif
#ifndef TESSERA_BUILD_TYPE
#define TESSERA_BUILD_TYPE "unknown"
#endif

namespace tessera::cli {

CLI::App* AddVersionCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("version", "Print the Tessera version and build type.");
  command->footer(R"(Examples:
  tessera version
  tessera version | head -n 1    # just "tessera <version>")");
  return command;
}

int RunVersion(std::ostream& out) {
  out << "tessera " << TESSERA_VERSION << '\n' << "build type: " << TESSERA_BUILD_TYPE << '\n';
  return kExitOk;
}

}  // namespace tessera::cli
