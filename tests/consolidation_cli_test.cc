// Consolidation with DRA pods through the built binary (TESSERA_BIN): examples/consolidation-dra
// holds three nodes of four DRA GPUs, two running notebooks whose GPUs come from their own
// template claims (as a live cluster has them: a generated ResourceClaim, allocated and
// reserved for the pod) and a JobSet of two 4-GPU workers. One notebook moves; its claim is
// allocated anew on its new node, and the printed objects say so.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tessera_runner.h"

namespace tessera {
namespace {

namespace fs = std::filesystem;

constexpr int kExitOk = 0;

using cli_testing::RunResult;
using cli_testing::Scratch;
using cli_testing::Tessera;
using cli_testing::WriteFile;

// The YAML document (between "---" lines) of `kind` whose metadata.name is `name`, or "".
std::string Document(const std::string& yaml, const std::string& kind, const std::string& name) {
  size_t at = 0;
  while (true) {
    const size_t begin = at;
    size_t end = yaml.find("\n---", begin);
    if (end == std::string::npos) end = yaml.size();
    const std::string doc = yaml.substr(begin, end - begin);
    if (doc.find("kind: " + kind + "\n") != std::string::npos &&
        doc.find("\n  name: " + name + "\n") != std::string::npos) {
      return doc;
    }
    if (end == yaml.size()) return "";
    at = end + 4;
  }
}

TEST(ConsolidationCliTest, MovesANotebookAndAllocatesItsClaimAnewOnTheNewNode) {
  RunResult r = Tessera("schedule -f examples/consolidation-dra/ -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  // notebook-0 and notebook-1 are equal candidates (one GPU of four each); notebook-0 goes
  // first: gpu-node-0 is then whole for one worker, gpu-node-2 takes the other, and
  // notebook-0's claim gets the first free GPU of gpu-node-1, gpu-1.
  EXPECT_EQ(
      r.out,
      "NAMESPACE   POD                 NODE         STATUS      REASON\n"
      "default     notebook-0          gpu-node-1   Moved       moved from node gpu-node-0 "
      "to gpu-node-1 so that JobSet default/train fits (consolidation)\n"
      "default     notebook-1          gpu-node-1   Running\n"
      "default     train-workers-0-0   gpu-node-0   Scheduled\n"
      "default     train-workers-0-1   gpu-node-2   Scheduled\n"
      "\n"
      "NAMESPACE   CLAIM                    DEVICES                   STATUS      RESERVED FOR\n"
      "default     notebook-0-gpu-7xk2p     gpu-1                     Allocated   notebook-0\n"
      "default     notebook-1-gpu-q9w4m     gpu-0                     Allocated   notebook-1\n"
      "default     train-workers-0-0-gpus   gpu-0,gpu-1,gpu-2,gpu-3   Allocated   "
      "train-workers-0-0\n"
      "default     train-workers-0-1-gpus   gpu-0,gpu-1,gpu-2,gpu-3   Allocated   "
      "train-workers-0-1\n");
  // Without consolidation the JobSet waits and the notebooks keep their GPUs.
  RunResult off = Tessera("schedule -f examples/consolidation-dra/ -o table --no-consolidation");
  ASSERT_EQ(off.status, kExitOk) << off.err;
  EXPECT_EQ(off.out.find("Moved"), std::string::npos) << off.out;
  EXPECT_NE(off.out.find("train-workers-0-0   <none>       Pending"), std::string::npos) << off.out;
  EXPECT_NE(off.out.find("notebook-0-gpu-7xk2p     gpu-0 "), std::string::npos) << off.out;
}

TEST(ConsolidationCliTest, YamlShowsTheNewNodeTheConditionAndTheClaimOnTheNewNode) {
  RunResult r = Tessera("schedule -f examples/consolidation-dra/ --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const std::string pod = Document(r.out, "Pod", "notebook-0");
  ASSERT_NE(pod, "") << r.out;
  EXPECT_NE(pod.find("nodeName: gpu-node-1"), std::string::npos) << pod;
  EXPECT_NE(pod.find("reason: Consolidation"), std::string::npos) << pod;
  EXPECT_NE(pod.find("resourceClaimName: notebook-0-gpu-7xk2p"), std::string::npos) << pod;
  const std::string claim = Document(r.out, "ResourceClaim", "notebook-0-gpu-7xk2p");
  ASSERT_NE(claim, "") << r.out;
  EXPECT_NE(claim.find("pool: gpu-node-1\n"), std::string::npos) << claim;
  EXPECT_NE(claim.find("device: gpu-1\n"), std::string::npos) << claim;
  EXPECT_EQ(claim.find("gpu-node-0"), std::string::npos) << claim;
  EXPECT_NE(claim.find("name: notebook-0\n"), std::string::npos) << claim;  // reservedFor
}

// Read back with the cluster, the output is the cluster as the run left it: every pod
// running where it was put, every claim allocated as printed, nothing to move.
TEST(ConsolidationCliTest, OutputReadBackIsConsistent) {
  RunResult first = Tessera("schedule -f examples/consolidation-dra/ --check");
  ASSERT_EQ(first.status, kExitOk) << first.err;
  const fs::path dir = Scratch() / "consolidation-dra";
  fs::create_directories(dir);
  WriteFile(dir / "state.yaml", first.out);
  RunResult again = Tessera("schedule -f examples/consolidation-dra/cluster.yaml -f " +
                            (dir / "state.yaml").string() + " -o table --check");
  ASSERT_EQ(again.status, kExitOk) << again.err;
  EXPECT_EQ(
      again.out,
      "NAMESPACE   POD                 NODE         STATUS    REASON\n"
      "default     notebook-0          gpu-node-1   Running\n"
      "default     notebook-1          gpu-node-1   Running\n"
      "default     train-workers-0-0   gpu-node-0   Running\n"
      "default     train-workers-0-1   gpu-node-2   Running\n"
      "\n"
      "NAMESPACE   CLAIM                    DEVICES                   STATUS      RESERVED FOR\n"
      "default     notebook-0-gpu-7xk2p     gpu-1                     Allocated   notebook-0\n"
      "default     notebook-1-gpu-q9w4m     gpu-0                     Allocated   notebook-1\n"
      "default     train-workers-0-0-gpus   gpu-0,gpu-1,gpu-2,gpu-3   Allocated   "
      "train-workers-0-0\n"
      "default     train-workers-0-1-gpus   gpu-0,gpu-1,gpu-2,gpu-3   Allocated   "
      "train-workers-0-1\n");
}

// examples/kai-consolidation: two notebooks (one-pod jobs in KAI queue `interactive`) on
// gpu-0 and gpu-1 with 2 GPUs each; a job of two 8-GPU workers in queue `train`, within its
// deserved 16 GPUs. KAI consolidates for a queued job that has quota but no placement:
// notebook-a moves next to notebook-b, and gpu-0 and gpu-2 take the workers. Without
// consolidation the job waits.
TEST(ConsolidationCliTest, KaiQueuedJobMovesANotebook) {
  RunResult r = Tessera("schedule -f examples/kai-consolidation/ -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAMESPACE   POD          NODE    STATUS      REASON\n"
            "default     notebook-a   gpu-1   Moved       moved from node gpu-0 to gpu-1 so that "
            "pod group default/pg-train fits (consolidation)\n"
            "default     notebook-b   gpu-1   Running\n"
            "default     train-0      gpu-0   Scheduled\n"
            "default     train-1      gpu-2   Scheduled\n"
            "\n"
            "NAMESPACE   PODGROUP        QUEUE         STATUS     REASON\n"
            "default     pg-notebook-a   interactive   Admitted\n"
            "default     pg-notebook-b   interactive   Admitted\n"
            "default     pg-train        train         Admitted\n");
  RunResult off = Tessera("schedule -f examples/kai-consolidation/ -o table --no-consolidation");
  ASSERT_EQ(off.status, kExitOk) << off.err;
  EXPECT_EQ(off.out.find("Moved"), std::string::npos) << off.out;
  EXPECT_NE(off.out.find("pg-train        train         Pending    quota available, no placement"),
            std::string::npos)
      << off.out;
}

}  // namespace
}  // namespace tessera
