# memtrace build.  `make` builds build/memtrace; `make install` installs it
# (PREFIX, DESTDIR, BINDIR, MANDIR); `make demo`, `make test` and `make bench`
# first install the Debian packages they need that are missing
# (tools/setup-deps.sh: build, demo, test and bench lists).
OUT        ?= build
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
CLANG      ?= clang
BPFTOOL    ?= bpftool
CC         ?= cc
PYTHON     ?= python3

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# The user's CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS (environment or command
# line) are always honoured and come last, so they win; the project's own
# flags are the MT_* ones, always added.  -Werror only in CI (CI=true) and in
# `make test`/`make check` (WERROR=1): a newer compiler's new warning must not
# break a user's build.
CFLAGS     ?= -O2 -g
WERROR     ?= $(if $(filter true,$(CI)),1,0)
MT_WERROR  := $(if $(filter 1,$(WERROR)),-Werror,)
MT_WARN    := -Wall -Wextra $(MT_WERROR)
# user/ is in folders by stage (README, Layout); headers are included by name.
USER_DIRS  := lib model symbols formats trace cli
USER_INC   := -Iuser $(addprefix -Iuser/,$(USER_DIRS))
MT_CFLAGS  := $(MT_WARN) -std=gnu11 -fno-omit-frame-pointer -MMD -MP -Iinclude -I$(OUT) $(USER_INC)
MT_LDLIBS  := -lbpf -ldw -ldebuginfod -lelf -lz -lm -lpthread -liberty
ALL_CFLAGS  = $(MT_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDLIBS  = $(MT_LDLIBS) $(LDLIBS)

# Installation, as Debian tools: DESTDIR stages, PREFIX is where it runs.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL    ?= install
# `git describe` of this checkout; a tarball says so instead.
MT_VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo "0.1 (not built from a git checkout)")

# clang's own system include dirs, passed to the BPF compile as -idirafter so
# <asm/types.h> and friends resolve through the multiarch dir without hard-coding it.
CLANG_BPF_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall $(MT_WERROR) -MMD -MP \
	-Iinclude -Ivmlinux/$(ARCH) $(CLANG_BPF_SYS_INCLUDES)

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
USER_SRCS  := $(wildcard user/*.c $(addsuffix /*.c,$(addprefix user/,$(USER_DIRS))))
USER_OBJS  := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
# Programs: memtrace (main.c) and memtrace-report (cli/main_report.c, the
# offline commands alone); every other object is shared.
MAIN_OBJS  := $(OUT)/user/main.o $(OUT)/user/cli/main_report.o
LIB_OBJS   := $(filter-out $(MAIN_OBJS),$(USER_OBJS))
# What memtrace-report links: no trace/, no libbpf.
REPORT_OBJS := $(OUT)/user/cli/main_report.o $(OUT)/user/cli/cmd_report.o $(OUT)/user/cli/output.o \
	$(OUT)/user/cli/output_empty.o $(OUT)/user/cli/output_options.o \
	$(OUT)/user/cli/option_values.o $(OUT)/user/cli/usage_line.o \
	$(filter $(addprefix $(OUT)/user/,$(addsuffix /%,lib model symbols formats)),$(LIB_OBJS))
TOOL_SRCS  := $(wildcard tools/*.c)
TOOLS      := $(patsubst tools/%.c,$(OUT)/tools/%,$(TOOL_SRCS)) $(OUT)/tools/libmtplugin.so \
	$(OUT)/tools/workload_exact_static $(OUT)/tools/workload_cxx $(OUT)/tools/workload_inline \
	$(OUT)/tools/workload_debuglink $(OUT)/tools/workload_debuginfod $(OUT)/tools/workload_minidebug \
	$(OUT)/tools/workload_templates $(OUT)/tools/workload_nofp \
	$(OUT)/tools/workload_nofp_cxx $(OUT)/tools/bench_alloc_nofp
# A Rust workload with v0 mangling, when rustc is installed (make deps).
ifneq ($(shell command -v rustc),)
TOOLS      += $(OUT)/tools/workload_rust
endif
# Linked against Debian's jemalloc, when it is installed (make deps).
JEMALLOC_SO := $(wildcard /usr/lib/$(shell uname -m)-linux-gnu/libjemalloc.so.2)
ifneq ($(JEMALLOC_SO),)
TOOLS      += $(OUT)/tools/workload_jemalloc
endif
# Struct layout fixtures (memtrace layout, tests/e2e/test_layout.py), built -g as users build.
TOOLS      += $(OUT)/fixtures/layout_fx $(OUT)/fixtures/layout_fx_cxx $(OUT)/tools/workload_layout_reordered
UNIT_SRCS  := $(wildcard tests/unit/test_*.c tests/unit/*/test_*.c)
UNIT_OBJS  := $(patsubst tests/unit/%.c,$(OUT)/tests/%.o,$(UNIT_SRCS))
FIXTURES   := $(OUT)/fixtures/fx_pie $(OUT)/fixtures/fx_nopie $(OUT)/fixtures/fx_stripped \
	$(OUT)/fixtures/libfx.so $(OUT)/fixtures/fx_gz_frame

