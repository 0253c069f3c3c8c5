// SPDX-License-Identifier: MIT
/* Go's .gopclntab.  See go_pclntab.h; the layouts are runtime/symtab.go's. */
#include <errno.h>
#include <string.h>

#include "go_pclntab.h"

#define MAGIC_116 0xfffffffau
#define MAGIC_118 0xfffffff0u
#define MAGIC_120 0xfffffff1u

/* The most instructions a pc-value table is walked for: Go's largest
 * functions have a few hundred thousand; a hostile table is cut off. */
#define PCVALUE_MAX_STEPS (1u << 22)

static int rd(const struct go_pclntab *t, uint64_t off, unsigned n, uint64_t *v)
{
	uint64_t x = 0;

	if (off > t->len || n > t->len - off)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		x |= (uint64_t)t->data[off + i] << (8 * i);
	*v = x;
	return 0;
}

static int rd32(const struct go_pclntab *t, uint64_t off, uint32_t *v)
{
	uint64_t x;
	int err = rd(t, off, 4, &x);

	*v = (uint32_t)x;
	return err;
}

/* A NUL-terminated string starting at off, ending inside the section. */
static const char *str_at(const struct go_pclntab *t, uint64_t off)
{
	if (off >= t->len || !memchr(t->data + off, '\0', t->len - off))
		return NULL;
	return (const char *)t->data + off;
}

int go_pclntab_open(struct go_pclntab *t, const void *data, size_t len, uint64_t text_start)
{
	uint64_t h[8], field;
	unsigned nh;
	uint32_t magic;

	memset(t, 0, sizeof(*t));
	t->data = data;
	t->len = len;
	if (rd32(t, 0, &magic) || len < 8)
		return -EINVAL;
	if (magic != MAGIC_116 && magic != MAGIC_118 && magic != MAGIC_120)
		return magic == 0xfffffffbu ? -ENOTSUP : -EINVAL;
	t->magic = magic;
	t->quantum = t->data[6];
	t->ptrsize = t->data[7];
	if (t->data[4] || t->data[5] || (t->ptrsize != 4 && t->ptrsize != 8) || !t->quantum || t->quantum > 4)
		return -EINVAL;
	/* nfunc, nfiles, [textStart,] funcnameOffset, cuOffset, filetabOffset,
	 * pctabOffset, pclnOffset: one pointer-sized word each. */
	nh = magic == MAGIC_116 ? 7 : 8;
	for (unsigned i = 0; i < nh; i++) {
		if (rd(t, 8 + (uint64_t)i * t->ptrsize, t->ptrsize, &h[i]))
			return -EINVAL;
	}
	t->nfunc = h[0];
	if (magic == MAGIC_116) {
		t->text_start = 0;
		t->funcname = h[2], t->cutab = h[3], t->filetab = h[4], t->pctab = h[5], t->functab = h[6];
	} else {
		t->text_start = h[2] ? h[2] : text_start;
		t->funcname = h[3], t->cutab = h[4], t->filetab = h[5], t->pctab = h[6], t->functab = h[7];
	}
	field = magic == MAGIC_116 ? t->ptrsize : 4;
	/* (entry, funcoff) per function and the end of text after them. */
	if (t->nfunc > len / (2 * field) || t->functab > len)
		return -EINVAL;
	t->functab_len = (2 * t->nfunc + 1) * field;
	if (t->functab_len > len - t->functab)
		return -EINVAL;
	if (t->funcname > len || t->cutab > len || t->filetab > len || t->pctab > len)
		return -EINVAL;
	return 0;
}

/* Entry i of the functab (0 <= i <= nfunc: nfunc's is the end of text). */
static int entry_of(const struct go_pclntab *t, uint64_t i, uint64_t *pc, uint64_t *funcoff)
{
	unsigned field = t->magic == MAGIC_116 ? t->ptrsize : 4;
	uint64_t off = t->functab + i * 2 * field, v;

	if (i > t->nfunc || rd(t, off, field, &v))
		return -EINVAL;
	*pc = t->magic == MAGIC_116 ? v : t->text_start + v;
	if (funcoff && (i == t->nfunc || rd(t, off + field, field, funcoff)))
		return -EINVAL;
	return 0;
}

