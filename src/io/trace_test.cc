#include "io/trace.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "io/internal/test_util.h"

namespace tessera::io {
namespace {

using test_util::ErrorOf;
using test_util::LoadString;
using test_util::TempDir;

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

const fs::path kOpenb = fs::path(TESSERA_SHARED_DIR) / "traces" / "openb";
const fs::path kArrivals = fs::path(TESSERA_SHARED_DIR) / "reference" / "fgd-seed42-default" /
                           "openb_default_seed42_arrivals.csv";

#define SKIP_WITHOUT(path)                                                       \
  if (!fs::exists(path)) {                                                       \
    GTEST_SKIP() << (path)                                                       \
                 << " not found (the shared data lives in ../shared beside the " \
                    "repository)";                                               \
  }

int64_t GpuMilliDemand(const std::vector<model::TraceTask>& tasks) {
  int64_t total = 0;
  for (const model::TraceTask& t : tasks) total += int64_t{t.num_gpu} * t.gpu_milli;
  return total;
}

// --- the openb trace files ---------------------------------------------------------------

TEST(TraceFilesTest, GpuNodeListMatchesTheReadme) {
  const fs::path file = kOpenb / "openb_node_list_gpu_node.csv";
  SKIP_WITHOUT(file);
  auto nodes = LoadTraceNodes(file.string());
  ASSERT_TRUE(nodes.ok()) << ErrorOf(nodes);
  ASSERT_EQ(nodes->size(), 1213u);
  int64_t gpus = 0, cpu_milli = 0, memory_mib = 0;
  std::map<std::string, int> machines_by_model;
  for (const model::TraceNode& n : *nodes) {
    gpus += n.gpus;
    cpu_milli += n.cpu_milli;
    memory_mib += n.memory_mib;
    ++machines_by_model[n.gpu_model];
    EXPECT_GT(n.gpus, 0) << n.name;
    EXPECT_TRUE(n.labels.empty());
  }
  EXPECT_EQ(gpus, 6212);
  EXPECT_EQ(cpu_milli, 107'018'000);
  EXPECT_EQ(memory_mib, 503'828'480);
  EXPECT_THAT(machines_by_model,
              ElementsAre(Pair("A10", 2), Pair("G2", 549), Pair("G3", 39), Pair("P100", 134),
                          Pair("T4", 404), Pair("V100M16", 55), Pair("V100M32", 30)));
  const model::TraceNode& first = nodes->front();
  EXPECT_EQ(first.name, "openb-node-0000");
  EXPECT_EQ(first.cpu_milli, 64000);
  EXPECT_EQ(first.memory_mib, 262144);
  EXPECT_EQ(first.gpus, 2);
  EXPECT_EQ(first.gpu_model, "P100");
}

TEST(TraceFilesTest, AllNodeListAddsCpuOnlyMachines) {
  const fs::path file = kOpenb / "openb_node_list_all_node.csv";
  SKIP_WITHOUT(file);
  auto nodes = LoadTraceNodes(file.string());
  ASSERT_TRUE(nodes.ok()) << ErrorOf(nodes);
  ASSERT_EQ(nodes->size(), 1523u);
  int64_t gpus = 0, cpu_only = 0, cpu_only_milli = 0;
  for (const model::TraceNode& n : *nodes) {
    gpus += n.gpus;
    if (n.gpus == 0) {
      ++cpu_only;
      cpu_only_milli += n.cpu_milli;
      EXPECT_EQ(n.gpu_model, "") << n.name;
    }
  }
  EXPECT_EQ(gpus, 6212);
  EXPECT_EQ(cpu_only, 310);
  EXPECT_EQ(cpu_only_milli, 18'496'000);
}

TEST(TraceFilesTest, DefaultPodListMatchesTheReadmeAndLoadsFast) {
  const fs::path file = kOpenb / "openb_pod_list_default.csv";
  SKIP_WITHOUT(file);
  const auto start = std::chrono::steady_clock::now();
  auto tasks = LoadTraceTasks(file.string());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(tasks.ok()) << ErrorOf(tasks);
  ASSERT_EQ(tasks->size(), 8152u);
  int cpu_only = 0, fractional = 0, whole_one = 0;
  std::map<int, int> multi;
  int64_t cpu_milli = 0;
  for (const model::TraceTask& t : *tasks) {
    cpu_milli += t.cpu_milli;
    if (t.num_gpu == 0) ++cpu_only;
    if (t.num_gpu == 1 && t.gpu_milli < 1000) ++fractional;
    if (t.num_gpu == 1 && t.gpu_milli == 1000) ++whole_one;
    if (t.num_gpu > 1) ++multi[t.num_gpu];
    EXPECT_TRUE(t.gpu_models.empty()) << t.name;  // gpu_spec is empty in the default trace
    EXPECT_GE(t.creation_s, 0) << t.name;
    EXPECT_GE(t.deletion_s, t.creation_s) << t.name;
  }
  EXPECT_EQ(cpu_only, 1088);
  EXPECT_EQ(fractional, 3078);
  EXPECT_EQ(whole_one, 3911);
  EXPECT_THAT(multi, ElementsAre(Pair(2, 16), Pair(4, 15), Pair(8, 44)));
  EXPECT_EQ(GpuMilliDemand(*tasks), 6'086'800);  // 6086.8 GPUs
  // "Total CPU demand 85,436 cores" (rounded).
  EXPECT_NEAR(static_cast<double>(cpu_milli) / 1000, 85'436, 1);
  const model::TraceTask& first = tasks->front();
  EXPECT_EQ(first.name, "openb-pod-0000");
  EXPECT_EQ(first.cpu_milli, 12000);
  EXPECT_EQ(first.memory_mib, 16384);
  EXPECT_EQ(first.num_gpu, 1);
  EXPECT_EQ(first.gpu_milli, 1000);
  EXPECT_EQ(first.creation_s, 0);
  EXPECT_EQ(first.deletion_s, 12'537'496);
  EXPECT_EQ(tasks->at(1).gpu_milli, 460);
  // A few milliseconds in a release build; generous here for debug and sanitizer builds.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 1000);
}

TEST(TraceFilesTest, MultiGpuListHasOnlyFiveColumns) {
  const fs::path file = kOpenb / "openb_pod_list_multigpu20.csv";
  SKIP_WITHOUT(file);
  auto tasks = LoadTraceTasks(file.string());
  ASSERT_TRUE(tasks.ok()) << ErrorOf(tasks);
  ASSERT_EQ(tasks->size(), 8324u);
  for (const model::TraceTask& t : *tasks) {
    EXPECT_EQ(t.creation_s, -1);
    EXPECT_EQ(t.deletion_s, -1);
  }
}

TEST(TraceFilesTest, GpuSpecIsStoredSortedAndUnique) {
  const fs::path file = kOpenb / "openb_pod_list_gpuspec33.csv";
  SKIP_WITHOUT(file);
  auto tasks = LoadTraceTasks(file.string());
  ASSERT_TRUE(tasks.ok()) << ErrorOf(tasks);
  ASSERT_EQ(tasks->size(), 8152u);
  size_t constrained = 0;
  bool saw_repeat = false;
  for (const model::TraceTask& t : *tasks) {
    if (!t.gpu_models.empty()) ++constrained;
    EXPECT_TRUE(std::is_sorted(t.gpu_models.begin(), t.gpu_models.end()));
    EXPECT_EQ(std::adjacent_find(t.gpu_models.begin(), t.gpu_models.end()), t.gpu_models.end());
    // "A10|G2|P100|T4|V100M16|V100M32|V100M32" in the file.
    if (t.gpu_models.size() == 6 && t.gpu_models.front() == "A10") {
      saw_repeat = true;
      EXPECT_THAT(t.gpu_models, ElementsAre("A10", "G2", "P100", "T4", "V100M16", "V100M32"));
    }
  }
  // 8152 rows, 5764 with an empty gpu_spec (1088 of them CPU-only).
  EXPECT_EQ(constrained, 8152u - 5764u);
  EXPECT_TRUE(saw_repeat);
}

TEST(TraceFilesTest, EveryOpenbFileLoadsWithOneEntryPerRow) {
  SKIP_WITHOUT(kOpenb);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(kOpenb)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".csv") continue;
    SCOPED_TRACE(name);
    std::ifstream in(entry.path(), std::ios::binary);
    const size_t lines = static_cast<size_t>(
        std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
    size_t loaded = 0;
    if (name.starts_with("openb_node_list_")) {
      auto nodes = LoadTraceNodes(entry.path().string());
      ASSERT_TRUE(nodes.ok()) << ErrorOf(nodes);
      loaded = nodes->size();
    } else {
      ASSERT_TRUE(name.starts_with("openb_pod_list_"));
      auto tasks = LoadTraceTasks(entry.path().string());
      ASSERT_TRUE(tasks.ok()) << ErrorOf(tasks);
      loaded = tasks->size();
    }
    EXPECT_EQ(loaded, lines - 1);  // every file ends in a newline and has one header line
    ++files;
  }
  EXPECT_EQ(files, 20);
}

TEST(TraceFilesTest, Seed42ArrivalsMatchTheReadme) {
  SKIP_WITHOUT(kArrivals);
  auto rows = LoadArrivals(kArrivals.string());  // CRLF line endings
  ASSERT_TRUE(rows.ok()) << ErrorOf(rows);
  ASSERT_EQ(rows->size(), 10'866u);
  const model::ArrivalRow& first = rows->front();
  EXPECT_EQ(first.task.name, "openb-pod-0255");
  EXPECT_EQ(first.source_task, "openb-pod-0255");
  EXPECT_EQ(first.task.cpu_milli, 8000);
  EXPECT_EQ(first.task.memory_mib, 30517);
  EXPECT_EQ(first.task.num_gpu, 0);
  EXPECT_EQ(first.task.gpu_milli, 0);
  EXPECT_TRUE(first.task.gpu_models.empty());
  EXPECT_EQ(first.task.creation_s, -1);
  EXPECT_EQ(first.fgd_node, "openb-node-0260");
  EXPECT_EQ(first.bestfit_node, "openb-node-1080");
  const model::ArrivalRow& last = rows->back();
  EXPECT_EQ(last.task.name, "openb-pod-5877-tuned-2713");
  EXPECT_EQ(last.source_task, "openb-pod-5877");
  EXPECT_EQ(last.fgd_node, "FAILED");
  int fgd_failed = 0, bestfit_failed = 0;
  std::vector<model::TraceTask> tasks;
  for (const model::ArrivalRow& r : *rows) {
    fgd_failed += r.fgd_node == "FAILED";
    bestfit_failed += r.bestfit_node == "FAILED";
    tasks.push_back(r.task);
  }
  EXPECT_EQ(fgd_failed, 2532);
  EXPECT_EQ(bestfit_failed, 2676);
  EXPECT_EQ(GpuMilliDemand(tasks), 8'075'080);  // 8075.08 GPUs
}

// --- CSV format ----------------------------------------------------------------------------

constexpr char kPodHeader[] = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n";

std::string PodError(const std::string& rows) {
  return ErrorOf(ParseTraceTasks(std::string(kPodHeader) + rows, "pods.csv"));
}

TEST(TraceCsvTest, ReadsColumnsByNameInAnyOrderAndIgnoresOthers) {
  auto tasks = ParseTraceTasks(
      "gpu_milli,extra,name,num_gpu,memory_mib,cpu_milli,gpu_spec,deletion_time,creation_time\n"
      "500,x,p-0,1,1024,2000,T4|A10|T4,90,30\n"
      "0,y,p-1,0,0,100,,,\n",
      "pods.csv");
  ASSERT_TRUE(tasks.ok()) << ErrorOf(tasks);
  ASSERT_EQ(tasks->size(), 2u);
  const model::TraceTask& t = tasks->at(0);
  EXPECT_EQ(t.name, "p-0");
  EXPECT_EQ(t.cpu_milli, 2000);
  EXPECT_EQ(t.memory_mib, 1024);
  EXPECT_EQ(t.num_gpu, 1);
  EXPECT_EQ(t.gpu_milli, 500);
  EXPECT_THAT(t.gpu_models, ElementsAre("A10", "T4"));
  EXPECT_EQ(t.creation_s, 30);
  EXPECT_EQ(t.deletion_s, 90);
  EXPECT_EQ(tasks->at(1).creation_s, -1);
  EXPECT_EQ(tasks->at(1).deletion_s, -1);
}

TEST(TraceCsvTest, AcceptsCrlfBomBlankLinesSpacesAndSimpleQuotes) {
  auto tasks = ParseTraceTasks(
      "\xEF\xBB\xBFname, cpu_milli ,memory_mib,num_gpu,gpu_milli\r\n"
      "\r\n"
      "\"p-0\",\"1000\", 2 ,1,  1000\r\n"
      "p-1,\"2,5\"\"\",3,0,0\r\n",
      "pods.csv");
  // The second row's cpu_milli is the quoted text `2,5"`: one field, and not an integer.
  EXPECT_EQ(ErrorOf(tasks), "pods.csv:4: column cpu_milli: must be an integer, got \"2,5\\\"\"");
  tasks = ParseTraceTasks(
      "\xEF\xBB\xBFname, cpu_milli ,memory_mib,num_gpu,gpu_milli\r\n"
      "\r\n"
      "\"p-0\",\"1000\", 2 ,1,  1000\r\n"
      "p-1,\"25\",3,0,0",  // no final newline
      "pods.csv");
  ASSERT_TRUE(tasks.ok()) << ErrorOf(tasks);
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_EQ(tasks->at(0).name, "p-0");
  EXPECT_EQ(tasks->at(0).cpu_milli, 1000);
  EXPECT_EQ(tasks->at(0).memory_mib, 2);
  EXPECT_EQ(tasks->at(1).cpu_milli, 25);
}

TEST(TraceCsvTest, RejectsValuesThatAreNotNonNegativeIntegers) {
  EXPECT_EQ(PodError("p,1.5,1,0,0\n"),
            "pods.csv:2: column cpu_milli: must be an integer, got \"1.5\"");
  EXPECT_EQ(PodError("p,NaN,1,0,0\n"),
            "pods.csv:2: column cpu_milli: must be an integer, got \"NaN\"");
  EXPECT_EQ(PodError("p,1,inf,0,0\n"),
            "pods.csv:2: column memory_mib: must be an integer, got \"inf\"");
  EXPECT_EQ(PodError("p,1e3,1,0,0\n"),
            "pods.csv:2: column cpu_milli: must be an integer, got \"1e3\"");
  EXPECT_EQ(PodError("p,+5,1,0,0\n"),
            "pods.csv:2: column cpu_milli: must be an integer, got \"+5\"");
  EXPECT_EQ(PodError("p,,1,0,0\n"),
            "pods.csv:2: column cpu_milli: must be an integer, got an empty value");
  EXPECT_EQ(PodError("p,1,-5,0,0\n"),
            "pods.csv:2: column memory_mib: must not be negative, got \"-5\"");
  EXPECT_EQ(
      PodError("p,99999999999999999999,1,0,0\n"),
      "pods.csv:2: column cpu_milli: \"99999999999999999999\" does not fit in a 64-bit integer");
  EXPECT_EQ(
      PodError("p,100000001,1,0,0\n"),
      "pods.csv:2: column cpu_milli: must be at most 100000000 (100,000 cores), got 100000001");
  EXPECT_EQ(PodError("p,1,1,129,1000\n"),
            "pods.csv:2: column num_gpu: must be at most 128, got 129");
}

TEST(TraceCsvTest, RejectsGpuSharesOutsideTheRules) {
  EXPECT_EQ(PodError("p,1,1,1,1500\n"),
            "pods.csv:2: column gpu_milli: must be at most 1000 (a whole GPU), got 1500");
  EXPECT_EQ(PodError("p,1,1,2,500\n"),
            "pods.csv:2: column gpu_milli: must be 1000 when num_gpu is 2 (only a task with one "
            "GPU may use part of it), got 500");
  EXPECT_EQ(PodError("p,1,1,1,0\n"),
            "pods.csv:2: column gpu_milli: must be between 1 and 1000 when num_gpu is 1, got 0");
  EXPECT_EQ(PodError("p,1,1,4,0\n"),
            "pods.csv:2: column gpu_milli: must be 1000 when num_gpu is 4 (only a task with one "
            "GPU may use part of it), got 0");
  EXPECT_EQ(PodError("p,1,1,0,300\n"),
            "pods.csv:2: column gpu_milli: must be 0 when num_gpu is 0 (a task without GPUs), got "
            "300");
  auto ok = ParseTraceTasks(std::string(kPodHeader) + "a,1,1,1,1\nb,1,1,8,1000\nc,1,1,1,1000\n",
                            "pods.csv");
  EXPECT_TRUE(ok.ok()) << ErrorOf(ok);
}

TEST(TraceCsvTest, RejectsBadGpuSpecsAndTimes) {
  const std::string header =
      "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,creation_time,deletion_time\n";
  auto error = [&](const std::string& row) {
    return ErrorOf(ParseTraceTasks(header + row, "pods.csv"));
  };
  EXPECT_EQ(error("p,1,1,1,1000,T4||A10,,\n"),
            "pods.csv:2: column gpu_spec: empty model name in \"T4||A10\"");
  EXPECT_EQ(error("p,1,1,1,1000,T 4,,\n"),
            "pods.csv:2: column gpu_spec: \"T 4\" is not a valid GPU model: must be 1 to 63 "
            "letters, digits, '-', '_' or '.'");
  EXPECT_EQ(error("p,1,1,0,0,T4,,\n"),
            "pods.csv:2: column gpu_spec: must be empty when num_gpu is 0 (a task without GPUs), "
            "got \"T4\"");
  EXPECT_EQ(error("p,1,1,1,1000,,100,50\n"),
            "pods.csv:2: column deletion_time: must not be before creation_time (100), got 50");
  EXPECT_EQ(error("p,1,1,1,1000,,-1,\n"),
            "pods.csv:2: column creation_time: must not be negative, got \"-1\"");
}

TEST(TraceCsvTest, RejectsBadNamesAndDuplicates) {
  EXPECT_EQ(PodError("p-1,1,1,0,0\nq,1,1,0,0\np-1,2,2,0,0\n"),
            "pods.csv:4: column name: duplicate task \"p-1\" (first on line 2)");
  EXPECT_EQ(ParseTraceTasks(std::string(kPodHeader) + "p,1,1,0,0\np,1,1,0,0\n", "f").error().code(),
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(PodError("Pod_A,1,1,0,0\n"),
            "pods.csv:2: column name: \"Pod_A\" is not a valid DNS subdomain: must consist of "
            "lower case alphanumeric characters, '-' or '.', and start and end with an "
            "alphanumeric character");
  EXPECT_EQ(PodError(",1,1,0,0\n"), "pods.csv:2: column name: must not be empty");
}

TEST(TraceCsvTest, RejectsMalformedRows) {
  EXPECT_EQ(PodError("p,1,1,0\n"), "pods.csv:2: has 4 fields, but the header has 5 columns");
  EXPECT_EQ(PodError("p,1,1,0,0,\n"),
            "pods.csv:2: has more fields than the 5 columns of the header");
  EXPECT_EQ(PodError("\"p,1,1,0,0\n"),
            "pods.csv:2: column name: the quoted field is not closed (fields may not span lines)");
  EXPECT_EQ(PodError("\"p\"x,1,1,0,0\n"),
            "pods.csv:2: column name: unexpected text after the closing quote");
  EXPECT_EQ(PodError("p\"x,1,1,0,0\n"),
            "pods.csv:2: column name: a quote inside an unquoted field: \"p\\\"x\"");
}

TEST(TraceCsvTest, RejectsEmptyFilesMissingColumnsAndBadHeaders) {
  EXPECT_EQ(ErrorOf(ParseTraceTasks("", "pods.csv")),
            "pods.csv: empty file: expected a header line such as "
            "\"name,cpu_milli,memory_mib,num_gpu,gpu_milli\"");
  EXPECT_EQ(ErrorOf(ParseTraceTasks("\r\n\n", "pods.csv")),
            "pods.csv: empty file: expected a header line such as "
            "\"name,cpu_milli,memory_mib,num_gpu,gpu_milli\"");
  EXPECT_EQ(ErrorOf(ParseTraceTasks(kPodHeader, "pods.csv")),
            "pods.csv: no tasks: the file has a header but no rows");
  // Found by trace_fuzz: a header without a final newline read one byte past the text.
  EXPECT_EQ(ErrorOf(ParseTraceTasks("name,cpu_milli,memory_mib,num_gpu,gpu_milli", "pods.csv")),
            "pods.csv: no tasks: the file has a header but no rows");
  EXPECT_EQ(ErrorOf(ParseTraceNodes("sn,cpu_milli,memory_mib,gpu,model\n", "nodes.csv")),
            "nodes.csv: no nodes: the file has a header but no rows");
  EXPECT_EQ(ErrorOf(ParseTraceTasks("name,cpu_milli,memory_mib,num_gpu\np,1,1,0\n", "pods.csv")),
            "pods.csv:1: column gpu_milli: missing from the header "
            "\"name,cpu_milli,memory_mib,num_gpu\"");
  EXPECT_EQ(
      ErrorOf(ParseTraceTasks("name,cpu_milli,memory_mib,num_gpu,gpu_milli,name\n", "pods.csv")),
      "pods.csv:1: column name: appears twice in the header");
  EXPECT_EQ(ErrorOf(ParseTraceTasks(std::string(300, ','), "pods.csv")),
            "pods.csv:1: the header has more than 256 columns");
}

TEST(TraceCsvTest, NodeListRules) {
  const std::string header = "sn,cpu_milli,memory_mib,gpu,model\n";
  auto nodes = ParseTraceNodes(header + "n-0,96000,393216,8,G2\nn-1,32000,262144,0,\n", "n.csv");
  ASSERT_TRUE(nodes.ok()) << ErrorOf(nodes);
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ(nodes->at(0).gpu_model, "G2");
  EXPECT_EQ(nodes->at(0).gpus, 8);
  EXPECT_EQ(nodes->at(1).gpu_model, "");
  auto error = [&](const std::string& rows) {
    return ErrorOf(ParseTraceNodes(header + rows, "n.csv"));
  };
  EXPECT_EQ(error("n-0,1,1,0,T4\n"),
            "n.csv:2: column model: must be empty when gpu is 0 (a machine without GPUs), got "
            "\"T4\"");
  EXPECT_EQ(error("n-0,1,1,2,\n"), "n.csv:2: column model: must name the GPU model when gpu is 2");
  EXPECT_EQ(error("n-0,1,1,-2,T4\n"), "n.csv:2: column gpu: must not be negative, got \"-2\"");
  EXPECT_EQ(error("n-0,1,1,1,T4\nn-0,1,1,1,T4\n"),
            "n.csv:3: column sn: duplicate node \"n-0\" (first on line 2)");
  EXPECT_EQ(error("n-0,1,1099511627777,1,T4\n"),
            "n.csv:2: column memory_mib: must be at most 1073741824 (1 PiB), got 1099511627777");
}

TEST(TraceCsvTest, ArrivalRules) {
  const std::string header =
      "arrival_idx,task,source_task,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,fgd_node,"
      "bestfit_node\n";
  auto rows = ParseArrivals(
      header + "0,a-tuned-1,a,1,1,1,500,,n-1,FAILED\n1,b,b,1,1,0,0,,FAILED,n-2\n", "arr.csv");
  ASSERT_TRUE(rows.ok()) << ErrorOf(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0).task.name, "a-tuned-1");
  EXPECT_EQ(rows->at(0).source_task, "a");
  EXPECT_EQ(rows->at(0).task.gpu_milli, 500);
  EXPECT_EQ(rows->at(0).fgd_node, "n-1");
  EXPECT_EQ(rows->at(0).bestfit_node, "FAILED");
  // Without the expected-node columns.
  rows = ParseArrivals(
      "arrival_idx,task,source_task,cpu_milli,memory_mib,num_gpu,gpu_milli\n"
      "0,a,a,1,1,0,0\n",
      "arr.csv");
  ASSERT_TRUE(rows.ok()) << ErrorOf(rows);
  EXPECT_EQ(rows->at(0).fgd_node, "");
  auto error = [&](const std::string& text) {
    return ErrorOf(ParseArrivals(header + text, "arr.csv"));
  };
  EXPECT_EQ(error("1,a,a,1,1,0,0,,n,n\n"),
            "arr.csv:2: column arrival_idx: must be 0 (rows are numbered 0, 1, 2, ... in arrival "
            "order), got 1");
  EXPECT_EQ(error("0,a,a,1,1,0,0,,,n\n"),
            "arr.csv:2: column fgd_node: must name a node or be FAILED, got an empty value");
  EXPECT_EQ(error("0,a,a,1,1,0,0,,n,n\n1,a,a,1,1,0,0,,n,n\n"),
            "arr.csv:3: column task: duplicate task \"a\" (first on line 2)");
  EXPECT_EQ(ErrorOf(ParseArrivals(header, "arr.csv")),
            "arr.csv: no arrivals: the file has a header but no rows");
}

TEST(TraceCsvTest, TenMegabyteLineFailsFastWithAShortMessage) {
  const std::string huge(10u << 20, 'x');
  const auto start = std::chrono::steady_clock::now();
  auto name_error = ParseTraceTasks(std::string(kPodHeader) + huge + ",1,1,0,0\n", "pods.csv");
  auto header_error = ParseTraceTasks(huge + "\n", "pods.csv");
  auto commas_error =
      ParseTraceTasks(std::string(kPodHeader) + std::string(10u << 20, ','), "pods.csv");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(name_error.ok());
  EXPECT_THAT(name_error.error().ToString(), HasSubstr("is too long: must be no more than 253"));
  EXPECT_LT(name_error.error().ToString().size(), 300u);
  ASSERT_FALSE(header_error.ok());
  EXPECT_LT(header_error.error().ToString().size(), 300u);
  EXPECT_THAT(header_error.error().ToString(), HasSubstr("pods.csv:1: column name: missing"));
  ASSERT_FALSE(commas_error.ok());
  EXPECT_EQ(commas_error.error().ToString(),
            "pods.csv:2: has more fields than the 5 columns of the header");
  EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 5);
}

TEST(TraceCsvTest, LoadReportsMissingFilesAndFolders) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(LoadTraceTasks(dir.path() + "/nope.csv")),
            dir.path() + "/nope.csv: no such file");
  EXPECT_EQ(LoadTraceNodes(dir.path() + "/nope.csv").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(ErrorOf(LoadArrivals(dir.path())), dir.path() + ": is a folder, not a file");
  const std::string file = dir.Write("pods.csv", std::string(kPodHeader) + "p,1,1,1,2000\n");
  EXPECT_EQ(ErrorOf(LoadTraceTasks(file)),
            file + ":2: column gpu_milli: must be at most 1000 (a whole GPU), got 2000");
}

// --- scenario YAML --------------------------------------------------------------------------

std::string ScenarioError(const std::string& text) {
  return ErrorOf(ParseScenario(text, "s.yaml"));
}

constexpr char kMinimalGroups[] = R"(
nodeGroups:
  - prefix: gpu
    count: 2
    gpuModel: A100
    gpusPerNode: 8
    cpu: "96"
    memory: 384Gi
)";

