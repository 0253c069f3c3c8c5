// SPDX-License-Identifier: MIT
/*
 * GC runtime detection and pause collection.  See gc.h.
 *
 * Detection looks at every executable mapping of the target once (by path
 * and inode): USDT notes (.note.stapsdt) say refgc, HotSpot or CPython; Go
 * executables are known by their .go.buildinfo/.gopclntab sections and
 * probed through their .symtab.
 *
 * Go: entry-only uprobes.  A stop-the-world pause begins at
 * runtime.stopTheWorldWithSema's entry and ends where the runtime takes its
 * own end-of-pause timestamp: the instruction after the nanotime call in
 * startTheWorldWithSema, or for mark termination (whose end the runtime
 * takes in gcMarkTermination, before restarting the world) after the last
 * nanotime call there.  Offsets come from decoding the function bodies
 * (e8 rel32 calls whose target is runtime.nanotime1/nanotime).  A pause is
 * a GC pause when its reason says so (Go >= 1.21 passes stwReason in AX) or,
 * for older Go, from the order of events: the first pause after
 * gcBgMarkStartWorkers (gcStart) is sweep termination, one containing
 * gcMarkTermination is the cycle's mark termination.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "elfimg.h"
#include "gc.h"
#include "target_file.h"
#include "gc_events.h" /* before the skeleton: it names struct gc_counters */
#include "gc.skel.h"
#include "gc_stats.h"
#include "grow.h"
#include "log.h"
#include "privs.h"
#include "procmaps.h"

#define GC_MAX_SEEN 512
#define GC_MAX_OPEN 32

struct seen_obj {
	char path[PATH_MAX];
	uint64_t inode;
};

struct open_pause {
	bool used;
	uint32_t tid;
	uint32_t runtime;
	uint32_t phase;
	uint64_t cycle;
	uint64_t ts;
};

struct go_state {
	bool reason_abi;      /* stopTheWorldWithSema(reason): Go >= 1.21 */
	bool cycle_pending;   /* gcBgMarkStartWorkers seen, no pause yet */
	uint64_t pending_ts;
	bool cycle_active;
	bool markdone_seen;
	uint64_t ncycles;
	int stw;              /* 0 none, 1 stopped, 2 restarting */
	uint64_t stw_begin, reason;
	int phase;            /* GC_PH_* or -1: not the GC's */
	bool saw_markterm;
	uint64_t markterm_now, end_entry, end_now;
};

struct gc_tracer {
	pid_t pid;
	int verbose;
	struct gc_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nlinks, links_cap;
	struct seen_obj *seen;
	size_t nseen;
	unsigned runtimes;
	char name[64];
	char describe[512];
	uint64_t start_ns, stop_ns;
	/* what the events built */
	struct gc_pause *pauses;
	size_t npauses, pauses_cap;
	struct gc_cycle *cycles;
	size_t ncycles, cycles_cap;
	struct gc_heap_sample *heap;
	size_t nheap, heap_cap;
	struct open_pause open[GC_MAX_OPEN];
	uint64_t hotspot_cycles, py_cycles;
	uint64_t other_stw, other_stw_ns;
	struct go_state go;
};

static struct gc_cycle *find_cycle(struct gc_tracer *t, unsigned rt, uint64_t id)
{
	for (size_t i = t->ncycles; i-- > 0;) {
		if (t->cycles[i].runtime == rt && t->cycles[i].id == id)
			return &t->cycles[i];
		if (t->ncycles - i > 64)
			break;
	}
	return NULL;
}

static struct gc_cycle *new_cycle(struct gc_tracer *t, unsigned rt, uint64_t id, uint64_t start)
{
	struct gc_cycle *c;

