/* pass_fuse_gate.c - x * gate(x), written as two layers, becomes one
 * eltwise step: x * sigmoid(x) is silu, x * hard_sigmoid(x) with
 * PyTorch's numbers (1/6, 0.5) is hard_swish.
 *
 * Exporters spell SiLU/Swish as Sigmoid followed by Mul(x, sigmoid(x))
 * (PyTorch's F.silu in ONNX, EfficientNet, YOLO) and HardSwish before
 * opset 14 as HardSigmoid and Mul; the language can write them the same
 * way. Computed as written, the gate goes to memory and is read back, and
 * the broadcasting mul is a general tensor op. When the gate's output has
 * no other use and both operands of the mul have the output's shape, the
 * gate node becomes an eltwise node with the one fused step and absorbs
 * the mul. The step computes the same float product (in either operand
 * order), so results are bit-identical; it then fuses like any other step:
 * into the conv2d/dense before it (fuse-epilogue) or into a chain
 * (fuse-eltwise), and runs in whatever layout its input has.
 *
 * GELU written out as x * (1 + erf(x / sqrt(2))) / 2 becomes one gelu
 * step the same way (see fuse_gelu below). */
#include <string.h>

#include "fold_util.h"
#include "pass.h"

/* The step computing x * gate(x) for the one step of a gate node, or
 * IR_STEP_NONE. */
static enum ir_step_kind gated(const struct ir_eltwise_step *s)
{
	if (s->kind == IR_STEP_SIGMOID)
		return IR_STEP_SILU;
	if (s->kind == IR_STEP_HARD_SIGMOID && s->a == 1.0f / 6.0f && s->b == 0.5f)
		return IR_STEP_HARD_SWISH; /* its step multiplies by exactly this */
	return IR_STEP_NONE;
}

/* The gate node whose output is value s and whose input is x, if s has no
 * other use, with the fused step in *kind; else IR_NONE. */
static uint32_t gate_of(const struct ir_graph *g, uint32_t s, uint32_t x, const uint32_t *uses,
                        const bool *dead, enum ir_step_kind *kind)
{
	uint32_t p = fold_producer(g, s);
	if (p == IR_NONE || dead[p] || uses[s] != 1 || fold_is_output(g, s))
		return IR_NONE;
	const struct ir_node *n = &g->nodes[p];
	struct ir_eltwise_step st[IR_MAX_STEPS];
	if (n->nin != 1 || n->in[0] != x || ir_node_steps(n, st) != 1)
		return IR_NONE;
	*kind = gated(&st[0]);
	return *kind != IR_STEP_NONE ? p : IR_NONE;
}

/* ---- GELU written out: x * 0.5 * (1 + erf(x / sqrt(2))) ----
 * PyTorch's F.gelu before opset 20 exports as Div(x, 1.4142135), Erf,
 * Add 1, Mul by x, Mul 0.5. The factors may sit anywhere (on x, on the
 * erf term, after the product), so both operands of the mul are read as
 * chains of steps from one value x, each affine run merged into one
 * affine, and the constants are checked by what they multiply to. */

/* The one step value v's node computes on its single activation input
 * (binary ops with a one-element constant as an affine), if v has no
 * other use; *in gets that input. */
static bool step_of(const struct ir_graph *g, uint32_t v, const uint32_t *uses, const bool *dead,
                    struct ir_eltwise_step *st, uint32_t *in)
{
	uint32_t p = fold_producer(g, v);
	if (p == IR_NONE || dead[p] || uses[v] != 1 || fold_is_output(g, v))
		return false;
	const struct ir_node *n = &g->nodes[p];
	struct ir_eltwise_step steps[IR_MAX_STEPS];
	if (n->op != IR_BINARY) {
		if (n->nin != 1 || ir_node_steps(n, steps) != 1)
			return false;
		*st = steps[0], *in = n->in[0];
		return true;
	}
	return fold_const_affine(g, n, st, in);
}

struct chain {
	struct ir_eltwise_step st[4]; /* in order from the root, affines merged */
	unsigned n;
	uint32_t nodes[8], nnodes;
};

/* The steps from root x up to value v, at most 8 nodes; false if v does
 * not lead back to x that way. */
static bool chain_to(const struct ir_graph *g, uint32_t v, uint32_t x, const uint32_t *uses,
                     const bool *dead, struct chain *c)
{
	struct ir_eltwise_step rev[8];
	c->n = c->nnodes = 0;
	while (v != x) {
		uint32_t in;
		if (c->nnodes == 8 || !step_of(g, v, uses, dead, &rev[c->nnodes], &in))
			return false;
		c->nodes[c->nnodes++] = g->vals[v].node;
		v = in;
	}
	for (unsigned k = c->nnodes; k-- > 0;) {
		struct ir_eltwise_step s = rev[k];
		if (s.kind == IR_STEP_AFFINE && c->n && c->st[c->n - 1].kind == IR_STEP_AFFINE) {
			struct ir_eltwise_step *t = &c->st[c->n - 1];
			*t = (struct ir_eltwise_step){ IR_STEP_AFFINE, s.a * t->a, s.a * t->b + s.b };
			continue;
		}
		if (c->n == 4)
			return false;
		c->st[c->n++] = s;
	}
	return true;
}

static bool near(double a, double b)
{
	return a > b * (1 - 1e-5) && a < b * (1 + 1e-5);
}

