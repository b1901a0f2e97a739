# The two quick-start commands are `make demo` and `make test`; both install what is
# missing first. Build trees live under build/<preset>.
JOBS ?= $(shell nproc)
CTEST_ARGS ?=
# CI builds with warnings as errors.
ifeq ($(CI),true)
WERROR := -DTESSERA_WERROR=ON
endif

.PHONY: deps demo build test test-slow test-asan asan fuzz-smoke bench format clean

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake --preset release $(WERROR) >/dev/null
	cmake --build --preset release -j $(JOBS)

demo: build
	./build/release/apps/tessera/tessera simulate
	@echo
	./build/release/apps/tessera/tessera schedule -f examples/cluster/ -f examples/pods.yaml -o table
	@echo
	./build/release/apps/tessera/tessera schedule -f examples/dra/ -o table
	@echo
	./build/release/apps/tessera/tessera schedule -f examples/gangs/ -o table

test: deps
	cmake --preset debug $(WERROR) >/dev/null
	cmake --build --preset debug -j $(JOBS)
	ctest --preset debug -j $(JOBS) -LE slow $(CTEST_ARGS)

test-slow: deps
	cmake --preset release $(WERROR) >/dev/null
	cmake --build --preset release -j $(JOBS)
	ctest --preset release -j $(JOBS) -L slow $(CTEST_ARGS)

# One clang build tree, build/asan, serves both sanitizer targets: every library, test and
# fuzz target is compiled with ASan + UBSan (UBSan findings are fatal) and libFuzzer's
# coverage instrumentation. `make test-asan` builds it all and runs the default suite there;
# `make fuzz-smoke` builds the fuzz targets in it and runs each for FUZZ_SECONDS in all
# (default 60); a crash, leak or hang fails it. `make asan` is the older name of test-asan.
# No -Werror in this tree: CI gates on GCC's warnings (`make test`). docs/robustness.md.
test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS) -LE slow $(CTEST_ARGS)

asan: test-asan

fuzz-smoke: deps
	cmake --preset asan >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	bash scripts/fuzz-smoke.sh

bench: build
	./build/release/bench/tessera_benchmarks --benchmark_min_time=0.2

format:
	find src apps tests bench fuzz -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf build