	if (grow((void **)&t->cycles, &t->cycles_cap, t->ncycles, sizeof(*t->cycles), 256))
		return NULL;
	c = &t->cycles[t->ncycles++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->runtime = rt;
	c->start_ns = start;
	return c;
}

static void add_heap(struct gc_tracer *t, uint64_t ts, uint64_t bytes)
{
	if (grow((void **)&t->heap, &t->heap_cap, t->nheap, sizeof(*t->heap), 256))
		return;
	t->heap[t->nheap++] = (struct gc_heap_sample){ ts, bytes };
}

static void add_pause(struct gc_tracer *t, unsigned rt, uint64_t cycle, uint32_t phase, uint64_t start,
		      uint64_t end)
{
	struct gc_cycle *c = find_cycle(t, rt, cycle);

	if (end < start)
		end = start;
	if (!c)
		c = new_cycle(t, rt, cycle, start);
	if (c) {
		c->npauses++;
		c->pause_ns += end - start;
	}
	if (grow((void **)&t->pauses, &t->pauses_cap, t->npauses, sizeof(*t->pauses), 256))
		return;
	t->pauses[t->npauses++] = (struct gc_pause){
		.cycle = cycle, .phase = phase, .runtime = rt, .start_ns = start, .duration_ns = end - start
	};
}

static struct open_pause *open_find(struct gc_tracer *t, unsigned rt, uint32_t tid, uint64_t cycle,
				    uint32_t phase, bool by_tid)
{
	for (int i = 0; i < GC_MAX_OPEN; i++) {
		struct open_pause *o = &t->open[i];

		if (o->used && o->runtime == rt &&
		    (by_tid ? o->tid == tid : (o->cycle == cycle && o->phase == phase)))
			return o;
	}
	return NULL;
}

static void open_add(struct gc_tracer *t, unsigned rt, uint32_t tid, uint64_t cycle, uint32_t phase,
		     uint64_t ts)
{
	struct open_pause *slot = NULL;

	for (int i = 0; i < GC_MAX_OPEN && !slot; i++) {
		if (!t->open[i].used)
			slot = &t->open[i];
	}
	if (!slot) {
		/* Ends that never came: reuse the oldest. */
		slot = &t->open[0];
		for (int i = 1; i < GC_MAX_OPEN; i++) {
			if (t->open[i].ts < slot->ts)
				slot = &t->open[i];
		}
	}
	*slot = (struct open_pause){ true, tid, rt, phase, cycle, ts };
}

/* ---- events --------------------------------------------------------- */

static void go_finish_stw(struct gc_tracer *t)
{
	struct go_state *g = &t->go;
	uint64_t end;

	if (!g->stw)
		return;
	if (g->saw_markterm && g->markterm_now)
		end = g->markterm_now;
	else if (g->end_now)
		end = g->end_now;
	else
		end = g->end_entry;
	g->stw = 0;
	if (!end || end < g->stw_begin)
		return; /* the world never restarted in what we saw */
	switch (g->phase) {
	case GC_PH_SWEEP_TERM: {
		struct gc_cycle *c;

		g->ncycles++;
		c = new_cycle(t, GC_RT_GO, g->ncycles, g->cycle_pending ? g->pending_ts : g->stw_begin);
		(void)c;
		g->cycle_pending = false;
		g->cycle_active = true;
		g->markdone_seen = false;
		add_pause(t, GC_RT_GO, g->ncycles, GC_PH_SWEEP_TERM, g->stw_begin, end);
		break;
	}
	case GC_PH_MARK_TERM: {
		struct gc_cycle *c;

		if (!g->ncycles) {
			/* Attached mid-cycle: its first pause was missed. */
			g->ncycles++;
			new_cycle(t, GC_RT_GO, g->ncycles, g->stw_begin);
		}
		add_pause(t, GC_RT_GO, g->ncycles, GC_PH_MARK_TERM, g->stw_begin, end);
		g->markdone_seen = false;
		if (g->saw_markterm) {
			c = find_cycle(t, GC_RT_GO, g->ncycles);
			if (c)
				c->end_ns = end;
			g->cycle_active = false;
		}
		break;
	}
	default:
		t->other_stw++;
		t->other_stw_ns += end - g->stw_begin;
	}
}

static void go_event(struct gc_tracer *t, const struct gc_event *e)
{
	struct go_state *g = &t->go;

	switch (e->kind) {
	case GCP_GO_CYCLE_START:
		g->cycle_pending = true;
		g->pending_ts = e->ts_ns;
		break;
	case GCP_GO_MARK_DONE:
		if (g->cycle_active)
			g->markdone_seen = true;
		break;
	case GCP_GO_STW_BEGIN:
		go_finish_stw(t);
		g->stw = 1;
		g->stw_begin = e->ts_ns;
		g->reason = e->args[0];
		g->saw_markterm = false;
		g->markterm_now = g->end_entry = g->end_now = 0;
		if (g->reason_abi)
			/* stwReason: 1 GC mark termination, 2 GC sweep termination */
			g->phase = g->reason == 2 ? GC_PH_SWEEP_TERM : g->reason == 1 ? GC_PH_MARK_TERM : -1;
		else if (g->cycle_pending)
			g->phase = GC_PH_SWEEP_TERM;
		else if (g->cycle_active && g->markdone_seen)
			g->phase = GC_PH_MARK_TERM;
		else
			g->phase = -1;
		break;
	case GCP_GO_MARK_TERM:
		if (g->stw == 1) {
			g->saw_markterm = true;
			g->phase = GC_PH_MARK_TERM;
		}
		break;
	case GCP_GO_MARK_TERM_NOW:
		if (g->stw == 1 && g->saw_markterm)
			g->markterm_now = e->ts_ns;
		break;
	case GCP_GO_STW_END_ENTRY:
		if (g->stw == 1) {
			g->stw = 2;
			g->end_entry = e->ts_ns;
		}
		break;
	case GCP_GO_STW_END_NOW:
		if (g->stw == 2) {
			g->end_now = e->ts_ns;
			go_finish_stw(t);
		}
		break;
	}
}

static void handle_event(struct gc_tracer *t, const struct gc_event *e)
{
	struct open_pause *o;
	struct gc_cycle *c;

	switch (e->kind) {
	case GCP_REFGC_GC_START:
		c = find_cycle(t, GC_RT_REFGC, e->args[0]);
		if (!c)
			c = new_cycle(t, GC_RT_REFGC, e->args[0], e->ts_ns);
		if (c) {
			c->start_ns = e->ts_ns;
			c->has_heap = true;
			c->heap_before = e->args[1];
			c->heap_goal = e->args[2];
		}
		add_heap(t, e->ts_ns, e->args[1]);
		break;
	case GCP_REFGC_GC_DONE:
		c = find_cycle(t, GC_RT_REFGC, e->args[0]);
		if (!c)
			c = new_cycle(t, GC_RT_REFGC, e->args[0], e->ts_ns);
		if (c) {
			c->end_ns = e->ts_ns;
			c->has_heap = true;
			c->heap_after = e->args[1];
			c->freed = e->args[2];
		}
		add_heap(t, e->ts_ns, e->args[1]);
		break;
	case GCP_REFGC_PAUSE_START:
		open_add(t, GC_RT_REFGC, e->tid, e->args[0], (uint32_t)e->args[1], e->ts_ns);
		break;
	case GCP_REFGC_PAUSE_DONE:
		o = open_find(t, GC_RT_REFGC, e->tid, e->args[0], (uint32_t)e->args[1], false);
		if (o) {
			uint32_t ph = o->phase <= GC_PH_MARK_TERM ? o->phase : GC_PH_STW;

			add_pause(t, GC_RT_REFGC, o->cycle, ph, o->ts, e->ts_ns);
			o->used = false;
		}
		break;
	case GCP_HOTSPOT_GC_BEGIN:
		open_add(t, GC_RT_HOTSPOT, e->tid, 0, (e->args[0] & 0xff) ? GC_PH_FULL : GC_PH_YOUNG, e->ts_ns);
		break;
	case GCP_HOTSPOT_GC_END:
		o = open_find(t, GC_RT_HOTSPOT, e->tid, 0, 0, true);
		if (o) {
			t->hotspot_cycles++;
			new_cycle(t, GC_RT_HOTSPOT, t->hotspot_cycles, o->ts);
			add_pause(t, GC_RT_HOTSPOT, t->hotspot_cycles, o->phase, o->ts, e->ts_ns);
			c = find_cycle(t, GC_RT_HOTSPOT, t->hotspot_cycles);
			if (c)
				c->end_ns = e->ts_ns;
			o->used = false;
		}
		break;
	case GCP_PY_GC_START:
		open_add(t, GC_RT_CPYTHON, e->tid, 0, GC_PH_GEN0 + (uint32_t)((int32_t)e->args[0] > 2 ? 2 :
							(int32_t)e->args[0] < 0 ? 0 : (int32_t)e->args[0]), e->ts_ns);
		break;
	case GCP_PY_GC_DONE:
		o = open_find(t, GC_RT_CPYTHON, e->tid, 0, 0, true);
		if (o) {
			t->py_cycles++;
			new_cycle(t, GC_RT_CPYTHON, t->py_cycles, o->ts);
			add_pause(t, GC_RT_CPYTHON, t->py_cycles, o->phase, o->ts, e->ts_ns);
			c = find_cycle(t, GC_RT_CPYTHON, t->py_cycles);
			if (c)
				c->end_ns = e->ts_ns;
			o->used = false;
		}
		break;
	default:
		if (e->kind >= GCP_GO_STW_BEGIN && e->kind <= GCP_GO_MARK_TERM_NOW)
			go_event(t, e);
	}
}

static int on_ring_event(void *ctx, void *data, size_t len)
{
	struct gc_tracer *t = ctx;
	const struct gc_event *e = data;

	if (len < sizeof(*e))
		return 0;
	if (t->pid && e->pid != (uint32_t)t->pid)
		return 0;
	log_debug(t->verbose, 3, "gc event %u tid %u at %llu args %llu %llu %llu", e->kind, e->tid,
		  (unsigned long long)e->ts_ns, (unsigned long long)e->args[0], (unsigned long long)e->args[1],
		  (unsigned long long)e->args[2]);
	handle_event(t, e);
	return 0;
}

/* ---- ELF inspection ------------------------------------------------- */

struct elf_scan {
	unsigned refgc_mask;   /* bit per refgc probe kind present */
	bool hotspot_begin, hotspot_end;
	bool py_start, py_done;
	bool go;               /* a Go executable */
	bool go_symtab;
	char go_version[32];   /* "go1.19.8", "" when unknown */
};

static const struct {
	const char *name;
	int kind;
} refgc_probes[] = {
	/* mark__* and sweep__* exist too, but the pause timeline needs none of
	 * them: probing them would cost a trap each for events nobody reads. */
	{ "gc__start", GCP_REFGC_GC_START },     { "gc__done", GCP_REFGC_GC_DONE },
	{ "pause__start", GCP_REFGC_PAUSE_START }, { "pause__done", GCP_REFGC_PAUSE_DONE },
};
#define NREFGC (int)(sizeof(refgc_probes) / sizeof(refgc_probes[0]))

static void scan_stapsdt(struct elf_scan *s, Elf_Data *data)
{
	GElf_Nhdr nh;
	size_t off = 0, name_off, desc_off;

	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *d = (const char *)data->d_buf + desc_off, *prov, *name;
		size_t n = nh.n_descsz;

		if (nh.n_type != 3 || nh.n_namesz != 8 || memcmp((char *)data->d_buf + name_off, "stapsdt", 8))
			continue;
		if (n < 3 * 8 + 2 || d[n - 1] != '\0')
			continue;
		prov = d + 24;
		name = prov + strlen(prov) + 1;
		if (name >= d + n)
			continue;
		if (!strcmp(prov, "refgc")) {
			for (int i = 0; i < NREFGC; i++) {
				if (!strcmp(name, refgc_probes[i].name))
					s->refgc_mask |= 1u << i;
			}
		} else if (!strcmp(prov, "hotspot")) {
			s->hotspot_begin |= !strcmp(name, "gc__begin");
			s->hotspot_end |= !strcmp(name, "gc__end");
		} else if (!strcmp(prov, "python")) {
			s->py_start |= !strcmp(name, "gc__start");
			s->py_done |= !strcmp(name, "gc__done");
		}
	}
}

