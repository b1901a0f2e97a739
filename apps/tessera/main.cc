// The tessera command line: one subcommand per job (simulate, schedule, bench, version). Usage errors
// exit 2, invalid input 1; anything that escapes a subcommand is caught once here and exits 1.

#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "bench.h"
#include "exit_status.h"
#include "schedule.h"
#include "simulate.h"
#include "version.h"

namespace tessera::cli {
namespace {

int Main(int argc, char** argv) {
  CLI::App app("Tessera: a GPU-cluster scheduler that places Kubernetes pods offline.", "tessera");
  app.require_subcommand(1);
  app.footer(R"(Examples:
  tessera simulate
  tessera simulate --nodes openb_node_list_gpu_node.csv --pods openb_pod_list_default.csv \
      --policies best-fit,fgd,tessera --seeds 42-51
  tessera schedule -f examples/cluster/ -f examples/pods.yaml -o table
  kubectl get nodes,pods,priorityclasses -o json | tessera schedule -f -
  tessera bench dra-fill-100
  tessera version

Run 'tessera <command> --help' for a command's flags.)");
  // "error: <what>" like every other error, then a pointer to --help.
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    std::string message = "error: " + std::string(e.what()) + "\n";
    if (!failed->get_help_ptr()) return message;
    return message + "Run with " + failed->get_help_ptr()->get_name() + " for more information.\n";
  });

  ScheduleFlags schedule_flags;
  CLI::App* schedule = AddScheduleCommand(app, schedule_flags);
  SimulateFlags simulate_flags;
  CLI::App* simulate = AddSimulateCommand(app, simulate_flags);
  BenchFlags bench_flags;
  CLI::App* bench = AddBenchCommand(app, bench_flags);
  CLI::App* version = AddVersionCommand(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0 through here too; every real parse error is a usage error.
    const int status = app.exit(e, std::cout, std::cerr);
    return status == 0 ? kExitOk : kExitUsage;
  }

  if (schedule->parsed()) return RunSchedule(schedule_flags, std::cin, std::cout, std::cerr);
  if (simulate->parsed()) return RunSimulate(simulate_flags, std::cout, std::cerr);
  if (bench->parsed()) return RunBench(bench_flags, std::cout, std::cerr);
  if (version->parsed()) return RunVersion(std::cout);
  return kExitUsage;  // unreachable: require_subcommand(1)
}

}  // namespace
}  // namespace tessera::cli

int main(int argc, char** argv) {
  // The last-resort catch: a bug or an exception a library let through. Bad input is
  // reported by the subcommands as an Error and never reaches here.
  try {
    return tessera::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "error: unknown exception\n";
  }
  return tessera::cli::kExitInvalidInput;
}
