// SPDX-License-Identifier: MIT
#include "eh_read.h"

uint64_t eh_u(struct eh_cur *c, size_t n)
{
	uint64_t v = 0;

	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

uint64_t eh_uleb(struct eh_cur *c)
{
	uint64_t v = 0;

	for (unsigned shift = 0; !c->bad; shift += 7) {
		uint8_t b;

		if (c->p >= c->end || shift > 63) {
			c->bad = true;
			break;
		}
		b = *c->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	return v;
}

int64_t eh_sleb(struct eh_cur *c)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b = 0;

	do {
		if (c->bad || c->p >= c->end || shift > 63) {
			c->bad = true;
			return 0;
		}
		b = *c->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= ~0ULL << shift;
	return (int64_t)v;
}

uint64_t eh_ptr(struct eh_cur *c, uint8_t enc)
{
	uint64_t here = c->vaddr + (uint64_t)(c->p - c->base), v;

	if (enc == 0xff || (enc & 0x80)) {
		c->bad = true;
		return 0;
	}
	switch (enc & 0x0f) {
	case 0x00: v = eh_u(c, 8); break;
	case 0x01: v = eh_uleb(c); break;
	case 0x02: v = eh_u(c, 2); break;
	case 0x03: v = eh_u(c, 4); break;
	case 0x04: v = eh_u(c, 8); break;
	case 0x09: v = (uint64_t)eh_sleb(c); break;
	case 0x0a: v = (uint64_t)(int64_t)(int16_t)eh_u(c, 2); break;
	case 0x0b: v = (uint64_t)(int64_t)(int32_t)eh_u(c, 4); break;
	case 0x0c: v = eh_u(c, 8); break;
	default: c->bad = true; return 0;
	}
	switch (enc & 0x70) {
	case 0x00: return v;
	case 0x10: return v + here; /* pcrel */
	default: c->bad = true; return 0; /* textrel/datarel/funcrel: not in x86-64 .eh_frame */
	}
}