static void scan_buildinfo(struct elf_scan *s, Elf_Data *data)
{
	const unsigned char *b = data->d_buf;
	size_t n = data->d_size, len = 0, i = 32;
	int shift = 0;

	/* "\xff Go buildinf:", ptrsize, flags; flags & 2: inline varint strings at 32. */
	if (n < 33 || memcmp(b, "\xff Go buildinf:", 14) || !(b[15] & 2))
		return;
	while (i < n && shift < 35) {
		len |= (size_t)(b[i] & 0x7f) << shift;
		shift += 7;
		if (!(b[i++] & 0x80))
			break;
	}
	if (len && i + len <= n && len < sizeof(s->go_version)) {
		memcpy(s->go_version, b + i, len);
		s->go_version[len] = '\0';
	}
}

static int elf_scan(const char *host_path, struct elf_scan *s)
{
	int fd = target_file_open(NULL, host_path);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	Elf *elf;

	memset(s, 0, sizeof(*s));
	if (fd < 0)
		return fd;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx)) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -EINVAL;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			s->go_symtab = true; /* only meaningful when go is set */
		if (!strcmp(name, ".go.buildinfo") || !strcmp(name, ".gopclntab") ||
		    !strcmp(name, ".note.go.buildid"))
			s->go = true;
		if (sh.sh_type == SHT_NOTE && !strcmp(name, ".note.stapsdt")) {
			data = elf_getdata(scn, NULL);
			if (data)
				scan_stapsdt(s, data);
		}
		if (!strcmp(name, ".go.buildinfo") && sh.sh_type != SHT_NOBITS) {
			data = elf_getdata(scn, NULL);
			if (data && data->d_buf)
				scan_buildinfo(s, data);
		}
	}
	elf_end(elf);
	close(fd);
	return 0;
}

