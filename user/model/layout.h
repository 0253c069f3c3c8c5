/* SPDX-License-Identifier: MIT */
/*
 * Struct layouts as plain data, and what computes on them: holes and
 * padding exactly as pahole counts them, and a reordering of the members
 * that removes padding (members by decreasing alignment, as a compiler
 * following the x86-64 System V rules would lay them out).
 *
 * A caller may rely on:
 *  - layout_holes() gives pahole's numbers for a struct or class (size,
 *    members, holes, sum holes, bit holes, padding, bit padding); unions
 *    have none (every member at 0).  One difference: where a C++ base's
 *    tail padding holds the next base or member, pahole counts a negative
 *    hole (and sums it as unsigned); here an overlap is no hole.
 *  - layout_reorder() suggests an order only when it first reproduces the
 *    type's real layout from its members with the same rules: a type it
 *    cannot reproduce (packed, #pragma pack, unnamed bit-fields, C++ tail
 *    reuse, virtual bases) is left as it is, with the reason.  Base
 *    classes and the vtable pointer stay first, a flexible array member
 *    stays last, a run of adjacent bit-fields moves as one block in its own
 *    order, nested structs and arrays are blocks of their size and
 *    alignment.  The suggested size is never larger than the real one.
 */
#ifndef MEMTRACE_LAYOUT_H
#define MEMTRACE_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lt_kind { LT_STRUCT, LT_UNION, LT_CLASS };

/* Sizes, offsets and counts are capped well below overflow by the reader. */
#define LT_MAX_SIZE (1ULL << 40)

struct lt_member {
	const char *name;     /* "" when anonymous */
	const char *decl;     /* C declaration of the member with its name, e.g. "char name[16]" */
	uint64_t offset;      /* bytes; for a bit-field its storage unit's offset */
	uint64_t bit_offset;  /* bits from the start of the type */
	uint64_t size;        /* bytes of the member's type (0 for a flexible array) */
	uint32_t bit_size;    /* bit-field width; 0 when not a bit-field */
	uint32_t align;       /* alignment the member needs (its aligned attribute when given) */
	bool forced_align;    /* the member carries an aligned attribute */
	bool fixed;           /* a base class or the vtable pointer: stays where it is */
	bool base;            /* a (non-virtual) base class */
	bool flexible;        /* flexible array member: stays last */
};

struct lt_type {
	const char *name;
	enum lt_kind kind;
	uint64_t size;
	uint32_t align;       /* alignment the type has (aligned attribute, else its members') */
	bool forced_align;    /* the type carries an aligned attribute */
	bool typedef_name;    /* an anonymous struct or union named by a typedef ("typedef struct {...} name") */
	uint32_t virtual_bases; /* left out of members (they live past the fields): no suggestion */
	uint32_t cu;          /* index of its compile unit (dwarf_types.h) */
	struct lt_member *members;
	size_t nmembers, cap;
};

/* pahole's summary of one type. */
struct lt_holes {
	uint64_t sum_members;     /* bytes of non-bit-field members, base classes not counted (as pahole) */
	uint64_t sum_bit_members; /* bits of bit-field members */
	uint32_t holes, bit_holes;
	uint64_t sum_holes, sum_bit_holes;
	int64_t padding;          /* bytes after the last member */
	uint32_t bit_padding;
	bool packed;              /* inferred as pahole does: members off their natural alignment */
};

struct lt_suggestion {
	bool reordered;           /* an order was computed (even with no saving) */
	const char *why_not;      /* when !reordered: why, in words */
	uint64_t new_size;
	size_t *order;            /* member indices in the new order (nmembers), NULL when !reordered */
	uint64_t *new_offset;     /* per member index: its byte offset in the new order */
	uint64_t *new_bit_offset; /* per member index: bit offset from the start */
};

/* Holes and padding of t, per member into hole[i] / bit_hole[i] (after member i; may be NULL). */
void layout_holes(const struct lt_type *t, struct lt_holes *h, int64_t *hole, int32_t *bit_hole);

/* Computes a padding-free order for t (see above).  0, or -ENOMEM. */
int layout_reorder(const struct lt_type *t, struct lt_suggestion *s);
void layout_suggestion_free(struct lt_suggestion *s);

/* Bytes the suggestion saves per object (0 when none). */
static inline uint64_t layout_saving(const struct lt_type *t, const struct lt_suggestion *s)
{
	return s->reordered && s->new_size < t->size ? t->size - s->new_size : 0;
}

const char *layout_kind_name(enum lt_kind kind);

#endif
