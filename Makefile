# model-gateway — every command a developer or CI needs. `make run` and `make test` set up what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SWIFT        ?= swift
CONFIG       ?= config/model-gateway.yaml
PORT         ?= $(or $(SERVICE_PORT),8000)
VENV         := .venv
PY           := $(VENV)/bin/python
BUILD_FLAGS  ?= -Xswiftc -warnings-as-errors
# Release binaries carry the Swift runtime and Foundation inside: only the pages in use become resident
# (idle RSS 26 MiB instead of 32 with the shared libraries), and the binary runs without the toolchain.
RELEASE_FLAGS := -c release --static-swift-stdlib
APT_PACKAGES := libnghttp2-dev libmimalloc-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libcurl4-openssl-dev \
                libhttp-parser-dev zlib1g-dev nghttp2-client curl python3-venv pkg-config redis-server docker-compose
# proto file -> C target that holds its generated protobuf-c code
PROTOS       := rpctest/v1/test_service.proto:CRPCTestProto \
                modelgateway/v1/gateway.proto:CGatewayProto \
                grpc/health/v1/health.proto:CGatewayProto \
                grpc/reflection/v1/reflection.proto:CGatewayProto \
                google/rpc/status.proto:CGatewayProto google/rpc/error_details.proto:CGatewayProto \
                google/protobuf/any.proto:CGatewayProto google/protobuf/duration.proto:CGatewayProto
# protos served by the gateway's reflection service (v1alpha's messages are v1's on the wire: no C code)
REFLECTED    := modelgateway/v1/gateway.proto grpc/health/v1/health.proto grpc/reflection/v1/reflection.proto \
                grpc/reflection/v1alpha/reflection.proto
DESCRIPTORS  := ModelGatewayGRPC/ProtoDescriptors.swift

.PHONY: help install build release run run-docker run-full test test-unit test-e2e lint format contract-test bench clean proto proto-check venv \
        fuzz fuzz-build test-asan test-asan-unit test-tsan soak

help:
	@echo "make run            install what is missing, build, serve $(CONFIG) on port $(PORT)"
	@echo "make test           install what is missing, then every test (unit, end-to-end, contract)"
	@echo "make test-unit      Swift unit tests only"
	@echo "make bench          performance harness (not part of make test)"
	@echo "make fuzz           every fuzz target for FUZZ_S seconds (default 60) each"
	@echo "make test-asan      unit and end-to-end tests built with AddressSanitizer (test-tsan: ThreadSanitizer)"
	@echo "make soak           SOAK_S seconds (default 300) of mixed and hostile traffic, then leak checks"
	@echo "make proto          regenerate protobuf-c code from proto/"
	@echo "make lint | format  swift-format check / rewrite"

## install: Debian packages (as root) and the Python test venv; idempotent.
install:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root (or: sudo apt-get install$$missing)"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

venv: $(VENV)/.ready
$(VENV)/.ready: Tests/e2e/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r Tests/e2e/requirements.txt
	touch $@

build: install
	$(SWIFT) build $(BUILD_FLAGS)

release: install
	$(SWIFT) build $(RELEASE_FLAGS) $(BUILD_FLAGS) --product model-gateway

run: release
	.build/release/model-gateway --config $(CONFIG) --port $(PORT)

## Containers (deploy/): the gateway alone, or with Redis (shared state) and Jaeger (traces) wired in.
run-docker:
	docker compose -f deploy/compose.yaml up --build gateway
run-full:
	REDIS_URL=redis://redis:6379 OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4318 \
	  docker compose -f deploy/compose.yaml --profile full up --build

test: install proto-check lint test-unit test-e2e test-asan-unit  # test-e2e includes the contract tests

test-unit: install
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build

test-e2e: install venv release
	$(SWIFT) build $(BUILD_FLAGS)
	$(PY) -m pytest -q Tests/e2e

contract-test: install venv
	$(SWIFT) build $(BUILD_FLAGS)
	$(PY) -m pytest -q -m contract Tests/e2e

bench: install
	bench/run

## Sanitizers: a build folder each (.build-asan, .build-tsan); the end-to-end suite runs their binaries.
## LeakSanitizer is off: Swift keeps weak-reference side tables behind tagged bits of an object's refcount
## word, which LSan cannot follow, so every live weak reference reads as a leak. Leaks are what `make soak`
## measures instead (RSS and descriptors before and after).
ASAN_ENV := ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:halt_on_error=1
test-asan-unit: install
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan $(BUILD_FLAGS)
	$(ASAN_ENV) $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan

test-asan: test-asan-unit venv
	BIN_DIR=.build-asan/debug $(ASAN_ENV) $(PY) -m pytest -q Tests/e2e

## GATEWAY_TSAN: `Locked` takes pthread locks, which TSan sees (the standard library's `Mutex` it cannot).
test-tsan: install venv
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan -Xswiftc -DGATEWAY_TSAN $(BUILD_FLAGS)
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan \
	  -Xswiftc -DGATEWAY_TSAN
	BIN_DIR=.build-tsan/debug TSAN_OPTIONS=halt_on_error=1 $(PY) -m pytest -q Tests/e2e

## Fuzzing (libFuzzer): one runner, the target from FUZZ_TARGET; new inputs go to .build-fuzz/corpus, the
## committed corpus (Tests/Fuzz/Corpus: seed-* from make_seeds.py, found-* merged in from fuzzing runs with
## -merge=1) is read, crashes land in .build-fuzz/artifacts.
FUZZ_S       ?= 60
FUZZ_TARGETS := http1 http2 grpc-framing protobuf json streams config resp media answers
fuzz-build: install
	$(SWIFT) build --scratch-path .build-fuzz -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
	  -Xswiftc -use-ld=lld --product gateway-fuzz  # gold crashes reporting on libFuzzer's archive

fuzz: fuzz-build
	@mkdir -p .build-fuzz/artifacts; for target in $(FUZZ_TARGETS); do \
	  mkdir -p .build-fuzz/corpus/$$target; echo "== $$target ($(FUZZ_S) s)"; \
	  FUZZ_TARGET=$$target .build-fuzz/debug/gateway-fuzz -max_total_time=$(FUZZ_S) -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 -artifact_prefix=.build-fuzz/artifacts/$$target- \
	    .build-fuzz/corpus/$$target Tests/Fuzz/Corpus/$$target > .build-fuzz/$$target.log 2>&1; status=$$?; \
	  grep -E "DONE|stat::number_of_executed_units|stat::peak_rss_mb" .build-fuzz/$$target.log; \
	  if [ $$status != 0 ]; then tail -40 .build-fuzz/$$target.log; exit 1; fi; \
	done

## soak: bounded mixed and hostile traffic against the release binary; fails on a crash, a leak or an
## unanswered request. Not part of `make test`.
SOAK_S ?= 300
soak: release venv
	$(SWIFT) build -c release --static-swift-stdlib --product rpc-test-server $(BUILD_FLAGS)
	$(PY) bench/soak.py --bin-dir .build/release --seconds $(SOAK_S)

## proto: regenerate the committed protobuf-c code (header under include/, source under src/).
PROTO_ROOT ?= Sources
proto:
	@for entry in $(PROTOS); do \
	  file=$${entry%%:*}; target=$${entry##*:}; base=$${file%.proto}; \
	  tmp=$$(mktemp -d); protoc-c --proto_path=proto --c_out=$$tmp proto/$$file || exit 1; \
	  mkdir -p $(PROTO_ROOT)/$$target/include/$$(dirname $$file) $(PROTO_ROOT)/$$target/src; \
	  mv $$tmp/$$base.pb-c.h $(PROTO_ROOT)/$$target/include/$$base.pb-c.h; \
	  mv $$tmp/$$base.pb-c.c $(PROTO_ROOT)/$$target/src/$$(echo $$base | tr / _).pb-c.c; \
	  rm -rf $$tmp; echo "generated $$target from $$file"; \
	done
	@mkdir -p $(PROTO_ROOT)/$$(dirname $(DESCRIPTORS))
	@python3 proto/gen_descriptors.py $(PROTO_ROOT)/$(DESCRIPTORS) proto $(REFLECTED)
	@$(SWIFT) format --in-place --configuration .swift-format $(PROTO_ROOT)/$(DESCRIPTORS) && echo "generated $(DESCRIPTORS)"

## proto-check: fails when the committed generated code is not what `make proto` produces.
proto-check: install
	@tmp=$$(mktemp -d); $(MAKE) -s proto PROTO_ROOT=$$tmp >/dev/null || exit 1; stale=0; \
	for f in $$(cd $$tmp && find . -type f); do \
	  cmp -s $$tmp/$$f Sources/$$f || { echo "stale: Sources/$${f#./}"; stale=1; }; done; \
	rm -rf $$tmp; \
	if [ $$stale = 1 ]; then echo "generated protobuf-c code is stale: run 'make proto' and commit"; exit 1; fi; \
	echo "generated protobuf-c code is fresh"

lint:
	$(SWIFT) format lint --recursive --strict Sources Tests Package.swift

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build .build-asan .build-tsan .build-fuzz $(VENV)
