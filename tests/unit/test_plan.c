/* test_plan.c - the static memory planner (compiler/plan.c).
 *
 * Two levels. The placement core (plan_place, plan_lower_bound) gets
 * hundreds of random interval sets from fixed seeds: no two intervals live
 * at a common point may overlap in bytes, offsets are 64-aligned, the total
 * lies between the lower bound and the sum of sizes, and chains reach the
 * lower bound. Graph plans are built from small models (lowered at -O0)
 * and from every tests/models and examples model (at -O0 and -O2), and a
 * checker proves that no value's bytes are overwritten while something may
 * still read them, except by the sharing the plan declares (elementwise in
 * place over a dying input, a concat input inside its concat's output). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>

#include "harness.h"
#include "frontend.h"
#include "mem_report.h"
#include "pass.h"
#include "plan.h"

/* ---- the placement core on random interval sets ---- */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint32_t rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rng_next(s) % n);
}

static int64_t aligned(int64_t b)
{
	return (b + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN;
}

/* The lower bound by brute force: every point, every interval. */
static int64_t brute_lower_bound(const struct plan_interval *iv, uint32_t n)
{
	uint32_t end = 0;
	for (uint32_t i = 0; i < n; i++)
		end = iv[i].last > end ? iv[i].last : end;
	int64_t best = 0;
	for (uint32_t t = 0; t <= end; t++) {
		int64_t live = 0;
		for (uint32_t i = 0; i < n; i++)
			if (iv[i].first <= t && t <= iv[i].last)
				live += aligned(iv[i].bytes);
		best = live > best ? live : best;
	}
	return best;
}

/* Places iv and checks every property; returns the total. */
static int64_t place_checked(struct plan_interval *iv, uint32_t n)
{
	struct arena a = { 0 };
	int64_t total = plan_place(iv, n, &a), lb = plan_lower_bound(iv, n, &a), sum = 0, top = 0;
	arena_free(&a);
	assert_int_equal(lb, brute_lower_bound(iv, n));
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(iv[i].offset % PLAN_ALIGN, 0);
		assert_true(iv[i].offset >= 0);
		sum += aligned(iv[i].bytes);
		int64_t end = iv[i].offset + aligned(iv[i].bytes);
		top = end > top ? end : top;
		for (uint32_t j = 0; j < i; j++) {
			bool together = iv[i].first <= iv[j].last && iv[j].first <= iv[i].last;
			bool apart = iv[i].offset + iv[i].bytes <= iv[j].offset ||
			             iv[j].offset + iv[j].bytes <= iv[i].offset;
			if (together && !apart)
				fail_msg("intervals %u at %lld and %u at %lld overlap", i,
				         (long long)iv[i].offset, j, (long long)iv[j].offset);
		}
	}
	assert_int_equal(total, top);
	assert_true(total >= lb);
	assert_true(total <= sum);
	return total;
}

static void test_random_sets(void **state)
{
	(void)state;
	struct plan_interval iv[64];
	double worst = 1.0;
	for (uint64_t seed = 1; seed <= 600; seed++) {
		uint64_t s = seed * 0x9e3779b97f4a7c15u;
		uint32_t n = 1 + rng_below(&s, 64), span = 1 + rng_below(&s, 80);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t kind = rng_below(&s, 4);
			int64_t bytes = kind == 0   ? 1 + rng_below(&s, 200)
			                : kind == 1 ? (int64_t)PLAN_ALIGN * (1 + rng_below(&s, 64))
			                            : 1 + rng_below(&s, 1u << 20);
			uint32_t first = rng_below(&s, span);
			uint32_t last = first + rng_below(&s, 1 + span / (1 + rng_below(&s, 8)));
			iv[i] = (struct plan_interval){ bytes, first, last, -1 };
			/* sharing: start with another interval, or take its size */
			if (i && rng_below(&s, 5) == 0) {
				iv[i].first = iv[rng_below(&s, i)].first;
				iv[i].last = iv[i].first + rng_below(&s, 3);
			}
			if (i && rng_below(&s, 5) == 0)
				iv[i].bytes = iv[rng_below(&s, i)].bytes;
		}
		int64_t total = place_checked(iv, n);
		struct arena a = { 0 };
		int64_t lb = plan_lower_bound(iv, n, &a);
		arena_free(&a);
		if (lb && (double)total / (double)lb > worst)
			worst = (double)total / (double)lb;
	}
	print_message("random sets: worst plan/lower bound %.3f\n", worst);
}