TEST(ScenarioTest, ExpandsNodeGroupsAndReadsTasks) {
  auto s = ParseScenario(R"(
apiVersion: tessera/v1alpha1
kind: Scenario
name: demo
description: anything
nodeGroups:
  - prefix: a100
    count: 12
    gpuModel: A100
    gpusPerNode: 8
    cpu: "96"
    memory: 384Gi
    labels: {topology.kubernetes.io/zone: z1, empty: }
    racks: {label: example.com/rack, nodesPerRack: 5}
  - prefix: cpu
    count: 1
    cpu: 500m
    memory: 1Ti
tasks:
  - name: t-0
    cpu: 1.5
    memory: 512Mi
    gpus: 1
    gpuMilli: 250
    gpuModels: [A100, A100]
    arrival: 90
    duration: 1h30m
  - name: t-1
    gpus: 2
  - name: t-2
    arrival: 1d
)",
                         "dir/demo.yaml");
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  EXPECT_EQ(s->name, "demo");
  EXPECT_EQ(s->source, "dir/demo.yaml");
  ASSERT_EQ(s->nodes.size(), 13u);
  const model::TraceNode& n0 = s->nodes[0];
  EXPECT_EQ(n0.name, "a100-00");
  EXPECT_EQ(n0.cpu_milli, 96'000);
  EXPECT_EQ(n0.memory_mib, 384 * 1024);
  EXPECT_EQ(n0.gpus, 8);
  EXPECT_EQ(n0.gpu_model, "A100");
  EXPECT_THAT(n0.labels, ElementsAre(Pair("topology.kubernetes.io/zone", "z1"), Pair("empty", ""),
                                     Pair("example.com/rack", "a100-rack-0")));
  EXPECT_EQ(s->nodes[4].labels.back().second, "a100-rack-0");
  EXPECT_EQ(s->nodes[5].labels.back().second, "a100-rack-1");
  EXPECT_EQ(s->nodes[11].name, "a100-11");
  EXPECT_EQ(s->nodes[11].labels.back().second, "a100-rack-2");
  const model::TraceNode& cpu = s->nodes[12];
  EXPECT_EQ(cpu.name, "cpu-0");
  EXPECT_EQ(cpu.cpu_milli, 500);
  EXPECT_EQ(cpu.memory_mib, 1024 * 1024);
  EXPECT_EQ(cpu.gpus, 0);
  EXPECT_EQ(cpu.gpu_model, "");
  EXPECT_TRUE(cpu.labels.empty());

  ASSERT_EQ(s->tasks.size(), 3u);
  const model::TraceTask& t0 = s->tasks[0];
  EXPECT_EQ(t0.name, "t-0");
  EXPECT_EQ(t0.cpu_milli, 1500);
  EXPECT_EQ(t0.memory_mib, 512);
  EXPECT_EQ(t0.num_gpu, 1);
  EXPECT_EQ(t0.gpu_milli, 250);
  EXPECT_THAT(t0.gpu_models, ElementsAre("A100"));
  EXPECT_EQ(t0.creation_s, 90);
  EXPECT_EQ(t0.deletion_s, 90 + 5400);
  const model::TraceTask& t1 = s->tasks[1];
  EXPECT_EQ(t1.num_gpu, 2);
  EXPECT_EQ(t1.gpu_milli, 1000);  // whole GPUs unless gpuMilli says otherwise
  EXPECT_EQ(t1.cpu_milli, 0);
  EXPECT_EQ(t1.creation_s, 0);
  EXPECT_EQ(t1.deletion_s, -1);  // no duration: never leaves
  EXPECT_EQ(s->tasks[2].creation_s, 86'400);
  EXPECT_EQ(s->tasks[2].num_gpu, 0);
  EXPECT_EQ(s->tasks[2].gpu_milli, 0);
  EXPECT_FALSE(s->generated.has_value());
}

TEST(ScenarioTest, ReadsAGenerator) {
  auto s = ParseScenario(std::string(kMinimalGroups) + R"(
generator:
  count: 1000
  arrivalsPerHour: 12.5
  shapes:
    - name: half
      weight: 3
      cpu: "4"
      memory: 16Gi
      gpus: 1
      gpuMilli: 500
      durationMin: 10m
      durationMax: 2h
    - name: cpu-only
      cpu: "8"
    - name: fixed
      weight: 0.5
      gpus: 8
      gpuModels: [A100]
      duration: 45s
)",
                         "gen.yaml");
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  EXPECT_EQ(s->name, "gen");  // the file's stem when the scenario has no name
  ASSERT_EQ(s->nodes.size(), 2u);
  EXPECT_EQ(s->nodes[0].name, "gpu-0");
  EXPECT_EQ(s->nodes[1].name, "gpu-1");
  EXPECT_TRUE(s->tasks.empty());
  ASSERT_TRUE(s->generated.has_value());
  const model::GeneratedWorkload& g = *s->generated;
  EXPECT_EQ(g.count, 1000);
  EXPECT_DOUBLE_EQ(g.arrivals_per_hour, 12.5);
  ASSERT_EQ(g.shapes.size(), 3u);
  EXPECT_EQ(g.shapes[0].name, "half");
  EXPECT_DOUBLE_EQ(g.shapes[0].weight, 3);
  EXPECT_EQ(g.shapes[0].cpu_milli, 4000);
  EXPECT_EQ(g.shapes[0].memory_mib, 16384);
  EXPECT_EQ(g.shapes[0].num_gpu, 1);
  EXPECT_EQ(g.shapes[0].gpu_milli, 500);
  EXPECT_EQ(g.shapes[0].duration_min_s, 600);
  EXPECT_EQ(g.shapes[0].duration_max_s, 7200);
  EXPECT_DOUBLE_EQ(g.shapes[1].weight, 1);
  EXPECT_EQ(g.shapes[1].duration_min_s, 3600);  // the default: one hour
  EXPECT_EQ(g.shapes[1].duration_max_s, 3600);
  EXPECT_EQ(g.shapes[1].gpu_milli, 0);
  EXPECT_DOUBLE_EQ(g.shapes[2].weight, 0.5);
  EXPECT_EQ(g.shapes[2].gpu_milli, 1000);
  EXPECT_THAT(g.shapes[2].gpu_models, ElementsAre("A100"));
  EXPECT_EQ(g.shapes[2].duration_min_s, 45);
  EXPECT_EQ(g.shapes[2].duration_max_s, 45);
}

