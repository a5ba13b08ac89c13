/* plan.c - the static memory plan (see plan.h).
 *
 * Steps, each over the schedule (the order of g->nodes):
 *  1. Weights (parameters and constants read as activations) get
 *     consecutive 64-byte-aligned offsets in one image.
 *  2. Each model output claims the node that really produces its bytes
 *     (looking through views): that node writes into the caller's buffer.
 *     Outputs that cannot be claimed (a model input, or a tensor that is
 *     also another output) keep their home and the back end copies them.
 *  3. Liveness: a node's output is live from its node to the last node
 *     reading it (model outputs: to the end); a view extends its root's
 *     range, since it reads the root's bytes.
 *  4. Buffers. Every non-view node output starts a buffer, except that
 *     - an elementwise layer (IR_F_ELEMENTWISE) joins the buffer of an
 *       input whose buffer dies at this node and has the same size: the
 *       kernels read x[i] before writing y[i] at the same i, so the output
 *       may overwrite the input (if the layer is a model output, the input's
 *       whole buffer moves into the caller's output buffer instead);
 *     - a concat whose slices are contiguous (every dimension before the
 *       axis is 1) takes each input that it reads once and last, that is
 *       no view and whose slice starts 64-byte aligned, as a sub-buffer at
 *       the slice's offset: the producer writes straight into the concat's
 *       output (earlier readers read it there) and the concat copies
 *       nothing for it (plan_concat_slice).
 *     A buffer lives from its first value's node to the last read of any
 *     value in it (or in its slices).
 *  5. Placement of the scratch buffers in one region (plan_place): the
 *     "greedy by size" offset calculation of TFLite's GPU delegate and MNN
 *     (Pisarchyk and Lee, "Efficient Memory Management for Deep Neural Net
 *     Inference", 2020: largest first, each at the lowest 64-aligned offset
 *     free of the buffers live at the same time), run next to best-fit and
 *     schedule-order variants and a two-sided one (schedule order, each
 *     buffer at the bottom if that is free, else as high as fits under the
 *     lower bound: on a chain consecutive buffers alternate ends, which is
 *     optimal). The smallest result wins, so the plan never exceeds the
 *     sum of the sizes (first fit never does) and stops early once one
 *     reaches the lower bound.
 *  6. Every value takes its buffer's home and offset (plus slice offsets);
 *     views take their source's.
 * A guarded plan (plan_build_guarded) skips the concat slices of step 4
 * and replaces step 5 by one slot per buffer with redzones between. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"

bool plan_is_view(enum ir_op op)
{
	return (ir_op_table[op].flags & (IR_F_VIEW | IR_F_IDENTITY)) != 0;
}

bool plan_concat_slice(const struct plan *p, uint32_t v, uint32_t cat)
{
	return v < p->nvals && cat != IR_NONE && p->slice_of[v] == cat;
}

bool plan_concat_in_place(const struct plan *p, const struct ir_node *n)
{
	for (unsigned k = 0; k < n->nin; k++)
		if (!plan_concat_slice(p, n->in[k], n->out))
			return false;
	return n->op == IR_CONCAT;
}

static int64_t align_up(int64_t x)
{
	int64_t r;
	if (ckd_add_i64(&r, x, PLAN_ALIGN - 1))
		DLC_UNREACHABLE("plan size overflow");
	return r & ~(int64_t)(PLAN_ALIGN - 1);
}

static int64_t add_size(int64_t a, int64_t b)
{
	int64_t r;
	if (ckd_add_i64(&r, a, b))
		DLC_UNREACHABLE("plan size overflow");
	return r;
}

/* ---- lower bound: a sweep over interval ends ---- */

struct event {
	uint64_t at;
	int64_t delta; /* +size at first, -size after last */
};

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return (x->delta > y->delta) - (x->delta < y->delta); /* frees first */
}

