/* pass_fuse_attention.c - softmax(q k^T) v written as primitives becomes
 * one attention node (the fused kernel of backend/lower_attention.c).
 *
 * Exporters spell multi-head attention as some thirty ONNX nodes: the
 * projections, a Reshape and Transpose per operand to split the heads,
 * MatMul, a scale (Div or Mul, on the scores or on q and k), an optional
 * Add of a mask, Softmax on the last axis, MatMul, and a Transpose and
 * Reshape to merge the heads. Run as written, the [N, Sq, Sk] scores go
 * to memory twice, through scalar matmul loops.
 *
 * The pattern is found at its core:
 *   p = softmax(axis = last)( [add(mask,) | where(cond,, -inf)] [scale] matmul(qh, kt) )
 *   o = matmul(p, vh)
 * where qh [..., Sq, dk], kt [..., dk, Sk], vh [..., Sk, dv] and o have the
 * same leading (head) axes, each scale is an eltwise affine(a, 0) or a mul
 * or div by a one-element constant, on the scores or on qh / kt; a
 * where(cond, scores, -inf) (masked_fill, either operand order) becomes
 * the additive mask where(cond, 0, -inf); a scale after the mask's add
 * scales the mask as well. Then,
 * instead of matching exporter-specific node sequences, the views around
 * the core are checked by what they compute: each operand's chain of
 * reshape/transpose/flatten nodes back to a source value gives, element by
 * element, the source position every head element reads (static shapes
 * make that one integer map per operand). The source serves the attention
 * node directly when the map is exactly a head split of a [B, S, H*d]
 * tensor (batch-major) or of [S, B, H*d] (sequence-major, PyTorch's
 * nn.MultiheadAttention; a transpose is added when B > 1); the farthest
 * such source along the chain is taken. Likewise the chain after o is
 * followed as long as each value has no other use, and the farthest value
 * whose map is a head merge is replaced by the attention's output. Where
 * no chain matches, the operand or result is converted from and to the
 * head-major form with an explicit reshape and transpose, so any core is
 * fused. Nodes left without a use are then removed.
 *
 * The fused node computes the same mathematics in another summation
 * order (rounding differences only). Runs for the interpreter too, so
 * `dlc import` writes the attention as one layer. */
#include <string.h>

#include "check.h"
#include "fold_util.h"
#include "pass.h"

#define MAP_MAX ((int64_t)1 << 24) /* elements of an operand traced */
#define CHAIN_MAX 8

struct fa {
	struct ir_graph *g;
	struct arena *tmp;
	uint32_t *uses;
	uint32_t *cons;     /* per value: its one consuming node, or IR_NONE */
	uint32_t *at;       /* per new node: the original node it goes before */
	uint32_t nat, capat;
	uint32_t before;    /* the original node new nodes go before */
	struct src_span loc;
};

static bool is_view(const struct ir_node *n)
{
	return n->op == IR_RESHAPE || n->op == IR_FLATTEN || n->op == IR_TRANSPOSE;
}

/* Appends node op on x with type t, scheduled before f->before. */
static uint32_t add(struct fa *f, enum ir_op op, const char *name, const uint32_t *in,
                    unsigned nin, const union ir_attrs *at, const struct ir_type *t)
{
	uint32_t id = ir_add_node(f->g, op, name, in, nin, at, f->loc);
	f->g->vals[f->g->nodes[id].out].type = *t;
	if (f->nat == f->capat) {
		uint32_t cap = f->capat ? 2 * f->capat : 16;
		uint32_t *grown = arena_array(f->tmp, cap, sizeof *grown);
		if (f->nat)
			memcpy(grown, f->at, f->nat * sizeof *grown);
		f->at = grown, f->capat = cap;
	}
	f->at[f->nat++] = f->before;
	return f->g->nodes[id].out;
}

static struct ir_type f32_type(unsigned rank, const int64_t *dims)
{
	struct ir_type t = { IR_DT_F32, (uint8_t)rank, { 0 } };
	memcpy(t.dims, dims, rank * sizeof *dims);
	return t;
}