/* A chain (each buffer read by the next layer only) always reaches the
 * lower bound, also where placing largest first does not. */
static void test_chains_reach_lower_bound(void **state)
{
	(void)state;
	struct plan_interval iv[40];
	static const int64_t tricky[] = { 640, 192, 512, 576 }; /* greedy by size: 1216 */
	for (uint32_t i = 0; i < 4; i++)
		iv[i] = (struct plan_interval){ tricky[i], i, i + 1, -1 };
	struct arena a = { 0 };
	assert_int_equal(plan_lower_bound(iv, 4, &a), 1088);
	arena_free(&a);
	assert_int_equal(place_checked(iv, 4), 1088);
	for (uint64_t seed = 1; seed <= 300; seed++) {
		uint64_t s = seed * 0x2545f4914f6cdd1du;
		uint32_t n = 1 + rng_below(&s, 40);
		for (uint32_t i = 0; i < n; i++)
			iv[i] = (struct plan_interval){ 1 + rng_below(&s, 100000), i, i + 1, -1 };
		int64_t total = place_checked(iv, n);
		assert_int_equal(total, brute_lower_bound(iv, n));
	}
}

static void test_empty_and_zero(void **state)
{
	(void)state;
	struct arena a = { 0 };
	assert_int_equal(plan_place(NULL, 0, &a), 0);
	struct plan_interval iv[2] = { { 0, 0, 3, -1 }, { 100, 1, 2, -1 } };
	assert_int_equal(plan_place(iv, 2, &a), 128);
	assert_int_equal(plan_lower_bound(iv, 2, &a), 128);
	arena_free(&a);
}

/* ---- graph plans ---- */

struct fx {
	struct arena a;
	struct capture cap;
	struct ir_graph *g;
	struct plan *p;
};

static struct ir_graph *lower_src(struct fx *f, const char *path, const char *src, const char *dir,
                                  int opt)
{
	uint32_t file = diag_add_source(&f->cap.d, path, src, (uint32_t)strlen(src));
	struct ast_model *m = fe_parse(&f->a, &f->cap.d, file);
	struct ir_graph *g = m ? fe_lower(&f->a, &f->cap.d, m, dir) : NULL;
	if (!g)
		fail_msg("%s: %s", path, capture_text(&f->cap));
	struct pass_options o = { .opt_level = opt, .model_dir = dir };
	bool stopped;
	if (!pass_run_pipeline(g, &f->cap.d, &o, &stopped) || f->cap.d.errors)
		fail_msg("%s: %s", path, capture_text(&f->cap));
	return g;
}

/* Last schedule point at which v's bytes may be read: its own reads and
 * those of every view of it. */
static uint32_t needed_until(const struct ir_graph *g, const struct plan *p, uint32_t v)
{
	uint32_t last = p->last[v];
	for (uint32_t i = 0; i < g->nnodes; i++) {
		uint32_t w = g->nodes[i].out;
		if (p->share[w] == PLAN_SHARE_VIEW && p->source[w] == v) {
			uint32_t l = needed_until(g, p, w);
			last = l > last ? l : last;
		}
	}
	return last;
}

/* True when a's bytes may legitimately hold b: b was computed in place
 * over a (or over a view of a, or over something computed in place over
 * a), or a is a slice of concat b. */
static bool shares(const struct plan *p, uint32_t a, uint32_t b)
{
	for (uint32_t v = b; v != IR_NONE;) {
		if (v == a)
			return true;
		v = p->share[v] != PLAN_SHARE_NONE ? p->source[v] : IR_NONE;
	}
	for (uint32_t v = a; v != IR_NONE; v = p->slice_of[v])
		if (v == b)
			return true;
	return false;
}