int64_t plan_lower_bound(const struct plan_interval *iv, uint32_t n, struct arena *scratch)
{
	struct event *ev = arena_array(scratch, 2 * (size_t)n + 1, sizeof *ev);
	size_t m = 0;
	for (uint32_t i = 0; i < n; i++) {
		int64_t s = align_up(iv[i].bytes);
		ev[m++] = (struct event){ iv[i].first, s };
		ev[m++] = (struct event){ (uint64_t)iv[i].last + 1, -s };
	}
	qsort(ev, m, sizeof *ev, cmp_event);
	int64_t live = 0, best = 0;
	for (size_t i = 0; i < m; i++) {
		live = add_size(live, ev[i].delta);
		if (live > best)
			best = live;
	}
	return best;
}

/* ---- placement ---- */

enum fit {
	FIT_NONE,
	FIT_FIRST,     /* lowest free offset */
	FIT_BEST,      /* the smallest gap that holds it, else on top */
	FIT_TWO_SIDED, /* bottom if free at 0, else highest fit under the ceiling */
};

enum order { ORDER_NONE, ORDER_SIZE, ORDER_START };

struct range {
	int64_t lo, hi;
};

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return (x->lo > y->lo) - (x->lo < y->lo);
}

struct order_key {
	int64_t size;
	uint32_t first, idx;
};