TEST(ScenarioTest, LoadsTheExampleScenarios) {
  const fs::path dir = fs::path(TESSERA_SOURCE_DIR) / "examples" / "scenarios";
  auto small = LoadScenario((dir / "small-mixed.yaml").string());
  ASSERT_TRUE(small.ok()) << ErrorOf(small);
  EXPECT_EQ(small->name, "small-mixed");
  ASSERT_EQ(small->nodes.size(), 12u);
  EXPECT_EQ(small->nodes[0].name, "a100-0");
  EXPECT_THAT(small->nodes[2].labels, ElementsAre(Pair("topology.kubernetes.io/zone", "zone-a"),
                                                  Pair("topology.tessera.io/rack", "a100-rack-1")));
  EXPECT_EQ(small->nodes[4].name, "t4-0");
  EXPECT_EQ(small->nodes[4].gpus, 2);
  EXPECT_EQ(small->nodes[11].name, "cpu-1");
  EXPECT_EQ(small->nodes[11].cpu_milli, 64'000);
  ASSERT_EQ(small->tasks.size(), 4u);
  EXPECT_EQ(small->tasks[0].deletion_s, 6 * 3600);
  EXPECT_EQ(small->tasks[1].cpu_milli, 4000);
  EXPECT_EQ(small->tasks[1].creation_s, 30);
  EXPECT_THAT(small->tasks[2].gpu_models, ElementsAre("A100", "T4"));
  ASSERT_TRUE(small->generated.has_value());
  EXPECT_EQ(small->generated->count, 200);
  EXPECT_EQ(small->generated->shapes.size(), 4u);

  auto openb = LoadScenario((dir / "openb-like.yaml").string());
  ASSERT_TRUE(openb.ok()) << ErrorOf(openb);
  ASSERT_EQ(openb->nodes.size(), 549u);
  EXPECT_EQ(openb->nodes.front().name, "openb-g2-000");
  EXPECT_EQ(openb->nodes.back().name, "openb-g2-548");
  EXPECT_EQ(openb->nodes.back().memory_mib, 393'216);
  ASSERT_TRUE(openb->generated.has_value());
  EXPECT_EQ(openb->generated->count, 8152);
  double weights = 0;
  for (const model::TaskShape& shape : openb->generated->shapes) weights += shape.weight;
  EXPECT_DOUBLE_EQ(weights, 8152);
}

TEST(ScenarioTest, CatchesTyposInKeys) {
  EXPECT_EQ(ScenarioError(R"(
nodeGroups:
  - prefix: gpu
    count: 2
    gpuModle: A100
)"),
            "s.yaml: node group gpu: nodeGroups[0].gpuModle: unknown key (did you mean "
            "\"gpuModel\"?); known keys here: prefix, count, gpuModel, gpusPerNode, cpu, memory, "
            "labels, racks");
  EXPECT_EQ(ScenarioError("nodegroups: []\n"),
            "s.yaml: nodegroups: unknown key (did you mean \"nodeGroups\"?); known keys here: "
            "apiVersion, kind, name, description, nodeGroups, queues, tasks, generator");
  EXPECT_EQ(ScenarioError(std::string(kMinimalGroups) + "tasks:\n  - name: a\n    zzz: 1\n"),
            "s.yaml: task a: tasks[0].zzz: unknown key; known keys here: name, count, cpu, memory, "
            "gpus, gpuMilli, gpuModels, arrival, duration, queue, priority, pods");
}

TEST(ScenarioTest, RejectsBadNumbers) {
  const std::string groups = kMinimalGroups;
  EXPECT_EQ(ScenarioError(groups + "tasks:\n  - {name: a, gpus: 1, gpuMilli: 1001}\n"),
            "s.yaml: task a: tasks[0].gpuMilli: must be at most 1000, got 1001");
  EXPECT_EQ(ScenarioError(groups + "tasks:\n  - {name: a, gpus: 1, gpuMilli: 0}\n"),
            "s.yaml: task a: tasks[0].gpuMilli: must be between 1 and 1000 when gpus is 1, got 0");
  EXPECT_EQ(ScenarioError(groups + "tasks:\n  - {name: a, gpus: 2, gpuMilli: 500}\n"),
            "s.yaml: task a: tasks[0].gpuMilli: must be 1000 when gpus is 2 (only a task with one "
            "GPU may use part of it), got 500");
  EXPECT_EQ(ScenarioError(groups + "tasks:\n  - {name: a, gpuMilli: 500}\n"),
            "s.yaml: task a: tasks[0].gpuMilli: must be 0 when gpus is 0 (a task without GPUs), "
            "got 500");
  EXPECT_EQ(ScenarioError(groups + "tasks:\n  - {name: a, cpu: \"-1\"}\n"),
            "s.yaml: task a: tasks[0].cpu: must not be negative, got \"-1\"");
  EXPECT_EQ(ScenarioError(groups + "tasks:\n  - {name: a, memory: 500M}\n"),
            "s.yaml: task a: tasks[0].memory: \"500M\" is not a whole number of MiB: write it in "
            "Mi, Gi or Ti (a plain number counts bytes)");
  EXPECT_EQ(ScenarioError(groups + "tasks:\n  - {name: a, cpu: 0.1m}\n"),
            "s.yaml: task a: tasks[0].cpu: \"0.1m\" has precision finer than 1m");
  EXPECT_EQ(ScenarioError(groups + "tasks:\n  - {name: a, gpus: -1}\n"),
            "s.yaml: task a: tasks[0].gpus: must not be negative, got -1");
  EXPECT_EQ(ScenarioError(groups + "tasks:\n  - {name: a, duration: 1.5h}\n"),
            "s.yaml: task a: tasks[0].duration: must be a number of seconds or a duration such as "
            "\"90s\", \"15m\", \"2h\", \"1d\" or \"1h30m\", got \"1.5h\"");
  EXPECT_EQ(ScenarioError(groups + "tasks:\n  - {name: a, arrival: 99999999999d}\n"),
            "s.yaml: task a: tasks[0].arrival: must be at most 3153600000 seconds (100 years), got "
            "\"99999999999d\"");
  EXPECT_EQ(ScenarioError(groups + "generator:\n  count: 0\n  shapes: [{name: a}]\n"),
            "s.yaml: generator.count: must be at least 1, got 0");
  EXPECT_EQ(ScenarioError(groups + "generator:\n  count: 10000001\n  shapes: [{name: a}]\n"),
            "s.yaml: generator.count: must be at most 10000000, got 10000001");
  EXPECT_EQ(ScenarioError(groups + "generator:\n  count: 5\n  arrivalsPerHour: .nan\n  shapes: "
                                   "[{name: a}]\n"),
            "s.yaml: generator.arrivalsPerHour: must be a number, got \".nan\"");
  EXPECT_EQ(ScenarioError(groups + "generator:\n  count: 5\n  shapes: [{name: a, weight: 0}]\n"),
            "s.yaml: shape a: generator.shapes[0].weight: must be above 0");
  EXPECT_EQ(ScenarioError(groups + "generator:\n  count: 5\n  shapes: [{name: a, weight: -2}]\n"),
            "s.yaml: shape a: generator.shapes[0].weight: must be between 0 and 1000000000, got "
            "\"-2\"");
  EXPECT_EQ(
      ScenarioError(groups +
                    "generator:\n  count: 5\n  shapes: [{name: a, durationMin: 2h, durationMax: "
                    "1h}]\n"),
      "s.yaml: shape a: generator.shapes[0].durationMax: must not be less than durationMin (7200 "
      "s), got 3600 s");
  EXPECT_EQ(
      ScenarioError(groups + "generator:\n  count: 5\n  shapes: [{name: a, durationMin: 2h}]\n"),
      "s.yaml: shape a: generator.shapes[0].durationMax: required when durationMin is set");
  EXPECT_EQ(ScenarioError(groups + "generator:\n  count: 5\n  shapes: [{name: a, duration: 1h, "
                                   "durationMax: 2h}]\n"),
            "s.yaml: shape a: generator.shapes[0].durationMax: give either duration or "
            "durationMin and durationMax, not both");
}

TEST(ScenarioTest, RejectsBadNodeGroups) {
  auto group = [](const std::string& fields) {
    return ScenarioError("nodeGroups:\n  - prefix: g\n" + fields + "tasks: [{name: a}]\n");
  };
  EXPECT_EQ(group("    count: 0\n    cpu: 1\n    memory: 1Gi\n"),
            "s.yaml: node group g: nodeGroups[0].count: must be at least 1, got 0");
  EXPECT_EQ(group("    count: 100001\n    cpu: 1\n    memory: 1Gi\n"),
            "s.yaml: node group g: nodeGroups[0].count: must be at most 100000, got 100001");
  EXPECT_EQ(group("    count: 1\n    memory: 1Gi\n"),
            "s.yaml: node group g: nodeGroups[0].cpu: required field is missing");
  EXPECT_EQ(group("    count: 1\n    cpu: 0\n    memory: 1Gi\n"),
            "s.yaml: node group g: nodeGroups[0].cpu: must be above 0");
  EXPECT_EQ(group("    count: 1\n    cpu: 200000\n    memory: 1Gi\n"),
            "s.yaml: node group g: nodeGroups[0].cpu: must be at most 100000 (cores), got "
            "\"200000\"");
  EXPECT_EQ(group("    count: 1\n    cpu: 1\n    memory: 2Pi\n"),
            "s.yaml: node group g: nodeGroups[0].memory: must be at most 1Pi, got \"2Pi\"");
  EXPECT_EQ(group("    count: 1\n    cpu: 1\n    memory: 1Gi\n    gpusPerNode: 4\n"),
            "s.yaml: node group g: nodeGroups[0].gpuModel: required when gpusPerNode is above 0");
  EXPECT_EQ(group("    count: 1\n    cpu: 1\n    memory: 1Gi\n    gpuModel: T4\n"),
            "s.yaml: node group g: nodeGroups[0].gpuModel: set to \"T4\", but gpusPerNode is 0: "
            "give gpusPerNode too");
  EXPECT_EQ(group("    count: 1\n    cpu: 1\n    memory: 1Gi\n    gpusPerNode: 200\n"),
            "s.yaml: node group g: nodeGroups[0].gpusPerNode: must be at most 128, got 200");
  EXPECT_EQ(group("    count: 1\n    cpu: 1\n    memory: 1Gi\n    labels: {\"bad key!\": x}\n"),
            "s.yaml: node group g: nodeGroups[0].labels.bad key!: \"bad key!\" is not a valid "
            "key: the name part must consist of alphanumeric characters, '-', '_' or '.', and "
            "start and end with an alphanumeric character");
  EXPECT_EQ(group("    count: 1\n    cpu: 1\n    memory: 1Gi\n    labels: {zone: -x-}\n"),
            "s.yaml: node group g: nodeGroups[0].labels.zone: \"-x-\" is not a valid label "
            "value: must consist of alphanumeric characters, '-', '_' or '.', and start and end "
            "with an alphanumeric character");
  EXPECT_EQ(
      group("    count: 1\n    cpu: 1\n    memory: 1Gi\n    labels: {r: x}\n    racks: {label: "
            "r, nodesPerRack: 1}\n"),
      "s.yaml: node group g: nodeGroups[0].racks.label: \"r\" is also set in labels; set it in "
      "one place");
  EXPECT_EQ(ScenarioError("nodeGroups:\n  - {prefix: Big, count: 1, cpu: 1, memory: 1Gi}\n"
                          "tasks: [{name: a}]\n"),
            "s.yaml: nodeGroups[0].prefix: \"Big\" is not a valid DNS subdomain: must consist of "
            "lower case alphanumeric characters, '-' or '.', and start and end with an "
            "alphanumeric character");
  EXPECT_EQ(ScenarioError("nodeGroups:\n  - {prefix: g, count: 1, cpu: 1, memory: 1Gi}\n"
                          "  - {prefix: g, count: 1, cpu: 1, memory: 1Gi}\n"
                          "tasks: [{name: a}]\n"),
            "s.yaml: node group g: nodeGroups[1].prefix: duplicate prefix \"g\" (first used by "
            "nodeGroups[0]): node names would repeat");
  EXPECT_EQ(ScenarioError("nodeGroups:\n  - {prefix: g, count: 60000, cpu: 1, memory: 1Gi}\n"
                          "  - {prefix: h, count: 60000, cpu: 1, memory: 1Gi}\n"
                          "tasks: [{name: a}]\n"),
            "s.yaml: node group h: nodeGroups[1].count: the scenario would have 120000 nodes; at "
            "most 100000 are allowed");
}

TEST(ScenarioTest, RejectsBadWorkloads) {
  const std::string groups = kMinimalGroups;
  EXPECT_EQ(ScenarioError(groups), "s.yaml: no workload: give tasks, a generator, or both");
  EXPECT_EQ(ScenarioError(groups + "tasks: [{name: a}, {name: b}, {name: a}]\n"),
            "s.yaml: task a: tasks[2].name: duplicate task \"a\" (first defined at tasks[0])");
  EXPECT_EQ(ScenarioError(groups + "tasks: [{cpu: 1}]\n"),
            "s.yaml: tasks[0].name: required field is missing");
  EXPECT_EQ(ScenarioError(groups + "tasks: [{name: a, gpus: 1, gpuModels: [H100]}]\n"),
            "s.yaml: task a: tasks[0].gpuModels[0]: \"H100\" is not the gpuModel of any node "
            "group (known: A100)");
  EXPECT_EQ(ScenarioError(groups + "tasks: [{name: a, gpuModels: [A100]}]\n"),
            "s.yaml: task a: tasks[0].gpuModels: must be empty for a task without GPUs (gpus is "
            "0)");
  EXPECT_EQ(ScenarioError(groups + "generator: {count: 1, shapes: [{name: a}, {name: a}]}\n"),
            "s.yaml: shape a: generator.shapes[1].name: duplicate shape \"a\" (first defined at "
            "generator.shapes[0])");
  EXPECT_EQ(ScenarioError(groups + "generator: {count: 1, shapes: []}\n"),
            "s.yaml: generator.shapes: must list at least one shape");
  EXPECT_EQ(ScenarioError(groups + "tasks: [{name: a}]\ngenerator: {count: 10000000, shapes: "
                                   "[{name: s}]}\n"),
            "s.yaml: generator.count: the scenario would have 10000001 tasks (1 listed + 10000000 "
            "generated); at most 10000000 are allowed");
}

TEST(ScenarioTest, RejectsBadDocuments) {
  EXPECT_EQ(ScenarioError(""),
            "s.yaml: empty file: expected a scenario (a mapping with nodeGroups and tasks or a "
            "generator)");
  EXPECT_EQ(ScenarioError("- a\n- b\n"),
            "s.yaml: a scenario must be a mapping (with nodeGroups and tasks or a generator), got "
            "a list");
  EXPECT_EQ(ScenarioError("name: a\n---\nname: b\n"),
            "s.yaml: holds 2 YAML documents; a scenario file holds exactly one");
  EXPECT_EQ(ScenarioError("name: a\nname: b\n"),
            "s.yaml: line 2, column 1: mapping key \"name\" appears twice");
  EXPECT_EQ(ScenarioError("kind: Pod\n"), "s.yaml: kind: must be Scenario, got \"Pod\"");
  EXPECT_EQ(ScenarioError("tasks: [{name: a}]\n"), "s.yaml: nodeGroups: required field is missing");
  EXPECT_EQ(ScenarioError("nodeGroups: []\n"),
            "s.yaml: nodeGroups: must list at least one node group");
  EXPECT_THAT(ScenarioError("nodeGroups: [\n"),
              HasSubstr("s.yaml: line 2, column 1: invalid YAML"));
  EXPECT_EQ(LoadScenario("/nonexistent/x.yaml").error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace tessera::io