static bool same_region(const struct plan *p, uint32_t a, uint32_t b)
{
	return p->home[a] == p->home[b] &&
	       (p->home[a] != PLAN_HOME_OUTPUT || p->index[a] == p->index[b]);
}

/* Every node output that is not a view: while it may still be read, no
 * later node output overlaps it unless the plan says they share. */
static void check_no_clobber(const struct ir_graph *g, const struct plan *p, const char *what)
{
	for (uint32_t i = 0; i < g->nnodes; i++) {
		uint32_t a = g->nodes[i].out;
		if (p->share[a] == PLAN_SHARE_VIEW || p->home[a] == PLAN_HOME_NONE)
			continue;
		int64_t abytes = ir_type_bytes(&g->vals[a].type);
		if (p->home[a] == PLAN_HOME_SCRATCH) {
			assert_int_equal(p->offset[a] % PLAN_ALIGN, 0);
			assert_true(p->offset[a] + abytes <= p->scratch_bytes);
		}
		uint32_t until = needed_until(g, p, a);
		for (uint32_t j = i + 1; j < g->nnodes && j <= until; j++) {
			uint32_t b = g->nodes[j].out;
			int64_t bbytes = ir_type_bytes(&g->vals[b].type);
			if (p->share[b] == PLAN_SHARE_VIEW || !same_region(p, a, b))
				continue;
			bool apart = p->offset[a] + abytes <= p->offset[b] ||
			             p->offset[b] + bbytes <= p->offset[a];
			if (apart || (shares(p, a, b) && (j == until || p->slice_of[a] == b)))
				continue;
			fail_msg("%s: '%s' (%lld..%lld, read until %u) overwritten by '%s' at %u",
			         what, g->vals[a].name, (long long)p->offset[a],
			         (long long)(p->offset[a] + abytes), until, g->vals[b].name, j);
		}
	}
}

static void setup(struct fx *f, const char *src)
{
	memset(f, 0, sizeof *f);
	capture_begin(&f->cap);
	f->g = lower_src(f, "t.dl", src, ".", 0);
	f->p = plan_build(f->g, &f->a);
	check_no_clobber(f->g, f->p, "t.dl");
}

static void teardown(struct fx *f)
{
	capture_end(&f->cap);
	arena_free(&f->a);
}

static uint32_t val(const struct ir_graph *g, const char *name)
{
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (!strcmp(g->nodes[i].name, name))
			return g->nodes[i].out;
	fail_msg("no node '%s'", name);
	return IR_NONE;
}

#define HDR "model t\n"
#define W "weights random(seed=3)\n"

static void test_chain(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, HDR "input x: f32[1, 100]\n" W
	              "a = dense(160)\nb = dense(48)\nc = dense(128)\nd = dense(144)\n"
	              "e = dense(10)\n");
	/* bytes 640, 192, 512, 576: the chain that defeats greedy by size */
	assert_int_equal(f.p->lower_bound, 1088);
	assert_int_equal(f.p->scratch_bytes, 1088);
	assert_int_equal(f.p->home[val(f.g, "e")], PLAN_HOME_OUTPUT);
	assert_int_equal(mem_report_no_reuse_bytes(f.g, f.p), 640 + 192 + 512 + 576);
	teardown(&f);
}

static void test_residual_shortcut_stays(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, HDR "input x: f32[1, 4, 8, 8] nchw\n" W
	              "s = conv2d(4, 1)\n"
	              "c1 = conv2d(4, 3, padding=same)(s)\n"
	              "r1 = relu()(c1)\n"
	              "c2 = conv2d(4, 3, padding=same)(r1)\n"
	              "sum = add()(c2, s)\n"
	              "out = conv2d(2, 1)(sum)\n");
	uint32_t s = val(f.g, "s"), c1 = val(f.g, "c1"), c2 = val(f.g, "c2"), sum = val(f.g, "sum");
	assert_int_equal(f.p->last[s], f.p->first[sum]);
	assert_int_not_equal(f.p->offset[s], f.p->offset[c1]);
	assert_int_not_equal(f.p->offset[s], f.p->offset[c2]);
	/* the add runs in place over c2 (its first dying input) */
	assert_int_equal(f.p->share[sum], PLAN_SHARE_IN_PLACE);
	assert_int_equal(f.p->source[sum], c2);
	assert_int_equal(f.p->offset[sum], f.p->offset[c2]);
	assert_int_equal(f.p->scratch_bytes, 3 * 1024);
	assert_int_equal(f.p->lower_bound, 3 * 1024);
	teardown(&f);
}