static int cmp_by_size(const void *a, const void *b)
{
	const struct order_key *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_by_start(const void *a, const void *b)
{
	const struct order_key *x = a, *y = b;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return cmp_by_size(a, b);
}

struct placer {
	struct plan_interval *iv;
	uint32_t n;
	bool *placed;
	struct range *busy; /* the byte ranges in the way of one interval */
	int64_t ceiling;    /* FIT_TWO_SIDED: the lower bound */
};

static bool live_together(const struct plan_interval *a, const struct plan_interval *b)
{
	return a->first <= b->last && b->first <= a->last;
}

/* Byte ranges of the placed intervals live together with iv[k], by offset. */
static uint32_t busy_ranges(struct placer *pl, uint32_t k)
{
	uint32_t m = 0;
	for (uint32_t j = 0; j < pl->n; j++) {
		const struct plan_interval *o = &pl->iv[j];
		if (pl->placed[j] && o->bytes > 0 && live_together(o, &pl->iv[k])) {
			int64_t end = add_size(o->offset, align_up(o->bytes));
			pl->busy[m++] = (struct range){ o->offset, end };
		}
	}
	qsort(pl->busy, m, sizeof *pl->busy, cmp_range);
	return m;
}

/* Walks the gaps between busy ranges (the last one unbounded). */
static int64_t choose_offset(struct placer *pl, uint32_t k, enum fit fit)
{
	int64_t size = align_up(pl->iv[k].bytes);
	uint32_t m = busy_ranges(pl, k);
	int64_t cursor = 0, first = -1, best = -1, best_len = INT64_MAX, top = -1;
	for (uint32_t j = 0; j <= m; j++) {
		int64_t end = j < m ? pl->busy[j].lo : INT64_MAX;
		if (end - cursor >= size) {
			if (first < 0)
				first = cursor;
			if (j < m && end - cursor < best_len) {
				best = cursor;
				best_len = end - cursor;
			}
			int64_t high = (end < pl->ceiling ? end : pl->ceiling) - size;
			if (high >= cursor && high > top)
				top = high;
		}
		if (j < m && pl->busy[j].hi > cursor)
			cursor = pl->busy[j].hi;
	}
	switch (fit) {
	case FIT_FIRST:
		return first;
	case FIT_BEST:
		return best >= 0 ? best : cursor;
	case FIT_TWO_SIDED:
		return first == 0 || top < 0 ? first : top;
	case FIT_NONE:
		break;
	}
	DLC_UNREACHABLE("choose_offset: no fit rule");
}

static int64_t place_with(struct placer *pl, const struct order_key *order, enum fit fit)
{
	memset(pl->placed, 0, pl->n * sizeof *pl->placed);
	int64_t total = 0;
	for (uint32_t i = 0; i < pl->n; i++) {
		uint32_t k = order[i].idx;
		pl->iv[k].offset = choose_offset(pl, k, fit);
		pl->placed[k] = true;
		int64_t end = add_size(pl->iv[k].offset, align_up(pl->iv[k].bytes));
		if (end > total)
			total = end;
	}
	return total;
}

int64_t plan_place(struct plan_interval *iv, uint32_t n, struct arena *scratch)
{
	static const struct {
		enum order order;
		enum fit fit;
	} tries[] = {
		{ ORDER_SIZE, FIT_FIRST },      /* greedy by size */
		{ ORDER_START, FIT_TWO_SIDED }, /* optimal on chains */
		{ ORDER_SIZE, FIT_BEST },
		{ ORDER_START, FIT_FIRST },
		{ ORDER_SIZE, FIT_TWO_SIDED },
	};
	if (!n)
		return 0;
	struct placer pl = {
		.iv = iv,
		.n = n,
		.placed = arena_array(scratch, n, sizeof(bool)),
		.busy = arena_array(scratch, n, sizeof(struct range)),
		.ceiling = plan_lower_bound(iv, n, scratch),
	};
	struct order_key *by_size = arena_array(scratch, n, sizeof *by_size);
	struct order_key *by_start = arena_array(scratch, n, sizeof *by_start);
	for (uint32_t i = 0; i < n; i++) {
		DLC_ASSERT(iv[i].first <= iv[i].last && iv[i].bytes >= 0);
		by_size[i] = (struct order_key){ align_up(iv[i].bytes), iv[i].first, i };
		by_start[i] = by_size[i];
	}
	qsort(by_size, n, sizeof *by_size, cmp_by_size);
	qsort(by_start, n, sizeof *by_start, cmp_by_start);
	int64_t *best = arena_array(scratch, n, sizeof *best), best_total = -1;
	for (size_t t = 0; t < sizeof tries / sizeof tries[0] && best_total != pl.ceiling; t++) {
		int64_t total = place_with(&pl, tries[t].order == ORDER_SIZE ? by_size : by_start,
		                           tries[t].fit);
		if (best_total < 0 || total < best_total) {
			best_total = total;
			for (uint32_t i = 0; i < n; i++)
				best[i] = iv[i].offset;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		iv[i].offset = best[i];
	return best_total;
}

/* ---- the graph: homes, liveness, buffers ---- */

/* Storage shared by values: a node output and the elementwise results
 * computed over it in place (views need no buffer: they read their
 * root's). */
struct buf {
	enum plan_home home;
	uint32_t index;       /* OUTPUT: output number */
	uint32_t parent;      /* the buffer holding this one as a concat slice, or IR_NONE */
	uint32_t concat;      /* with parent: the concat's output value */
	int64_t at;           /* with parent: byte offset within it */
	int64_t bytes;
	uint32_t first, last; /* live range (schedule points) */
	int64_t offset;       /* byte offset within its home */
};

struct planner {
	struct ir_graph *g;
	struct plan *p;
	struct arena *tmp;
	uint32_t *root; /* per value: the value whose bytes it is (through views) */
	uint32_t *need; /* per root value: last point any view of it is read */
	uint32_t *buf;  /* per value: its buffer, or IR_NONE */
	struct buf *bufs;
	uint32_t nbufs;
	bool guarded;   /* plan_build_guarded */
	struct arena *out; /* the plan's arena */
};

static void plan_weight(struct ir_graph *g, struct plan *p, uint32_t w)
{
	if (w == IR_NONE || p->home[w] != PLAN_HOME_NONE)
		return;
	DLC_ASSERT(g->vals[w].kind == IR_VAL_CONST && g->vals[w].data);
	p->home[w] = PLAN_HOME_WEIGHTS;
	p->offset[w] = p->weights_bytes;
	int64_t bytes = add_size(align_up(ir_type_bytes(&g->vals[w].type)), p->redzone);
	p->weights_bytes = add_size(p->weights_bytes, bytes);
}

/* Parameters, and constants read as activations (binary(x, @c)), in order
 * of first use; a constant that is a model output too. */
static void plan_weights(struct ir_graph *g, struct plan *p)
{
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = &g->nodes[i];
		for (unsigned k = 0; k < IR_MAX_PARAMS; k++)
			plan_weight(g, p, n->param[k]);
		for (unsigned k = 0; k < n->nin; k++)
			if (g->vals[n->in[k]].kind == IR_VAL_CONST)
				plan_weight(g, p, n->in[k]);
	}
	for (uint32_t i = 0; i < g->noutputs; i++)
		if (g->vals[g->outputs[i]].kind == IR_VAL_CONST)
			plan_weight(g, p, g->outputs[i]);
}

static void claim_outputs(struct planner *pl)
{
	struct ir_graph *g = pl->g;
	for (uint32_t i = 0; i < g->noutputs; i++) {
		uint32_t r = pl->root[g->outputs[i]];
		if (g->vals[r].kind == IR_VAL_NODE && pl->p->home[r] == PLAN_HOME_NONE) {
			pl->p->home[r] = PLAN_HOME_OUTPUT;
			pl->p->index[r] = i;
		}
	}
}

static void liveness(struct planner *pl)
{
	struct ir_graph *g = pl->g;
	struct plan *p = pl->p;
	for (uint32_t v = 0; v < g->nvals; v++)
		pl->root[v] = v;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = &g->nodes[i];
		for (unsigned k = 0; k < n->nin; k++)
			p->last[n->in[k]] = i;
		p->first[n->out] = p->last[n->out] = i;
		if (plan_is_view(n->op))
			pl->root[n->out] = pl->root[n->in[0]];
	}
	for (uint32_t i = 0; i < g->noutputs; i++)
		p->last[g->outputs[i]] = g->nnodes;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		uint32_t v = g->nodes[i].out, r = pl->root[v];
		if (p->last[v] > pl->need[r])
			pl->need[r] = p->last[v];
	}
}

