/* mem_report.c - the memory plan as a table (see mem_report.h).
 *
 * Rows are formatted into strings first so that every column can be as
 * wide as its widest cell: text columns left-aligned, numbers right-aligned,
 * two spaces between columns and no trailing blanks. */
#include "mem_report.h"

#include <inttypes.h>
#include <string.h>

#include "arena.h"
#include "check.h"

enum { COL_NUM, COL_LAYER, COL_OP, COL_SHAPE, COL_BYTES, COL_LIVE, COL_OFFSET, COL_NOTE, COL_MACS,
       COL_KERNEL, NCOLS };

static const char *const col_head[NCOLS] = { "#", "layer", "op", "output shape", "bytes",
	                                     "live", "offset", "note", "MACs", "kernel" };
static const bool col_right[NCOLS] = { [COL_NUM] = true, [COL_BYTES] = true, [COL_MACS] = true };

static int64_t mul_sat(int64_t a, int64_t b)
{
	int64_t r;
	return ckd_mul_i64(&r, a, b) ? INT64_MAX : r;
}

int64_t mem_report_macs(const struct ir_graph *g, const struct ir_node *n)
{
	const struct ir_type *x = &g->vals[n->in[0]].type, *y = &g->vals[n->out].type;
	if (n->op == IR_DENSE && x->rank >= 1)
		return mul_sat(ir_type_numel(y), x->dims[x->rank - 1]);
	if (n->op == IR_MATMUL && x->rank >= 1) /* every output sums over a's last axis */
		return mul_sat(ir_type_numel(y), x->dims[x->rank - 1]);
	if (n->op == IR_ATTENTION) {
		/* per batch row, query and key: H*dk products for the scores of
		 * all heads, H*dv for the weighted sums */
		const struct ir_type *k = &g->vals[n->in[1]].type;
		int64_t sk = k->dims[k->rank - 2];
		int64_t qk = mul_sat(ir_type_numel(x), sk);
		return mul_sat(ir_type_numel(y), sk) + qk;
	}
	if ((n->op == IR_LSTM || n->op == IR_GRU) && x->rank == 3) {
		/* per batch row and step: G*H outputs of the input and the
		 * recurrent product, over F and H inputs */
		int64_t gates = n->op == IR_LSTM ? 4 : 3, h = n->attr.rnn.units;
		int64_t per_step = mul_sat(mul_sat(gates, h), x->dims[2] + h);
		return mul_sat(mul_sat(x->dims[0], x->dims[1]), per_step);
	}
	if (n->op != IR_CONV2D || x->rank != 4)
		return 0;
	const struct ir_conv_attr *a = &n->attr.conv;
	int64_t c = x->dims[a->layout == IR_LAYOUT_NCHW ? 1 : 3];
	int64_t groups = a->groups ? a->groups : 1;
	int64_t per_out = mul_sat(mul_sat(c / groups, a->kernel[0]), a->kernel[1]);
	return mul_sat(ir_type_numel(y), per_out);
}

static uint32_t view_root(const struct plan *p, uint32_t v)
{
	while (p->share[v] == PLAN_SHARE_VIEW)
		v = p->source[v];
	return v;
}

int64_t mem_report_no_reuse_bytes(const struct ir_graph *g, const struct plan *p)
{
	int64_t sum = 0;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		uint32_t v = g->nodes[i].out;
		bool is_output = false;
		for (uint32_t k = 0; k < g->noutputs && !is_output; k++)
			is_output = view_root(p, g->outputs[k]) == v;
		/* a node's own workspace (lstm, gru) needs a slot as well */
		int64_t b = plan_workspace_bytes(g, &g->nodes[i]);
		b = (b + PLAN_ALIGN - 1) & ~(int64_t)(PLAN_ALIGN - 1);
		if (ckd_add_i64(&sum, sum, b))
			return INT64_MAX;
		if (plan_is_view(g->nodes[i].op) || is_output)
			continue;
		b = ir_type_bytes(&g->vals[v].type);
		b = (b + PLAN_ALIGN - 1) & ~(int64_t)(PLAN_ALIGN - 1);
		if (ckd_add_i64(&sum, sum, b))
			return INT64_MAX;
	}
	return sum;
}

static const char *where(struct arena *a, const struct plan *p, uint32_t v)
{
	switch (p->home[v]) {
	case PLAN_HOME_SCRATCH:
		return arena_printf(a, "%" PRId64, p->offset[v]);
	case PLAN_HOME_OUTPUT:
	case PLAN_HOME_INPUT: {
		const char *at = p->offset[v] ? arena_printf(a, "+%" PRId64, p->offset[v]) : "";
		const char *kind = p->home[v] == PLAN_HOME_OUTPUT ? "output" : "input";
		return arena_printf(a, "%s %" PRIu32 "%s", kind, p->index[v], at);
	}
	case PLAN_HOME_WEIGHTS:
		return "weights";
	case PLAN_HOME_NONE:
		break;
	}
	return "-";
}