/* ---- attaching ------------------------------------------------------ */

static int keep_link(struct gc_tracer *t, struct bpf_link *l)
{
	if (grow((void **)&t->links, &t->links_cap, t->nlinks, sizeof(*t->links), 256)) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	t->links[t->nlinks++] = l;
	return 0;
}

static int load_bpf(struct gc_tracer *t)
{
	int err;

	if (t->skel)
		return 0;
	t->skel = gc_bpf__open_and_load();
	if (!t->skel) {
		err = errno ? -errno : -EINVAL;
		log_error("cannot load the GC tracing programs: %s; GC pauses are not traced", strerror(-err));
		return err;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.gc_events), on_ring_event, t, NULL);
	if (!t->rb) {
		err = errno ? -errno : -ENOMEM;
		gc_bpf__destroy(t->skel);
		t->skel = NULL;
		log_error("cannot read GC events: %s; GC pauses are not traced", strerror(-err));
		return err;
	}
	return 0;
}

static int attach_usdt(struct gc_tracer *t, const char *host_path, const char *prov, const char *name, int kind)
{
	LIBBPF_OPTS(bpf_usdt_opts, opts, .usdt_cookie = (uint64_t)kind);
	struct bpf_link *l = bpf_program__attach_usdt(t->skel->progs.gc_usdt, t->pid, host_path, prov, name, &opts);

	if (!l)
		return errno ? -errno : -EINVAL;
	log_debug(t->verbose, 1, "GC probe usdt:%s:%s:%s", host_path, prov, name);
	return keep_link(t, l);
}

