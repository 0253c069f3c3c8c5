// SPDX-License-Identifier: MIT
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "eh_read.h"
#include "grow.h"
#include "unwind_sections.h"
#include "unwind_table.h"

/* DWARF register numbers on x86-64. */
#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16

/* Nested DW_CFA_remember_state deeper than this is refused: compilers use 1-2. */
#define REMEMBER_MAX 16


struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_reg;
	uint8_t fde_enc; /* DW_EH_PE_* of FDE addresses */
	bool has_aug_data;
	const uint8_t *insns, *insns_end;
};

struct state {
	uint8_t cfa, rbp;
	int cfa_reg;
	int64_t cfa_off, rbp_off;
	int plt_threshold;
	bool ra_ok, ra_undef;
};

struct build {
	struct unwind_row *rows;
	uint8_t *ends; /* per row: 1 when it is an FDE's end, which a row at the same pc overrides */
	size_t n, cap, ends_cap;
	size_t fdes, bad;
	size_t fp_fdes;    /* FDEs with a row CFA = rbp + 16: a frame-pointer prologue */
	size_t frame_fdes; /* FDEs with a row other than CFA = rsp + 8: functions that make a frame */
};

static int push_row(struct build *b, uint64_t pc, const struct state *s, bool end)
{
	struct unwind_row r = { .pc = (uint32_t)pc };

	if (end) {
		r.cfa = UNW_CFA_NONE;
	} else if (s->ra_undef) {
		r.cfa = UNW_CFA_OUTERMOST;
	} else if (!s->ra_ok || s->cfa == UNW_CFA_OTHER || s->cfa_off < INT32_MIN || s->cfa_off > INT32_MAX) {
		r.cfa = UNW_CFA_OTHER;
	} else {
		r.cfa = s->cfa;
		r.cfa_off = (int32_t)s->cfa_off;
		if (s->cfa == UNW_CFA_PLT)
			r.rbp_off = (int16_t)s->plt_threshold;
	}
	if (r.cfa != UNW_CFA_NONE && r.cfa != UNW_CFA_PLT) {
		r.rbp = s->rbp;
		if (s->rbp == UNW_RBP_AT) {
			if (s->rbp_off < INT16_MIN || s->rbp_off > INT16_MAX)
				r.rbp = UNW_RBP_OTHER;
			else
				r.rbp_off = (int16_t)s->rbp_off;
		}
	}
	if (pc > UINT32_MAX)
		return -E2BIG;
	/* Within an FDE a later row at the same pc replaces the earlier. */
	if (b->n && !end && !b->ends[b->n - 1] && b->rows[b->n - 1].pc == r.pc) {
		b->rows[b->n - 1] = r;
		return 0;
	}
	if (grow((void **)&b->rows, &b->cap, b->n, sizeof(*b->rows), 1024) ||
	    grow((void **)&b->ends, &b->ends_cap, b->n, 1, 1024))
		return -ENOMEM;
	b->ends[b->n] = end;
	b->rows[b->n++] = r;
	return 0;
}

/* The PLT's CFA expression: rsp + 8 + ((rip & 15) >= N) << 3; N, or -1. */
static int plt_expression(const uint8_t *e, uint64_t len)
{
	static const uint8_t head[] = { 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a };
	static const uint8_t tail[] = { 0x2a, 0x33, 0x24, 0x22 };

	if (len != 11 || memcmp(e, head, sizeof(head)) || memcmp(e + 7, tail, sizeof(tail)) || e[6] < 0x30 ||
	    e[6] > 0x4f)
		return -1;
	return e[6] - 0x30;
}

static void set_reg(struct state *s, uint64_t reg, uint8_t rbp_rule, int64_t off, bool undef)
{
	if (reg == REG_RBP) {
		s->rbp = rbp_rule;
		s->rbp_off = off;
	} else if (reg == REG_RA) {
		s->ra_undef = undef;
		s->ra_ok = rbp_rule == UNW_RBP_AT && off == -8;
	}
}