static void test_elementwise_in_place(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, HDR "input x: f32[2, 30]\n" W
	              "h = dense(16)\nr = relu()\nt = tanh()\nk = dense(16)(t)\n"
	              "keep = sigmoid()(k)\nu = dense(16)(keep)\nv = add()(keep, u)\n");
	uint32_t h = val(f.g, "h"), r = val(f.g, "r"), t = val(f.g, "t"), k = val(f.g, "k");
	uint32_t keep = val(f.g, "keep"), u = val(f.g, "u"), v = val(f.g, "v");
	assert_int_equal(f.p->share[r], PLAN_SHARE_IN_PLACE);
	assert_int_equal(f.p->source[r], h);
	assert_int_equal(f.p->share[t], PLAN_SHARE_IN_PLACE);
	assert_int_equal(f.p->source[t], r);
	assert_int_equal(f.p->offset[t], f.p->offset[h]);
	/* keep is read again by the add: u must not take its bytes */
	assert_int_equal(f.p->share[keep], PLAN_SHARE_IN_PLACE);
	assert_int_equal(f.p->source[keep], k);
	assert_int_equal(f.p->share[u], PLAN_SHARE_NONE);
	assert_true(f.p->home[u] != f.p->home[keep] || f.p->offset[u] != f.p->offset[keep]);
	/* the output add: its dying input moves into the caller's buffer */
	assert_int_equal(f.p->share[v], PLAN_SHARE_IN_PLACE);
	assert_int_equal(f.p->home[v], PLAN_HOME_OUTPUT);
	assert_int_equal(f.p->home[f.p->source[v]], PLAN_HOME_OUTPUT);
	assert_int_equal(f.p->scratch_bytes, 128);
	assert_int_equal(f.p->lower_bound, 128);
	teardown(&f);
}

static void test_in_place_not_over_input_or_view(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, HDR "input x: f32[1, 2, 4, 4] nchw\n" W
	              "a = relu()(x)\n"
	              "c = conv2d(2, 1)(a)\nflat = flatten()(c)\nr = relu()(c)\n"
	              "s = add()(flat, flat)\n"
	              "output r, s\n");
	/* a cannot overwrite the model input; r cannot overwrite c, which flat
	 * (a view) still needs */
	assert_int_equal(f.p->share[val(f.g, "a")], PLAN_SHARE_NONE);
	assert_int_equal(f.p->home[val(f.g, "a")], PLAN_HOME_SCRATCH);
	assert_int_equal(f.p->share[val(f.g, "r")], PLAN_SHARE_NONE);
	assert_int_equal(f.p->share[val(f.g, "flat")], PLAN_SHARE_VIEW);
	assert_int_equal(f.p->offset[val(f.g, "flat")], f.p->offset[val(f.g, "c")]);
	teardown(&f);
}

static void test_concat_in_place(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, HDR "input x: f32[1, 3, 8, 8] nchw\n" W
	              "a = conv2d(4, 1)(x)\n"
	              "b = conv2d(2, 3, padding=same, activation=relu)(x)\n"
	              "c = maxpool2d(3, stride=1, padding=1)(x)\n"
	              "cat = concat()(a, b, c)\n"
	              "y = conv2d(2, 1)(cat)\n");
	uint32_t a = val(f.g, "a"), b = val(f.g, "b"), cat = val(f.g, "cat");
	const struct ir_node *nc = &f.g->nodes[f.p->first[cat]];
	uint32_t b_relu = nc->in[1]; /* -O0 keeps the activation a layer of its own */
	assert_true(plan_concat_in_place(f.p, nc));
	assert_int_equal(f.p->share[b_relu], PLAN_SHARE_IN_PLACE);
	assert_int_equal(f.p->source[b_relu], b);
	assert_int_equal(f.p->offset[a], f.p->offset[cat]);
	assert_int_equal(f.p->offset[b], f.p->offset[cat] + 4 * 64 * 4);
	assert_int_equal(f.p->offset[b_relu], f.p->offset[cat] + 4 * 64 * 4);
	assert_int_equal(f.p->offset[nc->in[2]], f.p->offset[cat] + 6 * 64 * 4);
	assert_int_equal(f.p->slice_of[a], cat);
	assert_int_equal(f.p->slice_of[b], cat);
	assert_int_equal(f.p->slice_of[b_relu], cat);
	assert_int_equal(f.p->scratch_bytes, 9 * 256);
	assert_int_equal(f.p->lower_bound, 9 * 256);
	teardown(&f);
}

