/* ir_verify.c - checks the IR's invariants for a stage (see ir.h).
 *
 * The verifier finds bugs in dlc, not in models: every violation is
 * printed as a description for the developer and counted; callers treat a
 * non-zero count as an internal error. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

struct vctx {
	struct ir_graph *g;
	FILE *out;
	int errors;
};

__attribute__((format(printf, 2, 3))) static void fail(struct vctx *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("verifier: ", v->out);
	vfprintf(v->out, fmt, ap);
	fputc('\n', v->out);
	va_end(ap);
	v->errors++;
}

static bool typed(const struct ir_type *t)
{
	if (t->dtype == IR_DT_NONE || t->rank > IR_MAX_RANK) /* rank 0: a scalar */
		return false;
	int64_t n = 1;
	for (unsigned i = 0; i < t->rank; i++) {
		if (t->dims[i] <= 0 || __builtin_mul_overflow(n, t->dims[i], &n))
			return false;
	}
	return n <= IR_MAX_TENSOR_BYTES;
}

static void check_value_ref(struct vctx *v, uint32_t node, uint32_t id, bool param,
                            const bool *defined)
{
	struct ir_graph *g = v->g;
	const char *name = g->nodes[node].name;
	if (id >= g->nvals) {
		fail(v, "node '%s' refers to value %u of %u", name, id, g->nvals);
		return;
	}
	const struct ir_value *val = &g->vals[id];
	if (param && val->kind != IR_VAL_CONST)
		fail(v, "node '%s': param '%s' is not a constant", name, val->name);
	if (!param && val->kind == IR_VAL_NODE && !defined[id])
		fail(v, "node '%s' uses '%s' before its definition", name, val->name);
	if (val->kind == IR_VAL_NONE)
		fail(v, "node '%s' refers to an empty value slot %u", name, id);
}

/* Integer and bool tensors reach only the ops flagged IR_F_IDS (ids) and
 * IR_F_TYPED (whose shape rules check their dtypes); the attributes
 * are resolved (the op's attrs kind, ir_attrs.c, says what that means). */
