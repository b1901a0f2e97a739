#!/usr/bin/env bash
# Runs every libFuzzer target of build/asan (the `asan` preset, clang) for a short time and
# fails on any crash, sanitizer report, leak, timeout or out-of-memory. `make fuzz-smoke`
# builds the targets and calls this; docs/robustness.md says more.
#
# Settings (environment):
#   FUZZ_SECONDS  total fuzzing time, split evenly across the targets (default 60)
#   FUZZ_TARGETS  space-separated targets to run (default: every one built)
#   FUZZ_CORPUS   folder to keep each target's grown corpus in (<FUZZ_CORPUS>/<target>);
#                 default a temporary folder that is removed, so nothing lands in the tree
#   FUZZ_FINDINGS folder for crash/leak/timeout reproducers (default build/asan/findings)
#   FUZZ_BUILD    build tree holding the targets (default build/asan)
#   FUZZ_ARGS     extra libFuzzer flags, e.g. "-jobs=2 -workers=2" or "-max_len=65536"
#
# Each target starts from the seeds that fit it: fuzz/corpus/<name>, tests/bad-input, the
# examples/ and ../shared/reference/k8s-examples manifests, and inputs written here.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-build/asan}
findings=${FUZZ_FINDINGS:-$build/findings}
shared=$root/../shared/reference/k8s-examples

if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  targets=()
  for t in quantity_fuzz manifest_fuzz cel_fuzz trace_fuzz scenario_fuzz; do
    [ -x "$build/fuzz/$t" ] && targets+=("$t")
  done
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz-smoke: no fuzz targets in $build/fuzz; build them with 'make fuzz-smoke'" >&2
  exit 1
fi
for t in "${targets[@]}"; do
  if [ ! -x "$build/fuzz/$t" ]; then
    echo "fuzz-smoke: $build/fuzz/$t is not built" >&2
    exit 1
  fi
