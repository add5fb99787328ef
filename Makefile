# The newcomer's entry points. `make demo` needs only gcc, make and cmake; `make test`
# installs what the tests need (cmocka) first. The real build is CMake (CMakeLists.txt).
BUILD   ?= build/dev
RELEASE ?= build/release
CMAKE   ?= cmake
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build demo deps test bench install clean

all: build

build:
	@$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)

demo: build
	@echo
	@$(BUILD)/examples/demo

deps:
	@sh tools/install-deps.sh

test: deps build
	@cd $(BUILD) && ctest --output-on-failure --no-label-summary -j $(JOBS)

bench:
	@$(CMAKE) -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=Release -DCEVM_BUILD_TESTS=OFF >/dev/null
	@$(CMAKE) --build $(RELEASE) -j $(JOBS) --target bench_vm bench_peers
	@$(RELEASE)/bench/bench_vm
	@$(RELEASE)/bench/bench_peers

install: build
	$(CMAKE) --install $(BUILD)

clean:
	rm -rf build
