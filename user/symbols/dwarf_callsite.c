// SPDX-License-Identifier: MIT
#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf_callsite.h"
#include "dwarf_types.h"

/* x86-64 DWARF register numbers of the first two integer arguments. */
#define REG_RDI 5
#define REG_RSI 4

/* A single-operation constant expression's value. */
static bool constant(Dwarf_Attribute *a, uint64_t *v)
{
	Dwarf_Op *ops;
	size_t n;

	if (dwarf_getlocation(a, &ops, &n) != 0 || n != 1)
		return false;
	if (ops[0].atom >= DW_OP_lit0 && ops[0].atom <= DW_OP_lit31) {
		*v = ops[0].atom - DW_OP_lit0;
		return true;
	}
	switch (ops[0].atom) {
	case DW_OP_const1u:
	case DW_OP_const2u:
	case DW_OP_const4u:
	case DW_OP_const8u:
	case DW_OP_constu:
		*v = ops[0].number;
		return true;
	case DW_OP_const1s:
	case DW_OP_const2s:
	case DW_OP_const4s:
	case DW_OP_const8s:
	case DW_OP_consts:
		*v = ops[0].number;
		return (int64_t)ops[0].number >= 0;
	}
	return false;
}

static void parameters(Dwarf_Die *site, struct dwarf_call *out)
{
	Dwarf_Die c;

	if (dwarf_child(site, &c) != 0)
		return;
	do {
		Dwarf_Attribute loc, val;
		Dwarf_Op *ops;
		size_t n;
		int slot;

		if (dwarf_tag(&c) != DW_TAG_call_site_parameter && dwarf_tag(&c) != DW_TAG_GNU_call_site_parameter)
			continue;
		if (!dwarf_attr(&c, DW_AT_location, &loc) || dwarf_getlocation(&loc, &ops, &n) != 0 || n != 1)
			continue;
		slot = ops[0].atom == DW_OP_reg0 + REG_RDI ? 0 : ops[0].atom == DW_OP_reg0 + REG_RSI ? 1 : -1;
		if (slot < 0)
			continue;
		if ((dwarf_attr(&c, DW_AT_call_value, &val) || dwarf_attr(&c, DW_AT_GNU_call_site_value, &val)) &&
		    constant(&val, &out->arg[slot]))
			out->known[slot] = true;
	} while (dwarf_siblingof(&c, &c) == 0);
}

static bool returns_to(Dwarf_Die *site, uint64_t ret)
{
	Dwarf_Addr pc;
	Dwarf_Attribute a;

	if (dwarf_attr(site, DW_AT_call_return_pc, &a))
		return dwarf_formaddr(&a, &pc) == 0 && pc == ret;
	/* GNU call sites: DW_AT_low_pc is the return address. */
	return dwarf_tag(site) == DW_TAG_GNU_call_site && dwarf_lowpc(site, &pc) == 0 && pc == ret;
}

/* Depth-first search of the function's DIEs (lexical blocks, inlined bodies), bounded. */
static bool find(Dwarf_Die *parent, uint64_t ret, struct dwarf_call *out, int depth)
{
	Dwarf_Die c;

	if (depth > DWARF_TYPES_MAX_DEPTH || dwarf_child(parent, &c) != 0)
		return false;
	do {
		int tag = dwarf_tag(&c);

		if ((tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site) && returns_to(&c, ret)) {
			Dwarf_Attribute a;
			Dwarf_Die callee;

			if ((dwarf_attr(&c, DW_AT_call_origin, &a) || dwarf_attr(&c, DW_AT_abstract_origin, &a)) &&
			    dwarf_formref_die(&a, &callee))
				out->callee = dwarf_diename(&callee);
			parameters(&c, out);
			return true;
		}
		if ((tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) && find(&c, ret, out, depth + 1))
			return true;
	} while (dwarf_siblingof(&c, &c) == 0);
	return false;
}

int dwarf_callsite_at(Dwarf *dw, uint64_t return_addr, struct dwarf_call *out)
{
	Dwarf_Die cu, *scopes = NULL;
	int n, err = -ENOENT;

	memset(out, 0, sizeof(*out));
	if (!return_addr || !dwarf_addrdie(dw, return_addr - 1, &cu))
		return -ENOENT;
	n = dwarf_getscopes(&cu, return_addr - 1, &scopes);
	for (int k = 0; k < n; k++)
		if (dwarf_tag(&scopes[k]) == DW_TAG_subprogram) {
			if (find(&scopes[k], return_addr, out, 0))
				err = 0;
			break;
		}
	free(scopes);
	return err;
}