static int attach_uprobe(struct gc_tracer *t, const char *host_path, uint64_t off, int kind, const char *what)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = (uint64_t)kind);
	struct bpf_link *l = bpf_program__attach_uprobe_opts(t->skel->progs.gc_uprobe, t->pid, host_path,
							      (size_t)off, &opts);

	if (!l)
		return errno ? -errno : -EINVAL;
	log_debug(t->verbose, 1, "GC probe %s at %s+0x%llx", what, host_path, (unsigned long long)off);
	return keep_link(t, l);
}

static void add_name(struct gc_tracer *t, unsigned rt, const char *path, const char *what)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strlen(t->describe);

	if (!(t->runtimes & rt)) {
		size_t m = strlen(t->name);

		snprintf(t->name + m, sizeof(t->name) - m, "%s%s", m ? "+" : "", gc_runtime_id(rt));
	}
	t->runtimes |= rt;
	snprintf(t->describe + n, sizeof(t->describe) - n, "%s%s (%s in %s)", n ? "; " : "GC: ",
		 gc_runtime_id(rt), what, base);
}

/* Reads [vaddr, vaddr+size) of the file through its PT_LOAD segments. */
static unsigned char *read_code(const char *host_path, const struct elf_image *img, uint64_t vaddr, uint64_t size)
{
	unsigned char *buf;
	uint64_t off;
	int fd;

	if (!size || size > (1 << 20) || elf_vaddr_to_offset(img, vaddr, &off))
		return NULL;
	buf = malloc(size);
	fd = target_file_open(NULL, host_path);
	if (!buf || fd < 0 || pread(fd, buf, size, (off_t)off) != (ssize_t)size) {
		free(buf);
		buf = NULL;
	}
	if (fd >= 0)
		close(fd);
	return buf;
}

/*
 * vaddrs of the instructions right after each `call rel32` in fn whose
 * target is one of targets[]. Returns how many (at most max).
 */
static int calls_to(const char *host_path, const struct elf_image *img, const struct elf_sym *fn,
		    const uint64_t *targets, int ntargets, uint64_t *after, int max)
{
	unsigned char *code = read_code(host_path, img, fn->addr, fn->size);
	int n = 0;

	if (!code)
		return 0;
	for (uint64_t i = 0; i + 5 <= fn->size && n < max; i++) {
		int32_t rel;
		uint64_t next, dest;

		if (code[i] != 0xe8)
			continue;
		memcpy(&rel, code + i + 1, 4);
		next = fn->addr + i + 5;
		dest = next + (uint64_t)(int64_t)rel;
		for (int k = 0; k < ntargets; k++) {
			if (targets[k] && dest == targets[k]) {
				after[n++] = next;
				i += 4;
				break;
			}
		}
	}
	free(code);
	return n;
}

static bool go_reason_abi(const char *version)
{
	int major = 0, minor = 0;

	if (sscanf(version, "go%d.%d", &major, &minor) != 2)
		return false;
	return major > 1 || (major == 1 && minor >= 21);
}

