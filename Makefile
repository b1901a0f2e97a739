# The two quick-start commands are `make demo` and `make test`; both install what is
# missing first. Build trees live under build/<preset>.
JOBS ?= $(shell nproc)
CTEST_ARGS ?=
# CI builds with warnings as errors.
ifeq ($(CI),true)
WERROR := -DTESSERA_WERROR=ON
endif

.PHONY: deps demo build test test-slow bench format clean asan

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

test: deps
	cmake --preset debug $(WERROR) >/dev/null
	cmake --build --preset debug -j $(JOBS)
	ctest --preset debug -j $(JOBS) -LE slow $(CTEST_ARGS)

test-slow: deps
	cmake --preset release $(WERROR) >/dev/null
	cmake --build --preset release -j $(JOBS)
	ctest --preset release -j $(JOBS) -L slow $(CTEST_ARGS)

asan: deps
	cmake --preset asan $(WERROR) >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS) -LE slow $(CTEST_ARGS)

bench: build
	./build/release/bench/tessera_benchmarks --benchmark_min_time=0.2

format:
	find src apps tests bench fuzz -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf build