/* x reshaped to dims (x itself when its type is that already). */
static uint32_t reshape(struct fa *f, uint32_t x, unsigned rank, const int64_t *dims,
                        const char *name)
{
	struct ir_type t = f32_type(rank, dims);
	if (ir_type_eq(&f->g->vals[x].type, &t))
		return x;
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.reshape.rank = (uint8_t)rank;
	memcpy(at.reshape.dims, dims, rank * sizeof *dims);
	return add(f, IR_RESHAPE, name, &x, 1, &at, &t);
}

static uint32_t transpose(struct fa *f, uint32_t x, const uint8_t *perm, const char *name)
{
	const struct ir_type *xt = &f->g->vals[x].type;
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.transpose.rank = xt->rank;
	int64_t dims[IR_MAX_RANK];
	for (unsigned i = 0; i < xt->rank; i++) {
		at.transpose.perm[i] = perm[i];
		dims[i] = xt->dims[perm[i]];
	}
	struct ir_type t = f32_type(xt->rank, dims);
	return add(f, IR_TRANSPOSE, name, &x, 1, &at, &t);
}

/* ---- element maps through view chains ---- */

/* map[i] for i over value `to`'s elements: the element of chain[0]'s
 * input it is, where chain[0..n) are view nodes, each reading the one
 * before, chain[n-1] defining `to`. */
static int64_t *chain_map(struct fa *f, const uint32_t *chain, unsigned n, int64_t numel)
{
	int64_t *map = arena_array(f->tmp, (size_t)numel, sizeof *map);
	for (int64_t i = 0; i < numel; i++)
		map[i] = i;
	for (unsigned k = n; k-- > 0;) {
		const struct ir_node *v = &f->g->nodes[chain[k]];
		if (v->op != IR_TRANSPOSE)
			continue; /* reshape and flatten keep the element order */
		const struct ir_type *yt = &f->g->vals[v->out].type, *xt = &f->g->vals[v->in[0]].type;
		int64_t xs[IR_MAX_RANK];
		ir_dense_strides(xt->dims, xt->rank, xs);
		for (int64_t i = 0; i < numel; i++) {
			int64_t rest = map[i], src = 0;
			for (unsigned a = yt->rank; a-- > 0;) {
				src += rest % yt->dims[a] * xs[v->attr.transpose.perm[a]];
				rest /= yt->dims[a];
			}
			map[i] = src;
		}
	}
	return map;
}

/* The head tensor [B*H, S, D] (keys: [B*H, D, S]) against a layout
 * [B, S, H*D] (seq_major: [S, B, H*D]): whether map (over the heads
 * tensor, into the layout; inverse: over the layout, into the heads)
 * says each head element is the layout's element. */
static bool map_is(const int64_t *map, const int64_t *bhsd, bool keys, bool seq_major,
                   bool inverse)
{
	int64_t nb = bhsd[0], nh = bhsd[1], ns = bhsd[2], nd = bhsd[3];
	for (int64_t b = 0; b < nb; b++)
		for (int64_t h = 0; h < nh; h++)
			for (int64_t s = 0; s < ns; s++)
				for (int64_t d = 0; d < nd; d++) {
					int64_t head = keys ? ((b * nh + h) * nd + d) * ns + s
					                    : ((b * nh + h) * ns + s) * nd + d;
					int64_t lay = seq_major ? ((s * nb + b) * nh + h) * nd + d
					                        : ((b * ns + s) * nh + h) * nd + d;
					if (inverse ? map[lay] != head : map[head] != lay)
						return false;
				}
	return true;
}

/* View chain back from value v (chain[0] first in schedule order);
 * returns its length. */
static unsigned chain_back(struct fa *f, uint32_t v, uint32_t *chain)
{
	uint32_t tmp[CHAIN_MAX];
	unsigned n = 0;
	for (uint32_t p = fold_producer(f->g, v); p != IR_NONE && n < CHAIN_MAX &&
	                                          is_view(&f->g->nodes[p]);
	     p = fold_producer(f->g, f->g->nodes[p].in[0]))
		tmp[n++] = p;
	for (unsigned k = 0; k < n; k++)
		chain[k] = tmp[n - 1 - k];
	return n;
}

/* An operand's source: value src, read as [B, S, E] or [S, B, E]. */
struct source {
	uint32_t src;
	bool seq_major;
};

/* The farthest value on the chain into head tensor v whose elements v
 * reads as a head split with (B, H) = bhsd[0..1]. */