static int attach_go(struct gc_tracer *t, const char *path, const char *host_path, const struct elf_scan *s)
{
	struct elf_image *img;
	const struct elf_sym *stop, *start, *cycle, *markdone, *markterm;
	uint64_t nano[3] = { 0, 0, 0 }, after[8], off;
	int err, nafter, nprobes = 0;
	char what[96];

	err = elf_image_load(NULL, host_path, &img);
	if (err)
		return err;
	stop = elf_image_find(img, "runtime.stopTheWorldWithSema", false);
	start = elf_image_find(img, "runtime.startTheWorldWithSema", false);
	cycle = elf_image_find(img, "runtime.gcBgMarkStartWorkers", false);
	if (!cycle)
		cycle = elf_image_find(img, "runtime.gcStart", false);
	markdone = elf_image_find(img, "runtime.gcMarkDone", false);
	markterm = elf_image_find(img, "runtime.gcMarkTermination", false);
	if (!stop || !start) {
		log_error("PID %d: Go program %s has no runtime.stopTheWorldWithSema/startTheWorldWithSema "
			  "symbols: GC pauses are not traced", (int)t->pid, path);
		elf_image_free(img);
		return -ENOENT;
	}
	if ((err = load_bpf(t)))
		goto out;
	t->go.reason_abi = go_reason_abi(s->go_version);
	{
		/* Assembly functions carry their ABI in the name (Go >= 1.17). */
		static const char *const names[] = { "runtime.nanotime1", "runtime.nanotime1.abi0",
						     "runtime.nanotime" };

		for (int i = 0; i < 3; i++) {
			const struct elf_sym *n = elf_image_find(img, names[i], false);

			nano[i] = n ? n->addr : 0;
		}
	}
#define PROBE(vaddr, kind, name)                                                   \
	do {                                                                       \
		if (!elf_vaddr_to_offset(img, (vaddr), &off) &&                   \
		    !(err = attach_uprobe(t, host_path, off, (kind), (name))))     \
			nprobes++;                                                 \
		else if (err)                                                      \
			goto out;                                                  \
	} while (0)
	err = 0;
	PROBE(stop->addr, GCP_GO_STW_BEGIN, "runtime.stopTheWorldWithSema");
	PROBE(start->addr, GCP_GO_STW_END_ENTRY, "runtime.startTheWorldWithSema");
	nafter = calls_to(host_path, img, start, nano, 3, after, 8);
	if (nafter)
		PROBE(after[0], GCP_GO_STW_END_NOW, "startTheWorldWithSema after nanotime");
	else
		log_debug(t->verbose, 1, "no nanotime call in runtime.startTheWorldWithSema: pauses end at its entry");
	if (cycle)
		PROBE(cycle->addr, GCP_GO_CYCLE_START, cycle->name);
	if (markdone)
		PROBE(markdone->addr, GCP_GO_MARK_DONE, "runtime.gcMarkDone");
	if (markterm) {
		PROBE(markterm->addr, GCP_GO_MARK_TERM, "runtime.gcMarkTermination");
		nafter = calls_to(host_path, img, markterm, nano, 3, after, 8);
		for (int i = 0; i < nafter; i++)
			PROBE(after[i], GCP_GO_MARK_TERM_NOW, "gcMarkTermination after nanotime");
	}
#undef PROBE
	snprintf(what, sizeof(what), "%s, %d uprobes", s->go_version[0] ? s->go_version : "Go", nprobes);
	add_name(t, GC_RT_GO, path, what);
out:
	if (err)
		log_error("cannot probe the Go runtime in %s: %s; GC pauses are not traced%s", path,
			  strerror(-err), privs_hint(err, CAP_SYS_ADMIN));
	elf_image_free(img);
	return err;
}

static int attach_usdt_set(struct gc_tracer *t, unsigned rt, const char *path, const char *host_path,
			   const char *prov, const char *const *names, const int *kinds, int n)
{
	char what[64];
	int err, done = 0;

	if ((err = load_bpf(t)))
		return err;
	for (int i = 0; i < n; i++) {
		if (!names[i])
			continue;
		err = attach_usdt(t, host_path, prov, names[i], kinds[i]);
		if (err) {
			log_error("cannot attach %s:%s in %s: %s; GC pauses are not traced%s", prov, names[i],
				  path, strerror(-err), privs_hint(err, CAP_SYS_ADMIN));
			return err;
		}
		done++;
	}
	snprintf(what, sizeof(what), "%d USDT probes", done);
	add_name(t, rt, path, what);
	return 0;
}

