/* SPDX-License-Identifier: MIT */
/*
 * Interactive flame graph SVG, drawn by memtrace itself.
 *
 * Callers may rely on:
 *  - flame orientation: "all" at the bottom, outermost frame above it, the
 *    allocating frame (frames[0]) on top; siblings ordered by name;
 *  - self-contained output: one inline script and style, no external
 *    reference of any kind, well-formed XML (names escaped, invalid bytes
 *    replaced), usable as a file or inlined in HTML (several per page);
 *  - click a frame to zoom into it, "Reset Zoom" to undo; "Search" takes a
 *    regular expression, highlights matches and shows the matched percent;
 *    each frame's <title> tooltip gives its value in KiB/MiB/GiB (space
 *    metrics) or objects (object metrics) and its percent of the total;
 *  - bounded size: frames narrower than FLAMEGRAPH_MIN_PX are left out with
 *    their subtrees, so at most (width / FLAMEGRAPH_MIN_PX) frames are drawn
 *    per level whatever the number of stacks.
 */
#ifndef MEMTRACE_FLAMEGRAPH_H
#define MEMTRACE_FLAMEGRAPH_H

#include <stdio.h>

#include "profile.h"

#define FLAMEGRAPH_WIDTH 1200
#define FLAMEGRAPH_MIN_PX 1.0

struct flamegraph_opts {
	int embedded;   /* inside HTML: no XML prolog, scales to its container */
	const char *id; /* id attribute of the <svg> root, or NULL */
	/* What the values are called in the subtitle, tooltips and the root's
	 * data-metric ("fault_bytes" for a view of page faults), NULL: the
	 * metric's name.  Units still follow the metric. */
	const char *label;
};

/* Title NULL gives "Memory flame graph".  0, -ENOMEM, -EIO. */
int flamegraph_write(const struct mt_profile *p, enum mt_metric m, const char *title, FILE *out);
/*
 * Differential flame graph: frame widths are after's values; colour is the
 * change since before at the same call path, red for growth, blue for
 * shrinkage, deeper for larger changes; tooltips give both values and the
 * delta.  Paths only in before are not drawn (they have no width).
 */
int flamegraph_write_diff(const struct mt_profile *before, const struct mt_profile *after,
			  enum mt_metric m, const char *title, FILE *out);
/* Either of the above (before NULL: plain) with options, for the HTML report. */
int flamegraph_write_opts(const struct mt_profile *before, const struct mt_profile *after,
			  enum mt_metric m, const char *title, const struct flamegraph_opts *opts,
			  FILE *out);

#endif
