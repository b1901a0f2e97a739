// `tessera version`: the release and how this binary was built. Invariant: the first line is
// exactly "tessera <version>", so scripts can parse it.
#pragma once

#include <iosfwd>

namespace CLI {
class App;
}  // namespace CLI

namespace tessera::cli {

// Registers `version` on `app`.
CLI::App* AddVersionCommand(CLI::App& app);

// Prints "tessera <version>" and "build type: <type>"; returns 0.
int RunVersion(std::ostream& out);

}  // namespace tessera::cli
