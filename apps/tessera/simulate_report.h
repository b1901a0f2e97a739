// The HTML report of `tessera simulate`: one self-contained page (inline CSS and SVG, no
// script, fonts or anything else fetched from elsewhere) with the run's parameters, the
// per-policy summary table and the charts of the experiment. Invariant: the page never
// contains a non-finite number; a missing sample is left out of a chart, and a missing
// figure in a table reads "n/a".
#pragma once

#include <iosfwd>

namespace tessera::sim {
struct SimResult;
}  // namespace tessera::sim

namespace tessera::cli {

// Writes `result` to `out` as an HTML5 page. Fill results get three charts: allocated GPU %
// against arrived GPU demand (data-chart="allocation"), unallocated GPU % at arrived = 100%
// per policy (data-chart="unallocated-at-100") and fragmented GPU % against arrived demand
// (data-chart="fragmentation"). Replay results get allocated GPU %, pending tasks and wait
// p50 over simulated time (data-chart="allocation-over-time", "pending-over-time" and
// "wait-p50-over-time"). Every chart is an <svg class="chart">; every policy's line in it is a
// <path class="series" data-policy="...">. The tables come from `result.summary`, so call
// sim::Summarize first; the curves come from `result.runs`. Never fails; check `out` after.
void WriteHtmlReport(const sim::SimResult& result, std::ostream& out);

}  // namespace tessera::cli