static bool find_source(struct fa *f, uint32_t v, const int64_t *bhsd, bool keys,
                        struct source *out)
{
	uint32_t chain[CHAIN_MAX];
	unsigned n = chain_back(f, v, chain);
	int64_t numel = ir_type_numel(&f->g->vals[v].type);
	if (numel > MAP_MAX)
		return false;
	for (unsigned k = 0; k <= n; k++) { /* chain[k..n) from the farthest */
		int64_t *map = chain_map(f, chain + k, n - k, numel);
		for (int sm = 0; sm < 2; sm++)
			if (map_is(map, bhsd, keys, sm, false)) {
				out->src = k < n ? f->g->nodes[chain[k]].in[0] : v;
				out->seq_major = sm;
				return true;
			}
	}
	return false;
}

/* The number of heads when head tensor v [N, S, D] is a split of the
 * farthest view source whose last axis D divides (rank 4: its axis 1);
 * 0 if none. */
static int64_t heads_of(struct fa *f, uint32_t v, bool keys)
{
	const struct ir_type *t = &f->g->vals[v].type;
	if (t->rank == 4)
		return t->dims[1];
	int64_t nn = t->dims[0], d = t->dims[keys ? 1 : 2], s = t->dims[keys ? 2 : 1];
	uint32_t chain[CHAIN_MAX];
	unsigned n = chain_back(f, v, chain);
	for (unsigned k = 0; k < n; k++) {
		const struct ir_type *st = &f->g->vals[f->g->nodes[chain[k]].in[0]].type;
		int64_t last = st->dims[st->rank - 1];
		if (last % d || nn % (last / d))
			continue;
		int64_t bhsd[4] = { nn / (last / d), last / d, s, d };
		struct source src;
		if (find_source(f, v, bhsd, keys, &src))
			return bhsd[1];
	}
	return 0;
}

/* ---- the core ---- */

struct core {
	uint32_t m1, soft, m2;   /* nodes */
	uint32_t qh, kt, vh;     /* head tensors */
	uint32_t mask;           /* value or IR_NONE */
	uint32_t cond;           /* a where's bool mask (then mask is IR_NONE), or IR_NONE */
	bool cond_keeps;         /* where(cond, scores, fill): cond true keeps the score */
	float mask_scale;        /* a scale after the mask's add multiplies the mask too */
	float fill;              /* the where's masked value (-inf or below -1e30) */
	float scale;
};

/* The value a scale node multiplies (scale in *s), or IR_NONE. The node's
 * output must have no other use. */
static uint32_t unscale(struct fa *f, uint32_t v, float *s)
{
	uint32_t p = fold_producer(f->g, v);
	if (p == IR_NONE || f->uses[v] != 1 || fold_is_output(f->g, v))
		return IR_NONE;
	const struct ir_node *n = &f->g->nodes[p];
	struct ir_eltwise_step st[IR_MAX_STEPS];
	if (n->op == IR_ELTWISE && ir_node_steps(n, st) == 1 && st[0].kind == IR_STEP_AFFINE &&
	    st[0].b == 0 && st[0].a != 0) {
		*s *= st[0].a;
		return n->in[0];
	}
	uint32_t in;
	if (fold_const_affine(f->g, n, &st[0], &in) && st[0].b == 0 && st[0].a != 0) {
		*s *= st[0].a;
		return in;
	}
	return IR_NONE;
}

/* v, with the scales on it peeled into *s. */
static uint32_t peel(struct fa *f, uint32_t v, float *s)
{
	for (uint32_t u; (u = unscale(f, v, s)) != IR_NONE;)
		v = u;
	return v;
}

static bool same_lead(const struct ir_type *a, const struct ir_type *b)
{
	if (a->rank != b->rank)
		return false;
	for (unsigned i = 0; i + 2 < a->rank; i++)
		if (a->dims[i] != b->dims[i])
			return false;
	return true;
}

/* The one f32 element of constant v, in *out; false when v is not one. */
static bool one_const(const struct ir_graph *g, uint32_t v, float *out)
{
	const struct ir_value *c = &g->vals[v];
	if (c->kind != IR_VAL_CONST || !c->data || c->type.dtype != IR_DT_F32 ||
	    ir_type_numel(&c->type) != 1)
		return false;
	*out = *(const float *)c->data;
	return true;
}

