// SPDX-License-Identifier: MIT
/*
 * x86_insn: the prologue instruction decoder (see x86_insn.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "probe_offset.h"
#include "x86_insn.h"

/* snprintf that may truncate on purpose (the texts are for humans); returns the length written. */
int sfmt(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	if (r < 0)
		return 0;
	return (size_t)r >= n ? (int)n - 1 : r;
}

struct modrm {
	int mod, reg, rm; /* reg and rm extended by REX.R / REX.B */
	bool mem;         /* mod != 3 */
	bool riprel;
	int base, index;  /* memory operand registers, -1 when absent */
	int32_t disp;
	int len;          /* modrm + sib + displacement bytes */
};

const char *const reg64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
				       "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const reg32[16] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
				       "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *const reg16[16] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
				       "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *const reg8[16] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
				      "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
static const char *const reg8_legacy[8] = { "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh" };

static const char *const cc_name[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
					 "s", "ns", "p", "np", "l", "ge", "le", "g" };

/* Decodes ModRM (+SIB +disp) at p[0..n); returns false when truncated. */
static bool decode_modrm(const uint8_t *p, size_t n, uint8_t rex, struct modrm *m)
{
	if (n < 1)
		return false;
	uint8_t b = p[0];
	size_t i = 1;

	m->mod = b >> 6;
	m->reg = ((b >> 3) & 7) | ((rex & 4) ? 8 : 0);
	m->rm = (b & 7) | ((rex & 1) ? 8 : 0);
	m->mem = m->mod != 3;
	m->riprel = false;
	m->base = m->index = -1;
	m->disp = 0;
	if (!m->mem) {
		m->len = 1;
		return true;
	}
	int dispsz = m->mod == 1 ? 1 : m->mod == 2 ? 4 : 0;
	if ((b & 7) == 4) { /* SIB */
		if (n < 2)
			return false;
		uint8_t sib = p[1];
		i = 2;
		int idx = ((sib >> 3) & 7) | ((rex & 2) ? 8 : 0);
		int base = (sib & 7) | ((rex & 1) ? 8 : 0);
		m->index = idx == RSP ? -1 : idx;
		if ((sib & 7) == 5 && m->mod == 0) {
			dispsz = 4;
			m->base = -1;
		} else {
			m->base = base;
		}
	} else if ((b & 7) == 5 && m->mod == 0) {
		m->riprel = true;
		dispsz = 4;
	} else {
		m->base = m->rm;
	}
	if (n < i + (size_t)dispsz)
		return false;
	if (dispsz == 1)
		m->disp = (int8_t)p[i];
	else if (dispsz == 4)
		m->disp = (int32_t)((uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
				    (uint32_t)p[i + 3] << 24);
	m->len = (int)i + dispsz;
	return true;
}

static int64_t read_imm(const uint8_t *p, int size)
{
	switch (size) {
	case 1:
		return (int8_t)p[0];
	case 2:
		return (int16_t)(p[0] | p[1] << 8);
	case 4:
		return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				 (uint32_t)p[3] << 24);
	case 8: {
		uint64_t v = 0;
		for (int i = 7; i >= 0; i--)
			v = v << 8 | p[i];
		return (int64_t)v;
	}
	}
	return 0;
}

/* Operand size of a non-byte instruction: 8, 4 or 2. */
struct ctx {
	uint8_t rex;
	bool p66, pf2, pf3, bad_prefix;
	int nprefix;
};

static int opsize(const struct ctx *c)
{
	return (c->rex & 8) ? 8 : c->p66 ? 2 : 4;
}

/* GPR written by a byte-sized register operand: ah/ch/dh/bh without REX. */
static int byte_gpr(int r, const struct ctx *c)
{
	return (!c->rex && r >= 4 && r < 8) ? r - 4 : r;
}

static const char *regname(int r, int size, const struct ctx *c)
{
	switch (size) {
	case 8:
		return reg64[r];
	case 4:
		return reg32[r];
	case 2:
		return reg16[r];
	default:
		return (!c->rex && r < 8) ? reg8_legacy[r] : reg8[r];
	}
}

static void fmt_mem(char *buf, size_t n, const struct modrm *m)
{
	if (m->riprel) {
		sfmt(buf, n, "%#x(%%rip)", (unsigned)m->disp);
	} else if (m->base < 0 && m->index < 0) {
		sfmt(buf, n, "%#x", (unsigned)m->disp);
	} else {
		char d[16] = "";
		if (m->disp)
			sfmt(d, sizeof(d), "%s%#x", m->disp < 0 ? "-" : "",
				 m->disp < 0 ? -(unsigned)m->disp : (unsigned)m->disp);
		if (m->index >= 0)
			sfmt(buf, n, "%s(%s%s,%%%s)", d, m->base >= 0 ? "%" : "",
				 m->base >= 0 ? reg64[m->base] : "", reg64[m->index]);
		else
			sfmt(buf, n, "%s(%%%s)", d, reg64[m->base]);
	}
}