static void test_concat_strided_or_shared_copies(void **state)
{
	(void)state;
	struct fx f;
	/* nhwc channel concat: slices are strided, so the concat copies */
	setup(&f, HDR "input x: f32[1, 8, 8, 3]\n" W
	              "a = conv2d(4, 1)(x)\nb = conv2d(4, 1)(x)\ncat = concat()(a, b)\n"
	              "y = conv2d(2, 1)(cat)\n");
	assert_false(plan_concat_slice(f.p, val(f.g, "a"), val(f.g, "cat")));
	assert_false(plan_concat_in_place(f.p, &f.g->nodes[f.p->first[val(f.g, "cat")]]));
	teardown(&f);
	/* an input read later stays out, and so does a model input; b, read
	 * earlier by c, is a slice of the output buffer (c reads it there) */
	setup(&f, HDR "input x: f32[1, 16]\n" W
	              "a = dense(16)(x)\nb = dense(16)(x)\nc = dense(16)(b)\n"
	              "cat = concat()(a, b, x, c)\ny = add()(a, a)\noutput cat, y\n");
	assert_false(plan_concat_slice(f.p, val(f.g, "a"), val(f.g, "cat")));
	assert_true(plan_concat_slice(f.p, val(f.g, "b"), val(f.g, "cat")));
	assert_int_equal(f.p->home[val(f.g, "b")], PLAN_HOME_OUTPUT);
	assert_int_equal(f.p->offset[val(f.g, "b")], 64);
	assert_int_equal(f.p->offset[val(f.g, "c")], 192);
	assert_false(plan_concat_in_place(f.p, &f.g->nodes[f.p->first[val(f.g, "cat")]]));
	teardown(&f);
	/* a slice that would start off the 64-byte grid is copied */
	setup(&f, HDR "input x: f32[1, 8]\n" W "a = dense(4)(x)\nb = dense(12)(x)\n"
	              "cat = concat()(a, b)\ny = dense(2)(cat)\n");
	assert_true(plan_concat_slice(f.p, val(f.g, "a"), val(f.g, "cat")));
	assert_false(plan_concat_slice(f.p, val(f.g, "b"), val(f.g, "cat")));
	teardown(&f);
	/* the same input twice: one buffer cannot fill two slices */
	setup(&f, HDR "input x: f32[1, 16]\n" W "a = dense(16)(x)\ncat = concat()(a, a)\n"
	              "y = dense(4)(cat)\n");
	assert_false(plan_concat_slice(f.p, val(f.g, "a"), val(f.g, "cat")));
	teardown(&f);
}

static void test_two_consumers_not_reused_early(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, HDR "input x: f32[1, 32]\n" W
	              "a = dense(32)\nb = dense(32)(a)\nc = dense(32)(b)\nd = dense(32)(c)\n"
	              "e = dense(32)(a)\nsum = add()(d, e)\n");
	uint32_t a = val(f.g, "a");
	assert_int_equal(f.p->last[a], f.p->first[val(f.g, "e")]);
	assert_int_not_equal(f.p->offset[val(f.g, "b")], f.p->offset[a]);
	assert_int_not_equal(f.p->offset[val(f.g, "c")], f.p->offset[a]);
	assert_int_equal(f.p->home[val(f.g, "d")], PLAN_HOME_OUTPUT); /* the add runs over d */
	assert_int_equal(f.p->scratch_bytes, f.p->lower_bound);
	teardown(&f);
}

