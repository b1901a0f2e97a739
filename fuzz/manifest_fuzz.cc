// Fuzz target for manifest intake: arbitrary bytes as a YAML (or JSON) stream on "-", the
// same path `tessera schedule -f -` takes. Errors are fine; crashes, hangs, exceptions that
// reach LoadManifests' last-resort handler (ErrorCode::kInternal) and unbounded error
// messages are bugs.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "base/check.h"
#include "io/manifests.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  tessera::io::LoadOptions options;
  options.stdin_stream = &in;
  const std::vector<std::string> paths = {"-"};
  auto loaded = tessera::io::LoadManifests(paths, options);
  if (loaded.ok()) {
    TESSERA_CHECK(loaded->pod_objects.size() == loaded->snapshot.num_pods())
        << loaded->pod_objects.size() << " pod objects for " << loaded->snapshot.num_pods()
        << " pods";
    return 0;
  }
  const tessera::Error& error = loaded.error();
  TESSERA_CHECK(error.code() != tessera::ErrorCode::kInternal) << error.ToString();
  // Values are quoted at most 64 bytes long and paths are at most 100 levels deep.
  TESSERA_CHECK(error.ToString().size() < 16 * 1024)
      << error.ToString().size() << " bytes: " << error.ToString().substr(0, 512);
  return 0;
}
