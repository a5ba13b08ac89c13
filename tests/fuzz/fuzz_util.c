/* fuzz_util.c - the guarded pipeline, the plan checker and the
 * interpreter comparison the fuzz targets share (see fuzz_util.h).
 *
 * The plan checker runs the schedule on tags instead of numbers: every
 * 4-byte element of the scratch region and of each output buffer holds the
 * id of the value last written there. Before a node runs, each of its
 * activation inputs must still hold the value that produced it (a view
 * holds its root's bytes); then the node's output region takes the node's
 * tag. At the end every model output must hold its producer. This finds
 * any two values the planner let overlap while both are live, without
 * re-deriving its liveness rules. */
#include "fuzz_util.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

#include "cheader.h"
#include "frontend.h"
#include "interp.h"
#include "mem_report.h"
#include "pass.h"

#define FUZZ_MAX_TAGGED_BYTES ((int64_t)4 << 20) /* larger plans are not simulated */
#define INTERP_MAX_BYTES ((int64_t)2 << 20)       /* larger models are not interpreted */
#define INTERP_MAX_MACS ((int64_t)1 << 20)

FILE *fuzz_null(void)
{
	static FILE *null;
	if (!null)
		null = fopen("/dev/null", "w");
	FUZZ_CHECK(null != NULL, "cannot open /dev/null");
	return null;
}

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	fprintf(stderr, "%s:%d: fuzz check '%s' failed: ", file, line, cond);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static bool run_passes(struct ir_graph *g, struct diag *d, int opt_level, bool for_interpreter,
                       const struct target_desc *target, const char *stop_after)
{
	struct pass_options po = {
		.opt_level = opt_level,
		.stop_after = stop_after,
		.for_interpreter = for_interpreter,
		.print_out = fuzz_null(),
		.model_dir = ".",
		.target = target,
	};
	bool stopped = false;
	return pass_run_pipeline(g, d, &po, &stopped) && !d->errors;
}

static int64_t const_bytes(const struct ir_graph *g)
{
	int64_t total = 0;
	for (uint32_t v = 0; v < g->nvals; v++) {
		const struct ir_value *val = &g->vals[v];
		if (val->kind != IR_VAL_CONST || val->type.dtype == IR_DT_NONE)
			continue;
		int64_t b = ir_type_bytes(&val->type);
		if (b > FUZZ_MAX_WEIGHT_BYTES || total + b > FUZZ_MAX_WEIGHT_BYTES)
			return FUZZ_MAX_WEIGHT_BYTES + 1;
		total += b;
	}
	return total;
}

struct ir_graph *fuzz_compile(struct arena *a, struct diag *d, const struct ast_model *m,
                              int opt_level, bool for_interpreter,
                              const struct target_desc *target)
{
	/* First to shape inference only: the types say how many bytes of
	 * weights binding would create. */
	struct ir_graph *g = fe_lower(a, d, m, ".");
	if (!g || d->errors)
		return NULL;
	ir_print(g, fuzz_null());
	if (!run_passes(g, d, opt_level, for_interpreter, target, "shape-infer"))
		return NULL;
	if (const_bytes(g) > FUZZ_MAX_WEIGHT_BYTES)
		return NULL;
	g = fe_lower(a, d, m, ".");
	FUZZ_CHECK(g && !d->errors, "lowering the same model twice gave different results");
	if (g->weights.kind == IR_WEIGHTS_FILE)
		g->weights.kind = IR_WEIGHTS_RANDOM;
	if (!run_passes(g, d, opt_level, for_interpreter, target, NULL))
		return NULL;
	return g;
}

/* ---- the plan checker ---- */

struct tagger {
	struct ir_graph *g;
	const struct plan *p;
	uint32_t *scratch;  /* tag per byte (elements are 1 to 8 bytes) */
	uint32_t **outputs; /* per model output buffer */
	uint32_t *writer;   /* per value: the value whose node wrote its bytes */
};