static uint32_t new_buf(struct planner *pl, uint32_t v, uint32_t node)
{
	uint32_t b = pl->nbufs++;
	bool out = pl->p->home[v] == PLAN_HOME_OUTPUT;
	pl->bufs[b] = (struct buf){
		.home = out ? PLAN_HOME_OUTPUT : PLAN_HOME_SCRATCH,
		.index = pl->p->index[v],
		.parent = IR_NONE,
		.concat = IR_NONE,
		.bytes = ir_type_bytes(&pl->g->vals[v].type),
		.first = node,
		.last = pl->need[v],
	};
	pl->buf[v] = b;
	return b;
}

/* The buffer of u if it is a whole scratch buffer of `bytes` bytes that
 * nothing reads after node i; else IR_NONE. */
static uint32_t dying_buffer(const struct planner *pl, uint32_t u, uint32_t i, int64_t bytes)
{
	uint32_t b = pl->buf[u];
	if (b == IR_NONE)
		return IR_NONE;
	const struct buf *x = &pl->bufs[b];
	if (x->home != PLAN_HOME_SCRATCH || x->parent != IR_NONE || x->last != i ||
	    x->bytes != bytes)
		return IR_NONE;
	return b;
}

/* Elementwise node i: reuse a dying input's buffer. */
static bool plan_in_place(struct planner *pl, uint32_t i)
{
	const struct ir_node *n = &pl->g->nodes[i];
	struct plan *p = pl->p;
	uint32_t v = n->out;
	int64_t bytes = ir_type_bytes(&pl->g->vals[v].type);
	for (unsigned k = 0; k < n->nin; k++) {
		uint32_t b = dying_buffer(pl, n->in[k], i, bytes);
		if (b == IR_NONE)
			continue;
		if (p->home[v] == PLAN_HOME_OUTPUT) {
			pl->bufs[b].home = PLAN_HOME_OUTPUT;
			pl->bufs[b].index = p->index[v];
		}
		pl->buf[v] = b;
		if (pl->need[v] > pl->bufs[b].last)
			pl->bufs[b].last = pl->need[v];
		p->share[v] = PLAN_SHARE_IN_PLACE;
		p->source[v] = n->in[k];
		return true;
	}
	return false;
}

/* Inputs of n whose bytes are v's: v itself or a view of it. */
static unsigned count_in(const struct planner *pl, const struct ir_node *n, uint32_t v)
{
	unsigned c = 0;
	for (unsigned k = 0; k < n->nin; k++)
		c += pl->root[n->in[k]] == v;
	return c;
}

