// Consolidation with DRA pods (issue #6 part 5), hand-computed on two nodes of four GPUs
// published as DRA devices (gpu.example.com, pools n0 and n1, devices gpu-0 .. gpu-3). Running
// notebooks arrive as a live cluster has them: a pod naming the ResourceClaim the resource
// claim controller made from its template ("<pod>-gpu-x7k2p", allocated, reserved for the
// pod). A gang pod asks for four GPUs through its own template claim, so it needs a whole
// node: it fits only when a notebook's claim gives its GPU back and the notebook goes to the
// other node, where its claim is allocated anew.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "model/snapshot.h"

namespace tessera::engine {
namespace {

using model::GangKind;
using model::GangMemberSpec;
using model::GangObjects;
using model::GangSpec;
using model::Outcome;

constexpr char kDriver[] = "gpu.example.com";

struct DraCluster {
  model::SnapshotBuilder b;
  GangObjects gangs;

  // `nodes` nodes n0.. with 16 cpu and `gpus` devices each.
  DraCluster(int nodes, int gpus) {
    for (int n = 0; n < nodes; ++n) {
      const std::string name = "n" + std::to_string(n);
      b.AddNode({.name = name,
                 .labels = {{"kubernetes.io/hostname", name}},
                 .allocatable = {{"cpu", Quantity(int64_t{16'000})},
                                 {"memory", Quantity(int64_t{64} << 30)},
                                 {"pods", Quantity(int64_t{110})}}});
      model::ResourceSliceSpec slice{
          .name = name + "-gpus", .driver = kDriver, .pool = name, .node_name = name};
      for (int i = 0; i < gpus; ++i) slice.devices.push_back({.name = "gpu-" + std::to_string(i)});
      b.AddResourceSlice(slice);
    }
    b.AddDeviceClass({.name = "gpu", .selectors = {"device.driver == 'gpu.example.com'"}});
    model::ResourceClaimSpec four{.name = "4-gpus", .is_template = true};
    four.requests = {{.name = "gpu", .device_class_name = "gpu", .count = 4}};
    b.AddResourceClaim(four);
  }

  // A running notebook (priority 50: preemptible) on `node` whose claim `claim` holds
  // `devices` there. With claim = "<pod>-gpu-x7k2p" it is the claim the controller made
  // from the pod's template; otherwise a ResourceClaim of its own name (shared).
  void Notebook(const std::string& pod, const std::string& node,
                const std::vector<std::string>& devices, std::string claim = "") {
    if (claim.empty()) claim = pod + "-gpu-x7k2p";
    model::PodSpec p{.name = pod, .priority = 50, .creation_unix_seconds = 0};
    p.requests = {{"cpu", Quantity(int64_t{1'000})}};
    p.node_name = node;
    p.claims = {{.name = "gpu", .resource_claim_name = claim}};
    b.AddPod(p);
    model::ResourceClaimSpec c{.name = claim};
    c.requests = {
        {.name = "gpu", .device_class_name = "gpu", .count = static_cast<int64_t>(devices.size())}};
    c.allocated = true;
    for (const std::string& d : devices) {
      c.allocation.push_back({.request = "gpu", .driver = kDriver, .pool = node, .device = d});
    }
    c.reserved_for = {pod};
    b.AddResourceClaim(c);
  }

  // A Job gang `name` of `count` pods, each with its own claim of four GPUs.
  void Gang(const std::string& name, int count) {
    GangSpec gang{.name = name, .source = "test", .kind = GangKind::kJob};
    GangMemberSpec member{.name = "main"};
    for (int i = 0; i < count; ++i) {
      const std::string pod = name + "-" + std::to_string(i);
      model::PodSpec p{.name = pod, .creation_unix_seconds = 10};
      p.requests = {{"cpu", Quantity(int64_t{1'000})}};
      p.claims = {{.name = "gpus", .resource_claim_template_name = "4-gpus"}};
      b.AddPod(p);
      member.pod_names.push_back(pod);
    }
    gang.members.push_back(std::move(member));
    gangs.gangs.push_back(std::move(gang));
  }
};

struct DraRun {
  model::Snapshot snapshot;
  std::unique_ptr<model::Overlay> overlay;
  std::vector<int64_t> ledger_at_start;  // the overlay's device ledger after Create
  ScheduleResult result;

  const model::Decision& Of(const std::string& pod) const {
    return result.decisions[snapshot.FindPod("default", pod)->index()];
  }
  const model::ClaimAllocation& Claim(const std::string& name) const {
    auto it = std::find_if(result.claims.begin(), result.claims.end(),
                           [&](const model::ClaimAllocation& c) { return c.name == name; });
    EXPECT_NE(it, result.claims.end()) << name;
    return *it;
  }
  // "n1: gpu-1,gpu-2" for an allocated claim, "<none>" otherwise.
  std::string Devices(const std::string& claim) const {
    const model::ClaimAllocation& c = Claim(claim);
    if (!c.allocated) return "<none>";
    std::string out = (c.node.valid() ? snapshot.node_name(c.node) : std::string("?")) + ":";
    for (size_t i = 0; i < c.devices.size(); ++i) {
      out += (i == 0 ? " " : ",") + snapshot.devices().name[c.devices[i].device.index()];
    }
    return out;
  }
  std::string Users(const std::string& claim) const {
    std::string out;
    for (model::PodId p : Claim(claim).reserved_for)
      out += (out.empty() ? "" : ",") + snapshot.pod(p).name;
    return out;
  }
};

DraRun Schedule(DraCluster&& c, bool consolidate = true) {
  auto built = std::move(c.b).Build();
  EXPECT_TRUE(built.ok()) << built.error().ToString();
  DraRun run{std::move(built).value(), nullptr, {}, {}};
  run.overlay = std::make_unique<model::Overlay>(run.snapshot);
  auto engine = Engine::Create(
      run.snapshot, Options{.gangs = &c.gangs, .check = true, .consolidate = consolidate},
      run.overlay.get());
  EXPECT_TRUE(engine.ok()) << engine.error().ToString();
  const auto ledger = (*engine)->overlay().ledger();
  run.ledger_at_start.assign(ledger.begin(), ledger.end());
  run.result = (*engine)->ScheduleAll();
  // The invariant checker ran after every decision: gangs whole, no device used twice.
  EXPECT_EQ(run.result.check_error, "");
  return run;
}

// The overlay is what the snapshot alone gives (bound pods on their nodes) and the device
// ledger what Create left: the claims that arrived allocated, nothing else.
void ExpectUntouched(const DraRun& run) {
  model::Overlay fresh(run.snapshot);
  EXPECT_TRUE(std::ranges::equal(run.overlay->used_for_test(), fresh.used_for_test()));
  EXPECT_TRUE(std::ranges::equal(run.overlay->pod_nodes_for_test(), fresh.pod_nodes_for_test()));
  EXPECT_TRUE(std::ranges::equal(run.overlay->ledger(), run.ledger_at_start));
}

// Free GPUs: n0 [gpu-1..3] (nb-0 holds gpu-0), n1 [gpu-1..3] (nb-1 holds gpu-0). train-0
// needs 4 on one node. Both notebooks are candidates of equal size (1 device of 4); the
// first, nb-0, leaves: n0 is free, train-0 takes gpu-0..3 there, and nb-0's claim is
// allocated anew on n1, on its first free GPU, gpu-1. nb-1 is not needed and stays.
TEST(ConsolidationDraTest, MovesOneNotebookAndAllocatesItsClaimAnewOnTheOtherNode) {
  DraCluster c(2, 4);
  c.Notebook("nb-0", "n0", {"gpu-0"});
  c.Notebook("nb-1", "n1", {"gpu-0"});
  c.Gang("train", 1);
  DraRun run = Schedule(std::move(c));
  EXPECT_EQ(run.Of("train-0").outcome, Outcome::kPlaced);
  EXPECT_EQ(run.snapshot.node_name(run.Of("train-0").node), "n0");
  EXPECT_EQ(run.Devices("train-0-gpus"), "n0: gpu-0,gpu-1,gpu-2,gpu-3");
  EXPECT_EQ(run.Users("train-0-gpus"), "train-0");

  const model::Decision& moved = run.Of("nb-0");
  EXPECT_EQ(moved.outcome, Outcome::kMoved);
  EXPECT_EQ(run.snapshot.node_name(moved.node), "n1");
  EXPECT_EQ(moved.message,
            "moved from node n0 to n1 so that Job default/train fits (consolidation)");
  EXPECT_EQ(run.Devices("nb-0-gpu-x7k2p"), "n1: gpu-1");
  EXPECT_EQ(run.Users("nb-0-gpu-x7k2p"), "nb-0");

  EXPECT_EQ(run.Of("nb-1").outcome, Outcome::kBound);
  EXPECT_EQ(run.Devices("nb-1-gpu-x7k2p"), "n1: gpu-0");
}

// Without consolidation the gang waits, and the claims keep what they arrived with.
TEST(ConsolidationDraTest, WithoutConsolidationTheGangWaits) {
  DraCluster c(2, 4);
  c.Notebook("nb-0", "n0", {"gpu-0"});
  c.Notebook("nb-1", "n1", {"gpu-0"});
  c.Gang("train", 1);
  DraRun run = Schedule(std::move(c), /*consolidate=*/false);
  EXPECT_EQ(run.Of("train-0").outcome, Outcome::kWaiting);
  EXPECT_EQ(run.Of("nb-0").outcome, Outcome::kBound);
  ExpectUntouched(run);
}

// A notebook naming the claim its controller generated, in Kubernetes' name form
// "<pod>-<reference>-<suffix>", or in Tessera's own output form "<pod>-<reference>", moves.
TEST(ConsolidationDraTest, ClaimInTesserasOwnNameFormMovesToo) {
  DraCluster c(2, 4);
  c.Notebook("nb-0", "n0", {"gpu-0"}, "nb-0-gpu");
  c.Notebook("nb-1", "n1", {"gpu-0"}, "nb-1-gpu");
  c.Gang("train", 1);
  DraRun run = Schedule(std::move(c));
  EXPECT_EQ(run.Of("nb-0").outcome, Outcome::kMoved);
  EXPECT_EQ(run.Devices("nb-0-gpu"), "n1: gpu-1");
  EXPECT_EQ(run.Devices("train-0-gpus"), "n0: gpu-0,gpu-1,gpu-2,gpu-3");
}

// Shared claims (a ResourceClaim of its own name, which other pods may name too): moving the
// pod cannot move the claim's devices, so nothing moves and the gang waits; the overlay and
// every allocation are as they arrived.
TEST(ConsolidationDraTest, PodsWithSharedClaimsStayAndTheGangWaits) {
  DraCluster c(2, 4);
  c.Notebook("nb-0", "n0", {"gpu-0"}, "team-a-gpu");
  c.Notebook("nb-1", "n1", {"gpu-0"}, "team-b-gpu");
  c.Gang("train", 1);
  DraRun run = Schedule(std::move(c));
  EXPECT_EQ(run.Of("train-0").outcome, Outcome::kWaiting);
  EXPECT_EQ(run.Of("nb-0").outcome, Outcome::kBound);
  EXPECT_EQ(run.Of("nb-1").outcome, Outcome::kBound);
  EXPECT_EQ(run.Devices("team-a-gpu"), "n0: gpu-0");
  EXPECT_EQ(run.Devices("team-b-gpu"), "n1: gpu-0");
  EXPECT_EQ(run.Devices("train-0-gpus"), "<none>");
  ExpectUntouched(run);
}

// A claim in the controller's name form that a second pod also names is shared all the same.
TEST(ConsolidationDraTest, AClaimNamedByTwoPodsIsShared) {
  DraCluster c(2, 4);
  c.Notebook("nb-0", "n0", {"gpu-0"});
  c.Notebook("nb-1", "n1", {"gpu-0"}, "team-b-gpu");
  model::PodSpec sidecar{.name = "nb-0-sidecar", .priority = 50, .node_name = "n0"};
  sidecar.claims = {{.name = "gpu", .resource_claim_name = "nb-0-gpu-x7k2p"}};
  c.b.AddPod(sidecar);
  c.Gang("train", 1);
  DraRun run = Schedule(std::move(c));
  EXPECT_EQ(run.Of("train-0").outcome, Outcome::kWaiting);
  EXPECT_EQ(run.Of("nb-0").outcome, Outcome::kBound);
  ExpectUntouched(run);
}

// Every scenario fails: the notebooks hold 3 GPUs each (n0 gpu-0..2, n1 gpu-0..2). With nb-0
// moved, train-0 takes n0's four GPUs and nb-0 needs 3 where n1 has 1; with both moved,
// train-0 takes n0, nb-0 gets three of n1's four and nb-1 has nowhere to go. Each scenario
// is rolled back: the device ledger, node usage and bindings are bit for bit as they arrived.
TEST(ConsolidationDraTest, FailedScenariosRollBackDeviceAllocationsBitForBit) {
  DraCluster c(2, 4);
  c.Notebook("nb-0", "n0", {"gpu-0", "gpu-1", "gpu-2"});
  c.Notebook("nb-1", "n1", {"gpu-0", "gpu-1", "gpu-2"});
  c.Gang("train", 1);
  DraRun run = Schedule(std::move(c));
  EXPECT_EQ(run.Of("train-0").outcome, Outcome::kWaiting);
  EXPECT_EQ(run.Of("nb-0").outcome, Outcome::kBound);
  EXPECT_EQ(run.Of("nb-1").outcome, Outcome::kBound);
  EXPECT_EQ(run.Devices("nb-0-gpu-x7k2p"), "n0: gpu-0,gpu-1,gpu-2");
  EXPECT_EQ(run.Devices("nb-1-gpu-x7k2p"), "n1: gpu-0,gpu-1,gpu-2");
  EXPECT_EQ(run.Devices("train-0-gpus"), "<none>");
  ExpectUntouched(run);
}

// A victim that turns out not to be needed goes back onto its own devices. n0 holds nb-0a
// (gpu-0) and nb-0b (gpu-1, gpu-2), n1 holds nb-1 (gpu-0). Smallest first: nb-0a and nb-1
// (1 device of 4), then nb-0b (2). One victim (nb-0a) frees no node; two (nb-0a, nb-1) free
// n1, where train-0 takes all four GPUs. nb-0a's gpu-0 on n0 is still free: it stays there,
// with its own claim untouched. nb-1 goes to n0's last free GPU, gpu-3.
TEST(ConsolidationDraTest, AVictimNotNeededKeepsItsOwnDevices) {
  DraCluster c(2, 4);
  c.Notebook("nb-0a", "n0", {"gpu-0"});
  c.Notebook("nb-0b", "n0", {"gpu-1", "gpu-2"});
  c.Notebook("nb-1", "n1", {"gpu-0"});
  c.Gang("train", 1);
  DraRun run = Schedule(std::move(c));
  EXPECT_EQ(run.snapshot.node_name(run.Of("train-0").node), "n1");
  EXPECT_EQ(run.Devices("train-0-gpus"), "n1: gpu-0,gpu-1,gpu-2,gpu-3");
  EXPECT_EQ(run.Of("nb-1").outcome, Outcome::kMoved);
  EXPECT_EQ(run.Devices("nb-1-gpu-x7k2p"), "n0: gpu-3");
  EXPECT_EQ(run.Of("nb-0a").outcome, Outcome::kBound);
  EXPECT_EQ(run.Devices("nb-0a-gpu-x7k2p"), "n0: gpu-0");
  EXPECT_EQ(run.Of("nb-0b").outcome, Outcome::kBound);
  EXPECT_EQ(run.Devices("nb-0b-gpu-x7k2p"), "n0: gpu-1,gpu-2");
}

// A moved notebook can still be preempted later in the run, and then gives back the GPU its
// new claim holds (not the one it arrived with). nb-0 is a running one-pod job in a KAI
// Queue (priority 50) on n0 — movable, as a Kueue-admitted pod would not be — and nb-1 a
// plain notebook on n1; the gang train-0 moves nb-0 to n1 (gpu-1) and takes n0. Then job
// urgent in the same queue (priority 1000, one pod asking for three GPUs through its template
// claim) has no quota (1 cpu, which nb-0 holds) nor room (n1 has gpu-2 and gpu-3 free).
// Admission preempts nb-0's job, whose claim gives gpu-1 back: urgent takes
// gpu-1..3 on n1, and the ledger checks out (the invariant checker after the run recomputes it from
// the claims).
TEST(ConsolidationDraTest, AMovedNotebookPreemptedLaterGivesBackItsNewGpu) {
  DraCluster c(2, 4);
  c.Notebook("nb-0", "n0", {"gpu-0"});
  c.Notebook("nb-1", "n1", {"gpu-0"});
  c.Gang("train", 1);
  model::ResourceClaimSpec three{.name = "3-gpus", .is_template = true};
  three.requests = {{.name = "gpu", .device_class_name = "gpu", .count = 3}};
  c.b.AddResourceClaim(three);
  model::PodSpec urgent{.name = "urgent", .priority = 1000, .creation_unix_seconds = 20};
  urgent.requests = {{"cpu", Quantity(int64_t{1'000})}};
  urgent.claims = {{.name = "gpus", .resource_claim_template_name = "3-gpus"}};
  c.b.AddPod(urgent);

  // KAI's cpu quota is in millicores (1 cpu, no borrowing beyond it); KAI preempts lower
  // priorities within a queue.
  model::QueueObjects queues;
  queues.kai_queues.push_back({.name = "q",
                               .source = "test",
                               .resources = {{.resource = "gpu", .quota = -1},
                                             {.resource = "cpu", .quota = 1'000, .limit = 1'000},
                                             {.resource = "memory", .quota = -1}}});
  for (const auto& [pod, priority] :
       {std::pair<std::string, int32_t>{"nb-0", 50}, {"urgent", 1000}}) {
    model::WorkloadSpec w{
        .name = "pod-" + pod, .kai_queue = "q", .priority = priority, .creation_unix_seconds = 0};
    w.owner = {.api_version = "v1", .kind = "Pod", .name = pod};
    w.pod_sets.push_back({.name = "main", .count = 1, .pod_names = {pod}});
    queues.workloads.push_back(std::move(w));
  }

  auto built = std::move(c.b).Build();
  ASSERT_TRUE(built.ok()) << built.error().ToString();
  const model::Snapshot snapshot = std::move(built).value();
  model::Overlay overlay(snapshot);
  auto engine = Engine::Create(
      snapshot, Options{.queues = &queues, .gangs = &c.gangs, .check = true}, &overlay);
  ASSERT_TRUE(engine.ok()) << engine.error().ToString();
  const ScheduleResult result = (*engine)->ScheduleAll();
  EXPECT_EQ(result.check_error, "");
  auto of = [&](const std::string& pod) -> const model::Decision& {
    return result.decisions[snapshot.FindPod("default", pod)->index()];
  };
  EXPECT_EQ(snapshot.node_name(of("train-0").node), "n0");
  EXPECT_EQ(of("nb-0").outcome, Outcome::kPreempted);
  EXPECT_EQ(of("urgent").outcome, Outcome::kPlaced);
  EXPECT_EQ(snapshot.node_name(of("urgent").node), "n1");
  for (const model::ClaimAllocation& claim : result.claims) {
    std::string devices;
    for (const model::AllocatedDevice& d : claim.devices) {
      devices += (devices.empty() ? "" : ",") + snapshot.devices().name[d.device.index()];
    }
    if (claim.name == "urgent-gpus") {
      EXPECT_EQ(devices, "gpu-1,gpu-2,gpu-3");
    } else if (claim.name == "train-0-gpus") {
      EXPECT_EQ(devices, "gpu-0,gpu-1,gpu-2,gpu-3");
    } else if (claim.name == "nb-0-gpu-x7k2p") {
      EXPECT_FALSE(claim.allocated);
    }
  }
  EXPECT_EQ((*engine)->CheckInvariants(), "");
}

}  // namespace
}  // namespace tessera::engine
