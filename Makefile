# The two set-up commands of README.md, and the benchmark table.
#   make demo   installs what is missing, builds, and runs the main job
#   make test   installs what is missing, builds, and runs the test suite
#   make bench  also installs PyTorch, and prints Ember's and PyTorch's times side by side
#   make bench-gpu  the same on vulkan:0 against PyTorch on CUDA (a machine with both)
#   make sanitize   the unit tests and the fuzz regressions under AddressSanitizer and UBSan
#   make fuzz   each libFuzzer target for FUZZ_SECONDS (clang)
BUILD ?= build
JOBS ?= $(shell nproc)
# CI builds with warnings as errors.
WERROR ?= $(if $(CI),ON,OFF)
# Debian's python3, which has Debian's PyTorch.
PYTHON ?= /usr/bin/python3
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_WERROR=$(WERROR)

FUZZ_SECONDS ?= 60

.PHONY: deps demo test sanitize fuzz bench bench-gpu clean

deps:
	@scripts/install-deps.sh

# The main job: the MLP on Fashion-MNIST, 3 epochs on the best device present.
demo: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target ember-cli
	$(BUILD)/tools/ember train --model mlp --dataset fashion-mnist --epochs 3 \
	  --save $(BUILD)/mlp.safetensors --plot $(BUILD)/mlp.svg

test: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest -LE slow --output-on-failure -j $(JOBS)

# The unit tests, the fuzz regressions and the Vulkan tests on lavapipe. Left out: the
# installed-package test (a program built outside against the sanitized library would need
# the sanitizer runtime too) and the validation-layer and staging reruns of the Vulkan tests.
# A malloc the sanitizer's allocator refuses returns null, as the system's does, instead of
# aborting the run. The Vulkan loader unloads lavapipe with its instance, which would leave
# what the driver keeps for the process unreachable from unmapped code: preloading the driver
# keeps it mapped, and tests/sanitize/lsan.supp suppresses leaks inside it by name.
LAVAPIPE := $(wildcard /usr/lib/$(shell gcc -print-multiarch)/libvulkan_lvp.so)
sanitize: deps
	cmake -S . -B $(BUILD)-sanitize $(CMAKE_FLAGS) -DEMBER_SANITIZE=ON -DEMBER_BUILD_EXAMPLES=OFF >/dev/null
	cmake --build $(BUILD)-sanitize -j $(JOBS)
	cd $(BUILD)-sanitize && ASAN_OPTIONS=allocator_may_return_null=1:verify_asan_link_order=0 \
	  LD_PRELOAD="$(LAVAPIPE)" \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitize/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest -L 'unit|vulkan' -LE slow -E 'install_and_find_package|_under_validation|_through_staging' \
	  --output-on-failure -j $(JOBS)

fuzz:
	@scripts/install-deps.sh --fuzz
	cmake -S . -B $(BUILD)-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
	  -DEMBER_FUZZ=ON -DEMBER_BUILD_EXAMPLES=OFF >/dev/null
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target fuzz-targets
	scripts/fuzz.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

bench:
	@scripts/install-deps.sh --bench
	cmake -S . -B $(BUILD)-bench $(CMAKE_FLAGS) -DEMBER_BUILD_BENCH=ON -DEMBER_BUILD_TESTS=OFF >/dev/null
	cmake --build $(BUILD)-bench -j $(JOBS)
	$(PYTHON) bench/compare.py --ember $(BUILD)-bench/bench/ember_bench --svg $(BUILD)-bench/ratios.svg
	$(PYTHON) bench/compare_train.py --ember $(BUILD)-bench/tools/ember

bench-gpu:
	cmake -S . -B $(BUILD)-bench $(CMAKE_FLAGS) -DEMBER_BUILD_BENCH=ON -DEMBER_BUILD_TESTS=OFF >/dev/null
	cmake --build $(BUILD)-bench -j $(JOBS)
	$(PYTHON) bench/compare.py --ember $(BUILD)-bench/bench/ember_bench --device vulkan:0 \
	  --torch-device cuda --rounds 2 --svg $(BUILD)-bench/ratios-gpu.svg
	$(PYTHON) bench/compare_train.py --ember $(BUILD)-bench/tools/ember --device vulkan:0 \
	  --torch-device cuda

clean:
	rm -rf $(BUILD) $(BUILD)-bench $(BUILD)-sanitize $(BUILD)-fuzz
