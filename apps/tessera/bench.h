// `tessera bench`: runs named scenarios through the real engine, like a database benchmark
// driver runs named workloads, and prints one row per scenario (throughput, per-pod latency,
// peak memory, CPU per pod, and the Kubernetes figure it compares with). Invariant: stdout
// carries only the results; progress goes to stderr.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace tessera::cli {

// The flags of `bench` as given on the command line; validated while parsing.
struct BenchFlags {
  std::vector<std::string> scenarios;  // positional; empty or "all" runs every scenario
  std::string output = "table";        // -o: table or json
};

// Registers `bench` on `app`; parsing writes into `flags`, which must outlive `app`. An
// unknown scenario name is a usage error whose message lists the valid names.
CLI::App* AddBenchCommand(CLI::App& app, BenchFlags& flags);

// Runs the scenarios and returns the exit status (see exit_status.h): 0, or 2 when a
// scenario name is unknown (when the flags did not come through the parser).
int RunBench(const BenchFlags& flags, std::ostream& out, std::ostream& err);

}  // namespace tessera::cli
