// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "calltree.h"
#include "flamegraph.h"
#include "humanize.h"
#include "xml_escape.h"

#define XPAD 10
#define FRAME_H 16
#define TOP 56    /* title, subtitle, controls */
#define BOTTOM 28 /* details line */
#define CHAR_W 7  /* the script's estimate of one 11px monospace glyph */

/*
 * The script finds every not-yet-initialised flame graph in the document,
 * so the same code works in a standalone file and repeated in an HTML page
 * with several graphs.  It defines no globals and uses no ids.
 */
static const char script[] =
	"(function(){\n"
	"var XPAD=10,CW=7,HIT='rgb(230,0,230)';\n"
	"var all=document.querySelectorAll('svg.mtfg');\n"
	"for(var i=0;i<all.length;i++)if(!all[i].getAttribute('data-ready'))setup(all[i]);\n"
	"function fit(name,w){var n=Math.floor((w-6)/CW);if(n<3)return '';"
	"return name.length<=n?name:name.slice(0,n-2)+'..';}\n"
	"function setup(svg){\n"
	" svg.setAttribute('data-ready','1');\n"
	" var W=+svg.getAttribute('data-width'),span=W-2*XPAD,searching=false,fr=[];\n"
	" var details=svg.querySelector('.mt-details'),matched=svg.querySelector('.mt-matched');\n"
	" var reset=svg.querySelector('.mt-reset'),search=svg.querySelector('.mt-search');\n"
	" var gs=svg.querySelectorAll('g.f');\n"
	" for(var i=0;i<gs.length;i++){\n"
	"  var g=gs[i],r=g.querySelector('rect'),tt=g.querySelector('title').textContent,nl=tt.indexOf('\\n');\n"
	"  var e={g:g,r:r,t:g.querySelector('text'),x:+r.getAttribute('x'),w:+r.getAttribute('width'),\n"
	"   y:+r.getAttribute('y'),fill:r.getAttribute('fill'),name:nl<0?tt:tt.slice(0,nl),info:tt.replace(/\\n/g,' | ')};\n"
	"  fr.push(e);g.addEventListener('click',zoomer(e));g.addEventListener('mouseover',hover(e));\n"
	"  g.addEventListener('mouseout',function(){details.textContent=' ';});\n"
	" }\n"
	" function zoomer(e){return function(){zoom(e);};}\n"
	" function hover(e){return function(){details.textContent=e.info;};}\n"
	" function place(e,x,w){e.r.setAttribute('x',x.toFixed(2));e.r.setAttribute('width',w.toFixed(2));\n"
	"  if(e.t){e.t.setAttribute('x',(x+3).toFixed(2));e.t.textContent=fit(e.name,w);}}\n"
	" function show(e,o){e.g.style.display='';e.g.style.opacity=o;}\n"
	/* Frames are told apart by geometry: a descendant lies above and within. */
	" function zoom(f){var s=span/f.w,eps=0.05;\n"
	"  for(var i=0;i<fr.length;i++){var e=fr[i];\n"
	"   if(e.y<=f.y&&e.x>=f.x-eps&&e.x+e.w<=f.x+f.w+eps){show(e,'');place(e,XPAD+(e.x-f.x)*s,e.w*s);}\n"
	"   else if(e.y>f.y&&e.x<=f.x+eps&&e.x+e.w>=f.x+f.w-eps){show(e,'0.6');place(e,XPAD,span);}\n"
	"   else e.g.style.display='none';}\n"
	"  reset.style.opacity='1';}\n"
	" function unzoom(){for(var i=0;i<fr.length;i++){show(fr[i],'');place(fr[i],fr[i].x,fr[i].w);}"
	"reset.style.opacity='0';}\n"
	" function clear(){for(var i=0;i<fr.length;i++)fr[i].r.setAttribute('fill',fr[i].fill);\n"
	"  matched.textContent=' ';search.textContent='Search';searching=false;}\n"
	" function find(term){var re;try{re=new RegExp(term);}catch(err){matched.textContent='Bad regular expression';return -1;}\n"
	"  var hits=[],covered=0,end=-1;\n"
	"  for(var i=0;i<fr.length;i++){var e=fr[i];\n"
	"   if(re.test(e.name)){e.r.setAttribute('fill',HIT);hits.push([e.x,e.x+e.w]);}else e.r.setAttribute('fill',e.fill);}\n"
	/* Nested matches overlap: count the union of their extents once. */
	"  hits.sort(function(a,b){return a[0]-b[0];});\n"
	"  for(var j=0;j<hits.length;j++){var a=Math.max(hits[j][0],end),b=hits[j][1];if(b>a){covered+=b-a;end=b;}}\n"
	"  var pct=Math.min(100,100*covered/span);\n"
	"  matched.textContent='Matched: '+pct.toFixed(1)+'%';search.textContent='Reset Search';searching=true;return pct;}\n"
	" reset.addEventListener('click',unzoom);\n"
	" search.addEventListener('click',function(){if(searching){clear();return;}\n"
	"  var term=window.prompt('Search frames (regular expression)','');if(term)find(term);});\n"
	/* For tests and the HTML page: the same actions without a mouse. */
	" svg.mtfg={zoom:function(i){zoom(fr[i]);},unzoom:unzoom,find:find,clear:clear,frames:fr.length};\n"
	"}\n"
	"})();\n";

