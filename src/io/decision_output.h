// Decisions as Kubernetes output: each input Pod echoed back as read, with spec.nodeName set
// when this run placed it, or with a PodScheduled=False condition carrying kube-scheduler's
// "0/N nodes are available: ..." message when it fits nowhere. Three renderings: a YAML
// document stream, a JSON v1 List, and a kubectl-style table.
// Invariant: output never mutates LoadedManifests; every Pod object is cloned before editing.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "io/manifests.h"
#include "model/decision.h"
#include "model/snapshot.h"

namespace tessera::io {

// kube-scheduler's FitError text for a pod that fits no node, e.g.
//   0/3 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 2 Insufficient
//   nvidia.com/gpu.
// Each entry is "<nodes> <text>"; entries whose text is equal are summed (two nodes with the
// same taint count once each under one entry, as kube does), then sorted as plain strings
// (so "10 ..." sorts before "2 ..." exactly like Go's sort.Strings) and joined with ", ".
// N is decision.nodes_total; with 0 nodes the message is
// "0/0 nodes are available: no nodes in the cluster.".
// DRA reasons name the claim and request: "node(s) cannot allocate claim train-0-gpu request
// gpu: not enough free matching devices" (`claims` are the run's claims, indexed by the
// reasons' arg).
std::string UnschedulableMessage(const model::Snapshot& snapshot, const model::Decision& decision,
                                 std::span<const model::ClaimAllocation> claims = {});

enum class OutputFormat : uint8_t { kYaml, kJson, kTable };

// "yaml", "json" or "table"; an error lists the valid names.
Result<OutputFormat> ParseOutputFormat(std::string_view name);
std::span<const std::string_view> OutputFormatNames();

// Writes one entry per input Pod, in input order. Requires: decisions[i].pod is PodId i for
// every pod of manifests.snapshot (as engine::ScheduleAll returns them).
//  - kYaml: a YAML stream, one document per Pod, "---" between documents.
//  - kJson: {"apiVersion": "v1", "kind": "List", "items": [...]} indented by 2 spaces. Plain
//    (unquoted) YAML scalars are typed by the YAML 1.2 core schema (null, bool, int, float;
//    .inf/.nan stay strings because JSON has no such numbers); quoted scalars stay strings.
//  - kTable: NAMESPACE POD NODE STATUS REASON, columns padded like kubectl (3 spaces).
// Scalars that were quoted in the input and would read as something else unquoted
// ("true", "3", "") are written quoted, so the YAML means what the input meant.
// After the Pods come the run's claims as resource.k8s.io/v1 ResourceClaims (claims made
// from templates named "<pod>-<claim>", with the annotation and owner reference the resource
// claim controller sets) with status.allocation (devices.results, devices.config,
// nodeSelector) and status.reservedFor; the table lists them in a second table.
void WriteDecisions(const LoadedManifests& manifests, std::span<const model::Decision> decisions,
                    std::span<const model::ClaimAllocation> claims, OutputFormat format,
                    std::ostream& out);
void WriteDecisions(const LoadedManifests& manifests, std::span<const model::Decision> decisions,
                    OutputFormat format, std::ostream& out);
// As above, followed by a kueue.x-k8s.io/v1beta2 Workload per queued workload (one that
// names a LocalQueue; `workloads[i].workload` indexes manifests.queues.workloads) with
// spec.queueName/priority/podSets, status.admission (clusterQueue, podSetAssignments with
// flavors, resourceUsage and count) and the QuotaReserved and Admitted conditions; a pending
// workload has QuotaReserved=False (reason Pending) with why. Pods of a workload that was
// not admitted carry PodScheduled=False with reason SchedulingGated and that message. The
// table adds a third table of workloads.
void WriteDecisions(const LoadedManifests& manifests, std::span<const model::Decision> decisions,
                    std::span<const model::ClaimAllocation> claims,
                    std::span<const model::WorkloadDecision> workloads, OutputFormat format,
                    std::ostream& out);

}  // namespace tessera::io