static void test_views_alias(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, HDR "input x: f32[1, 2, 4, 4] nchw\n" W
	              "c = conv2d(4, 3, padding=same)\nflat = flatten()\nr = reshape([64])\n"
	              "h = dense(64)\no = dense(8)\n");
	uint32_t c = val(f.g, "c"), flat = val(f.g, "flat"), r = val(f.g, "r"), h = val(f.g, "h");
	assert_int_equal(f.p->share[flat], PLAN_SHARE_VIEW);
	assert_int_equal(f.p->source[r], flat);
	assert_int_equal(f.p->offset[r], f.p->offset[c]);
	assert_int_equal(f.p->home[r], PLAN_HOME_SCRATCH);
	/* h reads c's bytes through two views: it gets its own */
	assert_int_not_equal(f.p->offset[h], f.p->offset[c]);
	assert_int_equal(f.p->scratch_bytes, 512);
	teardown(&f);
}

/* ---- every model in the tree, at -O0 and -O2 ---- */

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = 2 * cap + 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t r = fread(buf + len, 1, 4096, fp);
		len += r;
		if (r < 4096)
			break;
	}
	fclose(fp);
	buf[len] = 0;
	return buf;
}

/* Sequential: one activation input per layer, each value read once. */
static bool sequential(struct ir_graph *g, struct arena *a)
{
	uint32_t *uses = ir_count_uses(g, a);
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i].nin != 1 || uses[g->nodes[i].out] > 1)
			return false;
	return true;
}

static unsigned check_model(const char *dir, const char *file)
{
	char path[4096];
	assert_true(snprintf(path, sizeof path, "%s/%s", dir, file) < (int)sizeof path);
	char *src = slurp(path);
	if (!src)
		return 0;
	for (int opt = 0; opt <= 2; opt += 2) {
		struct fx f;
		memset(&f, 0, sizeof f);
		capture_begin(&f.cap);
		f.g = lower_src(&f, path, src, dir, opt);
		f.p = plan_build(f.g, &f.a);
		check_no_clobber(f.g, f.p, path);
		assert_true(f.p->scratch_bytes >= f.p->lower_bound);
		assert_true(f.p->scratch_bytes <= mem_report_no_reuse_bytes(f.g, f.p));
		if (sequential(f.g, &f.a) && f.p->scratch_bytes != f.p->lower_bound)
			fail_msg("%s -O%d: sequential, but plan %lld > lower bound %lld", path, opt,
			         (long long)f.p->scratch_bytes, (long long)f.p->lower_bound);
		teardown(&f);
	}
	free(src);
	return 1;
}

static unsigned check_tree(const char *root, bool examples)
{
	DIR *d = opendir(root);
	assert_non_null(d);
	unsigned n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char dir[2048], file[512];
		assert_true(snprintf(dir, sizeof dir, "%s/%s", root, e->d_name) < (int)sizeof dir);
		assert_true(snprintf(file, sizeof file, "%s.dl", examples ? e->d_name : "model") <
		            (int)sizeof file);
		n += check_model(dir, file);
	}
	closedir(d);
	return n;
}

static void test_all_models(void **state)
{
	(void)state;
	const char *data = getenv("DLC_TEST_DATA");
	assert_non_null(data);
	char root[1024];
	snprintf(root, sizeof root, "%s/models", data);
	assert_true(check_tree(root, false) >= 30);
	snprintf(root, sizeof root, "%s/../examples", data);
	assert_true(check_tree(root, true) >= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sets),
		cmocka_unit_test(test_chains_reach_lower_bound),
		cmocka_unit_test(test_empty_and_zero),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_residual_shortcut_stays),
		cmocka_unit_test(test_elementwise_in_place),
		cmocka_unit_test(test_in_place_not_over_input_or_view),
		cmocka_unit_test(test_concat_in_place),
		cmocka_unit_test(test_concat_strided_or_shared_copies),
		cmocka_unit_test(test_two_consumers_not_reused_early),
		cmocka_unit_test(test_views_alias),
		cmocka_unit_test(test_all_models),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