/* The offset of function i's _func, and where its fields after the entry start. */
static int func_at(const struct go_pclntab *t, uint64_t i, uint64_t *fn, uint64_t *fields)
{
	uint64_t pc, funcoff;

	if (entry_of(t, i, &pc, &funcoff) || funcoff > t->len - t->functab)
		return -EINVAL;
	*fn = t->functab + funcoff;
	*fields = *fn + (t->magic == MAGIC_116 ? t->ptrsize : 4);
	/* nameoff, args, deferreturn, pcsp, pcfile, pcln, npcdata, cuOffset */
	return *fields > t->len || t->len - *fields < 32 ? -EINVAL : 0;
}

int go_pclntab_func(const struct go_pclntab *t, uint64_t i, uint64_t *entry, uint64_t *end, const char **name)
{
	uint64_t fn, fields, nameoff;

	if (i >= t->nfunc || entry_of(t, i, entry, NULL) || entry_of(t, i + 1, end, NULL) || *end < *entry)
		return -EINVAL;
	if (func_at(t, i, &fn, &fields) || rd(t, fields, 4, &nameoff))
		return -EINVAL;
	if (nameoff > t->len - t->funcname)
		return -EINVAL;
	*name = str_at(t, t->funcname + nameoff);
	return *name && **name ? 0 : -EINVAL;
}

static int varint(const struct go_pclntab *t, uint64_t *off, uint32_t *v)
{
	uint32_t x = 0;

	for (unsigned shift = 0; shift < 35; shift += 7) {
		uint64_t b;

		if (rd(t, (*off)++, 1, &b))
			return -EINVAL;
		x |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -EINVAL;
}

/* runtime.pcvalue: the value the table at pctab+off gives pc. */
static int pcvalue(const struct go_pclntab *t, uint32_t off, uint64_t entry, uint64_t pc, int32_t *out)
{
	uint64_t p = t->pctab + off, at = entry;
	int32_t val = -1;

	if (!off || (uint64_t)off > t->len - t->pctab)
		return -ENOENT;
	for (uint32_t step = 0; step < PCVALUE_MAX_STEPS; step++) {
		uint32_t uv, pcd;

		if (varint(t, &p, &uv))
			return -EINVAL;
		if (!uv && step)
			return -ENOENT; /* the table ended before pc */
		val += (int32_t)(-(uv & 1) ^ (uv >> 1));
		if (varint(t, &p, &pcd))
			return -EINVAL;
		at += (uint64_t)pcd * t->quantum;
		if (pc < at) {
			*out = val;
			return 0;
		}
	}
	return -EINVAL;
}

int go_pclntab_line(const struct go_pclntab *t, uint64_t i, uint64_t pc, const char **file, uint32_t *line)
{
	uint64_t entry, end, fn, fields, fileoff;
	uint32_t pcfile, pcln, cu;
	int32_t fileno, ln;

	if (i >= t->nfunc || entry_of(t, i, &entry, NULL) || entry_of(t, i + 1, &end, NULL))
		return -EINVAL;
	if (pc < entry || pc >= end)
		return -ENOENT;
	if (func_at(t, i, &fn, &fields) || rd32(t, fields + 16, &pcfile) || rd32(t, fields + 20, &pcln) ||
	    rd32(t, fields + 28, &cu))
		return -EINVAL;
	if (pcvalue(t, pcfile, entry, pc, &fileno) || pcvalue(t, pcln, entry, pc, &ln) || fileno < 0 || ln < 0)
		return -ENOENT;
	if (rd(t, t->cutab + 4 * ((uint64_t)cu + (uint64_t)fileno), 4, &fileoff) || fileoff == 0xffffffffu ||
	    fileoff > t->len - t->filetab)
		return -ENOENT;
	*file = str_at(t, t->filetab + fileoff);
	*line = (uint32_t)ln;
	return *file ? 0 : -ENOENT;
}
