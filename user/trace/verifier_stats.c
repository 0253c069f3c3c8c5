// SPDX-License-Identifier: MIT
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "verifier_stats.h"

void verifier_stats_log(const struct bpf_object *obj, int verbose)
{
	struct bpf_program *prog;

	if (verbose < 2)
		return;
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)
			continue; /* not loaded (autoload off) */
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		log_debug(verbose, 2, "BPF program %s: %u instructions verified", bpf_program__name(prog),
			  info.verified_insns);
	}
}