done
per_target=$(( seconds / ${#targets[@]} ))
[ "$per_target" -ge 1 ] || per_target=1

work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$findings"
findings=$(cd "$findings" && pwd)

# seed DIR FILE...: copies the files that exist into DIR under names that keep their origin.
seed() {
  local dir=$1 f name
  shift
  mkdir -p "$dir"
  for f in "$@"; do
    [ -f "$f" ] || continue
    name=${f#"$root"/}
    name=${name#../}
    cp "$f" "$dir/${name//\//__}"
  done
}

# seed_text DIR LINE...: one seed file per line of text.
seed_text() {
  local dir=$1 i=0 line
  shift
  mkdir -p "$dir"
  for line in "$@"; do
    printf '%s' "$line" >"$dir/text-$i"
    i=$((i + 1))
  done
}

shopt -s nullglob globstar
seeds_for() {
  local t=$1 dir=$work/seeds/$1
  mkdir -p "$dir"
  case $t in
    quantity_fuzz)
      seed_text "$dir" 0 1 -1 +5 100m 250m 0.5 1.5Gi 2Ki 64Mi 3M 1e3 1E-3 5e+2 0.001 1Ei 8Pi \
        500u 12n 9223372036854775807 -9223372036854775808 .5 5. 1.0000000001 "1 Gi"
      ;;
    manifest_fuzz)
      seed "$dir" tests/bad-input/*.yaml tests/bad-input/*.json examples/pods.yaml \
        examples/cluster/*.yaml examples/dra/*.yaml examples/dra-upstream/*.yaml \
        examples/podset-group/*.yaml examples/kai-consolidation/*.yaml examples/jobsets/*.yaml \
        "$shared"/**/*.yaml
      ;;
    cel_fuzz)
      # The selectors the example manifests use, plus ones that reach the rest of the language
      # against the fixture's attributes (src/dra/cel/cel_test_fixture.h).
      local exprs=()
      mapfile -t exprs < <(
        cat examples/**/*.yaml "$shared"/**/*.yaml 2>/dev/null |
          sed -n -E "s/^[[:space:]-]*expression:[[:space:]]*(\"(.*)\"|'(.*)'|([^|>].*))[[:space:]]*$/\2\3\4/p" |
          sort -u)
      seed_text "$dir" "${exprs[@]}" \
        "device.driver == 'gpu.nvidia.com'" \
        "device.attributes['gpu.nvidia.com'].type == 'mig' && device.attributes['gpu.nvidia.com'].profile == '1g.5gb'" \
        "device.attributes['gpu.nvidia.com'].index < 2 || device.attributes['dra.example.com'].a" \
        "device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('40Gi')) >= 0" \
        "device.attributes['gpu.nvidia.com'].driverVersion.isGreaterThan(semver('550.0.0'))" \
        "device.attributes['gpu.example.com'].driverVersion.compareTo(semver('1.2.3-rc.1')) == 0" \
        "'productName' in device.attributes['gpu.nvidia.com'] && device.attributes['gpu.nvidia.com'].productName.startsWith('NVIDIA')" \
        "device.attributes['gpu.nvidia.com'].productName.matches('^NVIDIA (A|H)100')" \
        "device.allowMultipleAllocations == true" \
        "[1, 2, 3].all(x, x > 0) && {'a': 1}['a'] == 1" \
        "size(device.attributes['gpu.nvidia.com'].uuid) > 3 ? true : false" \
        "int('12') + 3 * (4 - 1) / 2 % 5 == 7" \
        "device.attributes['resource.kubernetes.io'].pcieRoot == 'pci0000:00'"
      ;;
    trace_fuzz)
      seed "$dir" fuzz/corpus/trace/* tests/bad-input/*.csv examples/trace/*.csv
      ;;
    scenario_fuzz)
      seed "$dir" fuzz/corpus/scenario/* tests/bad-input/scenario-*.yaml examples/scenarios/*.yaml
      ;;
    *)
      [ -d "fuzz/corpus/${t%_fuzz}" ] && seed "$dir" "fuzz/corpus/${t%_fuzz}"/*
      ;;
  esac
  echo "$dir"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "fuzz-smoke: ${#targets[@]} targets, ${per_target} s each; reproducers go to $findings"
failed=()
for t in "${targets[@]}"; do
  seeds=$(seeds_for "$t")
  corpus=$work/corpus/$t
  if [ -n "${FUZZ_CORPUS:-}" ]; then
    corpus=$FUZZ_CORPUS/$t
  fi
  mkdir -p "$corpus" "$findings/$t"
  log=$work/$t.log
  started=$(date +%s)
  status=0
  # The first folder receives new inputs; the seed folder is only read. A single input that
  # runs longer than 10 s (sanitizers included) counts as a hang.
  # shellcheck disable=SC2086
  "$build/fuzz/$t" -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/$t/" ${FUZZ_ARGS:-} \
    "$corpus" "$seeds" >"$log" 2>&1 || status=$?
  elapsed=$(( $(date +%s) - started ))
  runs=$(sed -n -E 's/^stat::number_of_executed_units:[[:space:]]*([0-9]+).*/\1/p' "$log" | tail -1)
  inputs=$(find "$corpus" -type f | wc -l)
  if [ "$status" -eq 0 ]; then
    echo "fuzz-smoke: $t ok: ${runs:-?} runs in ${elapsed} s, corpus ${inputs} inputs"
    continue
  fi
  failed+=("$t")
  echo "fuzz-smoke: $t FAILED (exit $status) after ${elapsed} s; the end of its log:" >&2
  tail -n 60 "$log" >&2
  artifact=$(sed -n -E 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -1)
  if [ -n "$artifact" ] && [ -f "$artifact" ]; then
    echo "fuzz-smoke: reproducer: $artifact ($(wc -c <"$artifact") bytes), base64:" >&2
    head -c 4096 "$artifact" | base64 >&2
    echo "fuzz-smoke: replay it with: $build/fuzz/$t $artifact" >&2
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz-smoke: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz-smoke: all ${#targets[@]} targets ran ${per_target} s without a finding"
