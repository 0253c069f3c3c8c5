// SPDX-License-Identifier: MIT
#include <dwarf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf_decl.h"
#include "dwarf_types.h"

/* Declarations longer than this are cut (-ENAMETOOLONG): a limit on what a crafted file makes us build. */
#define DECL_MAX 4096

static int render(Dwarf_Die *t, const char *inner, char *out, size_t len, int depth);

static int put(char *out, size_t len, const char *fmt, const char *a, const char *b, const char *c)
{
	int n = snprintf(out, len, fmt, a, b, c);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Appends to a list being built in out; a list that would not fit is an error, never a cut one. */
static int __attribute__((format(printf, 4, 5))) append(char *out, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *used)
		return -ENAMETOOLONG;
	*used += (size_t)n;
	return 0;
}

static bool type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;
	return dwarf_attr_integrate(die, DW_AT_type, &a) && dwarf_formref_die(&a, out);
}

/* "A = 1, B = 2" of an anonymous enum. */
static int enumerators(Dwarf_Die *t, char *out, size_t len)
{
	Dwarf_Die c;
	size_t used = 0;

	out[0] = '\0';
	if (dwarf_child(t, &c) != 0)
		return 0;
	do {
		Dwarf_Attribute a;
		Dwarf_Sword v = 0;

		if (dwarf_tag(&c) != DW_TAG_enumerator || !dwarf_diename(&c))
			continue;
		if (dwarf_attr(&c, DW_AT_const_value, &a))
			dwarf_formsdata(&a, &v);
		if (append(out, len, &used, "%s%s = %" PRId64, used ? ", " : "", dwarf_diename(&c), (int64_t)v))
			return -ENAMETOOLONG;
	} while (dwarf_siblingof(&c, &c) == 0);
	return 0;
}

/* "int a; unsigned int b:3; " of an anonymous struct or union, in DWARF order. */
static int members(Dwarf_Die *t, char *out, size_t len, int depth)
{
	Dwarf_Die c, mt;
	size_t used = 0;
	char *one = malloc(DECL_MAX);
	int err = 0;

	if (!one)
		return -ENOMEM;
	out[0] = '\0';
	if (dwarf_child(t, &c) != 0)
		goto cleanup;
	do {
		const char *name = dwarf_diename(&c);
		char width[24] = "";
		int bits;

		if (dwarf_tag(&c) != DW_TAG_member || dwarf_hasattr(&c, DW_AT_external) ||
		    dwarf_hasattr(&c, DW_AT_declaration))
			continue;
		if (!type_of(&c, &mt)) {
			err = -EINVAL;
			goto cleanup;
		}
		err = render(&mt, name ? name : "", one, DECL_MAX, depth + 1);
		if (err)
			goto cleanup;
		bits = dwarf_bitsize(&c);
		if (bits > 0)
			snprintf(width, sizeof(width), ":%d", bits);
		err = append(out, len, &used, "%s%s; ", one, width);
		if (err)
			goto cleanup;
	} while (dwarf_siblingof(&c, &c) == 0);
cleanup:
	free(one);
	return err;
}