/* Whether c is [affine(1/sqrt(2), 0), erf, affine(f, f)]; *f gets f. */
static bool is_erf_term(const struct chain *c, double *f)
{
	if (c->n != 3 || c->st[0].kind != IR_STEP_AFFINE || c->st[1].kind != IR_STEP_ERF ||
	    c->st[2].kind != IR_STEP_AFFINE)
		return false;
	*f = c->st[2].a;
	return c->st[0].b == 0 && near(c->st[0].a, 0.70710678118654752) && c->st[2].b == c->st[2].a;
}

/* Mul node i as gelu(x) times a factor (*f): one operand is the erf term
 * of x, the other x or affine(a, 0) of x. */
static bool gelu_mul(struct ir_graph *g, uint32_t i, const uint32_t *uses, const bool *dead,
                     bool *absorbed, uint32_t *x, double *f)
{
	const struct ir_node *m = &g->nodes[i];
	for (unsigned k = 0; k < 2 * 2; k++) {
		struct chain t, u;
		/* the root: the plain operand, or the input of its one affine */
		uint32_t root = m->in[1 - k / 2], in;
		struct ir_eltwise_step st;
		double fu = 1;
		if (k % 2) {
			if (!step_of(g, root, uses, dead, &st, &in) || st.kind != IR_STEP_AFFINE ||
			    st.b != 0)
				continue;
			fu = st.a;
			root = in;
		}
		if (!chain_to(g, m->in[k / 2], root, uses, dead, &t) || !is_erf_term(&t, f) ||
		    !chain_to(g, m->in[1 - k / 2], root, uses, dead, &u))
			continue;
		for (unsigned j = 0; j < t.nnodes; j++)
			absorbed[t.nodes[j]] = true;
		for (unsigned j = 0; j < u.nnodes; j++)
			absorbed[u.nodes[j]] = true;
		*f *= fu;
		*x = root;
		return true;
	}
	return false;
}

/* Mul nodes computing gelu(x) (with a factor 1/2 after them absorbed)
 * become one eltwise gelu step. Not bit-exact: the step computes the same
 * formula in its own rounding (vector erf). */
static void fuse_gelu(struct ir_graph *g, const uint32_t *uses, bool *dead, struct arena *a)
{
	bool *absorbed = arena_array(a, g->nnodes ? g->nnodes : 1, sizeof *absorbed);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		struct ir_node *m = &g->nodes[i];
		if (dead[i] || m->op != IR_BINARY || m->attr.binary.op != IR_BINOP_MUL || m->nin != 2 ||
		    !ir_type_eq(&g->vals[m->in[0]].type, &g->vals[m->out].type) ||
		    !ir_type_eq(&g->vals[m->in[1]].type, &g->vals[m->out].type))
			continue;
		memset(absorbed, 0, g->nnodes * sizeof *absorbed);
		uint32_t x, in, post = IR_NONE;
		double f;
		if (!gelu_mul(g, i, uses, dead, absorbed, &x, &f))
			continue;
		if (!near(f, 0.5)) { /* the rest of the 1/2 in the one step after it */
			struct ir_eltwise_step st;
			uint32_t next = IR_NONE;
			for (uint32_t j = i + 1; j < g->nnodes && next == IR_NONE; j++)
				if (!dead[j] && g->nodes[j].nin == 1 && g->nodes[j].in[0] == m->out)
					next = j;
			if (next == IR_NONE ||
			    !step_of(g, g->nodes[next].out, uses, dead, &st, &in) || in != m->out ||
			    uses[m->out] != 1 || fold_is_output(g, m->out) || st.kind != IR_STEP_AFFINE ||
			    st.b != 0 || !near(f * st.a, 0.5))
				continue;
			post = next;
		}
		for (uint32_t j = 0; j < g->nnodes; j++)
			dead[j] = dead[j] || absorbed[j];
		m->op = IR_ELTWISE;
		m->nin = 1;
		m->in[0] = x;
		memset(&m->attr, 0, sizeof m->attr);
		m->attr.eltwise.nsteps = 1;
		m->attr.eltwise.steps[0] = (struct ir_eltwise_step){ IR_STEP_GELU, 0, 0 };
		if (post != IR_NONE)
			fold_absorb(g, i, post, dead);
	}
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	uint32_t *uses = ir_count_uses(g, ctx->scratch);
	bool *dead = arena_array(ctx->scratch, g->nnodes ? g->nnodes : 1, sizeof *dead);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		struct ir_node *m = &g->nodes[i];
		if (m->op != IR_BINARY || m->attr.binary.op != IR_BINOP_MUL || m->nin != 2)
			continue;
		const struct ir_type *yt = &g->vals[m->out].type;
		if (!ir_type_eq(&g->vals[m->in[0]].type, yt) || !ir_type_eq(&g->vals[m->in[1]].type, yt))
			continue;
		for (unsigned k = 0; k < 2; k++) {
			enum ir_step_kind kind;
			uint32_t s = gate_of(g, m->in[k], m->in[1 - k], uses, dead, &kind);
			if (s == IR_NONE)
				continue;
			struct ir_node *n = &g->nodes[s];
			n->op = IR_ELTWISE;
			memset(&n->attr, 0, sizeof n->attr);
			n->attr.eltwise.nsteps = 1;
			n->attr.eltwise.steps[0] = (struct ir_eltwise_step){ kind, 0, 0 };
			fold_absorb(g, s, i, dead);
			break;
		}
	}
	fuse_gelu(g, uses, dead, ctx->scratch);
	fold_finish(g, dead, ctx->scratch);
	return true;
}

const struct pass pass_fuse_gate = {
	.name = "fuse-gate",
	.summary = "x * sigmoid(x), x * hard_sigmoid(x) and x * (1 + erf(x / sqrt 2)) / 2 as one silu, hard_swish or gelu step",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
	.recognizes = true,
};
