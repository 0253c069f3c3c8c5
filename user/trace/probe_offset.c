// SPDX-License-Identifier: MIT
/*
 * probe_offset: the entry-probe placement, built on the prologue decoder
 * of x86_insn.c (see probe_offset.h for the kernel rules it follows).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probe_offset.h"
#include "target_file.h"
#include "x86_insn.h"

int probe_x86_insn_length(const uint8_t *code, size_t len)
{
	struct x86_insn in;

	if (!code || !x86_decode(code, len, &in))
		return -1;
	return in.len;
}

/* ---- placement --------------------------------------------------------- */

static const int arg_regs[PROBE_ARGS_ALL] = { RDI, RSI, RDX, RCX, R8, R9 };

static void hexbytes(char *buf, size_t n, const uint8_t *code, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < len && i < 8 && o + 4 < n; i++)
		o += (size_t)sfmt(buf + o, n - o, "%s%02x", i ? " " : "", code[i]);
}

static void set_entry(struct probe_placement *out, bool emulated, const char *fmt, const char *a,
		      const char *b)
{
	out->skip = 0;
	out->emulated = emulated;
	sfmt(out->why, sizeof(out->why), fmt, a, b);
}

int probe_place_x86_64_args(const uint8_t *code, size_t len, unsigned nargs,
			    struct probe_placement *out)
{
	struct x86_insn in;
	char skipped[96] = "";
	uint32_t forbidden = 1u << RSP;
	size_t off = 0;
	int n = 0;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!code || !len) {
		sfmt(out->why, sizeof(out->why), "unsure: no code");
		return code ? 0 : -EINVAL;
	}
	if (nargs > PROBE_ARGS_ALL)
		nargs = PROBE_ARGS_ALL;
	for (unsigned k = 0; k < nargs; k++)
		forbidden |= 1u << arg_regs[k];

	for (;;) {
		char bytes[40];

		if (!x86_decode(code + off, len - off, &in)) {
			hexbytes(bytes, sizeof(bytes), code + off, len - off);
			if (off == 0)
				set_entry(out, false, "unsure: %s%s", bytes, "");
			else
				sfmt(out->why, sizeof(out->why), "unsure: %s at +%zu", bytes, off);
			out->skip = 0;
			out->emulated = false;
			return 0;
		}
		if (in.refused) {
			sfmt(out->why, sizeof(out->why), "+%zu: %s has a prefix uprobes refuse", off,
				 in.text);
			out->skip = 0;
			return 0;
		}
		if (in.emulated) {
			out->skip = (uint32_t)off;
			out->emulated = true;
			if (off == 0)
				sfmt(out->why, sizeof(out->why), "+0: %s (emulated)", in.text);
			else
				sfmt(out->why, sizeof(out->why), "+%zu: %s (emulated) after %s", off,
					 in.text, skipped);
			return 0;
		}
		/* Not emulated: skippable only if it falls through and writes nothing we need. */
		const char *stop = NULL;
		char whybuf[48];
		if (in.kind == K_BRANCH) {
			stop = "is a branch the kernel single-steps";
		} else if (in.kind == K_UNKNOWN) {
			stop = "is not modelled";
		} else if (in.writes & forbidden) {
			int r = __builtin_ctz(in.writes & forbidden);
			sfmt(whybuf, sizeof(whybuf), "writes %%%s", reg64[r]);
			stop = whybuf;
		} else if (in.mem_write) {
			stop = "writes memory";
		} else if (n + 1 > PROBE_MAX_SKIP_INSNS || off + (size_t)in.len > PROBE_MAX_SKIP_BYTES ||
			   off + (size_t)in.len >= len) {
			stop = "is the last one in the skip window";
		}
		if (stop) {
			out->skip = 0;
			out->emulated = false;
			if (off == 0)
				sfmt(out->why, sizeof(out->why), "+0: %s (single-step); it %s", in.text,
					 stop);
			else
				sfmt(out->why, sizeof(out->why),
					 "+0 (single-step): no emulated insn before +%zu %s, which %s", off,
					 in.text, stop);
			return 0;
		}
		size_t sl = strlen(skipped);
		if (sl + 3 < sizeof(skipped))
			sfmt(skipped + sl, sizeof(skipped) - sl, "%s%s", sl ? "; " : "", in.text);
		off += (size_t)in.len;
		n++;
	}
}

int probe_place_x86_64(const uint8_t *code, size_t len, struct probe_placement *out)
{
	return probe_place_x86_64_args(code, len, PROBE_ARGS_ALL, out);
}

/* arm64 would go here (see probe_offset.h); until then: probe the entry. */
static int probe_place_arm64(const uint8_t *code, size_t len, unsigned nargs,
			     struct probe_placement *out)
{
	(void)code;
	(void)len;
	(void)nargs;
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	sfmt(out->why, sizeof(out->why), "+0: arm64 placement not implemented");
	return 0;
}

int probe_place(enum probe_arch arch, const uint8_t *code, size_t len, unsigned nargs,
		struct probe_placement *out)
{
	switch (arch) {
	case PROBE_ARCH_X86_64:
		return probe_place_x86_64_args(code, len, nargs, out);
	case PROBE_ARCH_ARM64:
		return probe_place_arm64(code, len, nargs, out);
	}
	return -EINVAL;
}

int probe_place_file_args(const char *path, uint64_t file_offset, unsigned nargs,
			  struct probe_placement *out)
{
	uint8_t ehdr[20], code[PROBE_CODE_WINDOW];
	enum probe_arch arch;
	ssize_t got;
	int fd, err = 0;

	if (!path || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	fd = target_file_open(NULL, path);
	if (fd < 0)
		return fd;
	got = pread(fd, ehdr, sizeof(ehdr), 0);
	if (got != (ssize_t)sizeof(ehdr) || memcmp(ehdr, "\x7f" "ELF", 4) != 0 || ehdr[5] != 1 /* LE */) {
		err = got < 0 ? -errno : -EINVAL;
		goto out;
	}
	switch (ehdr[18] | ehdr[19] << 8) {
	case 62: /* EM_X86_64 */
		arch = PROBE_ARCH_X86_64;
		break;
	case 183: /* EM_AARCH64 */
		arch = PROBE_ARCH_ARM64;
		break;
	default:
		err = -EINVAL;
		goto out;
	}
	got = pread(fd, code, sizeof(code), (off_t)file_offset);
	if (got < 0) {
		err = -errno;
		goto out;
	}
	if (got == 0) {
		err = -EINVAL;
		goto out;
	}
	err = probe_place(arch, code, (size_t)got, nargs, out);
out:
	close(fd);
	return err;
}

int probe_place_file(const char *path, uint64_t file_offset, struct probe_placement *out)
{
	return probe_place_file_args(path, file_offset, PROBE_ARGS_ALL, out);
}

