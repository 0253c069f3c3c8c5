// SPDX-License-Identifier: MIT
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <gelf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dwarf_decl.h"
#include "dwarf_types.h"
#include "elfimg.h"
#include "grow.h"
#include "hmap.h"
#include "strpool.h"
#include "target_file.h"

/* A crafted file could claim millions of members for one type. */
#define MAX_MEMBERS (1u << 20)

struct memo {
	Dwarf_Off die;
	uint32_t align;
};

struct priv {
	int fd;
	Dwarf *dw;
	Dwarf_Off *cus; /* each unit's DIE offset, by index */
	size_t cucap;
	struct hmap seen;   /* kind/name/size of listed types -> index in types */
	struct hmap amap;   /* DIE offset -> index in memo */
	struct memo *memo;
	size_t nmemo, memocap;
	uint32_t cu;        /* the unit being read */
};

static bool type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;
	return dwarf_attr_integrate(die, DW_AT_type, &a) && dwarf_formref_die(&a, out);
}

static bool udata(Dwarf_Die *die, int name, Dwarf_Word *v)
{
	Dwarf_Attribute a;
	return dwarf_attr_integrate(die, name, &a) && dwarf_formudata(&a, v) == 0;
}

static bool is_aggregate(int tag)
{
	return tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type;
}

/* A member's byte offset: a constant, or DWARF 2's DW_OP_plus_uconst expression; 0 when absent (unions). */
static int member_location(Dwarf_Die *m, Dwarf_Word *off)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t nops;

	*off = 0;
	if (!dwarf_attr_integrate(m, DW_AT_data_member_location, &a))
		return 0;
	if (dwarf_formudata(&a, off) == 0)
		return 0;
	if (dwarf_getlocation(&a, &ops, &nops) == 0 && nops == 1 && ops[0].atom == DW_OP_plus_uconst) {
		*off = ops[0].number;
		return 0;
	}
	return -EINVAL;
}

static uint32_t align_of(struct priv *p, Dwarf_Die *t, int depth);

/* Natural alignment of a struct or union: its members' largest, 1 when they sit off it (packed). */
static uint32_t aggregate_align(struct priv *p, Dwarf_Die *t, int depth)
{
	Dwarf_Die c, mt;
	Dwarf_Word size = 0, al;
	uint32_t max = 1;
	bool off_align = false;

	if (udata(t, DW_AT_alignment, &al))
		return al && al <= LT_MAX_SIZE ? (uint32_t)al : 1;
	if (dwarf_child(t, &c) != 0)
		return 1;
	do {
		int tag = dwarf_tag(&c);
		Dwarf_Word off;
		uint32_t a;

		if ((tag != DW_TAG_member && tag != DW_TAG_inheritance) || dwarf_hasattr(&c, DW_AT_external) ||
		    dwarf_hasattr(&c, DW_AT_declaration) || !type_of(&c, &mt))
			continue;
		a = udata(&c, DW_AT_alignment, &al) && al && al <= LT_MAX_SIZE ? (uint32_t)al : align_of(p, &mt, depth + 1);
		if (!a)
			return 0;
		if (a > max)
			max = a;
		if (dwarf_bitsize(&c) <= 0 && member_location(&c, &off) == 0 && off % a)
			off_align = true;
	} while (dwarf_siblingof(&c, &c) == 0);
	udata(t, DW_AT_byte_size, &size);
	return off_align || size % max ? 1 : max;
}