/* The tags of value v's bytes, or NULL for read-only homes. */
static uint32_t *tags_of(struct tagger *t, uint32_t v, int64_t *count)
{
	int64_t off = t->p->offset[v], bytes = ir_type_bytes(&t->g->vals[v].type);
	int64_t es = (int64_t)ir_dtype_size(t->g->vals[v].type.dtype);
	FUZZ_CHECK(off >= 0 && es > 0 && off % es == 0, "value '%s': offset %lld, %lld bytes",
	           t->g->vals[v].name, (long long)off, (long long)bytes);
	*count = bytes;
	switch (t->p->home[v]) {
	case PLAN_HOME_SCRATCH:
		FUZZ_CHECK(off + bytes <= t->p->scratch_bytes, "value '%s' [%lld, %lld) beyond "
		           "scratch %lld", t->g->vals[v].name, (long long)off,
		           (long long)(off + bytes), (long long)t->p->scratch_bytes);
		return t->scratch + off;
	case PLAN_HOME_OUTPUT: {
		uint32_t o = t->p->index[v];
		FUZZ_CHECK(o < t->g->noutputs, "value '%s': output %u", t->g->vals[v].name, o);
		int64_t cap = ir_type_bytes(&t->g->vals[t->g->outputs[o]].type);
		FUZZ_CHECK(off + bytes <= cap, "value '%s' beyond output buffer %u",
		           t->g->vals[v].name, o);
		return t->outputs[o] + off;
	}
	case PLAN_HOME_WEIGHTS:
		FUZZ_CHECK(off + bytes <= t->p->weights_bytes, "constant '%s' beyond the image",
		           t->g->vals[v].name);
		return NULL;
	case PLAN_HOME_INPUT:
		return NULL;
	case PLAN_HOME_NONE:
		break;
	}
	FUZZ_CHECK(false, "value '%s' is read but has no home", t->g->vals[v].name);
	return NULL;
}

static void expect_holds(struct tagger *t, uint32_t v, const char *where)
{
	int64_t n;
	uint32_t *tags = tags_of(t, v, &n);
	for (int64_t i = 0; tags && i < n; i++)
		FUZZ_CHECK(tags[i] == t->writer[v], "%s: value '%s' byte %lld was overwritten "
		           "by value %u", where, t->g->vals[v].name, (long long)i, tags[i]);
}

static void run_node(struct tagger *t, const struct ir_node *n)
{
	for (unsigned k = 0; k < n->nin; k++)
		expect_holds(t, n->in[k], n->name);
	uint32_t v = n->out;
	if (plan_is_view(n->op) && t->p->share[v] == PLAN_SHARE_VIEW) {
		t->writer[v] = t->writer[t->p->source[v]];
		return;
	}
	t->writer[v] = v;
	if (t->p->home[v] == PLAN_HOME_NONE)
		return;
	FUZZ_CHECK(t->p->home[v] == PLAN_HOME_SCRATCH || t->p->home[v] == PLAN_HOME_OUTPUT,
	           "node '%s' writes into a read-only home", n->name);
	int64_t count;
	uint32_t *tags = tags_of(t, v, &count);
	for (int64_t i = 0; i < count; i++)
		tags[i] = v;
}

/* Bytes the simulation reads and writes (a concat of a concat of ... grows
 * them exponentially with the model's length). */
static int64_t simulated_bytes(const struct ir_graph *g)
{
	int64_t total = 0;
	for (uint32_t i = 0; i < g->nnodes && total <= FUZZ_MAX_TAGGED_BYTES; i++) {
		const struct ir_node *n = &g->nodes[i];
		total += ir_type_bytes(&g->vals[n->out].type);
		for (unsigned k = 0; k < n->nin; k++)
			total += ir_type_bytes(&g->vals[n->in[k]].type);
	}
	return total;
}

static void check_plan(struct ir_graph *g, const struct plan *p, struct arena *a)
{
	FUZZ_CHECK(p->scratch_bytes >= 0 && p->scratch_bytes % PLAN_ALIGN == 0,
	           "scratch %lld", (long long)p->scratch_bytes);
	FUZZ_CHECK(p->lower_bound <= p->scratch_bytes, "lower bound %lld above the plan %lld",
	           (long long)p->lower_bound, (long long)p->scratch_bytes);
	if (p->scratch_bytes > FUZZ_MAX_TAGGED_BYTES || simulated_bytes(g) > FUZZ_MAX_TAGGED_BYTES)
		return;
	struct tagger t = { .g = g, .p = p };
	t.scratch = arena_array(a, (size_t)p->scratch_bytes + 1, sizeof *t.scratch);
	t.outputs = arena_array(a, g->noutputs + 1, sizeof *t.outputs);
	for (uint32_t o = 0; o < g->noutputs; o++) {
		int64_t bytes = ir_type_bytes(&g->vals[g->outputs[o]].type);
		if (bytes > FUZZ_MAX_TAGGED_BYTES)
			return;
		t.outputs[o] = arena_array(a, (size_t)bytes + 1, sizeof **t.outputs);
	}
	t.writer = arena_array(a, g->nvals + 1, sizeof *t.writer);
	for (uint32_t v = 0; v < g->nvals; v++)
		t.writer[v] = g->vals[v].kind == IR_VAL_NODE ? IR_NONE : v;
	for (uint32_t i = 0; i < g->nnodes; i++)
		run_node(&t, &g->nodes[i]);
	for (uint32_t o = 0; o < g->noutputs; o++)
		expect_holds(&t, g->outputs[o], "end of the model");
}

