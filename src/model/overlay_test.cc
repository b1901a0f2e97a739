#include "model/overlay.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "testing/cluster_builder.h"

namespace tessera::model {
namespace {

using testing::ClusterBuilder;

TEST(OverlayTest, StartsFromBoundUsageAndReservesRequests) {
  ClusterBuilder b;
  b.Node("n").Cpu("4").Memory("8Gi").Pods("10");
  b.Pod("running").Cpu("1").OnNode("n");
  b.Pod("p").Cpu("500m").Memory("1Gi");
  Snapshot s = std::move(b).Build();
  Overlay overlay(s);
  EXPECT_EQ(overlay.used(NodeId(0), kCpu), Quantity(1000));
  overlay.Reserve(PodId(1), NodeId(0));
  EXPECT_EQ(overlay.used(NodeId(0), kCpu), Quantity(1500));
  EXPECT_EQ(overlay.used(NodeId(0), kMemory), Quantity(int64_t{1} << 30));
  EXPECT_EQ(overlay.used(NodeId(0), kPods), Quantity(2));
  EXPECT_EQ(overlay.node_of(PodId(1)), NodeId(0));
}

TEST(OverlayTest, RollbackRestoresEveryBitAfterRandomReservations) {
  // 50 nodes, 400 pods; reserve random subsets, roll back to random marks, and compare
  // the raw state with a copy taken at each mark.
  ClusterBuilder b;
  for (int n = 0; n < 50; ++n) b.Node("n" + std::to_string(n)).Cpu("64").Memory("256Gi");
  for (int p = 0; p < 400; ++p) {
    b.Pod("p" + std::to_string(p)).Cpu(std::to_string(p % 7 + 1)).Memory(std::to_string(p % 5) + "Gi");
  }
  Snapshot s = std::move(b).Build();
  Overlay overlay(s);
  std::mt19937 rng(42);
  size_t next_pod = 0;
  for (int round = 0; round < 40 && next_pod < s.num_pods(); ++round) {
    Overlay::Mark mark = overlay.mark();
    std::vector<Quantity> used(overlay.used_for_test().begin(), overlay.used_for_test().end());
    std::vector<NodeId> nodes(overlay.pod_nodes_for_test().begin(),
                              overlay.pod_nodes_for_test().end());
    size_t first = next_pod;
    for (int k = 0; k < 8 && next_pod < s.num_pods(); ++k, ++next_pod) {
      overlay.Reserve(PodId::FromIndex(next_pod), NodeId::FromIndex(rng() % 50));
    }
    if (round % 2 == 0) {
      overlay.RollbackTo(mark);
      EXPECT_TRUE(std::equal(used.begin(), used.end(), overlay.used_for_test().begin()));
      EXPECT_TRUE(std::equal(nodes.begin(), nodes.end(), overlay.pod_nodes_for_test().begin()));
      next_pod = first;  // the same pods are free again
      ++next_pod;        // skip one so the loop advances
    } else {
      overlay.Commit();
      EXPECT_EQ(overlay.mark(), 0u);
    }
  }
}

TEST(OverlayTest, LedgerChangesRollBackWithReservations) {
  ClusterBuilder b;
  b.Node("n").Cpu("4");
  b.Pod("p").Cpu("1");
  Snapshot s = std::move(b).Build();
  Overlay overlay(s);
  overlay.ResizeLedger(3);
  overlay.AddToLedger(1, 5);
  overlay.Commit();
  Overlay::Mark mark = overlay.mark();
  overlay.AddToLedger(1, 2);
  overlay.Reserve(PodId(0), NodeId(0));
  overlay.AddToLedger(2, -7);
  EXPECT_EQ(overlay.ledger(1), 7);
  EXPECT_EQ(overlay.ledger(2), -7);
  overlay.RollbackTo(mark);
  EXPECT_EQ(overlay.ledger(1), 5);
  EXPECT_EQ(overlay.ledger(2), 0);
  EXPECT_FALSE(overlay.node_of(PodId(0)).valid());
  EXPECT_EQ(overlay.used(NodeId(0), kCpu), Quantity(0));
}

TEST(OverlayDeathTest, ReservingABoundPodIsABug) {
  ClusterBuilder b;
  b.Node("n").Cpu("4");
  b.Pod("running").Cpu("1").OnNode("n");
  Snapshot s = std::move(b).Build();
  Overlay overlay(s);
  EXPECT_DEATH(overlay.Reserve(PodId(0), NodeId(0)), "already bound");
}

}  // namespace
}  // namespace tessera::model