static void set_cfa_reg(struct state *s, uint64_t reg)
{
	s->cfa_reg = (int)(reg > 64 ? 64 : reg);
	s->cfa = reg == REG_RSP ? UNW_CFA_RSP : reg == REG_RBP ? UNW_CFA_RBP : UNW_CFA_OTHER;
}

/*
 * Runs CFA instructions from s at *loc; with b, emits a row at each
 * advance (FDE instructions), without b only updates s (a CIE's initial
 * instructions).  init is the state DW_CFA_restore returns to.
 */
static int run(struct eh_cur *c, const struct cie *cie, uint8_t fde_enc, struct state *s, const struct state *init,
	       uint64_t *loc, struct build *b)
{
	struct state stack[REMEMBER_MAX];
	int depth = 0, err;

	while (c->p < c->end && !c->bad) {
		uint8_t op = *c->p++, low = op & 0x3f;
		uint64_t reg, delta = 0, len;
		int64_t off;

		switch (op >> 6) {
		case 1:
			delta = low * cie->code_align;
			goto advance;
		case 2:
			off = (int64_t)eh_uleb(c) * cie->data_align;
			set_reg(s, low, UNW_RBP_AT, off, false);
			continue;
		case 3:
			if (low == REG_RBP)
				s->rbp = init->rbp, s->rbp_off = init->rbp_off;
			else if (low == REG_RA)
				s->ra_ok = init->ra_ok, s->ra_undef = init->ra_undef;
			continue;
		}
		switch (op) {
		case 0x00: /* nop */
			continue;
		case 0x01: /* set_loc */
			reg = eh_ptr(c, fde_enc);
			if (c->bad)
				break;
			if (reg < *loc) {
				c->bad = true;
				break;
			}
			delta = reg - *loc;
			goto advance;
		case 0x02: delta = eh_u(c, 1) * cie->code_align; goto advance;
		case 0x03: delta = eh_u(c, 2) * cie->code_align; goto advance;
		case 0x04: delta = eh_u(c, 4) * cie->code_align; goto advance;
		case 0x05: /* offset_extended */
			reg = eh_uleb(c);
			off = (int64_t)eh_uleb(c) * cie->data_align;
			set_reg(s, reg, UNW_RBP_AT, off, false);
			continue;
		case 0x06: /* restore_extended */
			reg = eh_uleb(c);
			if (reg == REG_RBP)
				s->rbp = init->rbp, s->rbp_off = init->rbp_off;
			else if (reg == REG_RA)
				s->ra_ok = init->ra_ok, s->ra_undef = init->ra_undef;
			continue;
		case 0x07: /* undefined */
			set_reg(s, eh_uleb(c), UNW_RBP_OTHER, 0, true);
			continue;
		case 0x08: /* same_value */
			set_reg(s, eh_uleb(c), UNW_RBP_SAME, 0, false);
			continue;
		case 0x09: /* register */
			reg = eh_uleb(c);
			eh_uleb(c);
			set_reg(s, reg, UNW_RBP_OTHER, 0, false);
			continue;
		case 0x0a: /* remember_state */
			if (depth == REMEMBER_MAX) {
				c->bad = true;
				break;
			}
			stack[depth++] = *s;
			continue;
		case 0x0b: /* restore_state: the location is not part of the state */
			if (!depth) {
				c->bad = true;
				break;
			}
			*s = stack[--depth];
			continue;
		case 0x0c: /* def_cfa */
			set_cfa_reg(s, eh_uleb(c));
			s->cfa_off = (int64_t)eh_uleb(c);
			continue;
		case 0x0d: /* def_cfa_register: the offset stays */
			set_cfa_reg(s, eh_uleb(c));
			continue;
		case 0x0e: /* def_cfa_offset */
			s->cfa_off = (int64_t)eh_uleb(c);
			if (s->cfa == UNW_CFA_PLT)
				s->cfa = UNW_CFA_OTHER;
			continue;
		case 0x0f: /* def_cfa_expression */
			len = eh_uleb(c);
			if (c->bad || len > (uint64_t)(c->end - c->p)) {
				c->bad = true;
				break;
			}
			s->plt_threshold = plt_expression(c->p, len);
			s->cfa = s->plt_threshold >= 0 ? UNW_CFA_PLT : UNW_CFA_OTHER;
			s->cfa_off = 8;
			c->p += len;
			continue;
		case 0x10: /* expression */
		case 0x16: /* val_expression */
			reg = eh_uleb(c);
			len = eh_uleb(c);
			if (c->bad || len > (uint64_t)(c->end - c->p)) {
				c->bad = true;
				break;
			}
			c->p += len;
			set_reg(s, reg, UNW_RBP_OTHER, 0, false);
			continue;
		case 0x11: /* offset_extended_sf */
			reg = eh_uleb(c);
			off = eh_sleb(c) * cie->data_align;
			set_reg(s, reg, UNW_RBP_AT, off, false);
			continue;
		case 0x12: /* def_cfa_sf */
			set_cfa_reg(s, eh_uleb(c));
			s->cfa_off = eh_sleb(c) * cie->data_align;
			continue;
		case 0x13: /* def_cfa_offset_sf */
			s->cfa_off = eh_sleb(c) * cie->data_align;
			continue;
		case 0x14: /* val_offset */
		case 0x15: /* val_offset_sf */
			reg = eh_uleb(c);
			if (op == 0x14)
				eh_uleb(c);
			else
				eh_sleb(c);
			set_reg(s, reg, UNW_RBP_OTHER, 0, false);
			continue;
		case 0x2e: /* GNU_args_size */
			eh_uleb(c);
			continue;
		case 0x2f: /* GNU_negative_offset_extended */
			reg = eh_uleb(c);
			off = -(int64_t)eh_uleb(c) * cie->data_align;
			set_reg(s, reg, UNW_RBP_AT, off, false);
			continue;
		default:
			c->bad = true;
			break;
		}
		break;
advance:
		if (!b) /* a CIE's instructions do not advance */
			continue;
		err = push_row(b, *loc, s, false);
		if (err)
			return err;
		*loc += delta;
	}
	return c->bad ? -EINVAL : 0;
}