struct plan *fuzz_plan_and_print(struct ir_graph *g, struct arena *a)
{
	FILE *null = fuzz_null();
	struct plan *p = plan_build(g, a);
	check_plan(g, p, a);
	ir_print(g, null);
	ir_print_dot(g, null);
	mem_report_print(g, p, null);
	struct hdr_options ho = { .name = g->name };
	hdr_emit(g, p, &ho, null);
	return p;
}

/* ---- the interpreter, -O0 against optimized ---- */

static bool small_enough(struct ir_graph *g)
{
	int64_t macs = 0, bytes = 0;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		macs += mem_report_macs(g, &g->nodes[i]);
		bytes += ir_type_bytes(&g->vals[g->nodes[i].out].type);
		if (macs > INTERP_MAX_MACS || bytes > INTERP_MAX_BYTES)
			return false;
	}
	return true;
}

/* Runs g on deterministic inputs; NULL when the interpreter refused. */
static float **interp(struct ir_graph *g, struct diag *d, struct arena *a)
{
	const void **in = arena_array(a, g->ninputs + 1, sizeof *in);
	for (uint32_t i = 0; i < g->ninputs; i++) {
		const struct ir_type *t = &g->vals[g->inputs[i]].type;
		int64_t n = ir_type_numel(t);
		void *buf = arena_alloc(a, (size_t)ir_type_bytes(t) + 1);
		if (t->dtype == IR_DT_F32)
			for (int64_t k = 0; k < n; k++)
				((float *)buf)[k] = (float)((k * 7919 + i * 31) % 17 - 8) / 4.0f;
		in[i] = buf;
	}
	float **out = arena_array(a, g->noutputs + 1, sizeof *out);
	for (uint32_t o = 0; o < g->noutputs; o++)
		out[o] = arena_alloc(a, (size_t)ir_type_bytes(&g->vals[g->outputs[o]].type) + 1);
	if (!interp_run(g, d, in, (void *const *)out, INTERP_MAX_BYTES))
		return NULL;
	return out;
}

/* The -O0 and optimized interpreter results agree within float rounding. */
static void compare(struct ir_graph *ref, float **r, struct ir_graph *opt, float **o)
{
	FUZZ_CHECK(ref->noutputs == opt->noutputs, "%u outputs at -O0, %u optimized",
	           ref->noutputs, opt->noutputs);
	for (uint32_t k = 0; k < ref->noutputs; k++) {
		const struct ir_type *tr = &ref->vals[ref->outputs[k]].type;
		const struct ir_type *to = &opt->vals[opt->outputs[k]].type;
		char b1[128], b2[128];
		FUZZ_CHECK(ir_type_eq(tr, to), "output %u is %s at -O0, %s optimized", k,
		           ir_type_str(tr, b1, sizeof b1), ir_type_str(to, b2, sizeof b2));
		if (tr->dtype != IR_DT_F32)
			continue;
		for (int64_t i = 0; i < ir_type_numel(tr); i++) {
			float x = r[k][i], y = o[k][i];
			if (!isfinite(x) || !isfinite(y) || fabsf(x) > 1e6f)
				continue;
			float tol = 1e-3f * fmaxf(1.0f, fmaxf(fabsf(x), fabsf(y)));
			FUZZ_CHECK(fabsf(x - y) <= tol, "output %u element %lld: %.9g at -O0, %.9g "
			           "optimized", k, (long long)i, (double)x, (double)y);
		}
	}
}

void fuzz_check_model(struct arena *a, struct diag *d, const struct ast_model *m, int opt_level,
                      const struct target_desc *target)
{
	struct ir_graph *full = fuzz_compile(a, d, m, opt_level, false, target);
	if (!full)
		return;
	fuzz_plan_and_print(full, a);
	struct ir_graph *ref = fuzz_compile(a, d, m, 0, false, target);
	struct ir_graph *opt = fuzz_compile(a, d, m, opt_level, true, target);
	FUZZ_CHECK(ref && opt, "the model compiled at -O%d but not at -O0 or without packing",
	           opt_level);
	fuzz_plan_and_print(ref, a);
	if (!small_enough(ref) || !small_enough(opt))
		return;
	float **r = interp(ref, d, a);
	float **o = r ? interp(opt, d, a) : NULL;
	FUZZ_CHECK(!r || o, "the interpreter ran the model at -O0 only");
	if (o)
		compare(ref, r, opt, o);
}