/* Alignment of any type (0: unreadable or too deep), memoised per DIE: nested types are shared. */
static uint32_t align_of(struct priv *p, Dwarf_Die *t, int depth)
{
	Dwarf_Off off = dwarf_dieoffset(t);
	uint64_t h = hmap_hash_u64(off);
	struct hmap_probe pr;
	Dwarf_Word v = 0;
	Dwarf_Die target;
	uint32_t a;

	if (depth > DWARF_TYPES_MAX_DEPTH)
		return 0;
	for (uint32_t i = hmap_first(&p->amap, h, &pr); i != HMAP_NONE; i = hmap_next(&p->amap, &pr))
		if (p->memo[i].die == off)
			return p->memo[i].align;
	switch (dwarf_tag(t)) {
	case DW_TAG_typedef:
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type:
	case DW_TAG_atomic_type:
		a = type_of(t, &target) ? align_of(p, &target, depth + 1) : 1;
		if (a && udata(t, DW_AT_alignment, &v) && v > a && v <= LT_MAX_SIZE)
			a = (uint32_t)v;
		break;
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
	case DW_TAG_ptr_to_member_type:
		a = udata(t, DW_AT_byte_size, &v) && v && v <= 16 ? (uint32_t)v : 8;
		break;
	case DW_TAG_base_type: {
		Dwarf_Word enc = 0;
		udata(t, DW_AT_encoding, &enc);
		udata(t, DW_AT_byte_size, &v);
		/* _Complex T is aligned as T. */
		if (enc == DW_ATE_complex_float)
			v /= 2;
		a = v && v <= 16 ? (uint32_t)v : 1;
		break;
	}
	case DW_TAG_enumeration_type:
		a = udata(t, DW_AT_byte_size, &v) && v && v <= 16 ? (uint32_t)v : 1;
		break;
	case DW_TAG_array_type:
		a = type_of(t, &target) ? align_of(p, &target, depth + 1) : 1;
		break;
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
	case DW_TAG_union_type:
		a = aggregate_align(p, t, depth);
		break;
	default:
		a = 1;
	}
	if (a && grow((void **)&p->memo, &p->memocap, p->nmemo, sizeof(*p->memo), 256) == 0 &&
	    hmap_add(&p->amap, h, (uint32_t)p->nmemo) == 0)
		p->memo[p->nmemo++] = (struct memo){ off, a };
	return a;
}

/* Whether t (typedefs and qualifiers peeled) is an array with a dimension of no count. */
static bool flexible_array(Dwarf_Die *t)
{
	Dwarf_Die peeled, c;
	Dwarf_Word v;

	if (dwarf_peel_type(t, &peeled) != 0 || dwarf_tag(&peeled) != DW_TAG_array_type)
		return false;
	if (dwarf_child(&peeled, &c) != 0)
		return true;
	do {
		if (dwarf_tag(&c) != DW_TAG_subrange_type)
			continue;
		if (udata(&c, DW_AT_count, &v))
			return v == 0;
		if (!dwarf_hasattr(&c, DW_AT_upper_bound))
			return true;
		/* GNU zero-length arrays: upper bound -1. */
		if (udata(&c, DW_AT_upper_bound, &v) && v == (Dwarf_Word)-1)
			return true;
		return false;
	} while (dwarf_siblingof(&c, &c) == 0);
	return false;
}