static int parse_cie(struct eh_cur *c, struct cie *cie)
{
	uint8_t version = (uint8_t)eh_u(c, 1);
	const char *aug = (const char *)c->p;
	size_t auglen = strnlen(aug, (size_t)(c->end - c->p));

	memset(cie, 0, sizeof(*cie));
	if (c->bad || auglen == (size_t)(c->end - c->p) || (version != 1 && version != 3 && version != 4))
		return -EINVAL;
	c->p += auglen + 1;
	if (version == 4) {
		if (eh_u(c, 1) != 8)
			return -EINVAL;
		eh_u(c, 1); /* segment size */
	}
	cie->code_align = eh_uleb(c);
	cie->data_align = eh_sleb(c);
	cie->ra_reg = version == 1 ? eh_u(c, 1) : eh_uleb(c);
	if (aug[0] == 'z') {
		uint64_t len = eh_uleb(c);
		struct eh_cur a = *c;

		if (c->bad || len > (uint64_t)(c->end - c->p))
			return -EINVAL;
		a.end = c->p + len;
		cie->has_aug_data = true;
		for (size_t i = 1; i < auglen && !a.bad; i++) {
			switch (aug[i]) {
			case 'L': eh_u(&a, 1); break;
			case 'R': cie->fde_enc = (uint8_t)eh_u(&a, 1); break;
			case 'P': {
				uint8_t enc = (uint8_t)eh_u(&a, 1);

				eh_ptr(&a, enc & 0x7f); /* the personality routine's address: not followed */
				break;
			}
			case 'S': case 'B': break;
			default: return -EINVAL;
			}
		}
		if (a.bad)
			return -EINVAL;
		c->p += len;
	} else if (aug[0] && strcmp(aug, "eh") != 0) {
		return -EINVAL;
	}
	if (c->bad || cie->ra_reg != REG_RA || !cie->code_align)
		return -EINVAL;
	cie->insns = c->p;
	cie->insns_end = c->end;
	return 0;
}