/* Scores x made by where(cond, s, fill) or where(cond, fill, s) with a
 * constant fill of -inf or below -1e30 (masked_fill before a softmax):
 * the scores s, the condition recorded in c. Adding 0 or fill instead
 * gives the same softmax (s + fill rounds to fill, exp of it to 0). */
static uint32_t where_mask(struct fa *f, uint32_t x, const struct ir_type *pt, struct core *c)
{
	struct ir_graph *g = f->g;
	uint32_t w = fold_producer(g, x);
	if (w == IR_NONE || g->nodes[w].op != IR_WHERE || f->uses[x] != 1 || fold_is_output(g, x))
		return x;
	const struct ir_node *n = &g->nodes[w];
	for (unsigned k = 1; k <= 2; k++) {
		float fill;
		uint32_t s = n->in[3 - k];
		/* a scale after the where scales the fill */
		if (!one_const(g, n->in[k], &fill) || !(fill * c->mask_scale < -1e30f) ||
		    !ir_type_eq(&g->vals[s].type, pt))
			continue;
		c->cond = n->in[0];
		c->cond_keeps = k == 2;
		c->fill = fill * c->mask_scale;
		return s;
	}
	return x;
}

static bool match_core(struct fa *f, uint32_t soft, struct core *c)
{
	struct ir_graph *g = f->g;
	const struct ir_node *p = &g->nodes[soft];
	const struct ir_type *pt = &g->vals[p->out].type;
	if (p->op != IR_SOFTMAX || p->attr.axis.log || (pt->rank != 3 && pt->rank != 4) ||
	    p->attr.axis.axis != pt->rank - 1 || f->uses[p->out] != 1 ||
	    fold_is_output(g, p->out))
		return false;
	uint32_t m2 = f->cons[p->out];
	if (m2 == IR_NONE || g->nodes[m2].op != IR_MATMUL || g->nodes[m2].in[0] != p->out)
		return false;
	memset(c, 0, sizeof *c);
	c->soft = soft, c->m2 = m2, c->mask = IR_NONE, c->cond = IR_NONE, c->scale = 1;
	c->mask_scale = 1;
	/* a scale of the masked scores scales both the scores and the mask */
	uint32_t x = peel(f, p->in[0], &c->mask_scale), a = fold_producer(g, x);
	if (a != IR_NONE && f->uses[x] == 1 && !fold_is_output(g, x) &&
	    (g->nodes[a].op == IR_ADD ||
	     (g->nodes[a].op == IR_BINARY && g->nodes[a].attr.binary.op == IR_BINOP_ADD)) &&
	    g->nodes[a].nin == 2) {
		/* the operand that leads to the matmul is the scores */
		for (unsigned k = 0; k < 2; k++) {
			float s = 1;
			uint32_t y = peel(f, g->nodes[a].in[k], &s), mp = fold_producer(g, y);
			if (mp != IR_NONE && g->nodes[mp].op == IR_MATMUL && f->uses[y] == 1 &&
			    ir_type_eq(&g->vals[g->nodes[a].in[k]].type, pt)) {
				c->mask = g->nodes[a].in[1 - k];
				x = g->nodes[a].in[k];
				break;
			}
		}
	}
	if (c->mask == IR_NONE)
		x = where_mask(f, x, pt, c);
	c->scale = c->mask_scale;
	x = peel(f, x, &c->scale);
	uint32_t m1 = fold_producer(g, x);
	if (m1 == IR_NONE || g->nodes[m1].op != IR_MATMUL || f->uses[x] != 1 ||
	    fold_is_output(g, x))
		return false;
	c->m1 = m1;
	c->qh = peel(f, g->nodes[m1].in[0], &c->scale);
	c->kt = peel(f, g->nodes[m1].in[1], &c->scale);
	c->vh = g->nodes[m2].in[1];
	const struct ir_type *q = &g->vals[c->qh].type, *k = &g->vals[c->kt].type;
	const struct ir_type *v = &g->vals[c->vh].type, *o = &g->vals[g->nodes[m2].out].type;
	if (!same_lead(q, pt) || !same_lead(k, pt) || !same_lead(v, pt) || !same_lead(o, pt))
		return false;
	unsigned r = pt->rank;
	if (q->dtype != IR_DT_F32 || k->dtype != IR_DT_F32 || v->dtype != IR_DT_F32)
		return false;
	/* matmul's shape rule already ties the inner extents */
	return c->scale > 0 && q->dims[r - 1] == k->dims[r - 2] && v->dims[r - 2] == k->dims[r - 1];
}