static void check_typed_node(struct vctx *v, const struct ir_node *n)
{
	struct ir_graph *g = v->g;
	bool ids = ir_op_table[n->op].flags & IR_F_IDS;
	bool typed = ir_op_table[n->op].flags & IR_F_TYPED;
	for (unsigned k = 0; k < n->nin && !typed; k++) {
		if (n->in[k] >= g->nvals)
			return;
		enum ir_dtype dt = g->vals[n->in[k]].type.dtype;
		if (ids ? dt != IR_DT_I32 && dt != IR_DT_I64 : dt != IR_DT_F32)
			fail(v, "node '%s' input %u has dtype %s", n->name, k, ir_dtype_name(dt));
	}
	const struct ir_tile *t = n->op == IR_CONV2D ? &n->attr.conv.tile
	                          : n->op == IR_DENSE ? &n->attr.dense.tile : NULL;
	bool kernel_ok = n->kernel == IR_KERNEL_NAIVE ||
	                 (t && t->packed && (n->kernel == IR_KERNEL_WINOGRAD) == (t->winograd != 0) &&
	                  (n->kernel != IR_KERNEL_DEPTHWISE || n->op == IR_CONV2D));
	if (!kernel_ok)
		fail(v, "node '%s' (%s): kernel %s does not match its tile", n->name,
		     ir_op_table[n->op].name, ir_kernel_name(n->kernel));
	const struct ir_attrs_kind *kind = ir_op_table[n->op].attrs;
	const char *why = kind->check && n->nin ? kind->check(g, n) : NULL;
	if (why)
		fail(v, "node '%s' (%s): %s", n->name, ir_op_table[n->op].name, why);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ir_verify(struct ir_graph *g, enum ir_stage stage, FILE *out)
{
	struct vctx v = { g, out ? out : stderr, 0 };
	bool *defined = calloc(g->nvals ? g->nvals : 1, sizeof *defined);
	const char **names = calloc(g->nnodes ? g->nnodes : 1, sizeof *names);
	if (!defined || !names) {
		free(defined);
		free(names);
		fail(&v, "out of memory");
		return v.errors;
	}
	for (uint32_t i = 0; i < g->ninputs; i++) {
		if (g->inputs[i] >= g->nvals || g->vals[g->inputs[i]].kind != IR_VAL_INPUT)
			fail(&v, "graph input %u is not an input value", i);
	}
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = &g->nodes[i];
		if (n->op <= IR_OP_NONE || n->op >= IR_OP_COUNT) {
			fail(&v, "node %u has invalid op %d", i, (int)n->op);
			continue;
		}
		const struct ir_op_info *info = &ir_op_table[n->op];
		if (!n->name || !n->name[0])
			fail(&v, "node %u (%s) has no name", i, info->name);
		names[i] = n->name ? n->name : "";
		if (n->nin < info->min_in || (info->max_in != IR_VARIADIC && n->nin > info->max_in))
			fail(&v, "node '%s' (%s) has %u inputs", n->name, info->name, n->nin);
		for (unsigned k = 0; k < n->nin; k++)
			check_value_ref(&v, i, n->in[k], false, defined);
		for (unsigned k = 0; k < IR_MAX_PARAMS; k++) {
			if (n->param[k] == IR_NONE)
				continue;
			if (k >= info->nparams)
				fail(&v, "node '%s' has param slot %u set", n->name, k);
			check_value_ref(&v, i, n->param[k], true, defined);
		}
		if (n->out >= g->nvals || g->vals[n->out].kind != IR_VAL_NODE ||
		    g->vals[n->out].node != i) {
			fail(&v, "node '%s' output value is not linked back to it", n->name);
			continue;
		}
		defined[n->out] = true;
		if (stage >= IR_STAGE_TYPED) {
			if (!typed(&g->vals[n->out].type))
				fail(&v, "node '%s' output is not fully typed", n->name);
			for (unsigned k = 0; k < n->nin; k++)
				if (n->in[k] < g->nvals && !typed(&g->vals[n->in[k]].type))
					fail(&v, "node '%s' input %u is not typed", n->name, k);
			check_typed_node(&v, n);
		}
		for (unsigned k = 0; k < n->nin; k++) {
			uint32_t in = n->in[k];
			if (stage >= IR_STAGE_BOUND && in < g->nvals &&
			    g->vals[in].kind == IR_VAL_CONST && !g->vals[in].data)
				fail(&v, "node '%s' input constant '%s' has no data", n->name,
				     g->vals[in].name);
		}
		if ((n->op == IR_LSTM || n->op == IR_GRU) &&
		    (n->param[2] == IR_NONE) != (n->param[3] == IR_NONE))
			fail(&v, "node '%s' has one bias without the other", n->name);
		for (unsigned k = 0; k < IR_MAX_PARAMS; k++) {
			uint32_t p = n->param[k];
			if (p == IR_NONE || p >= g->nvals)
				continue;
			if (stage >= IR_STAGE_TYPED && !typed(&g->vals[p].type))
				fail(&v, "node '%s' param '%s' is not typed", n->name, g->vals[p].name);
			if (stage >= IR_STAGE_BOUND && !g->vals[p].data)
				fail(&v, "node '%s' param '%s' has no data", n->name, g->vals[p].name);
		}
	}
	/* unique node names: sort and compare neighbours (O(n log n), so a
	 * million-layer model verifies quickly) */
	qsort(names, g->nnodes, sizeof *names, cmp_names);
	for (uint32_t i = 1; i < g->nnodes; i++)
		if (names[i][0] && !strcmp(names[i - 1], names[i]))
			fail(&v, "node name '%s' is used twice", names[i]);
	if (g->noutputs == 0)
		fail(&v, "graph has no outputs");
	for (uint32_t i = 0; i < g->noutputs; i++) {
		uint32_t o = g->outputs[i];
		if (o >= g->nvals)
			fail(&v, "graph output %u refers to value %u", i, o);
		else if (g->vals[o].kind == IR_VAL_NODE && !defined[o])
			fail(&v, "graph output '%s' is not defined by any node", g->vals[o].name);
	}
	if (stage >= IR_STAGE_TYPED)
		for (uint32_t i = 0; i < g->ninputs; i++)
			if (g->inputs[i] < g->nvals && !typed(&g->vals[g->inputs[i]].type))
				fail(&v, "input '%s' is not typed", g->vals[g->inputs[i]].name);
	free(defined);
	free(names);
	return v.errors;
}