/* One FDE whose CIE starts at cie_at (its length field). */
static int compile_fde(struct eh_cur *c, const struct eh_cur *sec, const uint8_t *cie_at, bool debug_frame,
		       struct build *b)
{
	struct eh_cur cc = *sec;
	struct state init = { .cfa = UNW_CFA_OTHER }, s;
	uint64_t len, pc, range, loc;
	size_t n0, frame = 0, fp = 0;
	struct cie cie;
	int err;

	if (cie_at < sec->base || cie_at >= sec->end)
		return -EINVAL;
	cc.p = cie_at;
	len = eh_u(&cc, 4);
	if (len == 0xffffffff || cc.bad || len > (uint64_t)(cc.end - cc.p))
		return -EINVAL;
	cc.end = cc.p + len;
	if (eh_u(&cc, 4) != (debug_frame ? 0xffffffffu : 0))
		return -EINVAL;
	if (parse_cie(&cc, &cie))
		return -EINVAL;
	pc = eh_ptr(c, cie.fde_enc);
	range = eh_ptr(c, cie.fde_enc & 0x0f);
	if (cie.has_aug_data) {
		uint64_t alen = eh_uleb(c);

		if (c->bad || alen > (uint64_t)(c->end - c->p))
			return -EINVAL;
		c->p += alen;
	}
	if (c->bad || !range || pc + range < pc)
		return -EINVAL;
	if (pc + range > UINT32_MAX)
		return -E2BIG;
	/* The CIE's initial instructions give the state every FDE starts in. */
	cc.p = cie.insns;
	cc.end = cie.insns_end;
	loc = pc;
	err = run(&cc, &cie, cie.fde_enc, &init, &init, &loc, NULL);
	if (err)
		return err;
	s = init;
	loc = pc;
	n0 = b->n;
	err = run(c, &cie, cie.fde_enc, &s, &init, &loc, b);
	if (err)
		return err;
	if (loc < pc + range) {
		err = push_row(b, loc, &s, false);
		if (err)
			return err;
	}
	b->fdes++;
	/* A leaf that never moves rsp says nothing of frame pointers, nor
	 * does the PLT (its FDE starts at rsp + 16). */
	for (size_t k = n0; k < b->n; k++) {
		const struct unwind_row *r = &b->rows[k];

		if (r->cfa == UNW_CFA_PLT) {
			frame = fp = 0;
			break;
		}
		if (r->cfa == UNW_CFA_RSP && r->cfa_off == 8)
			continue;
		if (r->cfa == UNW_CFA_RSP || r->cfa == UNW_CFA_RBP)
			frame++;
		if (r->cfa == UNW_CFA_RBP && r->cfa_off == 16) {
			fp = 1;
			break;
		}
	}
	b->fp_fdes += fp;
	b->frame_fdes += frame != 0;
	return push_row(b, pc + range, &s, true);
}