/* ---- the rewrite ---- */

/* Operand head tensor v as [B, S, H*D]: its source when it matches, else
 * v converted (keys: kt [N, D, S]). */
static uint32_t operand(struct fa *f, uint32_t v, const int64_t *bh, bool keys, const char *name)
{
	const struct ir_type t = f->g->vals[v].type;
	unsigned r = t.rank;
	int64_t s = t.dims[keys ? r - 1 : r - 2], d = t.dims[keys ? r - 2 : r - 1];
	int64_t bhsd[4] = { bh[0], bh[1], s, d };
	int64_t bse[3] = { bh[0], s, bh[1] * d }, sbe[3] = { s, bh[0], bh[1] * d };
	struct source src;
	if (find_source(f, v, bhsd, keys, &src)) {
		if (!src.seq_major || bh[0] == 1)
			return reshape(f, src.src, 3, bse, name);
		uint32_t x = reshape(f, src.src, 3, sbe, arena_printf(f->g->arena, "%s.sbe", name));
		return transpose(f, x, (const uint8_t[]){ 1, 0, 2 }, name);
	}
	/* head-major: [B, H, S, D] (keys [B, H, D, S]) -> [B, S, H, D] */
	int64_t bhxy[4] = { bh[0], bh[1], keys ? d : s, keys ? s : d };
	uint32_t x = reshape(f, v, 4, bhxy, arena_printf(f->g->arena, "%s.heads", name));
	const uint8_t perm_q[4] = { 0, 2, 1, 3 }, perm_k[4] = { 0, 3, 1, 2 };
	x = transpose(f, x, keys ? perm_k : perm_q, arena_printf(f->g->arena, "%s.merge", name));
	return reshape(f, x, 3, bse, name);
}

/* The mask for scores [N, Sq, Sk] (or [B, H, Sq, Sk]) as broadcasting to
 * [B, H, Sq, Sk]; IR_NONE when it does not fit. */
static uint32_t mask_of(struct fa *f, uint32_t m, const struct ir_type *scores, const int64_t *bh,
                        const char *name)
{
	const struct ir_type t = f->g->vals[m].type;
	if (t.dtype != IR_DT_F32)
		return IR_NONE;
	if (scores->rank == 4 || t.rank <= 2)
		return m;
	/* rank-3 scores: the leading mask axis is 1 or N = B*H */
	int64_t lead = 1;
	for (unsigned i = 0; i + 2 < t.rank; i++)
		lead *= t.dims[i];
	int64_t tail[2] = { t.dims[t.rank - 2], t.dims[t.rank - 1] };
	if (lead == 1)
		return reshape(f, m, 2, tail, name);
	if (t.rank != 3 || lead != bh[0] * bh[1])
		return IR_NONE;
	int64_t dims[4] = { bh[0], bh[1], tail[0], tail[1] };
	return reshape(f, m, 4, dims, name);
}

/* The longest common prefix of the names of the two matmuls and the
 * softmax ("layer0/self_attn/"), plus "attention". */
static const char *name_of(struct fa *f, const struct core *c)
{
	const char *a = f->g->nodes[c->m1].name, *b = f->g->nodes[c->m2].name;
	const char *s = f->g->nodes[c->soft].name;
	size_t n = 0;
	while (a[n] && a[n] == b[n] && a[n] == s[n])
		n++;
	if (n == 0)
		return arena_printf(f->g->arena, "%s.attention", b);
	return arena_printf(f->g->arena, "%.*sattention", (int)n, a);
}

/* The result value y's replacement from the attention output att
 * [B, Sq, H*dv]: the farthest single-use view down from o that is a head
 * merge, else o itself rebuilt head-major. */