/* Concat node i: inputs that die here become slices of its buffer. An
 * input given twice, or given also through a view (reshape), stays out (it
 * has one buffer but needs two slices; a view would pass for a slice it
 * is not); earlier readers are fine: they read the slice. */
static void plan_slices(struct planner *pl, uint32_t i)
{
	const struct ir_node *n = &pl->g->nodes[i];
	const struct ir_type *t = &pl->g->vals[n->out].type;
	int axis = n->attr.axis.axis;
	DLC_ASSERT(axis >= 0 && axis < t->rank);
	int64_t outer = 1, inner = (int64_t)ir_dtype_size(t->dtype), at = 0;
	for (int k = 0; k < axis; k++)
		outer *= t->dims[k];
	for (int k = axis + 1; k < t->rank; k++)
		inner *= t->dims[k];
	if (outer != 1)
		return; /* strided slices: the concat copies */
	for (unsigned k = 0; k < n->nin; k++) {
		uint32_t u = n->in[k];
		const struct ir_value *x = &pl->g->vals[u];
		uint32_t b = dying_buffer(pl, u, i, ir_type_bytes(&x->type));
		if (b != IR_NONE && at % PLAN_ALIGN == 0 && x->kind == IR_VAL_NODE &&
		    pl->root[u] == u && count_in(pl, n, u) == 1) {
			pl->bufs[b].parent = pl->buf[n->out];
			pl->bufs[b].concat = n->out;
			pl->bufs[b].at = at;
		}
		at += x->type.dims[axis] * inner;
	}
}

static void plan_buffers(struct planner *pl)
{
	struct plan *p = pl->p;
	for (uint32_t i = 0; i < pl->g->nnodes; i++) {
		const struct ir_node *n = &pl->g->nodes[i];
		if (plan_is_view(n->op)) {
			pl->buf[n->out] = pl->buf[n->in[0]];
			p->share[n->out] = PLAN_SHARE_VIEW;
			p->source[n->out] = n->in[0];
			continue;
		}
		if (!(ir_op_table[n->op].flags & IR_F_ELEMENTWISE) || !plan_in_place(pl, i))
			new_buf(pl, n->out, i);
		if (n->op == IR_CONCAT && !pl->guarded)
			plan_slices(pl, i);
	}
}

/* One slot per interval, in order, each after a redzone, and a redzone
 * after the last; the plan's regions are the slots' exact bytes, so the
 * alignment padding at a slot's end is guarded too. */
static void place_guarded(struct plan *p, struct plan_interval *iv, uint32_t n, struct arena *a)
{
	p->regions = arena_array(a, n ? n : 1, sizeof *p->regions);
	p->nregions = n;
	int64_t at = p->redzone;
	for (uint32_t k = 0; k < n; k++) {
		iv[k].offset = at;
		p->regions[k] = (struct plan_region){ at, iv[k].bytes };
		at = add_size(add_size(at, align_up(iv[k].bytes)), p->redzone);
	}
	p->scratch_bytes = n ? at : 0;
}

/* Places the top-level scratch buffers, then resolves slices (a slice's
 * buffer is always older, so has a smaller number, than its parent). */