/* "%reg" or the memory operand of the r/m field. */
static void fmt_rm(char *buf, size_t n, const struct modrm *m, int size, const struct ctx *c)
{
	if (m->mem)
		fmt_mem(buf, n, m);
	else
		sfmt(buf, n, "%%%s", regname(m->rm, size, c));
}

/* Marks the r/m operand as written. */
static void write_rm(struct x86_insn *in, const struct modrm *m, bool byte, const struct ctx *c)
{
	if (m->mem)
		in->mem_write = true;
	else
		in->writes |= 1u << (byte ? byte_gpr(m->rm, c) : m->rm);
}

static void write_reg(struct x86_insn *in, int r, bool byte, const struct ctx *c)
{
	in->writes |= 1u << (byte ? byte_gpr(r, c) : r);
}

/* The kernel's x86_nops[] for 64-bit (arch/x86/include/asm/nops.h). */
static bool is_kernel_nop(const uint8_t *p, int len)
{
	static const uint8_t nops[9][8] = {
		[1] = { 0x90 },
		[2] = { 0x66, 0x90 },
		[3] = { 0x0f, 0x1f, 0x00 },
		[4] = { 0x0f, 0x1f, 0x40, 0x00 },
		[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
		[6] = { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
		[7] = { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
		[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	};
	return len >= 1 && len <= 8 && !memcmp(p, nops[len], (size_t)len);
}

static const char *const alu_name[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
static const char *const shift_name[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };

/*
 * Decodes one instruction.  Returns false when its length cannot be
 * determined (unknown opcode or truncated); otherwise in->kind tells whether
 * its effects are modelled.
 */
bool x86_decode(const uint8_t *code, size_t n, struct x86_insn *in)
{
	struct ctx c = { 0 };
	struct modrm m;
	size_t i = 0;
	char ops[40];

	memset(in, 0, sizeof(*in));
	in->kind = K_PLAIN;

	/* Legacy prefixes, then at most one REX right before the opcode. */
	for (; i < n && i < 14; i++) {
		uint8_t b = code[i];
		if (b == 0x66)
			c.p66 = true;
		else if (b == 0xf2)
			c.pf2 = true;
		else if (b == 0xf3)
			c.pf3 = true;
		else if (b == 0x64 || b == 0x65 || b == 0x67)
			;
		else if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0xf0)
			c.bad_prefix = true;
		else
			break;
	}
	c.nprefix = (int)i;
	if (i < n && (code[i] & 0xf0) == 0x40)
		c.rex = code[i++];
	if (i >= n)
		return false;
	in->refused = c.bad_prefix;

	const uint8_t *p = code + i; /* opcode */
	size_t left = n - i;
	uint8_t op = p[0];
	int osz = opsize(&c);
	int izsz = c.p66 ? 2 : 4; /* "iz" immediates */
	int len = -1;

#define NEED(k)                     \
	do {                        \
		if (left < (size_t)(k)) \
			return false;   \
	} while (0)
#define MODRM_AT(off)                                              \
	do {                                                       \
		if (!decode_modrm(p + (off), left - (off), c.rex, &m)) \
			return false;                              \
	} while (0)

	if (op == 0x0f) {
		NEED(2);
		uint8_t op2 = p[1];
		if (op2 >= 0x80 && op2 <= 0x8f) { /* jcc rel32 */
			NEED(6);
			len = 6;
			in->kind = K_BRANCH;
			in->emulated = !c.p66;
			sfmt(in->text, sizeof(in->text), "j%s", cc_name[op2 & 15]);
		} else if (op2 == 0x1e && c.pf3 && left >= 3 && (p[2] == 0xfa || p[2] == 0xfb)) {
			len = 3; /* endbr64 / endbr32: XOL on every kernel so far */
			sfmt(in->text, sizeof(in->text), "endbr%s", p[2] == 0xfa ? "64" : "32");
		} else if (op2 == 0x1f) { /* nopl /0 */
			MODRM_AT(2);
			if ((m.reg & 7) != 0)
				return false;
			len = 2 + m.len;
			sfmt(in->text, sizeof(in->text), "nop%s", c.p66 ? "w" : "l");
		} else if ((op2 >= 0x40 && op2 <= 0x4f) || op2 == 0xaf || op2 == 0xb6 || op2 == 0xb7 ||
			   op2 == 0xbe || op2 == 0xbf) {
			/* cmovcc, imul r,r/m, movzx, movsx: write the reg operand */
			MODRM_AT(2);
			len = 2 + m.len;
			write_reg(in, m.reg, false, &c);
			int ssz = (op2 == 0xb6 || op2 == 0xbe) ? 1 : (op2 == 0xb7 || op2 == 0xbf) ? 2 : osz;
			fmt_rm(ops, sizeof(ops), &m, ssz, &c);
			const char *mn = op2 == 0xaf ? "imul" : op2 < 0x50 ? "cmov" : op2 < 0xb8 ? "movz" : "movs";
			sfmt(in->text, sizeof(in->text), "%s%s %s,%%%s", mn,
				 op2 < 0x50 ? cc_name[op2 & 15] : "", ops, regname(m.reg, osz, &c));
		} else if (op2 >= 0x90 && op2 <= 0x9f) { /* setcc r/m8 */
			MODRM_AT(2);
			len = 2 + m.len;
			write_rm(in, &m, true, &c);
			fmt_rm(ops, sizeof(ops), &m, 1, &c);
			sfmt(in->text, sizeof(in->text), "set%s %s", cc_name[op2 & 15], ops);
		} else {
			return false;
		}
	} else if (op >= 0x70 && op <= 0x7f) { /* jcc rel8 */
		NEED(2);
		len = 2;
		in->kind = K_BRANCH;
		in->emulated = !c.p66;
		sfmt(in->text, sizeof(in->text), "j%s", cc_name[op & 15]);
	} else if (op == 0xeb || op == 0xe9 || op == 0xe8) { /* jmp/call rel */
		len = op == 0xeb ? 2 : 5;
		NEED(len);
		in->kind = K_BRANCH;
		in->emulated = !c.p66;
		sfmt(in->text, sizeof(in->text), "%s", op == 0xe8 ? "call" : "jmp");
	} else if (op == 0xc3 || op == 0xc2) { /* ret: single-stepped */
		len = op == 0xc3 ? 1 : 3;
		NEED(len);
		in->kind = K_BRANCH;
		sfmt(in->text, sizeof(in->text), "ret");
	} else if (op == 0x90) {
		len = 1;
		if (c.rex & 1) { /* xchg %eax,%r8d */
			in->writes = 1u << RAX | 1u << R8;
			sfmt(in->text, sizeof(in->text), "xchg");
		} else {
			/* prefix* + nop: emulated by branch_setup_xol_ops (pause too) */
			in->emulated = true;
			sfmt(in->text, sizeof(in->text), "%s", c.pf3 ? "pause" : "nop");
		}
	} else if (op >= 0x50 && op <= 0x57) { /* push %reg */
		len = 1;
		int r = (op & 7) | ((c.rex & 1) ? 8 : 0);
		in->writes = 1u << RSP;
		in->mem_write = true;
		/* push_setup_xol_ops: length 1, or exactly REX 0x41 and length 2 */
		in->emulated = (c.nprefix == 0 && !c.rex) || (c.nprefix == 0 && c.rex == 0x41);
		sfmt(in->text, sizeof(in->text), "push %%%s", reg64[r]);
	} else if (op >= 0x58 && op <= 0x5f) { /* pop %reg */
		len = 1;
		int r = (op & 7) | ((c.rex & 1) ? 8 : 0);
		in->writes = 1u << RSP | 1u << r;
		sfmt(in->text, sizeof(in->text), "pop %%%s", reg64[r]);
	} else if (op < 0x40 && (op & 7) < 6) { /* ALU add/or/adc/sbb/and/sub/xor/cmp */
		int alu = op >> 3;
		bool cmp = alu == 7;
		bool byte = !(op & 1);
		int sz = byte ? 1 : osz;
		switch (op & 7) {
		case 0: case 1: /* op r/m, reg */
		case 2: case 3: /* op reg, r/m */
			MODRM_AT(1);
			len = 1 + m.len;
			if (!cmp) {
				if ((op & 7) < 2)
					write_rm(in, &m, byte, &c);
				else
					write_reg(in, m.reg, byte, &c);
			}
			fmt_rm(ops, sizeof(ops), &m, sz, &c);
			if ((op & 7) < 2)
				sfmt(in->text, sizeof(in->text), "%s %%%s,%s", alu_name[alu],
					 regname(m.reg, sz, &c), ops);
			else
				sfmt(in->text, sizeof(in->text), "%s %s,%%%s", alu_name[alu], ops,
					 regname(m.reg, sz, &c));
			break;
		case 4: case 5: { /* op al/eax, imm */
			int isz = byte ? 1 : izsz;
			len = 1 + isz;
			NEED(len);
			if (!cmp)
				in->writes = 1u << RAX;
			sfmt(in->text, sizeof(in->text), "%s $%#llx,%%%s", alu_name[alu],
				 (unsigned long long)read_imm(p + 1, isz), regname(RAX, sz, &c));
			break;
		}
		}
	} else if (op == 0x80 || op == 0x81 || op == 0x83) { /* group 1 r/m, imm */
		MODRM_AT(1);
		int isz = op == 0x81 ? izsz : 1;
		bool byte = op == 0x80;
		len = 1 + m.len + isz;
		NEED(len);
		int alu = m.reg & 7;
		if (alu != 7)
			write_rm(in, &m, byte, &c);
		fmt_rm(ops, sizeof(ops), &m, byte ? 1 : osz, &c);
		sfmt(in->text, sizeof(in->text), "%s%s $%#llx,%s", alu_name[alu],
			 m.mem ? (byte ? "b" : osz == 8 ? "q" : osz == 2 ? "w" : "l") : "",
			 (unsigned long long)read_imm(p + 1 + m.len, isz) &
				 (isz == 1 ? 0xff : osz == 2 ? 0xffff : osz == 4 ? 0xffffffffull : ~0ull),
			 ops);
	} else if (op == 0x84 || op == 0x85) { /* test r/m, reg */
		MODRM_AT(1);
		len = 1 + m.len;
		int sz = op == 0x84 ? 1 : osz;
		fmt_rm(ops, sizeof(ops), &m, sz, &c);
		sfmt(in->text, sizeof(in->text), "test %%%s,%s", regname(m.reg, sz, &c), ops);
	} else if (op == 0x86 || op == 0x87) { /* xchg r/m, reg */
		MODRM_AT(1);
		len = 1 + m.len;
		write_rm(in, &m, op == 0x86, &c);
		write_reg(in, m.reg, op == 0x86, &c);
		sfmt(in->text, sizeof(in->text), "xchg");
	} else if (op >= 0x88 && op <= 0x8b) { /* mov */
		MODRM_AT(1);
		len = 1 + m.len;
		bool byte = !(op & 1);
		int sz = byte ? 1 : osz;
		fmt_rm(ops, sizeof(ops), &m, sz, &c);
		if (op <= 0x89) {
			write_rm(in, &m, byte, &c);
			sfmt(in->text, sizeof(in->text), "mov %%%s,%s", regname(m.reg, sz, &c), ops);
		} else {
			write_reg(in, m.reg, byte, &c);
			sfmt(in->text, sizeof(in->text), "mov %s,%%%s", ops, regname(m.reg, sz, &c));
		}
	} else if (op == 0x8d) { /* lea */
		MODRM_AT(1);
		if (!m.mem)
			return false;
		len = 1 + m.len;
		write_reg(in, m.reg, false, &c);
		fmt_mem(ops, sizeof(ops), &m);
		sfmt(in->text, sizeof(in->text), "lea %s,%%%s", ops, regname(m.reg, osz, &c));
	} else if (op == 0x63) { /* movsxd */
		MODRM_AT(1);
		len = 1 + m.len;
		write_reg(in, m.reg, false, &c);
		sfmt(in->text, sizeof(in->text), "movslq");
	} else if (op == 0x98 || op == 0x99) { /* cltq / cqto: 99 writes rdx */
		len = 1;
		in->writes = op == 0x98 ? 1u << RAX : 1u << RDX;
		sfmt(in->text, sizeof(in->text), "%s", op == 0x98 ? "cltq" : "cqto");
	} else if (op == 0xa8 || op == 0xa9) { /* test al/eax, imm */
		int isz = op == 0xa8 ? 1 : izsz;
		len = 1 + isz;
		NEED(len);
		sfmt(in->text, sizeof(in->text), "test $%#llx,%%%s",
			 (unsigned long long)read_imm(p + 1, isz) & (isz == 1 ? 0xff : 0xffffffffull),
			 regname(RAX, op == 0xa8 ? 1 : osz, &c));
	} else if (op >= 0xb0 && op <= 0xbf) { /* mov reg, imm */
		bool byte = op < 0xb8;
		int r = (op & 7) | ((c.rex & 1) ? 8 : 0);
		int isz = byte ? 1 : osz;
		len = 1 + isz;
		NEED(len);
		write_reg(in, r, byte, &c);
		sfmt(in->text, sizeof(in->text), "mov $%#llx,%%%s",
			 (unsigned long long)read_imm(p + 1, isz), regname(r, byte ? 1 : osz, &c));
	} else if (op == 0xc6 || op == 0xc7) { /* mov r/m, imm (/0 only) */
		MODRM_AT(1);
		if ((m.reg & 7) != 0)
			return false;
		int isz = op == 0xc6 ? 1 : izsz;
		len = 1 + m.len + isz;
		NEED(len);
		write_rm(in, &m, op == 0xc6, &c);
		fmt_rm(ops, sizeof(ops), &m, op == 0xc6 ? 1 : osz, &c);
		sfmt(in->text, sizeof(in->text), "mov $%#llx,%s",
			 (unsigned long long)read_imm(p + 1 + m.len, isz), ops);
	} else if (op == 0xc0 || op == 0xc1 || (op >= 0xd0 && op <= 0xd3)) { /* shifts */
		MODRM_AT(1);
		int isz = op <= 0xc1 ? 1 : 0;
		bool byte = !(op & 1);
		len = 1 + m.len + isz;
		NEED(len);
		write_rm(in, &m, byte, &c);
		fmt_rm(ops, sizeof(ops), &m, byte ? 1 : osz, &c);
		if (isz)
			sfmt(in->text, sizeof(in->text), "%s $%#x,%s", shift_name[m.reg & 7],
				 p[1 + m.len], ops);
		else
			sfmt(in->text, sizeof(in->text), "%s %s%s", shift_name[m.reg & 7],
				 op >= 0xd2 ? "%cl," : "", ops);
	} else if (op == 0x69 || op == 0x6b) { /* imul reg, r/m, imm */
		MODRM_AT(1);
		int isz = op == 0x6b ? 1 : izsz;
		len = 1 + m.len + isz;
		NEED(len);
		write_reg(in, m.reg, false, &c);
		sfmt(in->text, sizeof(in->text), "imul $%lld,...,%%%s",
			 (long long)read_imm(p + 1 + m.len, isz), regname(m.reg, osz, &c));
	} else if (op == 0xf6 || op == 0xf7) { /* group 3 */
		MODRM_AT(1);
		bool byte = op == 0xf6;
		int sub = m.reg & 7;
		int isz = sub <= 1 ? (byte ? 1 : izsz) : 0;
		len = 1 + m.len + isz;
		NEED(len);
		static const char *const g3[8] = { "test", "test", "not", "neg", "mul", "imul", "div", "idiv" };
		fmt_rm(ops, sizeof(ops), &m, byte ? 1 : osz, &c);
		if (sub == 2 || sub == 3)
			write_rm(in, &m, byte, &c);
		else if (sub >= 4)
			in->writes = byte ? 1u << RAX : (1u << RAX | 1u << RDX);
		if (isz)
			sfmt(in->text, sizeof(in->text), "test $%#llx,%s",
				 (unsigned long long)read_imm(p + 1 + m.len, isz) &
					 (isz == 1 ? 0xff : 0xffffffffull),
				 ops);
		else
			sfmt(in->text, sizeof(in->text), "%s %s", g3[sub], ops);
	} else if (op == 0xfe || op == 0xff) { /* group 4/5 */
		MODRM_AT(1);
		len = 1 + m.len;
		int sub = m.reg & 7;
		fmt_rm(ops, sizeof(ops), &m, op == 0xfe ? 1 : osz, &c);
		if (sub <= 1) {
			write_rm(in, &m, op == 0xfe, &c);
			sfmt(in->text, sizeof(in->text), "%s %s", sub ? "dec" : "inc", ops);
		} else if (op == 0xff && (sub == 2 || sub == 4)) { /* call/jmp *r/m: XOL */
			in->kind = K_BRANCH;
			sfmt(in->text, sizeof(in->text), "%s *%s", sub == 2 ? "call" : "jmp", ops);
		} else if (op == 0xff && sub == 6) {
			in->writes = 1u << RSP;
			in->mem_write = true;
			sfmt(in->text, sizeof(in->text), "push %s", ops);
		} else {
			return false;
		}
	} else {
		return false;
	}
#undef NEED
#undef MODRM_AT

	in->len = (int)i + len;
	/* branch_setup_xol_ops: -ENOTSUPP for a relative branch with a 66 prefix */
	if (in->kind == K_BRANCH && c.p66 && (op == 0xe8 || op == 0xe9 || op == 0xeb ||
					      (op >= 0x70 && op <= 0x7f) || op == 0x0f))
		in->refused = true;
	if (is_kernel_nop(code, in->len)) /* 6.18+: x86_nops[] are emulated */
		in->emulated = true;
	if (in->refused)
		in->emulated = false;
	return true;
}
