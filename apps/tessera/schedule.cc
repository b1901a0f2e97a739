#include "schedule.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/engine.h"
#include "exit_status.h"
#include "io/decision_output.h"
#include "io/manifests.h"
#include "model/decision.h"
#include "model/overlay.h"
#include "model/snapshot.h"

namespace tessera::cli {
namespace {

// A CLI11 check that runs one of our parsers, so a bad value is a usage error (exit 2)
// carrying the parser's own message, which lists the valid names.
template <class Parse>
CLI::Validator ParsedBy(Parse parse, std::string name) {
  return CLI::Validator(
      [parse](std::string& value) -> std::string {
        auto parsed = parse(value);
        return parsed.ok() ? std::string() : parsed.error().message();
      },
      /*validator_desc=*/"", std::move(name));
}

}  // namespace

CLI::App* AddScheduleCommand(CLI::App& app, ScheduleFlags& flags) {
  CLI::App* command =
      app.add_subcommand("schedule", "Place pending pods on nodes, the way kube-scheduler would.");
  command
      ->add_option("-f,--filename", flags.files,
                   "Manifest file or folder (read recursively), or - for stdin; repeatable")
      ->required()
      ->allow_extra_args(false)  // one path per -f, like kubectl; a stray word is an error
      ->type_name("PATH");
  command
      ->add_option("-o,--output", flags.output,
                   fmt::format("Output format: {}", fmt::join(io::OutputFormatNames(), ", ")))
      ->type_name("FORMAT")
      ->capture_default_str()
      ->check(ParsedBy(io::ParseOutputFormat, "FORMAT"));
  command
      ->add_option("--policy", flags.policy,
                   fmt::format("Node scoring: {} (spread) or {} (pack)",
                               engine::ScorePolicyNames()[0], engine::ScorePolicyNames()[1]))
      ->type_name("POLICY")
      ->capture_default_str()
      ->check(ParsedBy(engine::ParseScorePolicy, "POLICY"));
  command->add_flag("--check", flags.check,
                    "Verify after every decision that no node, device or capacity is "
                    "over-allocated, gangs are whole and quotas hold (docs/robustness.md)");
  command->add_flag("--no-consolidation", flags.no_consolidation,
                    "Never move running pods to make room for a gang or a job queued in a KAI "
                    "Queue (KAI's consolidation is on by default: preemptible pods, priority "
                    "below 100, may move when they fit again)");
  command->footer(
      R"(Reads Nodes, Pods, PriorityClasses, DRA objects, Jobs, JobSets, Kueue queues,
Topologies and PodGroups from YAML or JSON manifests and writes every Pod back: with
spec.nodeName when it was placed, unchanged when it was already bound, or with a
PodScheduled=False condition saying why not. Jobs, JobSets and PodGroups are placed whole
(gangs) or not at all. Warnings go to stderr.

Exit status: 0 when the input is valid (even if some pods fit nowhere), 1 on invalid
input, 2 on usage errors, 3 when --check finds a broken invariant.

Examples:
  # The example cluster and pods, as a table
  tessera schedule -f examples/cluster/ -f examples/pods.yaml -o table
  # Pack pods onto the fullest nodes instead of spreading them, as JSON
  tessera schedule -f examples/cluster/ -f examples/pods.yaml --policy most-allocated -o json
  # Gangs with topology constraints on 2 blocks x 4 racks, checking every invariant
  tessera schedule -f examples/gangs/ -o table --check
  # What a live cluster's pending pods would do (manifests on stdin)
  kubectl get nodes,pods,priorityclasses -o json | tessera schedule -f - -o table)");
  return command;
}

int RunSchedule(const ScheduleFlags& flags, std::istream& in, std::ostream& out,
                std::ostream& err) {
  // Both were checked while parsing; a failure here means the flags came from elsewhere.
  Result<io::OutputFormat> format = io::ParseOutputFormat(flags.output);
  if (!format.ok()) {
    err << "error: " << format.error().message() << '\n';
    return kExitUsage;
  }
  Result<engine::ScorePolicy> policy = engine::ParseScorePolicy(flags.policy);
  if (!policy.ok()) {
    err << "error: " << policy.error().message() << '\n';
    return kExitUsage;
  }

  io::LoadOptions load_options;
  load_options.stdin_stream = &in;
  Result<io::LoadedManifests> loaded = io::LoadManifests(flags.files, load_options);
  if (!loaded.ok()) {
    err << "error: " << loaded.error().ToString() << '\n';
    return kExitInvalidInput;
  }
  for (const std::string& warning : loaded->warnings) err << "warning: " << warning << '\n';

  engine::Options options;
  options.policy = *policy;
  model::QueueObjects& queues = loaded->queues;
  if (!queues.cluster_queues.empty() || !queues.local_queues.empty() || !queues.workloads.empty() ||
      !queues.kai_queues.empty()) {
    options.queues = &queues;
  }
  if (!queues.kai_queues.empty()) {
    // KAI divides the cluster's idle resources over its queues by overQuotaWeight: give the
    // admitter the cluster's size, and order by weighted share when only KAI queues exist.
    const model::Snapshot& snapshot = loaded->snapshot;
    for (std::string_view name : {"nvidia.com/gpu", "cpu", "memory"}) {
      int64_t total = 0;
      for (size_t r = 0; r < snapshot.num_resources(); ++r) {
        if (snapshot.resource_name(model::ResourceId::FromIndex(r)) != name) continue;
        for (size_t n = 0; n < snapshot.num_nodes(); ++n) {
          total += snapshot.allocatable(model::NodeId::FromIndex(n))[r].value();
        }
      }
      queues.kai_cluster_capacity.emplace_back(std::string(name), total);
    }
    options.fair_sharing = queues.cluster_queues.empty();
  }
  options.gangs = &loaded->gangs;
  options.check = flags.check;
  options.consolidate = !flags.no_consolidation;
  auto engine = engine::Engine::Create(loaded->snapshot, options);
  if (!engine.ok()) {
    err << "error: " << engine.error().ToString() << '\n';
    return kExitInvalidInput;
  }
  const engine::ScheduleResult result = (*engine)->ScheduleAll();
  for (const std::string& warning : result.warnings) err << "warning: " << warning << '\n';
  if (flags.check) {
    if (!result.check_error.empty()) {
      err << "error: --check: invariant broken: " << result.check_error << '\n';
      return kExitInternal;
    }
    err << fmt::format("--check: every invariant held after each of {} decisions\n",
                       result.checked_decisions);
  }
  io::WriteDecisions(*loaded, result.decisions, result.claims, result.workloads, *format, out);
  out.flush();
  if (!out) {
    err << "error: cannot write the output\n";
    return kExitInvalidInput;
  }
  return kExitOk;
}

}  // namespace tessera::cli