static void place_buffers(struct planner *pl)
{
	for (uint32_t b = 0; b < pl->nbufs; b++) {
		struct buf *x = &pl->bufs[b];
		if (x->parent == IR_NONE)
			continue;
		struct buf *up = &pl->bufs[x->parent];
		DLC_ASSERT(x->parent > b);
		up->first = x->first < up->first ? x->first : up->first;
		up->last = x->last > up->last ? x->last : up->last;
	}
	uint32_t cap = pl->nbufs + pl->g->nnodes + 1;
	struct plan_interval *iv = arena_array(pl->tmp, cap, sizeof *iv);
	uint32_t *which = arena_array(pl->tmp, cap, sizeof *which), n = 0;
	for (uint32_t b = 0; b < pl->nbufs; b++) {
		const struct buf *x = &pl->bufs[b];
		if (x->parent == IR_NONE && x->home == PLAN_HOME_SCRATCH) {
			iv[n] = (struct plan_interval){ x->bytes, x->first, x->last, 0 };
			which[n++] = b;
		}
	}
	uint32_t nb = n; /* then the workspaces: which[] holds node numbers */
	for (uint32_t i = 0; i < pl->g->nnodes; i++) {
		int64_t ws = plan_workspace_bytes(pl->g, &pl->g->nodes[i]);
		if (ws > 0) {
			iv[n] = (struct plan_interval){ ws, i, i, 0 };
			which[n++] = i;
		}
	}
	pl->p->lower_bound = plan_lower_bound(iv, n, pl->tmp);
	if (pl->guarded)
		place_guarded(pl->p, iv, n, pl->out);
	else
		pl->p->scratch_bytes = plan_place(iv, n, pl->tmp);
	for (uint32_t k = 0; k < nb; k++)
		pl->bufs[which[k]].offset = iv[k].offset;
	for (uint32_t k = nb; k < n; k++)
		pl->p->workspace[which[k]] = iv[k].offset;
	for (uint32_t b = pl->nbufs; b-- > 0;) {
		struct buf *x = &pl->bufs[b];
		if (x->parent == IR_NONE)
			continue;
		const struct buf *up = &pl->bufs[x->parent];
		x->home = up->home;
		x->index = up->index;
		x->offset = add_size(up->offset, x->at);
	}
}

static void resolve_values(struct planner *pl)
{
	struct ir_graph *g = pl->g;
	struct plan *p = pl->p;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		uint32_t v = g->nodes[i].out, src = g->nodes[i].in[0];
		if (plan_is_view(g->nodes[i].op)) {
			p->home[v] = p->home[src];
			p->index[v] = p->index[src];
			p->offset[v] = p->offset[src];
			p->slice_of[v] = p->slice_of[src];
			continue;
		}
		const struct buf *x = &pl->bufs[pl->buf[v]];
		p->home[v] = x->home;
		p->index[v] = x->index;
		p->offset[v] = x->offset;
		p->slice_of[v] = x->concat;
	}
}

static struct plan *build(struct ir_graph *g, struct arena *a, bool guarded)
{
	size_t nv = g->nvals ? g->nvals : 1;
	struct plan *p = arena_alloc(a, sizeof *p);
	p->nvals = g->nvals;
	p->home = arena_array(a, nv, sizeof *p->home);
	p->index = arena_array(a, nv, sizeof *p->index);
	p->offset = arena_array(a, nv, sizeof *p->offset);
	p->share = arena_array(a, nv, sizeof *p->share);
	p->source = arena_array(a, nv, sizeof *p->source);
	p->slice_of = arena_array(a, nv, sizeof *p->slice_of);
	p->first = arena_array(a, nv, sizeof *p->first);
	p->last = arena_array(a, nv, sizeof *p->last);
	for (uint32_t v = 0; v < g->nvals; v++)
		p->source[v] = p->slice_of[v] = IR_NONE;
	p->workspace = arena_array(a, g->nnodes ? g->nnodes : 1, sizeof *p->workspace);
	for (uint32_t i = 0; i < g->nnodes; i++)
		p->workspace[i] = -1;
	for (uint32_t i = 0; i < g->ninputs; i++) {
		p->home[g->inputs[i]] = PLAN_HOME_INPUT;
		p->index[g->inputs[i]] = i;
	}
	p->redzone = guarded ? PLAN_REDZONE : 0;
	plan_weights(g, p);

	struct arena tmp = { 0 };
	struct planner pl = {
		.g = g,
		.p = p,
		.tmp = &tmp,
		.root = arena_array(&tmp, nv, sizeof(uint32_t)),
		.need = arena_array(&tmp, nv, sizeof(uint32_t)),
		.buf = arena_array(&tmp, nv, sizeof(uint32_t)),
		.bufs = arena_array(&tmp, g->nnodes + 1, sizeof(struct buf)),
		.guarded = guarded,
		.out = a,
	};
	for (uint32_t v = 0; v < g->nvals; v++)
		pl.buf[v] = IR_NONE;
	liveness(&pl);
	claim_outputs(&pl);
	plan_buffers(&pl);
	place_buffers(&pl);
	resolve_values(&pl);
	arena_free(&tmp);
	return p;
}