static const char style[] =
	".mtfg text{font-family:ui-monospace,Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:11px;fill:#000}\n"
	".mtfg .mt-title{font-size:17px;font-family:sans-serif}\n"
	".mtfg .mt-sub{font-size:12px;font-family:sans-serif;fill:#444}\n"
	".mtfg .mt-button{cursor:pointer;fill:#036}\n"
	".mtfg .mt-button:hover{text-decoration:underline}\n"
	".mtfg .mt-reset{opacity:0}\n"
	".mtfg g.f{cursor:pointer}\n"
	".mtfg g.f:hover rect{stroke:#000;stroke-width:0.5}\n"
	".mtfg g.f text{pointer-events:none}\n";

struct fg {
	const struct calltree *t;
	enum mt_metric m;
	const char *label; /* what the values are called */
	int diff;
	double scale;       /* pixels per unit of value */
	uint32_t max_depth; /* deepest drawn frame */
	uint64_t max_delta; /* largest |after - before| drawn, for colour depth */
	int height;
	uint64_t *cursor; /* per depth: where the next child starts, in value units */
};

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/*
 * Visits every drawn frame in order (children sorted by name), skipping the
 * subtrees of frames narrower than the minimum; fn gets the frame's x in
 * value units.  Works over sibling links, so depth costs no recursion.
 */
static int walk(struct fg *g, struct calltree *t, int (*fn)(struct fg *, uint32_t, uint64_t, void *),
		void *arg)
{
	uint32_t n = CT_ROOT;
	int err;

	g->cursor[0] = 0;
	for (;;) {
		const struct ct_node *node = &t->nodes[n];
		uint64_t x = n == CT_ROOT ? 0 : g->cursor[node->depth - 1];
		int drawn = (double)node->total[0] * g->scale >= FLAMEGRAPH_MIN_PX;

		if (n != CT_ROOT)
			g->cursor[node->depth - 1] += node->total[0];
		if (drawn) {
			err = fn(g, n, x, arg);
			if (!err)
				err = calltree_sort_children(t, n);
			if (err)
				return err;
			g->cursor[node->depth] = x;
		}
		if (drawn && node->first_child != CT_NONE) {
			n = node->first_child;
			continue;
		}
		while (n != CT_ROOT && t->nodes[n].next_sibling == CT_NONE)
			n = t->nodes[n].parent;
		if (n == CT_ROOT)
			return 0;
		n = t->nodes[n].next_sibling;
	}
}

static int measure(struct fg *g, uint32_t n, uint64_t x, void *arg)
{
	const struct ct_node *node = &g->t->nodes[n];

	(void)x;
	(void)arg;
	if (node->depth > g->max_depth)
		g->max_depth = node->depth;
	if (g->diff && absdiff(node->total[0], node->total[1]) > g->max_delta)
		g->max_delta = absdiff(node->total[0], node->total[1]);
	return 0;
}