static void replace_result(struct fa *f, uint32_t o, uint32_t att, const int64_t *bhsd,
                           const char *name)
{
	struct ir_graph *g = f->g;
	uint32_t chain[CHAIN_MAX], vals[CHAIN_MAX + 1];
	unsigned n = 0;
	vals[0] = o;
	for (uint32_t v = o; n < CHAIN_MAX && f->uses[v] == 1 && !fold_is_output(g, v);) {
		uint32_t u = f->cons[v];
		if (u == IR_NONE || !is_view(&g->nodes[u]))
			break;
		chain[n++] = u;
		vals[n] = v = g->nodes[u].out;
	}
	int64_t numel = ir_type_numel(&g->vals[o].type);
	for (unsigned k = n; k > 0 && numel <= MAP_MAX; k--) {
		int64_t *map = chain_map(f, chain, k, numel);
		for (int sm = 0; sm < 2; sm++) {
			if (!map_is(map, bhsd, false, sm, true))
				continue;
			uint32_t y = vals[k], x = att;
			const struct ir_type yt = g->vals[y].type;
			if (sm && bhsd[0] > 1)
				x = transpose(f, att, (const uint8_t[]){ 1, 0, 2 },
				              arena_printf(g->arena, "%s.sbe", name));
			ir_replace_uses(g, y, reshape(f, x, yt.rank, yt.dims,
			                              arena_printf(g->arena, "%s.out", name)));
			return;
		}
	}
	const struct ir_type ot = g->vals[o].type;
	int64_t bshd[4] = { bhsd[0], bhsd[2], bhsd[1], bhsd[3] };
	uint32_t x = reshape(f, att, 4, bshd, arena_printf(g->arena, "%s.split", name));
	x = transpose(f, x, (const uint8_t[]){ 0, 2, 1, 3 }, arena_printf(g->arena, "%s.heads", name));
	ir_replace_uses(g, o, reshape(f, x, ot.rank, ot.dims, arena_printf(g->arena, "%s.out", name)));
}

/* A new f32[1] constant holding v, named base + suffix. */
static uint32_t one_value(struct fa *f, const char *base, const char *suffix, float v)
{
	struct ir_graph *g = f->g;
	int64_t one = 1;
	float *data = arena_alloc(g->arena, sizeof *data);
	*data = v;
	return ir_add_const(g, arena_printf(g->arena, "%s.%s", base, suffix), f32_type(1, &one), data,
	                    f->loc);
}

/* mask * s, for a scale applied after the mask was added. */
static uint32_t scaled(struct fa *f, uint32_t mask, float s, const char *name)
{
	uint32_t in[2] = { mask, one_value(f, name, "by", s) };
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.binary.op = IR_BINOP_MUL;
	return add(f, IR_BINARY, name, in, 2, &at, &f->g->vals[mask].type);
}

/* where(cond, 0, fill) (or where(cond, fill, 0)): the additive mask of
 * a where-masked core, cond's shape. */
static uint32_t additive(struct fa *f, const struct core *c, const char *name)
{
	uint32_t z = one_value(f, name, "zero", 0.0f), v = one_value(f, name, "fill", c->fill);
	uint32_t in[3] = { c->cond, c->cond_keeps ? z : v, c->cond_keeps ? v : z };
	struct ir_type t = f->g->vals[c->cond].type;
	t.dtype = IR_DT_F32;
	return add(f, IR_WHERE, name, in, 3, NULL, &t);
}