static const char *note(struct arena *a, const struct ir_graph *g, const struct plan *p, uint32_t v)
{
	const char *s = "";
	if (p->share[v] == PLAN_SHARE_VIEW)
		s = arena_printf(a, "view of %s", g->vals[p->source[v]].name);
	else if (p->share[v] == PLAN_SHARE_IN_PLACE)
		s = arena_printf(a, "in place of %s", g->vals[p->source[v]].name);
	if (p->slice_of[v] != IR_NONE && p->share[v] != PLAN_SHARE_VIEW)
		s = arena_printf(a, "%s%sconcat slice of %s", s, *s ? ", " : "",
		                 g->vals[p->slice_of[v]].name);
	return s;
}

static void row_cells(struct arena *a, struct ir_graph *g, const struct plan *p, uint32_t i,
                      const char **cell)
{
	const struct ir_node *n = &g->nodes[i];
	uint32_t v = n->out;
	char buf[256];
	cell[COL_NUM] = arena_printf(a, "%" PRIu32, i);
	cell[COL_LAYER] = n->name;
	cell[COL_OP] = ir_op_table[n->op].name;
	cell[COL_SHAPE] = arena_strdup(a, ir_type_str(&g->vals[v].type, buf, sizeof buf));
	cell[COL_BYTES] = arena_printf(a, "%" PRId64, ir_type_bytes(&g->vals[v].type));
	cell[COL_LIVE] = p->last[v] >= g->nnodes
		? arena_printf(a, "%" PRIu32 "..end", p->first[v])
		: arena_printf(a, "%" PRIu32 "..%" PRIu32, p->first[v], p->last[v]);
	cell[COL_OFFSET] = where(a, p, v);
	cell[COL_NOTE] = note(a, g, p, v);
	cell[COL_MACS] = arena_printf(a, "%" PRId64, mem_report_macs(g, n));
	/* the kernel the passes chose (ir.h enum ir_kernel), for the layers
	 * that have a choice */
	cell[COL_KERNEL] = n->op == IR_CONV2D || n->op == IR_DENSE ? ir_kernel_name(n->kernel) : "";
}

static void print_row(FILE *out, const char *const *cell, const int *width)
{
	int last = NCOLS - 1;
	for (int k = 0; k < NCOLS; k++) {
		/* no trailing blanks before an empty last cell */
		const char *sep = k == last ? "\n" : k == last - 1 && !*cell[last] ? "" : "  ";
		if (col_right[k])
			fprintf(out, "%*s%s", width[k], cell[k], sep);
		else if (k == last)
			fprintf(out, "%s%s", cell[k], sep);
		else
			fprintf(out, "%-*s%s", width[k], cell[k], sep);
	}
}

static void print_totals(FILE *out, struct ir_graph *g, const struct plan *p)
{
	int64_t macs = 0;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		int64_t m = mem_report_macs(g, &g->nodes[i]);
		macs = ckd_add_i64(&macs, macs, m) ? INT64_MAX : macs;
	}
	fprintf(out, "\nscratch (plan)    %" PRId64 " bytes\n", p->scratch_bytes);
	fprintf(out, "lower bound       %" PRId64 " bytes\n", p->lower_bound);
	if (p->lower_bound)
		fprintf(out, "plan/lower bound  %.3f\n",
		        (double)p->scratch_bytes / (double)p->lower_bound);
	else
		fprintf(out, "plan/lower bound  -\n");
	fprintf(out, "no reuse          %" PRId64 " bytes (every intermediate in its own slot)\n",
	        mem_report_no_reuse_bytes(g, p));
	fprintf(out, "MACs              %" PRId64 "\n", macs);
	fprintf(out, "weights           %" PRId64 " bytes\n", p->weights_bytes);
}

void mem_report_print(struct ir_graph *g, const struct plan *p, FILE *out)
{
	struct arena a = { 0 };
	const char **cells = arena_array(&a, ((size_t)g->nnodes + 1) * NCOLS, sizeof *cells);
	int width[NCOLS];
	memcpy(cells, col_head, sizeof col_head);
	for (uint32_t i = 0; i < g->nnodes; i++)
		row_cells(&a, g, p, i, cells + (size_t)(i + 1) * NCOLS);
	for (int k = 0; k < NCOLS; k++) {
		width[k] = 0;
		for (uint32_t r = 0; r <= g->nnodes; r++) {
			int w = (int)strlen(cells[(size_t)r * NCOLS + k]);
			width[k] = w > width[k] ? w : width[k];
		}
	}
	fprintf(out, "memory plan of '%s' (schedule order; offsets in bytes, 64-byte aligned)\n",
	        g->name);
	for (uint32_t r = 0; r <= g->nnodes; r++)
		print_row(out, cells + (size_t)r * NCOLS, width);
	print_totals(out, g, p);
	arena_free(&a);
}
