# libmemtrace-sampler (runtime/sampler/): the otel_memory USDT contract's
# provider, preloaded or linked by the traced program (README, Layout: it
# runs inside the target, as refgc does, so it lives under runtime/).
# Included by the top-level Makefile; builds $(OUT)/libmemtrace-sampler.{so,a},
# its objects in $(OUT)/sampler/ and its ASan stress test in $(OUT)/sampler-asan/.

SAMPLER_SRCS   := $(wildcard runtime/sampler/*.c)
SAMPLER_OBJS   := $(patsubst runtime/sampler/%.c,$(OUT)/sampler/%.o,$(SAMPLER_SRCS))
SAMPLER_AOBJS  := $(patsubst runtime/sampler/%.c,$(OUT)/sampler-asan/%.o,$(SAMPLER_SRCS))
# Frame pointers: the probes fire in the wrappers, and memtrace's walk
# starts from their return address.  Only the wrappers are exported.
SAMPLER_CFLAGS := $(MT_WARN) -std=gnu11 -O2 -g -fPIC -fno-omit-frame-pointer -fvisibility=hidden -fexceptions \
	-fno-builtin-malloc -fno-builtin-free -Iruntime/sampler $(CPPFLAGS) $(CFLAGS)
SAMPLER_ASAN   := -fsanitize=address,undefined -fno-sanitize-recover=all

EXTRA_ALL   += $(OUT)/libmemtrace-sampler.so $(OUT)/libmemtrace-sampler.a
EXTRA_TESTS += sampler-test

.PHONY: sampler sampler-test

sampler: $(OUT)/libmemtrace-sampler.so $(OUT)/libmemtrace-sampler.a

$(OUT)/sampler/%.o: runtime/sampler/%.c | $(OUT)/sampler
	$(call msg,CC,$@)
	$(Q)$(CC) $(SAMPLER_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/sampler-asan/%.o: runtime/sampler/%.c | $(OUT)/sampler-asan
	$(call msg,CC,$@)
	$(Q)$(CC) $(SAMPLER_CFLAGS) -O1 $(SAMPLER_ASAN) -MMD -MP -c $< -o $@

$(OUT)/libmemtrace-sampler.so: $(SAMPLER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libmemtrace-sampler.so $^ -o $@ -ldl -lm

$(OUT)/libmemtrace-sampler.a: $(SAMPLER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The stress test links the sampler's objects into the program itself
# (a preloaded library would sit in front of ASan's own malloc).
$(OUT)/sampler-asan/stress: tests/sampler/stress.c $(SAMPLER_AOBJS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(SAMPLER_CFLAGS) -O1 $(SAMPLER_ASAN) -DSTRESS_FORK_AFTER $^ -o $@ -ldl -lm -lpthread

$(OUT)/sampler/stress: tests/sampler/stress.c $(OUT)/libmemtrace-sampler.a
	$(call msg,CC,$@)
	$(Q)$(CC) $(SAMPLER_CFLAGS) $^ -o $@ -ldl -lm -lpthread

# The operator new/delete wrappers' stress (C++), built the same two ways.
$(OUT)/sampler-asan/stress_new: tests/sampler/stress_new.cc $(SAMPLER_AOBJS)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(MT_WARN) -O1 -g -fno-omit-frame-pointer $(SAMPLER_ASAN) -Iruntime/sampler $^ -o $@ -ldl -lm -lpthread

$(OUT)/sampler/stress_new: tests/sampler/stress_new.cc $(OUT)/libmemtrace-sampler.a
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(MT_WARN) -O2 -g -fno-omit-frame-pointer -Iruntime/sampler $^ -o $@ -ldl -lm -lpthread

# A failing realloc is one of the edge cases: ASan must return NULL, not abort.
sampler-test: $(OUT)/sampler-asan/stress $(OUT)/sampler/stress $(OUT)/sampler-asan/stress_new $(OUT)/sampler/stress_new
	$(Q)MEMTRACE_SAMPLE_BYTES=4096 ASAN_OPTIONS=allocator_may_return_null=1 $(OUT)/sampler-asan/stress
	$(Q)MEMTRACE_SAMPLE_BYTES=4096 timeout 120 $(OUT)/sampler/stress
	$(Q)MEMTRACE_SAMPLE_BYTES=4096 ASAN_OPTIONS=allocator_may_return_null=1 $(OUT)/sampler-asan/stress_new
	$(Q)MEMTRACE_SAMPLE_BYTES=4096 timeout 120 $(OUT)/sampler/stress_new

$(OUT)/sampler $(OUT)/sampler-asan:
	$(Q)mkdir -p $@

# A library that links the archive privately (tests/e2e/test_otel_dlopen.py
# dlopens it after the trace began): its calls to malloc bind to its own
# copy of the wrappers, which it does not export.
EXTRA_ALL += $(OUT)/tools/libotel_plugin.so
$(OUT)/tools/libotel_plugin.so: tools/sampler/otel_plugin.c $(OUT)/libmemtrace-sampler.a | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) $(MT_WARN) -O2 -g -fPIC -fno-omit-frame-pointer -shared $< $(OUT)/libmemtrace-sampler.a \
		-Wl,--exclude-libs,libmemtrace-sampler.a -o $@ -ldl -lm

# C++ through operator new (tests/e2e/test_otel_cxx.py): dynamic libstdc++
# (the sampler preloaded, over glibc or jemalloc), and libstdc++ linked
# statically after the sampler's archive, whose operator new is then the
# program's only one.
EXTRA_ALL += $(OUT)/tools/workload_otel_cxx $(OUT)/tools/workload_otel_cxx_static
$(OUT)/tools/workload_otel_cxx: tools/sampler/workload_otel_cxx.cc | $(OUT)/tools
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O1 -g -fno-omit-frame-pointer -fno-inline -Wall -Wextra $(MT_WERROR) $< -o $@

$(OUT)/tools/workload_otel_cxx_static: tools/sampler/workload_otel_cxx.cc $(OUT)/libmemtrace-sampler.a | $(OUT)/tools
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O1 -g -fno-omit-frame-pointer -fno-inline -Wall -Wextra $(MT_WERROR) $< \
		$(OUT)/libmemtrace-sampler.a -static-libstdc++ -o $@ -ldl -lm

# Ten sites with GiBs each (tests/e2e/test_otel_top10.py).
EXTRA_ALL += $(OUT)/tools/workload_top10
$(OUT)/tools/workload_top10: tools/sampler/workload_top10.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -fno-omit-frame-pointer -fno-inline -Wall -Wextra $(MT_WERROR) $< -o $@