struct plan *plan_build(struct ir_graph *g, struct arena *a)
{
	return build(g, a, false);
}

struct plan *plan_build_guarded(struct ir_graph *g, struct arena *a)
{
	return build(g, a, true);
}

int64_t plan_rnn_layout(const struct ir_graph *g, const struct ir_node *n, int64_t *proj,
                        int64_t *gates, int64_t *h, int64_t *c)
{
	DLC_ASSERT(n->op == IR_LSTM || n->op == IR_GRU);
	const struct ir_type *x = &g->vals[n->in[0]].type;
	DLC_ASSERT(x->rank == 3);
	int64_t units = n->attr.rnn.units, gh = (n->op == IR_LSTM ? 4 : 3) * units;
	int64_t rows, projn;
	/* N*T*G*H floats cannot overflow: shape inference bounds every tensor,
	 * and the output [N, T, H] is one (times G <= 4). */
	if (ckd_mul_i64(&rows, x->dims[0], x->dims[1]) || ckd_mul_i64(&projn, rows, gh * 4))
		DLC_UNREACHABLE("plan size overflow");
	*proj = 0;
	*gates = align_up(projn);
	*h = add_size(*gates, align_up(gh * 4));
	*c = add_size(*h, align_up(units * 4));
	return add_size(*c, n->op == IR_LSTM ? align_up(units * 4) : 0);
}

int64_t plan_attention_kt_bytes(int64_t dk, int64_t sk)
{
	return align_up(dk * ((sk + ATTN_PAD - 1) / ATTN_PAD * ATTN_PAD) * 4);
}

int64_t plan_workspace_bytes(const struct ir_graph *g, const struct ir_node *n)
{
	int64_t proj, gates, h, c;
	if (n->kernel == IR_KERNEL_WINOGRAD) {
		/* V [E, mc, C] then M [E, mc, K], rows padded to whole vectors
		 * (backend/lower_winograd.c); E = (m + 2)^2. All factors are small:
		 * E <= 36, mc a few dozen tiles, C and K bounded by the weights. */
		const struct ir_tile *t = &n->attr.conv.tile;
		int64_t e = (int64_t)(t->winograd + 2) * (t->winograd + 2);
		int64_t cin = g->vals[n->in[0]].type.dims[3], kout = g->vals[n->out].type.dims[3];
		int64_t cs = (cin + t->vec - 1) / t->vec * t->vec;
		int64_t ks = (kout + t->vec - 1) / t->vec * t->vec;
		return add_size(align_up(e * t->mc * cs * 4), e * t->mc * ks * 4);
	}
	if (n->op == IR_ATTENTION) {
		/* every factor is bounded by an input tensor's size */
		const struct ir_type *k = &g->vals[n->in[1]].type;
		int64_t sk = k->dims[k->rank - 2], dk = k->dims[k->rank - 1] / n->attr.attention.heads;
		int64_t skp = (sk + ATTN_PAD - 1) / ATTN_PAD * ATTN_PAD;
		return add_size(plan_attention_kt_bytes(dk, sk), ATTN_MR_MAX * skp * 4);
	}
	if (n->op != IR_LSTM && n->op != IR_GRU)
		return 0;
	return plan_rnn_layout(g, n, &proj, &gates, &h, &c);
}

uint8_t *plan_weights_image(struct ir_graph *g, const struct plan *p, struct arena *a)
{
	if (!p->weights_bytes)
		return NULL;
	uint8_t *img = arena_alloc(a, (size_t)p->weights_bytes);
	for (uint32_t v = 0; v < g->nvals; v++) {
		/* views of a constant (a reshape of it) share its bytes */
		if (p->home[v] != PLAN_HOME_WEIGHTS || g->vals[v].kind != IR_VAL_CONST)
			continue;
		int64_t bytes = ir_type_bytes(&g->vals[v].type);
		memcpy(img + p->offset[v], g->vals[v].data, (size_t)bytes);
	}
	return img;
}