# refgc (runtime/) adds its own targets to EXTRA_ALL and EXTRA_TESTS.
EXTRA_ALL   :=
EXTRA_TESTS :=
-include runtime/runtime.mk
-include runtime/sampler/sampler.mk

.PHONY: all tools deps demo test check unit-test e2e-test bench clean vmlinux fuzz fuzz-replay install uninstall man
.DELETE_ON_ERROR:
.SECONDARY:

.DEFAULT_GOAL := all

all: $(OUT)/layers.ok $(OUT)/memtrace $(OUT)/memtrace-report $(OUT)/memtrace.1 tools $(EXTRA_ALL)

tools: $(TOOLS)

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# Skeletons exist before any object compiles (order-only); after that, each
# object's dependency file names the skeletons it really includes, so a
# change to one BPF program rebuilds only the objects that include it.
$(OUT)/user/%.o: user/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# --version's text: rewritten only when `git describe` changes, so a commit
# relinks memtrace and rebuilds nothing else.
$(OUT)/mt_version.h: FORCE | $(OUT)
	$(Q)printf '#define MT_VERSION "%s"\n' '$(MT_VERSION)' > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
$(OUT)/user/cli/version.o: $(OUT)/mt_version.h
# Phony, not an empty rule: .SECONDARY would let make skip an empty one.
.PHONY: FORCE

