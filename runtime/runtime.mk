# refgc: the garbage-collected runtime (runtime/, include/refgc.h).
# Included by the top-level Makefile; everything it builds lives in
# $(OUT)/librefgc.*, $(OUT)/refgc-* and $(OUT)/refgc/ (sanitizers: $(OUT)/refgc-asan/,
# $(OUT)/refgc-tsan/).

REFGC_SRCS  := $(wildcard runtime/*.c)
REFGC_OBJS  := $(patsubst runtime/%.c,$(OUT)/refgc/%.o,$(REFGC_SRCS))
REFGC_AOBJS := $(patsubst runtime/%.c,$(OUT)/refgc-asan/%.o,$(REFGC_SRCS))
REFGC_CFLAGS := $(filter-out -I$(OUT) $(USER_INC),$(MT_CFLAGS) $(CPPFLAGS) $(CFLAGS)) -fPIC -pthread -fvisibility=default
REFGC_ASAN  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Tools and tests keep frame pointers and symbols: memtrace's tests name
# their functions.
REFGC_TOOL_CFLAGS := $(REFGC_CFLAGS) -O2 -g -fno-omit-frame-pointer

REFGC_TESTBIN := $(OUT)/refgc/test_config $(OUT)/refgc/test_api $(OUT)/refgc/stress \
		 $(OUT)/refgc/stress-resume

EXTRA_ALL   += $(OUT)/librefgc.so $(OUT)/librefgc.a $(OUT)/refgc-bench $(OUT)/refgc-tune \
	       $(OUT)/refgc-poolbench $(OUT)/tools/workload_refgc_heap
EXTRA_TESTS += refgc-test

.PHONY: refgc refgc-test refgc-asan

refgc: $(OUT)/librefgc.so $(OUT)/librefgc.a $(OUT)/refgc-bench $(OUT)/refgc-tune \
       $(OUT)/refgc-poolbench

$(OUT)/refgc/%.o: runtime/%.c | $(OUT)/refgc
	$(call msg,CC,$@)
	$(Q)$(CC) $(REFGC_CFLAGS) -Iruntime -c $< -o $@

$(OUT)/refgc-asan/%.o: runtime/%.c | $(OUT)/refgc-asan
	$(call msg,CC,$@)
	$(Q)$(CC) $(REFGC_CFLAGS) -O1 $(REFGC_ASAN) -Iruntime -c $< -o $@

$(OUT)/librefgc.so: $(REFGC_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -shared -pthread -Wl,-soname,librefgc.so $^ -o $@ -lm

$(OUT)/librefgc.a: $(REFGC_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The bench links the shared library so that `usdt:build/librefgc.so:...`
# probes fire in it; $ORIGIN finds the library next to the binary.
$(OUT)/refgc-bench: runtime/bench/refgc-bench.c $(OUT)/librefgc.so
	$(call msg,CC,$@)
	$(Q)$(CC) $(REFGC_TOOL_CFLAGS) $< -o $@ -L$(OUT) -lrefgc -Wl,-rpath,'$$ORIGIN' -lm

$(OUT)/refgc-poolbench: runtime/bench/refgc-poolbench.c $(OUT)/librefgc.so
	$(call msg,CC,$@)
	$(Q)$(CC) $(REFGC_TOOL_CFLAGS) $< -o $@ -L$(OUT) -lrefgc -Wl,-rpath,'$$ORIGIN'

$(OUT)/refgc-tune: runtime/bench/refgc-tune.c $(OUT)/librefgc.a
	$(call msg,CC,$@)
	$(Q)$(CC) $(REFGC_TOOL_CFLAGS) $< -o $@ $(OUT)/librefgc.a -lm

# memtrace's refgc heap tests (tests/e2e/test_refgc_heap.py).
$(OUT)/tools/workload_refgc_heap: tools/refgc/workload_refgc_heap.c $(OUT)/librefgc.a | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) $(REFGC_TOOL_CFLAGS) -fno-inline $< -o $@ $(OUT)/librefgc.a -lm

$(OUT)/refgc/test_%: tests/refgc/test_%.c $(OUT)/librefgc.a
	$(call msg,CC,$@)
	$(Q)$(CC) $(REFGC_TOOL_CFLAGS) -Iruntime $< -o $@ $(OUT)/librefgc.a -lcriterion -lm

$(OUT)/refgc/stress: tests/refgc/stress.c $(OUT)/librefgc.a
	$(call msg,CC,$@)
	$(Q)$(CC) $(REFGC_TOOL_CFLAGS) $< -o $@ $(OUT)/librefgc.a -lm

$(OUT)/refgc-asan/stress: tests/refgc/stress.c $(REFGC_AOBJS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(REFGC_CFLAGS) -O1 -g $(REFGC_ASAN) $^ -o $@ -lm

$(OUT)/refgc-asan/refgc-bench: runtime/bench/refgc-bench.c $(REFGC_AOBJS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(REFGC_CFLAGS) -O1 -g $(REFGC_ASAN) $^ -o $@ -lm

# ThreadSanitizer build of the stress test (one compile: no objects to reuse).
$(OUT)/refgc-tsan/stress: tests/refgc/stress.c $(REFGC_SRCS) $(wildcard runtime/*.h) include/refgc.h | $(OUT)/refgc-tsan
	$(call msg,CC,$@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(REFGC_CFLAGS)) -O1 -g -fsanitize=thread -Iruntime \
		$(REFGC_SRCS) $< -o $@ -lm

$(OUT)/refgc $(OUT)/refgc-asan $(OUT)/refgc-tsan:
	$(Q)mkdir -p $@

# The stress test with a mark-termination budget of one slot: nearly every
# termination with work left resumes concurrent marking, a path the real
# budget rarely takes.
$(OUT)/refgc/stress-resume: tests/refgc/stress.c $(REFGC_SRCS) $(wildcard runtime/*.h) include/refgc.h | $(OUT)/refgc
	$(call msg,CC,$@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(REFGC_TOOL_CFLAGS)) -DREFGC_TERM_BUDGET=1 -Iruntime \
		$(REFGC_SRCS) $< -o $@ -lm

refgc-asan: $(OUT)/refgc-asan/stress $(OUT)/refgc-asan/refgc-bench

# Everything refgc promises, in about two minutes.
refgc-test: refgc refgc-asan $(REFGC_TESTBIN) $(OUT)/refgc-tsan/stress
	$(Q)tests/refgc/run-tests.sh $(OUT)
