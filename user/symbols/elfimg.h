/* SPDX-License-Identifier: MIT */
/*
 * One ELF object's symbols and layout, read once with libelf: .symtab and
 * .dynsym, plus the separate debug file under /usr/lib/debug/.build-id when
 * the object itself is stripped.  Addresses are the ELF image's own
 * (st_value / p_vaddr), independent of where the object is loaded.
 */
#ifndef MEMTRACE_ELFIMG_H
#define MEMTRACE_ELFIMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_sym {
	uint64_t addr, size;
	const char *name;
	bool dynamic; /* from .dynsym: visible to the dynamic linker */
};

struct elf_seg {
	uint64_t vaddr, memsz, offset, filesz;
	bool exec;
};

struct elf_image {
	char build_id[41]; /* lowercase hex, "" when the object has none */
	bool is_dyn;       /* ET_DYN: PIE executable or shared object */
	bool has_interp;   /* dynamically linked executable */
	struct elf_seg segs[16];
	int nsegs;
	struct elf_sym *syms; /* functions only, sorted by addr */
	size_t nsyms;
	struct strpool *names;
};

/*
 * Loads the object at `path`, resolved inside `root` (e.g. "/proc/42/root"
 * so a containerised target resolves its own files, symlinks included;
 * NULL or "" for memtrace's own) through target_file.h: a FIFO, a device or
 * a path escaping the root is refused, never retried on the host.
 * Returns 0, -ENOENT when the file is missing, -EINVAL when it is not ELF,
 * or target_file_open's error.
 */
int elf_image_load(const char *root, const char *path, struct elf_image **out);
/*
 * The same from an fd (e.g. target_file_open_mapping's), which stays the
 * caller's; the separate debug file is looked for under debug_root, and on
 * the host only when its build-id note matches the object's.
 */
int elf_image_load_fd(int fd, const char *debug_root, struct elf_image **out);
void elf_image_free(struct elf_image *img);

/* The function containing vaddr (or the nearest preceding sized-0 symbol). */
const struct elf_sym *elf_image_lookup(const struct elf_image *img, uint64_t vaddr);
/* A defined function named `name`; dynamic_only restricts to .dynsym. */
const struct elf_sym *elf_image_find(const struct elf_image *img, const char *name, bool dynamic_only);
/* Converts between ELF vaddr and file offset through the PT_LOAD segments. */
int elf_vaddr_to_offset(const struct elf_image *img, uint64_t vaddr, uint64_t *offset);
int elf_offset_to_vaddr(const struct elf_image *img, uint64_t offset, uint64_t *vaddr);
/*
 * st_value of a defined symbol (objects too) of the file under root, from
 * .dynsym, and .symtab too unless dynamic_only: a scan, no table built.
 * -ENOENT when absent; -ENODATA when !dynamic_only and the file has no
 * .symtab (its separate debug file, which this does not read, might).
 */
int elf_symbol_value(const char *root, const char *path, const char *name, bool dynamic_only, uint64_t *value);
/* elf_symbol_value on an open fd, which stays the caller's. */
int elf_symbol_value_fd(int fd, const char *name, bool dynamic_only, uint64_t *value);
/* elf_symbol_value(..., dynamic_only = true, ...). */
int elf_dynsym_value(const char *root, const char *path, const char *name, uint64_t *value);
/* Reads the GNU build-id note of the file at path as hex; -ENOENT if none. */
int elf_read_build_id(const char *path, char out[41]);

#endif