static uint32_t hash_name(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void colour(const struct fg *g, const struct ct_node *node, char *buf, size_t size)
{
	if (g->diff) {
		uint64_t d = absdiff(node->total[0], node->total[1]);
		unsigned k = g->max_delta ? (unsigned)(200.0 * (double)d / (double)g->max_delta) % 201 : 0;

		if (node->total[0] == node->total[1])
			snprintf(buf, size, "rgb(225,225,225)");
		else if (node->total[0] > node->total[1])
			snprintf(buf, size, "rgb(255,%u,%u)", 230 - k, 230 - k);
		else
			snprintf(buf, size, "rgb(%u,%u,255)", 230 - k, 230 - k);
		return;
	}
	/* Warm colours keyed by name: a function keeps its colour across graphs. */
	uint32_t h = hash_name(node->name);

	if (strstr(node->name, "+0x") || strcmp(node->name, "[unknown]") == 0)
		snprintf(buf, size, "rgb(%u,%u,%u)", 180 + h % 30, 180 + h % 30, 190 + h % 30);
	else
		snprintf(buf, size, "rgb(%u,%u,%u)", 205 + h % 50, (h >> 8) % 200, (h >> 16) % 55);
}

static void tooltip(const struct fg *g, const struct ct_node *node, FILE *out)
{
	const struct ct_node *root = &g->t->nodes[CT_ROOT];
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ], c[HUMAN_BUFSZ];
	uint64_t v = node->total[0];

	xml_escape(out, node->name, 0);
	fprintf(out, "\n%s: %s", g->label, human_metric(g->m, v, a));
	if (metric_is_space(g->m) && v >= 1024)
		fprintf(out, " (%s bytes)", human_count(v, b));
	fprintf(out, ", %.2f%%", root->total[0] ? 100.0 * (double)v / (double)root->total[0] : 0.0);
	if (node->where) {
		fputs("\nat ", out);
		xml_escape(out, node->where, 0);
	}
	if (node->inlined)
		fputs(" (inlined)", out);
	if (!g->diff)
		return;
	uint64_t was = node->total[1], d = absdiff(v, was);

	fprintf(out, "\nbefore: %s, change: %s%s", human_metric(g->m, was, b), v >= was ? "+" : "-",
		human_metric(g->m, d, c));
	if (was)
		fprintf(out, " (%s%.1f%%)", v >= was ? "+" : "-", 100.0 * (double)d / (double)was);
	else if (v)
		fputs(" (new)", out);
}

static int draw(struct fg *g, uint32_t n, uint64_t xv, void *arg)
{
	const struct ct_node *node = &g->t->nodes[n];
	FILE *out = arg;
	double x = XPAD + (double)xv * g->scale, w = (double)node->total[0] * g->scale;
	int y = TOP + (int)(g->max_depth - node->depth) * FRAME_H;
	int chars = (int)((w - 6) / CHAR_W);
	char fill[48];

	colour(g, node, fill, sizeof(fill));
	fputs("<g class=\"f\"><title>", out);
	tooltip(g, node, out);
	fprintf(out, "</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>",
		x, y, w, FRAME_H - 1, fill);
	/* The same fit as the script's, so the page reads right before it runs. */
	fprintf(out, "<text x=\"%.2f\" y=\"%d\">", x + 3, y + FRAME_H - 4);
	if (chars >= 3)
		xml_escape(out, node->name, strlen(node->name) <= (size_t)chars ? 0 : (size_t)chars - 2);
	fputs("</text></g>\n", out);
	return ferror(out) ? -EIO : 0;
}