static bool base_is(const char *path, const char *prefix)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	return strncmp(base, prefix, strlen(prefix)) == 0;
}

/* Looks at one object the target has mapped; attaches what fits. */
static void examine(struct gc_tracer *t, const struct mapping *mp, bool is_exe)
{
	const char *path = mp->path;
	char host[64]; /* /proc/self/fd/N of the mapped inode */
	struct elf_scan s;

	/* The mapped inode itself (also in a chroot, or under a covering mount). */
	if (target_file_pin(t->pid, mp, host) || elf_scan(host, &s))
		return;
	if (s.refgc_mask) {
		const char *names[NREFGC];
		int kinds[NREFGC];

		for (int i = 0; i < NREFGC; i++) {
			names[i] = (s.refgc_mask & (1u << i)) ? refgc_probes[i].name : NULL;
			kinds[i] = refgc_probes[i].kind;
		}
		if (!(s.refgc_mask & (1u << 2)) || !(s.refgc_mask & (1u << 3)))
			log_error("PID %d: %s has refgc probes but no pause__start/pause__done: no pauses",
				  (int)t->pid, path);
		attach_usdt_set(t, GC_RT_REFGC, path, host, "refgc", names, kinds, NREFGC);
	}
	if (s.hotspot_begin && s.hotspot_end) {
		static const char *const names[] = { "gc__begin", "gc__end" };
		static const int kinds[] = { GCP_HOTSPOT_GC_BEGIN, GCP_HOTSPOT_GC_END };

		attach_usdt_set(t, GC_RT_HOTSPOT, path, host, "hotspot", names, kinds, 2);
	} else if (base_is(path, "libjvm.so")) {
		log_error("PID %d: the JVM in %s has no hotspot gc__begin/gc__end USDT probes: GC pauses are "
			  "not traced", (int)t->pid, path);
	}
	if (s.py_start && s.py_done) {
		static const char *const names[] = { "gc__start", "gc__done" };
		static const int kinds[] = { GCP_PY_GC_START, GCP_PY_GC_DONE };

		/* The interpreter may be both the executable and libpython: once. */
		if (!(t->runtimes & GC_RT_CPYTHON))
			attach_usdt_set(t, GC_RT_CPYTHON, path, host, "python", names, kinds, 2);
	} else if ((base_is(path, "libpython3") || (is_exe && base_is(path, "python3"))) &&
		   !(t->runtimes & GC_RT_CPYTHON)) {
		/* A python3 executable linked to libpython has its probes there. */
		struct maps m;
		bool lib = false;

		if (is_exe && maps_read(t->pid, &m) == 0) {
			for (size_t i = 0; i < m.n && !lib; i++)
				lib = strstr(m.v[i].path, "/libpython3") != NULL;
			maps_free(&m);
		}
		if (!lib)
			log_error("PID %d: CPython in %s has no gc__start/gc__done USDT probes (built without "
				  "--with-dtrace): GC pauses are not traced", (int)t->pid, path);
	}
	if (s.go && is_exe) {
		if (!s.go_symtab)
			log_error("PID %d: Go program %s has no symbol table (stripped): GC pauses are not traced",
				  (int)t->pid, path);
		else
			attach_go(t, path, host, &s);
	}
}

static bool seen_before(struct gc_tracer *t, const struct mapping *m)
{
	for (size_t i = 0; i < t->nseen; i++) {
		if (t->seen[i].inode == m->inode && !strcmp(t->seen[i].path, m->path))
			return true;
	}
	if (t->nseen < GC_MAX_SEEN) {
		snprintf(t->seen[t->nseen].path, sizeof(t->seen[t->nseen].path), "%s", m->path);
		t->seen[t->nseen++].inode = m->inode;
	}
	return false;
}