static int add_member(struct dwarf_types *dt, struct priv *p, struct lt_type *t, Dwarf_Die *c)
{
	struct lt_member m = { 0 };
	Dwarf_Die mt;
	Dwarf_Word loc, v, bsize;
	char decl[4096];
	const char *name = dwarf_diename(c);
	int bits, err;

	if (!type_of(c, &mt))
		return -EINVAL;
	m.flexible = flexible_array(&mt);
	if (!m.flexible && dwarf_aggregate_size(&mt, &v) != 0)
		return -EINVAL;
	m.size = m.flexible ? 0 : v;
	if (m.size > LT_MAX_SIZE)
		return -E2BIG;
	m.base = dwarf_tag(c) == DW_TAG_inheritance;
	m.fixed = m.base || dwarf_hasattr(c, DW_AT_artificial);
	if (m.base)
		name = dwarf_diename(&mt);
	if (udata(c, DW_AT_alignment, &v) && v && v <= LT_MAX_SIZE) {
		m.align = (uint32_t)v;
		m.forced_align = true;
	} else {
		m.align = align_of(p, &mt, 0);
	}
	if (!m.align)
		return -ELOOP;
	if (member_location(c, &loc))
		return -EINVAL;
	if (loc > LT_MAX_SIZE)
		return -E2BIG;
	bits = dwarf_bitsize(c);
	if (bits > 0) {
		if (!m.size || (uint64_t)bits > m.size * 8)
			return -EINVAL;
		m.bit_size = (uint32_t)bits;
		if (udata(c, DW_AT_data_bit_offset, &v)) {
			m.bit_offset = v;
		} else {
			/* DWARF 2-4: bits counted from the storage unit's most significant end (little-endian here). */
			int bo = dwarf_bitoffset(c);
			bsize = m.size;
			udata(c, DW_AT_byte_size, &bsize);
			if (bo < 0 || bsize > 16 || (uint64_t)bo + m.bit_size > bsize * 8)
				return -EINVAL;
			m.bit_offset = loc * 8 + bsize * 8 - (uint64_t)bo - m.bit_size;
		}
		if (m.bit_offset > LT_MAX_SIZE * 8)
			return -E2BIG;
		m.offset = m.bit_offset / (m.size * 8) * m.size;
	} else {
		m.offset = loc;
		m.bit_offset = loc * 8;
	}
	if (dwarf_tag(c) == DW_TAG_inheritance) {
		char base[4000];
		if (dwarf_decl(&mt, "", base, sizeof(base)))
			snprintf(base, sizeof(base), "?");
		snprintf(decl, sizeof(decl), "/* base */ %s", base);
	} else {
		err = dwarf_decl(&mt, name ? name : "", decl, sizeof(decl));
		if (err)
			return err;
	}
	m.name = strpool_intern(dt->strings, name ? name : "");
	m.decl = strpool_intern(dt->strings, decl);
	if (!m.name || !m.decl)
		return -ENOMEM;
	if (t->nmembers >= MAX_MEMBERS)
		return -E2BIG;
	if (grow((void **)&t->members, &t->cap, t->nmembers, sizeof(m), 8))
		return -ENOMEM;
	t->members[t->nmembers++] = m;
	return 0;
}

static int cu_type_add(struct dwarf_types *dt, uint32_t cu, uint32_t type)
{
	if (grow((void **)&dt->cu_types, &dt->cu_types_cap, dt->ncu_types, sizeof(*dt->cu_types), 64))
		return -ENOMEM;
	dt->cu_types[dt->ncu_types++] = (struct dwarf_cu_type){ cu, type };
	return 0;
}

static uint64_t type_hash(const struct lt_type *t)
{
	return hmap_hash_str(t->name) ^ hmap_hash_u64(t->size * 4 + t->kind);
}

