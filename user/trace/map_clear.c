// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <bpf/bpf.h>

#include "map_clear.h"

int map_clear(int fd, size_t ks)
{
	uint64_t key = 0, next = 0;
	bool first = true;

	for (;;) {
		int err = bpf_map_get_next_key(fd, first ? NULL : &key, &next);

		if (err)
			return errno == ENOENT ? 0 : -errno;
		memcpy(&key, &next, ks);
		first = false;
		/* Deleted: the next key is asked from the start again. */
		if (bpf_map_delete_elem(fd, &key) == 0)
			first = true;
	}
}
