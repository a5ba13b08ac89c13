/* pass_pack_rnn.c - column panels for the weights of lstm and gru.
 *
 * At batch 1 every recurrent step is a matrix-vector product W_hh h with
 * a [G*H, H] matrix (and the input projection one W_ih x per step). Read
 * row by row, as PyTorch stores it, each output is a dot product that ends
 * in a horizontal sum, and each unit's G rows form short dependency chains.
 * Read by columns, the product is y += h[k] * W[:, k] for every k: one
 * broadcast and a run of independent vector FMAs into accumulators that
 * stay in registers for the whole k loop, the fast shape of a matvec.
 *
 * So weight_ih [G*H, F] and weight_hh [G*H, H] are replaced by constants
 * ("<key>:packed") holding, per gate g and block b of up to
 * IR_RNN_PANEL_VECS vectors of units, a panel of K rows (K = F or H) whose
 * row k holds W[g*H + u][k] for the panel's units u, contiguous; a gate's
 * units are padded with zero columns up to a multiple of the vector width
 * (Hp), so every load is a whole aligned vector. Panel (g, b) starts at
 * float K * (g*Hp + b * IR_RNN_PANEL_VECS * vec) (docs/ir.md "Packed
 * recurrent weights"). The biases keep their layout. */
#include "pass.h"

#include "check.h"

/* W [G*H, K] (PyTorch rows) into panels for vector width vec; NULL when
 * the packed tensor would exceed the tensor limit. */
static float *pack_panels(struct arena *a, const float *w, int64_t gates, int64_t units,
                          int64_t k, int64_t vec, int64_t *count)
{
	int64_t hp = (units + vec - 1) / vec * vec, total;
	if (ckd_mul_i64(&total, gates * hp, k) || total > IR_MAX_TENSOR_BYTES / 4)
		return NULL;
	*count = total;
	float *p = arena_array(a, (size_t)total, sizeof *p); /* zeroed */
	int64_t pw = IR_RNN_PANEL_VECS * vec;
	for (int64_t g = 0; g < gates; g++)
		for (int64_t b = 0; b * pw < hp; b++) {
			int64_t width = hp - b * pw < pw ? hp - b * pw : pw;
			float *panel = p + k * (g * hp + b * pw);
			for (int64_t kk = 0; kk < k; kk++)
				for (int64_t i = 0; i < width && b * pw + i < units; i++)
					panel[kk * width + i] = w[(g * units + b * pw + i) * k + kk];
		}
	return p;
}

/* Replaces param slot of n by its packed form; false if too large. */
static bool pack_param(struct ir_graph *g, struct ir_node *n, unsigned slot, int64_t vec)
{
	const struct ir_value *old = &g->vals[n->param[slot]];
	DLC_ASSERT(old->type.rank == 2 && old->data);
	int64_t gates = n->op == IR_LSTM ? 4 : 3, count;
	float *data = pack_panels(g->arena, old->data, gates, n->attr.rnn.units,
	                          old->type.dims[1], vec, &count);
	if (!data)
		return false;
	struct ir_type ty = { IR_DT_F32, 1, { count } };
	const char *name = arena_printf(g->arena, "%s:packed", old->name ? old->name : "weight");
	n->param[slot] = ir_add_const(g, name, ty, data, old->loc);
	return true;
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	const struct target_desc *t = ctx->opts->target;
	int64_t vec = t && t->vec_floats > 0 ? t->vec_floats : 4;
	bool changed = false;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		struct ir_node *n = &g->nodes[i];
		if ((n->op != IR_LSTM && n->op != IR_GRU) || n->attr.rnn.packed_vec)
			continue;
		/* both or neither: the kernel reads them the same way */
		uint32_t ih = n->param[0], hh = n->param[1];
		if (!pack_param(g, n, 0, vec))
			continue;
		if (!pack_param(g, n, 1, vec)) {
			n->param[0] = ih;
			n->param[1] = hh;
			continue;
		}
		n->attr.rnn.packed_vec = (int32_t)vec;
		changed = true;
	}
	if (changed)
		ir_compact(g, NULL); /* drop the row-major constants nothing reads now */
	return true;
}

const struct pass pass_pack_rnn = {
	.name = "pack-rnn",
	.summary = "re-lay lstm/gru weights in column panels for the matrix-vector kernels",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
	.codegen_only = true,
};
