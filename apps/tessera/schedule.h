// `tessera schedule`: reads Kubernetes manifests (nodes, pods, priority classes), decides
// where every pending pod goes, and writes the pods back with spec.nodeName or a
// PodScheduled=False condition. Invariant: stdout carries only the decisions; errors and
// warnings go to stderr.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace tessera::cli {

// The flags of `schedule` as given on the command line; validated while parsing.
struct ScheduleFlags {
  std::vector<std::string> files;          // -f, repeatable; "-" is stdin
  std::string output = "yaml";             // -o: yaml, json or table
  std::string policy = "least-allocated";  // --policy
  bool check = false;                      // --check
  bool no_consolidation = false;           // --no-consolidation
};

// Registers `schedule` on `app`; parsing writes into `flags`, which must outlive `app`.
CLI::App* AddScheduleCommand(CLI::App& app, ScheduleFlags& flags);

// Runs `schedule` and returns the exit status (see exit_status.h): 0 when the input is
// valid, even if some pods fit nowhere; 1 with "error: <located error>" on `err` when it is
// not. `in` is what "-" reads.
int RunSchedule(const ScheduleFlags& flags, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace tessera::cli
