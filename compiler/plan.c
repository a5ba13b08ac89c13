/* plan.c - the static memory plan (see plan.h).
 *
 * Three steps: weights get consecutive aligned offsets in one image; each
 * model output claims the node that really produces its bytes (looking
 * through views), so that node writes into the caller's buffer; then every
 * other node output that is not a view gets a fresh scratch slot, and views
 * take their source's home. Outputs that cannot be claimed (a model input,
 * or a tensor that is also another output) keep their home and the back end
 * copies them into the output buffer. */
#include "plan.h"

#include <string.h>

#include "check.h"

bool plan_is_view(enum ir_op op)
{
	return (ir_op_table[op].flags & (IR_F_VIEW | IR_F_IDENTITY)) != 0;
}

/* The value whose storage v shares: v itself unless v is a view. */
static uint32_t view_root(struct ir_graph *g, uint32_t v)
{
	while (g->vals[v].kind == IR_VAL_NODE && plan_is_view(g->nodes[g->vals[v].node].op))
		v = g->nodes[g->vals[v].node].in[0];
	return v;
}

static int64_t align_up(int64_t x)
{
	int64_t r;
	if (ckd_add_i64(&r, x, PLAN_ALIGN - 1))
		DLC_UNREACHABLE("plan size overflow");
	return r & ~(int64_t)(PLAN_ALIGN - 1);
}

static int64_t bump(int64_t *top, int64_t bytes)
{
	int64_t at = *top;
	if (ckd_add_i64(top, at, align_up(bytes)))
		DLC_UNREACHABLE("plan size overflow");
	return at;
}

static void plan_weights(struct ir_graph *g, struct plan *p)
{
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = &g->nodes[i];
		for (unsigned k = 0; k < IR_MAX_PARAMS; k++) {
			uint32_t w = n->param[k];
			if (w == IR_NONE || p->home[w] != PLAN_HOME_NONE)
				continue;
			DLC_ASSERT(g->vals[w].kind == IR_VAL_CONST && g->vals[w].data);
			p->home[w] = PLAN_HOME_WEIGHTS;
			p->offset[w] = bump(&p->weights_bytes, ir_type_bytes(&g->vals[w].type));
		}
	}
}

struct plan *plan_build(struct ir_graph *g, struct arena *a)
{
	struct plan *p = arena_alloc(a, sizeof *p);
	p->nvals = g->nvals;
	p->home = arena_array(a, g->nvals ? g->nvals : 1, sizeof *p->home);
	p->index = arena_array(a, g->nvals ? g->nvals : 1, sizeof *p->index);
	p->offset = arena_array(a, g->nvals ? g->nvals : 1, sizeof *p->offset);
	for (uint32_t i = 0; i < g->ninputs; i++) {
		p->home[g->inputs[i]] = PLAN_HOME_INPUT;
		p->index[g->inputs[i]] = i;
	}
	plan_weights(g, p);
	for (uint32_t i = 0; i < g->noutputs; i++) {
		uint32_t r = view_root(g, g->outputs[i]);
		if (g->vals[r].kind == IR_VAL_NODE && p->home[r] == PLAN_HOME_NONE) {
			p->home[r] = PLAN_HOME_OUTPUT;
			p->index[r] = i;
		}
	}
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = &g->nodes[i];
		uint32_t v = n->out;
		if (plan_is_view(n->op)) {
			uint32_t src = n->in[0];
			p->home[v] = p->home[src];
			p->index[v] = p->index[src];
			p->offset[v] = p->offset[src];
		} else if (p->home[v] == PLAN_HOME_NONE) {
			p->home[v] = PLAN_HOME_SCRATCH;
			p->offset[v] = bump(&p->scratch_bytes, ir_type_bytes(&g->vals[v].type));
		}
	}
	return p;
}

uint8_t *plan_weights_image(struct ir_graph *g, const struct plan *p, struct arena *a)
{
	if (!p->weights_bytes)
		return NULL;
	uint8_t *img = arena_alloc(a, (size_t)p->weights_bytes);
	for (uint32_t v = 0; v < g->nvals; v++) {
		if (p->home[v] != PLAN_HOME_WEIGHTS)
			continue;
		int64_t bytes = ir_type_bytes(&g->vals[v].type);
		memcpy(img + p->offset[v], g->vals[v].data, (size_t)bytes);
	}
	return img;
}