static int aggregate(Dwarf_Die *t, const char *kw, const char *inner, char *out, size_t len, int depth)
{
	const char *name = dwarf_diename(t);
	const char *sp = inner[0] ? " " : "";
	char *body;
	int err;

	if (name) {
		char head[DECL_MAX];
		if (snprintf(head, sizeof(head), "%s %s", kw, name) >= (int)sizeof(head))
			return -ENAMETOOLONG;
		return put(out, len, "%s%s%s", head, sp, inner);
	}
	body = malloc(DECL_MAX);
	if (!body)
		return -ENOMEM;
	err = strcmp(kw, "enum") == 0 ? enumerators(t, body, DECL_MAX) : members(t, body, DECL_MAX, depth);
	if (!err) {
		int n = snprintf(out, len, "%s { %s}%s%s", kw, body, sp, inner);
		err = n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	free(body);
	return err;
}

/* "[3][4]" of an array type, "[]" for a dimension without a count. */
static int dims(Dwarf_Die *t, char *out, size_t len)
{
	Dwarf_Die c;
	size_t used = 0;

	out[0] = '\0';
	if (dwarf_child(t, &c) != 0)
		return 0;
	do {
		Dwarf_Attribute a;
		Dwarf_Word v;
		int err;

		if (dwarf_tag(&c) != DW_TAG_subrange_type)
			continue;
		if (dwarf_attr(&c, DW_AT_count, &a) && dwarf_formudata(&a, &v) == 0)
			err = append(out, len, &used, "[%" PRIu64 "]", (uint64_t)v);
		else if (dwarf_attr(&c, DW_AT_upper_bound, &a) && dwarf_formudata(&a, &v) == 0)
			err = append(out, len, &used, "[%" PRIu64 "]", (uint64_t)v + 1);
		else
			err = append(out, len, &used, "[]");
		if (err)
			return err;
	} while (dwarf_siblingof(&c, &c) == 0);
	return 0;
}

/* "int, char *" of a function type; "void" when it takes none. */
static int params(Dwarf_Die *t, char *out, size_t len, int depth)
{
	Dwarf_Die c, pt;
	size_t used = 0;
	char one[DECL_MAX];

	out[0] = '\0';
	if (dwarf_child(t, &c) == 0) {
		do {
			int tag = dwarf_tag(&c), err;

			if (tag == DW_TAG_unspecified_parameters) {
				snprintf(one, sizeof(one), "...");
			} else if (tag == DW_TAG_formal_parameter && type_of(&c, &pt)) {
				err = render(&pt, "", one, sizeof(one), depth + 1);
				if (err)
					return err;
			} else {
				continue;
			}
			err = append(out, len, &used, "%s%s", used ? ", " : "", one);
			if (err)
				return err;
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	if (!used)
		snprintf(out, len, "void");
	return 0;
}

static int render(Dwarf_Die *t, const char *inner, char *out, size_t len, int depth)
{
	const char *sp = inner[0] ? " " : "";
	char *next;
	Dwarf_Die target, *tp;
	int tag, err = 0;

	if (depth > DWARF_TYPES_MAX_DEPTH)
		return -ELOOP;
	if (!t)
		return put(out, len, "void%s%s%s", sp, inner, "");
	tag = dwarf_tag(t);
	switch (tag) {
	case DW_TAG_structure_type:
		return aggregate(t, "struct", inner, out, len, depth);
	case DW_TAG_class_type:
		return aggregate(t, "class", inner, out, len, depth);
	case DW_TAG_union_type:
		return aggregate(t, "union", inner, out, len, depth);
	case DW_TAG_enumeration_type:
		return aggregate(t, "enum", inner, out, len, depth);
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type:
	case DW_TAG_atomic_type:
	case DW_TAG_array_type:
	case DW_TAG_subroutine_type:
		break;
	default: {
		const char *name = dwarf_diename(t);
		return put(out, len, "%s%s%s", name ? name : "void", sp, inner);
	}
	}
	tp = type_of(t, &target) ? &target : NULL;
	next = malloc(DECL_MAX);
	if (!next)
		return -ENOMEM;
	switch (tag) {
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type: {
		const char *sym = tag == DW_TAG_pointer_type ? "*" : tag == DW_TAG_reference_type ? "&" : "&&";
		int ttag = tp ? dwarf_tag(tp) : 0;
		bool wrap = ttag == DW_TAG_array_type || ttag == DW_TAG_subroutine_type;
		err = put(next, DECL_MAX, wrap ? "(%s%s)%s" : "%s%s%s", sym, inner, "");
		break;
	}
	case DW_TAG_array_type: {
		char d[256];
		err = dims(t, d, sizeof(d));
		if (!err)
			err = put(next, DECL_MAX, "%s%s%s", inner, d, "");
		break;
	}
	case DW_TAG_subroutine_type: {
		char *p = malloc(DECL_MAX);
		err = p ? params(t, p, DECL_MAX, depth) : -ENOMEM;
		if (!err)
			err = put(next, DECL_MAX, "%s(%s)%s", inner, p, "");
		free(p);
		break;
	}
	default: {
		const char *q = tag == DW_TAG_const_type ? "const" : tag == DW_TAG_volatile_type ? "volatile" :
				tag == DW_TAG_restrict_type ? "restrict" : "_Atomic";
		int ttag = tp ? dwarf_tag(tp) : 0;
		/* A qualifier binds to a pointer after its '*', to anything else before it;
		 * on an array it is its elements', which carry it themselves. */
		if (ttag == DW_TAG_array_type) {
			free(next);
			return render(tp, inner, out, len, depth + 1);
		}
		if (ttag == DW_TAG_pointer_type || ttag == DW_TAG_reference_type) {
			err = put(next, DECL_MAX, "%s%s%s", q, sp, inner);
		} else {
			char *rest = malloc(DECL_MAX);
			err = rest ? render(tp, inner, rest, DECL_MAX, depth + 1) : -ENOMEM;
			if (!err)
				err = put(out, len, "%s %s%s", q, rest, "");
			free(rest);
			free(next);
			return err;
		}
		break;
	}
	}
	if (!err)
		err = render(tp, next, out, len, depth + 1);
	free(next);
	return err;
}

int dwarf_decl(Dwarf_Die *type, const char *name, char *out, size_t outlen)
{
	if (!outlen)
		return -ENAMETOOLONG;
	out[0] = '\0';
	return render(type, name, out, outlen, 0);
}