static int compile_section(const uint8_t *data, size_t size, uint64_t vaddr, bool debug_frame, struct build *b)
{
	struct eh_cur sec = { .p = data, .end = data + size, .base = data, .vaddr = vaddr };

	while (sec.p + 4 <= sec.end) {
		const uint8_t *start = sec.p;
		uint64_t len = eh_u(&sec, 4), id;
		struct eh_cur e;
		size_t nrows = b->n;
		int err;

		if (len == 0)
			break; /* the terminator */
		if (len == 0xffffffff || len > (uint64_t)(sec.end - sec.p)) {
			b->bad++;
			break; /* 64-bit DWARF, or a length past the end: nothing after it can be found */
		}
		e = sec;
		e.end = sec.p + len;
		sec.p += len;
		id = eh_u(&e, 4);
		if (debug_frame ? id == 0xffffffff : id == 0)
			continue; /* a CIE: read by its FDEs */
		err = compile_fde(&e, &(struct eh_cur){ .p = data, .end = data + size, .base = data, .vaddr = vaddr },
				  debug_frame ? data + id : start + 4 - id, debug_frame, b);
		if (err == -ENOMEM)
			return err;
		if (err) {
			b->n = nrows; /* drop what the bad FDE emitted */
			b->bad++;
		}
	}
	return 0;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct unwind_row *x = a, *y = b;

	if (x->pc != y->pc)
		return x->pc < y->pc ? -1 : 1;
	/* An FDE's end (NONE) sorts first, so a row starting there wins. */
	return (x->cfa != UNW_CFA_NONE) - (y->cfa != UNW_CFA_NONE);
}

static bool same_rule(const struct unwind_row *a, const struct unwind_row *b)
{
	return a->cfa == b->cfa && a->cfa_off == b->cfa_off && a->rbp == b->rbp && a->rbp_off == b->rbp_off;
}

/* Sorts and merges: one row per pc (the last after sorting), none equal to its predecessor. */
static void finish(struct build *b)
{
	size_t out = 0;

	qsort(b->rows, b->n, sizeof(*b->rows), cmp_rows);
	for (size_t i = 0; i < b->n; i++) {
		if (out && b->rows[out - 1].pc == b->rows[i].pc)
			out--;
		if (out && same_rule(&b->rows[out - 1], &b->rows[i]))
			continue;
		b->rows[out++] = b->rows[i];
	}
	b->n = out;
}

/* compile_section for one section of unwind_sections_each. */
static int compile_one(const struct unwind_section *s, void *arg)
{
	return compile_section(s->data, s->size, s->vaddr, s->debug_frame, arg);
}

int unwind_table_load_fd(int fd, struct unwind_table **out)
{
	struct build b = {};
	struct unwind_table *t = NULL;
	size_t shstrndx, nph;
	GElf_Ehdr eh;
	Elf *elf;
	int err = 0;

	*out = NULL;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return -EINVAL;
	if (!gelf_getehdr(elf, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    elf_getshdrstrndx(elf, &shstrndx) || elf_getphdrnum(elf, &nph)) {
		err = -EINVAL;
		goto cleanup;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_flags & PF_X)
			t->text_bytes += ph.p_memsz;
		if (t->nloads < 8) {
			t->loads[t->nloads].vaddr = ph.p_vaddr;
			t->loads[t->nloads].offset = ph.p_offset;
			t->loads[t->nloads].filesz = ph.p_filesz;
			t->nloads++;
		}
	}
	t->go = unwind_sections_is_go(elf, shstrndx);
	err = unwind_sections_each(elf, shstrndx, t->go, compile_one, &b, &b.bad);
	if (err)
		goto cleanup;
	finish(&b);
	t->rows = b.rows;
	t->nrows = b.n;
	t->fdes = b.fdes;
	t->fp_fdes = b.fp_fdes;
	t->frame_fdes = b.frame_fdes;
	t->bad_entries = b.bad;
	b.rows = NULL;
	*out = t;
	t = NULL;
cleanup:
	free(b.rows);
	free(b.ends);
	free(t);
	elf_end(elf);
	return err;
}

const struct unwind_row *unwind_table_find(const struct unwind_table *t, uint64_t pc)
{
	size_t lo = 0, hi = t->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &t->rows[lo - 1] : NULL;
}

void unwind_table_free(struct unwind_table *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t);
}