static void fuse(struct fa *f, const struct core *c)
{
	struct ir_graph *g = f->g;
	f->before = c->m2;
	f->loc = g->nodes[c->soft].loc;
	const char *name = name_of(f, c);
	const struct ir_type scores = g->vals[g->nodes[c->soft].out].type;
	const struct ir_type ot = g->vals[g->nodes[c->m2].out].type;
	unsigned r = scores.rank;
	int64_t bh[2] = { 1, scores.dims[0] };
	if (r == 4) {
		bh[0] = scores.dims[0], bh[1] = scores.dims[1];
	} else {
		int64_t h = heads_of(f, c->qh, false);
		if (!h)
			h = heads_of(f, c->vh, false);
		if (!h)
			h = heads_of(f, c->kt, true);
		if (h)
			bh[0] = scores.dims[0] / h, bh[1] = h;
	}
	uint32_t in[4];
	unsigned nin = 3, mask = c->mask;
	if (c->cond != IR_NONE) /* where's condition as an additive mask */
		mask = additive(f, c, arena_printf(g->arena, "%s.bias", name));
	else if (mask != IR_NONE && c->mask_scale != 1)
		mask = scaled(f, mask, c->mask_scale, arena_printf(g->arena, "%s.scaled", name));
	if (mask != IR_NONE) {
		in[3] = mask_of(f, mask, &scores, bh, arena_printf(g->arena, "%s.mask", name));
		if (in[3] == IR_NONE)
			return;
		nin = 4;
	}
	in[0] = operand(f, c->qh, bh, false, arena_printf(g->arena, "%s.q", name));
	in[1] = operand(f, c->kt, bh, true, arena_printf(g->arena, "%s.k", name));
	in[2] = operand(f, c->vh, bh, false, arena_printf(g->arena, "%s.v", name));
	union ir_attrs at;
	memset(&at, 0, sizeof at);
	at.attention.heads = (int32_t)bh[1];
	at.attention.scale = c->scale;
	int64_t sq = scores.dims[r - 2], dv = ot.dims[r - 1];
	int64_t dims[3] = { bh[0], sq, bh[1] * dv };
	struct ir_type t = f32_type(3, dims);
	uint32_t att = add(f, IR_ATTENTION, name, in, nin, &at, &t);
	int64_t bhsd[4] = { bh[0], bh[1], sq, dv };
	replace_result(f, g->nodes[c->m2].out, att, bhsd, name);
}

static bool run(struct pass_ctx *ctx)
{
	struct ir_graph *g = ctx->g;
	uint32_t n0 = g->nnodes;
	struct fa f = { .g = g, .tmp = ctx->scratch };
	f.uses = ir_count_uses(g, ctx->scratch);
	f.cons = arena_array(ctx->scratch, g->nvals ? g->nvals : 1, sizeof *f.cons);
	for (uint32_t v = 0; v < g->nvals; v++)
		f.cons[v] = IR_NONE;
	for (uint32_t i = 0; i < n0; i++)
		for (unsigned k = 0; k < g->nodes[i].nin; k++)
			f.cons[g->nodes[i].in[k]] = i; /* meaningful where uses == 1 */
	for (uint32_t i = 0; i < n0; i++) {
		struct core c;
		if (match_core(&f, i, &c))
			fuse(&f, &c);
	}
	if (g->nnodes == n0)
		return true;
	/* the schedule: each new node before the node it was made for */
	uint32_t *order = arena_array(ctx->scratch, g->nnodes, sizeof *order), no = 0;
	uint32_t *first = arena_array(ctx->scratch, n0 + 1, sizeof *first);
	for (uint32_t k = 0; k < f.nat; k++)
		first[f.at[k] + 1]++;
	for (uint32_t i = 0; i < n0; i++)
		first[i + 1] += first[i];
	uint32_t *placed = arena_array(ctx->scratch, f.nat ? f.nat : 1, sizeof *placed);
	uint32_t *fill = arena_array(ctx->scratch, n0 + 1, sizeof *fill);
	memcpy(fill, first, (n0 + 1) * sizeof *fill);
	for (uint32_t k = 0; k < f.nat; k++)
		placed[fill[f.at[k]]++] = n0 + k;
	for (uint32_t i = 0; i < n0; i++) {
		for (uint32_t k = first[i]; k < first[i + 1]; k++)
			order[no++] = placed[k];
		order[no++] = i;
	}
	DLC_ASSERT(no == g->nnodes);
	fold_schedule(g, order);
	/* what the fused cores leave without a use */
	bool *live = arena_array(ctx->scratch, g->nvals, sizeof *live);
	bool *dead = arena_array(ctx->scratch, g->nnodes, sizeof *dead);
	for (uint32_t i = 0; i < g->noutputs; i++)
		live[g->outputs[i]] = true;
	for (uint32_t i = g->nnodes; i-- > 0;) {
		dead[i] = !live[g->nodes[i].out];
		for (unsigned k = 0; !dead[i] && k < g->nodes[i].nin; k++)
			live[g->nodes[i].in[k]] = true;
	}
	fold_finish(g, dead, ctx->scratch);
	return true;
}

const struct pass pass_fuse_attention = {
	.name = "fuse-attention",
	.summary = "softmax(q k^T) v between head splits as one fused attention node",
	.run = run,
	.stage = IR_STAGE_BOUND,
	.min_opt = 1,
	.recognizes = true,
};