# The layer rule (tools/layer_check.py): a file includes headers only from
# its own folder and the folders below it; only trace/ includes BPF contracts.
USER_FILES := $(wildcard user/*.[ch] $(addsuffix /*.[ch],$(addprefix user/,$(USER_DIRS))))
$(OUT)/layers.ok: tools/layer_check.py $(USER_FILES) | $(OUT)
	$(call msg,LAYERS,user/)
	$(Q)$(PYTHON) tools/layer_check.py .
	$(Q)touch $@

$(OUT)/memtrace: $(OUT)/user/main.o $(LIB_OBJS) | $(OUT)/layers.ok
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(ALL_LDLIBS) -o $@

# The man page is --help turned into troff (tools/mkman.py), so the two
# cannot drift: an option added to the argp table is in both.
$(OUT)/memtrace.1: $(OUT)/memtrace tools/mkman.py
	$(call msg,MAN,$@)
	$(Q)$(PYTHON) tools/mkman.py $(OUT)/memtrace > $@

# Linked without -lbpf and without trace/: an offline command that reached
# into the tracer would fail here.
$(OUT)/memtrace-report: $(REPORT_OBJS) | $(OUT)/layers.ok
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(filter-out -lbpf,$(ALL_LDLIBS)) -Wl,--as-needed -o $@

# Workloads keep frame pointers and symbols: the end-to-end tests name their functions.
$(OUT)/tools/%: tools/%.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -fno-omit-frame-pointer -fno-inline -Wall -Wextra $(MT_WERROR) -Iinclude $< -o $@ -lpthread -ldl

# Reachability classes compared with valgrind: -O0 keeps each local on the stack.
$(OUT)/tools/workload_reach: tools/workload_reach.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O0 -g -fno-omit-frame-pointer -Wall -Wextra $(MT_WERROR) $< -o $@ -lpthread

$(OUT)/tools/workload_cxx: tools/workload_cxx.cc | $(OUT)/tools
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O1 -g -fno-omit-frame-pointer -fno-inline -Wall -Wextra $(MT_WERROR) $< -o $@

$(OUT)/tools/workload_jemalloc: tools/jemalloc/workload_jemalloc.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -fno-omit-frame-pointer -fno-inline -Wall -Wextra $(MT_WERROR) $< $(JEMALLOC_SO) -o $@

# The same workload statically linked: malloc comes from the program itself.
$(OUT)/tools/workload_exact_static: tools/workload_exact.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -fno-omit-frame-pointer -fno-inline -Wall -Wextra $(MT_WERROR) -static $< -o $@ -lpthread

# Optimised as released code is: its allocating function is inlined (test_symbols).
$(OUT)/tools/workload_inline: tools/symbols/workload_inline.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer -Wall -Wextra $(MT_WERROR) $< -o $@

# Debug info split out as distributions do (test_symbols_debug): beside the
# stripped binary through .gnu_debuglink; only on a debuginfod server (the
# .debug in tools/debuginfod/); MiniDebugInfo, gdb's recipe (function
# symbols not in .dynsym, xz'd into .gnu_debugdata).
$(OUT)/tools/workload_%.full: tools/symbols/workload_inline.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer -Wall -Wextra $(MT_WERROR) -DVARIANT='"$*"' $< -o $@
$(OUT)/tools/workload_debuglink: $(OUT)/tools/workload_debuglink.full
	$(Q)objcopy --only-keep-debug $< $@.debug
	$(Q)objcopy --strip-all --add-gnu-debuglink=$@.debug $< $@
$(OUT)/tools/workload_debuginfod: $(OUT)/tools/workload_debuginfod.full
	$(Q)mkdir -p $(OUT)/tools/debuginfod
	$(Q)objcopy --only-keep-debug $< $(OUT)/tools/debuginfod/workload_debuginfod.debug
	$(Q)objcopy --strip-all $< $@
$(OUT)/tools/workload_minidebug: $(OUT)/tools/workload_minidebug.full
	$(Q)nm -D $< --format=posix --defined-only | awk '{ print $$1 }' | sort > $@.dynsyms
	$(Q)nm $< --format=posix --defined-only | awk '$$2 ~ /^[TtDd]$$/ { print $$1 }' | sort > $@.funcsyms
	$(Q)comm -13 $@.dynsyms $@.funcsyms > $@.keep
	$(Q)objcopy --only-keep-debug $< $@.dbg
	$(Q)objcopy -S --remove-section .gdb_index --remove-section .comment --keep-symbols=$@.keep $@.dbg $@.mini
	$(Q)xz -f $@.mini
	$(Q)objcopy --strip-all -R .comment $< $@.tmp
	$(Q)objcopy --add-section .gnu_debugdata=$@.mini.xz $@.tmp $@
	$(Q)rm -f $@.dynsyms $@.funcsyms $@.keep $@.dbg $@.mini.xz $@.tmp

$(OUT)/tools/workload_templates: tools/symbols/workload_templates.cc | $(OUT)/tools
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O1 -g -fno-omit-frame-pointer -Wall -Wextra $(MT_WERROR) $< -o $@

$(OUT)/tools/workload_rust: tools/symbols/workload_rust.rs | $(OUT)/tools
	$(call msg,RUSTC,$@)
	$(Q)env -u MAKEFLAGS -u MFLAGS rustc -C symbol-mangling-version=v0 -C opt-level=1 -C debuginfo=2 -C force-frame-pointers=yes $< -o $@
# Built as distributions build: no frame pointers (the unwinding tests).
$(OUT)/tools/workload_nofp: tools/nofp/workload_nofp.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fomit-frame-pointer -Wall -Wextra $(MT_WERROR) $< -o $@

# The benchmark's workload as distributions build: make bench's unwinding rows.
$(OUT)/tools/bench_alloc_nofp: tools/bench_alloc.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fomit-frame-pointer -Wall -Wextra $(MT_WERROR) $< -o $@ -lpthread

$(OUT)/tools/workload_nofp_cxx: tools/nofp/workload_nofp_cxx.cc | $(OUT)/tools
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O2 -g -fomit-frame-pointer -Wall -Wextra $(MT_WERROR) $< -o $@

$(OUT)/tools/libmtplugin.so: tools/plugin/mtplugin.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -fno-omit-frame-pointer -fPIC -shared -Wall -Wextra $(MT_WERROR) $< -o $@

# ELF fixtures for the symbolizer tests: PIE, non-PIE, stripped, shared library.
$(OUT)/fixtures/fx_pie: tests/fixtures/fx.c | $(OUT)/fixtures
	$(Q)$(CC) -O0 -g -fPIE -pie $< -o $@
$(OUT)/fixtures/fx_nopie: tests/fixtures/fx.c | $(OUT)/fixtures
	$(Q)$(CC) -O0 -g -fno-pie -no-pie $< -o $@
# Its unwind rows in a zlib-compressed .debug_frame (its own code has no .eh_frame).
$(OUT)/fixtures/fx_gz_frame: tests/fixtures/fx.c | $(OUT)/fixtures
	$(Q)$(CC) -O1 -g -gz -fno-asynchronous-unwind-tables $< -o $@
$(OUT)/fixtures/fx_stripped: $(OUT)/fixtures/fx_pie
	$(Q)strip -s $< -o $@
$(OUT)/fixtures/libfx.so: tests/fixtures/libfx.c | $(OUT)/fixtures
	$(Q)$(CC) -O0 -g -fPIC -shared $< -o $@

$(OUT)/fixtures/layout_fx: tests/fixtures/layout_fx.c | $(OUT)/fixtures
	$(Q)$(CC) -O0 -g $< -o $@
$(OUT)/fixtures/layout_fx_cxx: tests/fixtures/layout_fx.cc | $(OUT)/fixtures
	$(Q)$(CXX) -O0 -g $< -o $@

# workload_layout with struct order as `memtrace layout` reorders it.
$(OUT)/tools/workload_layout_reordered: tools/workload_layout.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -fno-omit-frame-pointer -fno-inline -Wall -Wextra $(MT_WERROR) -DREORDERED $< -o $@

$(OUT)/tests/%.o: tests/unit/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -c $< -o $@

$(OUT)/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(ALL_LDLIBS) -lcriterion -o $@

$(OUT) $(OUT)/bpf $(OUT)/user $(OUT)/tools $(OUT)/tests $(OUT)/fixtures:
	$(Q)mkdir -p $@

# What each goal needs and nothing more: `make demo` does not pull the
# test oracles (chromium, golang, openjdk, valgrind).
deps:
	$(Q)tools/setup-deps.sh build demo test bench

demo:
	$(Q)tools/setup-deps.sh build demo
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo.sh

unit-test: $(OUT)/unit-tests $(FIXTURES)
	$(Q)FIXTURES=$(OUT)/fixtures $(OUT)/unit-tests --jobs 1

# The ELF reader's fuzz target (tests/elf/fuzz_elf.c).  `make test` replays
# its corpus without libFuzzer; `make fuzz` runs clang's libFuzzer for
# FUZZ_TIME seconds from those seeds, new inputs going to build/fuzz/corpus,
# crashing ones to build/fuzz/crash-*.
ELF_CORPUS := tests/elf/corpus
FUZZ_TIME  ?= 60
FUZZ_INSTR := user/symbols/elfimg.c user/symbols/go_pclntab.c user/symbols/elf_go_syms.c user/symbols/go_lines.c user/lib/addr_memo.c user/symbols/unwind_table.c user/symbols/unwind_sections.c user/symbols/eh_read.c user/symbols/zsection.c user/trace/probe_offset.c user/trace/x86_insn.c user/symbols/target_file.c user/lib/strpool.c user/lib/hmap.c
FUZZ_INSTR += user/symbols/func_start.c
$(OUT)/tests/replay_elf: tests/elf/fuzz_elf.c tests/elf/replay_main.c $(LIB_OBJS) | $(OUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) $(LDFLAGS) $^ $(ALL_LDLIBS) -o $@

fuzz-replay: $(OUT)/tests/replay_elf
	$(Q)$(OUT)/tests/replay_elf $(ELF_CORPUS)

$(OUT)/fuzz/fuzz_elf: tests/elf/fuzz_elf.c $(FUZZ_INSTR) $(LIB_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(OUT)/fuzz/corpus
	$(Q)clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -Iinclude -I$(OUT) $(USER_INC) \
		tests/elf/fuzz_elf.c $(FUZZ_INSTR) $(filter-out $(patsubst user/%.c,$(OUT)/user/%.o,$(FUZZ_INSTR)),$(LIB_OBJS)) \
		$(ALL_LDLIBS) -o $@

fuzz: $(OUT)/fuzz/fuzz_elf
	$(Q)$(OUT)/fuzz/fuzz_elf -max_total_time=$(FUZZ_TIME) -rss_limit_mb=4096 -artifact_prefix=$(OUT)/fuzz/ $(OUT)/fuzz/corpus $(ELF_CORPUS)

e2e-test: all
	$(Q)$(PYTHON) tools/run_e2e.py

test:
	$(Q)tools/setup-deps.sh build test
	$(Q)$(MAKE) --no-print-directory WERROR=1 all
	$(Q)$(MAKE) --no-print-directory WERROR=1 unit-test fuzz-replay $(EXTRA_TESTS)
	$(Q)$(MAKE) --no-print-directory WERROR=1 e2e-test

check: test

bench:
	$(Q)tools/setup-deps.sh build bench
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/bench.sh

# Regenerate the committed vmlinux.h from the running kernel's BTF.
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

install: $(OUT)/memtrace $(OUT)/memtrace-report $(OUT)/memtrace.1
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPLETIONDIR)
	$(INSTALL) -m 0755 $(OUT)/memtrace $(OUT)/memtrace-report $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(OUT)/memtrace.1 $(DESTDIR)$(MANDIR)/man1/memtrace.1
	$(INSTALL) -m 0644 tools/memtrace.bash-completion $(DESTDIR)$(COMPLETIONDIR)/memtrace

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/memtrace $(DESTDIR)$(BINDIR)/memtrace-report \
		$(DESTDIR)$(MANDIR)/man1/memtrace.1 $(DESTDIR)$(COMPLETIONDIR)/memtrace

man: $(OUT)/memtrace.1

clean:
	rm -rf $(OUT)

-include $(shell find $(OUT) -name '*.d' 2>/dev/null)
