/* interp.c - the reference interpreter: runs a typed, bound graph node by
 * node on the host.
 *
 * interp_run gives every node output its own malloc'd buffer (no memory
 * planning: this is the oracle the planner and the code generator are
 * checked against), runs the nodes in schedule order through interp_node
 * and copies the graph outputs out. The kernels live in interp_kernels.c:
 * one plain loop nest per op, indexing through the layout, fp32
 * accumulation in an order stated at each kernel.
 *
 * Values are tracked as untyped byte pointers: integer and bool tensors
 * flow only into embedding and onehot (ids) and the typed ops
 * (IR_F_TYPED; shape inference guarantees it), which read their operands
 * in their own dtype; every other operand is f32. Ids are all
 * range-checked before the first node runs. */
#include "interp.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void assert_supported(const struct ir_value *v)
{
	DLC_ASSERT(ir_dtype_size(v->type.dtype) > 0);
}

/* The elements of value id: f32 unless `typed` (an IR_F_TYPED op's
 * operand, in its own dtype). */
static const float *view(const struct ir_graph *g, const void *const *ptr, uint32_t id, bool typed)
{
	DLC_ASSERT(id < g->nvals);
	assert_supported(&g->vals[id]);
	DLC_ASSERT(typed || g->vals[id].type.dtype == IR_DT_F32);
	DLC_ASSERT(ptr[id] != NULL);
	return ptr[id];
}

/* The elements of an i32/i64 id tensor. */
static const void *ids_view(const struct ir_graph *g, const void *const *ptr, uint32_t id)
{
	DLC_ASSERT(id < g->nvals);
	enum ir_dtype dt = g->vals[id].type.dtype;
	DLC_ASSERT(dt == IR_DT_I32 || dt == IR_DT_I64);
	DLC_ASSERT(ptr[id] != NULL);
	return ptr[id];
}

typedef void interp_kernel(const struct ir_graph *g, const struct ir_node *n,
                           const float *const *in, const float *const *param, float *out);

static interp_kernel *const kernels[IR_OP_COUNT] = {
#define IR_OP(id, name, min_in, max_in, nparams, flags, attrs, shape, interp, lower, layout, \
              params, step, dl)                                                             \
	[IR_##id] = interp_##interp,
#include "ir_ops.def"
};

void interp_node(struct ir_graph *g, const struct ir_node *n, const float *const *in,
                 const float *const *param, float *out)
{
	DLC_ASSERT(n->op > IR_OP_NONE && n->op < IR_OP_COUNT);
	kernels[n->op](g, n, in, param, out);
}

/* Sums the bytes of all node outputs into *total; false on overflow. */
static bool intermediate_bytes(const struct ir_graph *g, int64_t *total)
{
	*total = 0;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_value *v = &g->vals[g->nodes[i].out];
		assert_supported(v);
		if (ckd_add_i64(total, *total, ir_type_bytes(&v->type)))
			return false;
	}
	return true;
}

static bool check_budget(const struct ir_graph *g, struct diag *d, int64_t max_bytes)
{
	int64_t total;
	if (!intermediate_bytes(g, &total)) {
		diag_error(d, (struct src_span){ 0 },
		           "interpreter needs over %" PRId64 " bytes for intermediate "
		           "tensors, more than the limit of %" PRId64 " bytes",
		           INT64_MAX, max_bytes);
		return false;
	}
	if (total > max_bytes) {
		diag_error(d, (struct src_span){ 0 },
		           "interpreter needs %" PRId64 " bytes for intermediate tensors, "
		           "more than the limit of %" PRId64 " bytes",
		           total, max_bytes);
		return false;
	}
	return true;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		dlc_fatal_oom(n * size);
	return p;
}

/* Gathers the node's operands (f32 arrays; ids and typed operands as they are)
 * and runs its kernel. */
static void run_node(struct ir_graph *g, const struct ir_node *n, const void *const *ptr,
                     float *out)
{
	const float **in = xcalloc(n->nin, sizeof *in);
	const float *param[IR_MAX_PARAMS] = { 0 };
	bool ids = ir_op_table[n->op].flags & IR_F_IDS;
	bool typed = ir_op_table[n->op].flags & IR_F_TYPED;
	for (unsigned k = 0; k < n->nin; k++)
		in[k] = ids ? ids_view(g, ptr, n->in[k]) : view(g, ptr, n->in[k], typed);
	for (unsigned k = 0; k < IR_MAX_PARAMS; k++)
		if (n->param[k] != IR_NONE)
			param[k] = view(g, ptr, n->param[k], false);
	interp_node(g, n, in, param, out);
	free(in);
}

bool interp_run(struct ir_graph *g, struct diag *d, const void *const *inputs,
                void *const *outputs, int64_t max_bytes)
{
	if (!check_budget(g, d, max_bytes))
		return false;
	/* ptr[value id] = the value's elements (input, weight or node buffer) */
	const void **ptr = xcalloc(g->nvals, sizeof *ptr);
	float **owned = xcalloc(g->nnodes, sizeof *owned);
	for (uint32_t i = 0; i < g->ninputs; i++)
		ptr[g->inputs[i]] = inputs[i];
	for (uint32_t v = 0; v < g->nvals; v++)
		if (g->vals[v].kind == IR_VAL_CONST)
			ptr[v] = g->vals[v].data;
	if (!interp_check_ids(g, d, (const void *const *)ptr)) {
		free(owned);
		free(ptr);
		return false;
	}
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = &g->nodes[i];
		size_t bytes = (size_t)ir_type_bytes(&g->vals[n->out].type);
		owned[i] = malloc(bytes ? bytes : 1);
		if (!owned[i])
			dlc_fatal_oom(bytes);
		run_node(g, n, (const void *const *)ptr, owned[i]);
		ptr[n->out] = owned[i];
	}
	for (uint32_t i = 0; i < g->noutputs; i++) {
		const struct ir_value *v = &g->vals[g->outputs[i]];
		assert_supported(v);
		DLC_ASSERT(ptr[g->outputs[i]] != NULL);
		memmove(outputs[i], ptr[g->outputs[i]], (size_t)ir_type_bytes(&v->type));
	}
	for (uint32_t i = 0; i < g->nnodes; i++)
		free(owned[i]);
	free(owned);
	free(ptr);
	return true;
}