/* Reads one named, defined aggregate; a type we cannot read is counted in refused. */
static int add_type(struct dwarf_types *dt, struct priv *p, Dwarf_Die *die, int tag, const char *typedef_name)
{
	struct lt_type t = { 0 };
	struct hmap_probe pr;
	Dwarf_Word size, v;
	Dwarf_Die c;
	uint64_t h;
	int err = 0;

	if (!udata(die, DW_AT_byte_size, &size))
		return 0;
	t.kind = tag == DW_TAG_union_type ? LT_UNION : tag == DW_TAG_class_type ? LT_CLASS : LT_STRUCT;
	t.size = size;
	t.cu = p->cu;
	t.typedef_name = typedef_name != NULL;
	t.name = strpool_intern(dt->strings, typedef_name ? typedef_name : dwarf_diename(die));
	if (!t.name)
		return -ENOMEM;
	if (size > LT_MAX_SIZE)
		goto refuse;
	h = type_hash(&t);
	for (uint32_t i = hmap_first(&p->seen, h, &pr); i != HMAP_NONE; i = hmap_next(&p->seen, &pr)) {
		const struct lt_type *o = &dt->types[i];
		if (o->kind == t.kind && o->size == t.size && strcmp(o->name, t.name) == 0) {
			dt->duplicates++;
			return cu_type_add(dt, p->cu, i);
		}
	}
	if (udata(die, DW_AT_alignment, &v) && v && v <= LT_MAX_SIZE) {
		t.align = (uint32_t)v;
		t.forced_align = true;
	}
	if (dwarf_child(die, &c) == 0) {
		do {
			int ct = dwarf_tag(&c);
			if (ct == DW_TAG_inheritance && dwarf_hasattr(&c, DW_AT_virtuality)) {
				Dwarf_Word virt = 0;
				udata(&c, DW_AT_virtuality, &virt);
				if (virt != DW_VIRTUALITY_none) {
					t.virtual_bases++;
					continue;
				}
			}
			if ((ct != DW_TAG_member && ct != DW_TAG_inheritance) || dwarf_hasattr(&c, DW_AT_external) ||
			    dwarf_hasattr(&c, DW_AT_declaration))
				continue;
			err = add_member(dt, p, &t, &c);
			if (err == -ENOMEM)
				goto cleanup;
			if (err)
				goto refuse;
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	if (!t.forced_align) {
		t.align = 1;
		for (size_t i = 0; i < t.nmembers; i++)
			if (t.members[i].align > t.align)
				t.align = t.members[i].align;
	}
	err = grow((void **)&dt->types, &dt->cap, dt->ntypes, sizeof(t), 64);
	if (!err)
		err = hmap_add(&p->seen, h, (uint32_t)dt->ntypes);
	if (err)
		goto cleanup;
	dt->types[dt->ntypes++] = t;
	return cu_type_add(dt, p->cu, (uint32_t)dt->ntypes - 1);
refuse:
	dt->refused++;
	err = 0;
cleanup:
	free(t.members);
	return err;
}

/* Types are defined in units, namespaces, other types and functions. */
static int walk(struct dwarf_types *dt, struct priv *p, Dwarf_Die *parent, int depth)
{
	Dwarf_Die c;
	int err;

	if (depth > DWARF_TYPES_MAX_DEPTH) {
		dt->refused++;
		return 0;
	}
	if (dwarf_child(parent, &c) != 0)
		return 0;
	do {
		int tag = dwarf_tag(&c);

		Dwarf_Die target;

		if (is_aggregate(tag) && dwarf_diename(&c) && !dwarf_hasattr(&c, DW_AT_declaration)) {
			err = add_type(dt, p, &c, tag, NULL);
			if (err)
				return err;
		}
		/* typedef struct { ... } name; */
		if (tag == DW_TAG_typedef && dwarf_diename(&c) && type_of(&c, &target) && is_aggregate(dwarf_tag(&target)) &&
		    !dwarf_diename(&target) && !dwarf_hasattr(&target, DW_AT_declaration)) {
			err = add_type(dt, p, &target, dwarf_tag(&target), dwarf_diename(&c));
			if (err)
				return err;
		}
		if (is_aggregate(tag) || tag == DW_TAG_namespace || tag == DW_TAG_subprogram ||
		    tag == DW_TAG_lexical_block) {
			err = walk(dt, p, &c, depth + 1);
			if (err)
				return err;
		}
	} while (dwarf_siblingof(&c, &c) == 0);
	return 0;
}

/* The separate debug file of the object with this build-id, when its own build-id agrees. */
static int open_debug_file(struct dwarf_types *dt)
{
	char path[128], id[41];
	int fd;

	if (strlen(dt->build_id) < 3)
		return -ENODATA;
	snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%.2s/%s.debug", dt->build_id, dt->build_id + 2);
	if (elf_read_build_id(path, id) || strcmp(id, dt->build_id))
		return -ENODATA;
	fd = target_file_open(NULL, path);
	if (fd >= 0)
		dt->debug_path = strpool_intern(dt->strings, path);
	return fd < 0 ? -ENODATA : fd;
}

/* The GNU build-id of the open file, as lowercase hex ("" when none). */
static void build_id_of(int fd, char out[41])
{
	const unsigned char *id;
	Elf *elf;
	ssize_t n;

	out[0] = '\0';
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return;
	n = dwelf_elf_gnu_build_id(elf, (const void **)&id);
	for (ssize_t i = 0; i < n && i < 20; i++)
		sprintf(out + 2 * i, "%02x", id[i]);
	elf_end(elf);
}

int dwarf_types_load(const char *path, struct dwarf_types **out)
{
	return dwarf_types_load_at(NULL, path, out);
}

int dwarf_types_load_at(const char *root, const char *path, struct dwarf_types **out)
{
	struct dwarf_types *dt = calloc(1, sizeof(*dt));
	struct priv *p = calloc(1, sizeof(*p));
	Dwarf_Off off = 0, next;
	size_t hsize;
	int err = -ENOMEM;

	*out = NULL;
	if (!dt || !p) {
		free(dt);
		free(p);
		return -ENOMEM;
	}
	p->fd = -1;
	dt->priv = p;
	dt->strings = strpool_new();
	if (!dt->strings)
		goto cleanup;
	p->fd = target_file_open(root, path);
	if (p->fd < 0) {
		err = p->fd;
		goto cleanup;
	}
	build_id_of(p->fd, dt->build_id);
	p->dw = dwarf_begin(p->fd, DWARF_C_READ);
	if (!p->dw) {
		close(p->fd);
		p->fd = open_debug_file(dt);
		if (p->fd < 0) {
			err = -ENODATA;
			goto cleanup;
		}
		p->dw = dwarf_begin(p->fd, DWARF_C_READ);
		if (!p->dw) {
			err = -ENODATA;
			goto cleanup;
		}
	}
	while (dwarf_nextcu(p->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;

		if (dwarf_offdie(p->dw, off + hsize, &cu)) {
			err = grow((void **)&p->cus, &p->cucap, dt->ncus, sizeof(*p->cus), 64);
			if (err)
				goto cleanup;
			p->cus[dt->ncus] = off + hsize;
			p->cu = dt->ncus++;
			err = walk(dt, p, &cu, 0);
			if (err)
				goto cleanup;
		}
		off = next;
	}
	/* Only unit offsets are needed from here: the rest of the reading state goes. */
	hmap_free(&p->amap);
	free(p->memo);
	p->memo = NULL;
	*out = dt;
	return 0;
cleanup:
	dwarf_types_free(dt);
	return err;
}

void dwarf_types_free(struct dwarf_types *dt)
{
	struct priv *p;

	if (!dt)
		return;
	p = dt->priv;
	if (p) {
		if (p->dw)
			dwarf_end(p->dw);
		if (p->fd >= 0)
			close(p->fd);
		hmap_free(&p->seen);
		hmap_free(&p->amap);
		free(p->memo);
		free(p->cus);
		free(p);
	}
	for (size_t i = 0; i < dt->ntypes; i++)
		free(dt->types[i].members);
	free(dt->types);
	free(dt->cu_types);
	strpool_free(dt->strings);
	free(dt);
}

const char *dwarf_types_strerror(int err)
{
	switch (err) {
	case -ENODATA:
		return "it carries no DWARF and no debug file with its build-id is installed";
	case -ENOMEM:
		return "out of memory";
	default:
		return target_file_strerror(err);
	}
}

int dwarf_types_cu_at(const struct dwarf_types *dt, uint64_t vaddr, uint32_t *cu, const char **func)
{
	struct priv *p = dt->priv;
	Dwarf_Die cudie, *scopes = NULL;
	Dwarf_Off off;
	int n;

	*func = NULL;
	if (!dwarf_addrdie(p->dw, vaddr, &cudie))
		return -ENOENT;
	off = dwarf_dieoffset(&cudie);
	for (uint32_t i = 0; i < dt->ncus; i++) {
		if (p->cus[i] != off)
			continue;
		*cu = i;
		n = dwarf_getscopes(&cudie, vaddr, &scopes);
		for (int k = n - 1; k >= 0; k--)
			if (dwarf_tag(&scopes[k]) == DW_TAG_subprogram && dwarf_diename(&scopes[k])) {
				*func = dwarf_diename(&scopes[k]);
				break;
			}
		free(scopes);
		return 0;
	}
	return -ENOENT;
}

void *dwarf_types_handle(const struct dwarf_types *dt)
{
	return ((struct priv *)dt->priv)->dw;
}
