# Makefile — builds bin/alertfilter and runs its tests, sanitizers, fuzzers and benchmarks.
# O=DIR puts every output (objects, tests, binary) under DIR instead of the tree.

CC      ?= cc
O       ?= .
B       := $(O)/build
BIN     := $(O)/bin/alertfilter
VERSION := $(shell cat VERSION)
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -I. -DALERTFILTER_VERSION='"$(VERSION)"'
LDLIBS_ALERT := -lz -lm
LDLIBS_SKY  := -lchealpix -lcfitsio -lm
LDLIBS_PROC := -lrdkafka -lconfig -lmicrohttpd -lcurl -lpthread $(LDLIBS_SKY) $(LDLIBS_ALERT)
FUZZ_SECONDS ?= 60

ALERT_SRC := $(sort $(wildcard alert/*.c))
RULES_SRC := $(sort $(wildcard rules/*.c))
SKY_SRC   := $(sort $(wildcard sky/*.c))
PROC_SRC  := $(filter-out processor/main.c,$(sort $(wildcard processor/*.c)))
obj = $(patsubst %.c,$(B)/%.o,$(1))

# Tests: tests/alert/test_*.c link alert/; tests/sky/ sky/; tests/rules/ add rules/ and sky/; tests/processor/ add everything.
TEST_ALERT := $(patsubst %.c,$(B)/%,$(wildcard tests/alert/test_*.c))
TEST_SKY   := $(patsubst %.c,$(B)/%,$(wildcard tests/sky/test_*.c))
TEST_RULES := $(patsubst %.c,$(B)/%,$(wildcard tests/rules/test_*.c))
TEST_PROC  := $(patsubst %.c,$(B)/%,$(wildcard tests/processor/test_*.c))
TEST_DOCS  := $(patsubst %.c,$(B)/%,$(wildcard tests/docs/test_*.c)) # run the binary and tests/docs/check_docs.py
TESTS      := $(sort $(TEST_ALERT) $(TEST_SKY) $(TEST_RULES) $(TEST_PROC) $(TEST_DOCS))

.PHONY: all deps test test-kafka asan fuzz bench bench-kafka bench-peers demo demo-kafka clean
.DEFAULT_GOAL := all

all: $(BIN)

deps:
	@scripts/deps.sh build

$(B)/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libalert.a: $(call obj,$(ALERT_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(B)/librules.a: $(call obj,$(RULES_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(B)/libsky.a: $(call obj,$(SKY_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(B)/libproc.a: $(call obj,$(PROC_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(B)/processor/main.o $(B)/libproc.a $(B)/librules.a $(B)/libsky.a $(B)/libalert.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_PROC)

$(TEST_ALERT): $(B)/tests/alert/%: tests/alert/%.c $(B)/libalert.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $(filter %.c %.a,$^) -lcriterion $(LDLIBS_ALERT)
$(TEST_SKY): $(B)/tests/sky/%: tests/sky/%.c $(B)/libsky.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $(filter %.c %.a,$^) -lcriterion $(LDLIBS_SKY)
$(TEST_RULES): $(B)/tests/rules/%: tests/rules/%.c $(B)/librules.a $(B)/libsky.a $(B)/libalert.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $(filter %.c %.a,$^) -lcriterion $(LDLIBS_SKY) $(LDLIBS_ALERT)
$(TEST_DOCS): $(B)/tests/docs/%: tests/docs/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $(filter %.c,$^) -lcriterion
$(TEST_PROC): $(B)/tests/processor/%: tests/processor/%.c $(B)/libproc.a $(B)/librules.a $(B)/libsky.a $(B)/libalert.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $(filter %.c %.a,$^) -lcriterion $(LDLIBS_PROC)

# make test: every Criterion binary, run from the tree's root with the binary's path in ALERTFILTER_BIN.
test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory $(BIN) $(TESTS)
	@ALERTFILTER_BIN=$(abspath $(BIN)) tests/run.sh $(TESTS)

# make test-kafka: the real-broker suite (tests/kafka/, pytest) on Apache Kafka clusters that it
# starts with scripts/kafka.sh under build/test-kafka; whatever happens, none is left running.
KAFKA_TESTS_DIR := $(abspath $(B))/test-kafka
test-kafka:
	@scripts/deps.sh kafka
	@$(MAKE) --no-print-directory $(BIN)
	@cd tests/kafka && ALERTFILTER_BIN=$(abspath $(BIN)) timeout -k 30 1500 python3 -m pytest -v -s \
	    --basetemp=$(KAFKA_TESTS_DIR) $(KAFKA_TESTS); status=$$?; \
	  for f in $$(find $(KAFKA_TESTS_DIR) -name cluster.env 2>/dev/null); do ../../scripts/kafka.sh stop "$${f%/*}"; done; \
	  exit $$status

# make asan: the same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	@scripts/deps.sh test
	@LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) UBSAN_OPTIONS=print_stacktrace=1 \
	    $(MAKE) --no-print-directory test O=$(abspath $(O))/build-asan CC=clang \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"

# make fuzz: each libFuzzer target in tests/fuzz/ for FUZZ_SECONDS seconds.
# fuzz_alert_*.c link alert/; fuzz_rules_*.c link alert/, rules/ and sky/.
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -I. -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_ALERT := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_alert_*.c))
FUZZ_RULES := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_rules_*.c))
$(FUZZ_ALERT): $(B)/fuzz/%: tests/fuzz/%.c $(ALERT_SRC)
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -o $@ $^ $(LDLIBS_ALERT)
$(FUZZ_RULES): $(B)/fuzz/%: tests/fuzz/%.c $(ALERT_SRC) $(RULES_SRC) $(SKY_SRC)
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -o $@ $^ $(LDLIBS_SKY) $(LDLIBS_ALERT)
fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_ALERT) $(FUZZ_RULES)
	@for f in $(FUZZ_ALERT) $(FUZZ_RULES); do \
	    n=$$(basename $$f); mkdir -p $(B)/fuzz/corpus-$$n; \
	    echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(B)/fuzz/corpus-$$n tests/fuzz/seeds/$$n 2>$(B)/fuzz/$$n.log \
	      || { tail -n 60 $(B)/fuzz/$$n.log; exit 1; }; \
	    grep -E 'stat::number_of_executed_units' $(B)/fuzz/$$n.log; \
	done

# make demo: the main job on the embedded mock broker (scripts/demo.sh).
demo:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory $(BIN)
	@ALERTFILTER_BIN=$(abspath $(BIN)) scripts/demo.sh

# make demo-kafka: the same demo on a one-node Apache Kafka (scripts/kafka.sh).
demo-kafka:
	@scripts/deps.sh kafka
	@$(MAKE) --no-print-directory $(BIN)
	@ALERTFILTER_BIN=$(abspath $(BIN)) DEMO_BROKER=kafka scripts/demo.sh

# make bench: the benchmarks of bench/, ratios side by side in one run.
bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory $(BIN)
	@ALERTFILTER_BIN=$(abspath $(BIN)) bench/run.sh

# make bench-kafka: run --until-eof against a kcat copy on one real Kafka node (bench/kafka.sh).
bench-kafka:
	@scripts/deps.sh bench
	@scripts/deps.sh kafka
	@$(MAKE) --no-print-directory $(BIN)
	@ALERTFILTER_BIN=$(abspath $(BIN)) bench/kafka.sh

# make bench-peers: alertfilter beside Kafka Streams, the seed's Python loop and a kcat copy on one
# real Kafka node (issue 17; bench/peers/run.py, about 20 minutes; not part of CI).
bench-peers:
	@scripts/deps.sh peers
	@$(MAKE) --no-print-directory $(BIN)
	@ALERTFILTER_BIN=$(abspath $(BIN)) timeout 3600 python3 bench/peers/run.py

clean:
	rm -rf $(B) $(O)/bin $(O)/build-asan

-include $(shell find $(B) -name '*.d' 2>/dev/null)