static void header(const struct fg *g, const struct mt_profile *before, const struct mt_profile *p,
		   const char *title, const struct flamegraph_opts *opts, FILE *out)
{
	char when[HUMAN_BUFSZ], dur[HUMAN_BUFSZ], total[HUMAN_BUFSZ], was[HUMAN_BUFSZ];
	const struct ct_node *root = &g->t->nodes[CT_ROOT];

	if (!opts->embedded)
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n", out);
	fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" class=\"mtfg\"", out);
	if (opts->id) {
		fputs(" id=\"", out);
		xml_escape(out, opts->id, 0);
		fputc('"', out);
	}
	if (opts->embedded)
		fputs(" width=\"100%\"", out);
	else
		fprintf(out, " width=\"%d\" height=\"%d\"", FLAMEGRAPH_WIDTH, g->height);
	fprintf(out, " viewBox=\"0 0 %d %d\" data-width=\"%d\" data-metric=\"%s\">\n", FLAMEGRAPH_WIDTH,
		g->height, FLAMEGRAPH_WIDTH, g->label);
	fprintf(out, "<style>\n%s</style>\n", style);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", FLAMEGRAPH_WIDTH,
		g->height, g->diff ? "#fbfbfb" : "#fdf8ef");
	fprintf(out, "<text class=\"mt-title\" x=\"%d\" y=\"22\" text-anchor=\"middle\">", FLAMEGRAPH_WIDTH / 2);
	xml_escape(out, title ? title : g->diff ? "Memory differential flame graph" : "Memory flame graph", 0);
	fprintf(out, "</text>\n<text class=\"mt-sub\" x=\"%d\" y=\"40\" text-anchor=\"middle\">", FLAMEGRAPH_WIDTH / 2);
	xml_escape(out, p->command ? p->command : "unknown command", 0);
	fprintf(out, " (pid %" PRId32 ") · %s · %s · %s · total %s", p->pid, g->label,
		human_time(p->start_realtime_ns, when), human_duration(p->duration_ns, dur),
		human_metric(g->m, root->total[0], total));
	if (before)
		fprintf(out, " (before: %s)", human_metric(g->m, root->total[1], was));
	fputs("</text>\n", out);
	fprintf(out, "<text class=\"mt-button mt-reset\" x=\"%d\" y=\"40\">Reset Zoom</text>\n", XPAD);
	fprintf(out, "<text class=\"mt-button mt-search\" x=\"%d\" y=\"40\" text-anchor=\"end\">Search</text>\n",
		FLAMEGRAPH_WIDTH - XPAD);
	fprintf(out, "<text class=\"mt-details\" x=\"%d\" y=\"%d\"> </text>\n", XPAD, g->height - 10);
	fprintf(out, "<text class=\"mt-matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"> </text>\n",
		FLAMEGRAPH_WIDTH - XPAD, g->height - 10);
}

int flamegraph_write_opts(const struct mt_profile *before, const struct mt_profile *after,
			  enum mt_metric m, const char *title, const struct flamegraph_opts *opts,
			  FILE *out)
{
	static const struct flamegraph_opts defaults;
	struct calltree t;
	struct fg g = { .t = &t, .m = m, .diff = before != NULL };
	int err;

	if (!opts)
		opts = &defaults;
	g.label = opts->label ? opts->label : metric_name(m);
	err = calltree_init(&t, FRAME_STYLE_FLAME);
	if (err)
		return err;
	err = calltree_add_profile(&t, after, m, 0);
	if (!err && before)
		err = calltree_add_profile(&t, before, m, 1);
	if (err)
		goto cleanup;
	g.cursor = calloc(t.max_depth + 2, sizeof(*g.cursor));
	if (!g.cursor) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (t.nodes[CT_ROOT].total[0])
		g.scale = (double)(FLAMEGRAPH_WIDTH - 2 * XPAD) / (double)t.nodes[CT_ROOT].total[0];
	err = walk(&g, &t, measure, NULL);
	if (err)
		goto cleanup;
	g.height = TOP + (int)(g.max_depth + 1) * FRAME_H + BOTTOM;
	header(&g, before, after, title, opts, out);
	fputs("<g class=\"frames\">\n", out);
	if (g.scale > 0)
		err = walk(&g, &t, draw, out);
	else
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">No samples with a non-zero %s</text>\n",
			FLAMEGRAPH_WIDTH / 2, TOP + 12, g.label);
	fputs("</g>\n", out);
	fprintf(out, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n</svg>\n", script);
	if (!err && ferror(out))
		err = -EIO;
cleanup:
	free(g.cursor);
	calltree_free(&t);
	return err;
}

int flamegraph_write(const struct mt_profile *p, enum mt_metric m, const char *title, FILE *out)
{
	return flamegraph_write_opts(NULL, p, m, title, NULL, out);
}

int flamegraph_write_diff(const struct mt_profile *before, const struct mt_profile *after,
			  enum mt_metric m, const char *title, FILE *out)
{
	return flamegraph_write_opts(before, after, m, title, NULL, out);
}