int gc_refresh(struct gc_tracer *t)
{
	char exe_link[64], exe[PATH_MAX];
	struct maps m;
	ssize_t n;
	int err;

	if (!t)
		return 0;
	err = maps_read(t->pid, &m);
	if (err)
		return 0; /* gone: nothing more to find */
	snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", (int)t->pid);
	n = readlink(exe_link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	for (size_t i = 0; i < m.n; i++) {
		const struct mapping *mp = &m.v[i];

		if (!mp->exec || mp->path[0] != '/' || strstr(mp->path, " (deleted)"))
			continue;
		if (seen_before(t, mp))
			continue;
		examine(t, mp, strcmp(mp->path, exe) == 0);
	}
	maps_free(&m);
	return 0;
}

static int open_common(struct gc_tracer **out, pid_t pid, int verbose, bool keep)
{
	struct gc_tracer *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->seen = calloc(GC_MAX_SEEN, sizeof(*t->seen));
	if (!t->seen) {
		free(t);
		return -ENOMEM;
	}
	t->pid = pid;
	t->verbose = verbose;
	t->start_ns = clock_ns(CLOCK_MONOTONIC);
	gc_refresh(t);
	if (!t->runtimes && !keep) {
		gc_close(t);
		return 0;
	}
	*out = t;
	return 0;
}

int gc_open(struct gc_tracer **out, pid_t pid, int verbose)
{
	return open_common(out, pid, verbose, false);
}

int gc_open_watch(struct gc_tracer **out, pid_t pid, int verbose)
{
	return open_common(out, pid, verbose, true);
}

const char *gc_runtime_name(const struct gc_tracer *t)
{
	return t && t->runtimes ? t->name : NULL;
}

const char *gc_describe(const struct gc_tracer *t)
{
	return t && t->runtimes ? t->describe : NULL;
}

int gc_poll(struct gc_tracer *t)
{
	if (!t || !t->rb)
		return 0;
	return ring_buffer__consume(t->rb);
}

void gc_stop(struct gc_tracer *t)
{
	if (!t || t->stop_ns)
		return;
	gc_poll(t);
	t->stop_ns = clock_ns(CLOCK_MONOTONIC);
	/* A restart seen without its nanotime probe (newer Go passes the time in). */
	if (t->go.stw == 2)
		go_finish_stw(t);
}

static int cmp_pause(const void *a, const void *b)
{
	const struct gc_pause *p = a, *q = b;

	return p->start_ns < q->start_ns ? -1 : p->start_ns > q->start_ns;
}

static int cmp_cycle(const void *a, const void *b)
{
	const struct gc_cycle *p = a, *q = b;

	return p->start_ns < q->start_ns ? -1 : p->start_ns > q->start_ns;
}

int gc_collect(struct gc_tracer *t, struct gc_data **out)
{
	struct gc_data *d;

	*out = NULL;
	if (!t)
		return -EINVAL;
	gc_poll(t);
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->runtimes = t->runtimes;
	for (unsigned b = 1; b <= GC_RT_CPYTHON && !d->runtime; b <<= 1) {
		if (t->runtimes & b)
			d->runtime = gc_runtime_id(b);
	}
	d->start_ns = t->start_ns;
	d->end_ns = t->stop_ns ? t->stop_ns : clock_ns(CLOCK_MONOTONIC);
	d->pauses = malloc((t->npauses + 1) * sizeof(*d->pauses));
	d->cycles = malloc((t->ncycles + 1) * sizeof(*d->cycles));
	d->heap = malloc((t->nheap + 1) * sizeof(*d->heap));
	if (!d->pauses || !d->cycles || !d->heap) {
		gc_data_free(d);
		return -ENOMEM;
	}
	memcpy(d->pauses, t->pauses, t->npauses * sizeof(*d->pauses));
	memcpy(d->cycles, t->cycles, t->ncycles * sizeof(*d->cycles));
	memcpy(d->heap, t->heap, t->nheap * sizeof(*d->heap));
	d->npauses = t->npauses;
	d->ncycles = t->ncycles;
	d->nheap = t->nheap;
	qsort(d->pauses, d->npauses, sizeof(*d->pauses), cmp_pause);
	qsort(d->cycles, d->ncycles, sizeof(*d->cycles), cmp_cycle);
	d->other_stw = t->other_stw;
	d->other_stw_ns = t->other_stw_ns;
	d->lost_events = t->skel ? t->skel->bss->gc_counters.lost : 0;
	/* Events before tracing started cannot exist; later ones (a ring
	 * drained after stop) stretch the window. */
	if (d->npauses) {
		const struct gc_pause *last = &d->pauses[d->npauses - 1];

		if (d->pauses[0].start_ns < d->start_ns)
			d->start_ns = d->pauses[0].start_ns;
		if (last->start_ns + last->duration_ns > d->end_ns)
			d->end_ns = last->start_ns + last->duration_ns;
	}
	gc_summarize(d);
	*out = d;
	return 0;
}

void gc_close(struct gc_tracer *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	ring_buffer__free(t->rb);
	if (t->skel)
		gc_bpf__destroy(t->skel);
	free(t->links);
	free(t->seen);
	free(t->pauses);
	free(t->cycles);
	free(t->heap);
	free(t);
}
