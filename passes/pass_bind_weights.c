/* pass_bind_weights.c - gives every parameter constant its data.
 *
 * Runs after shape inference, which typed each parameter in PyTorch layout
 * (conv [O, I/groups, KH, KW], dense [out, in], bias and batchnorm [C]).
 *   weights "f.safetensors" [pytorch|keras]: the file is loaded and checked
 *     (safetensors.c); each parameter looks up its key, dtype and shape are
 *     checked (Keras files hold conv kernels as [KH, KW, I/groups, O] and
 *     dense kernels as [in, out], transposed here), and the data is copied
 *     into 64-byte aligned arena memory. Tensors no layer reads are errors,
 *     except PyTorch's "<bn>.num_batches_tracked" counters. Keras
 *     recurrent layers are converted (keras_rnn_copy): kernels transposed
 *     and GRU gates reordered from z, r, h to r, z, n; the one Keras bias
 *     fills both bias slots (LSTM: bias_hh = 0; GRU: rows 0 and 1 of
 *     [2, 3H], reset_after=True).
 *   weights random(seed=S): deterministic values (weights_random.h).
 *   no weights statement: an error if any layer has parameters.
 * All errors are reported, in source order; the file image lives in the
 * pass's scratch arena and is dropped after the pass. */
#include <inttypes.h>
#include <string.h>

#include "check.h"
#include "pass.h"
#include "pathcheck.h"
#include "safetensors.h"
#include "weights_random.h"

#define BIND_MAX_BYTES ((int64_t)16 << 30) /* all weights of one model */
#define BIND_MAX_UNUSED_LISTED 10          /* unused tensors named one by one */
#define BIND_SUGGEST_BUDGET 50000000       /* edit-distance cells for did-you-mean */

/* The parameters of the graph in source order: each constant once, with
 * the first node that reads it and the slot it fills there; slot
 * BIND_ACTIVATION marks a constant read as an activation input (a
 * `constant` statement of the language), located at its own statement. */
struct bind_param {
	uint32_t val, node;
	unsigned slot;
};
#define BIND_ACTIVATION IR_MAX_PARAMS

struct binder {
	struct pass_ctx *ctx;
	struct ir_graph *g;
	struct diag *d;
	struct bind_param *params;
	uint32_t nparams;
	struct st_file file;
	bool hinted_convention; /* the "other convention" note was printed */
	bool hinted_layout;     /* the keras layout note was printed */
	long long suggest_budget;
};

static void collect_params(struct binder *b)
{
	struct ir_graph *g = b->g;
	bool *seen = arena_array(b->ctx->scratch, g->nvals, sizeof *seen);
	b->params = arena_array(b->ctx->scratch, g->nvals, sizeof *b->params);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const struct ir_node *n = &g->nodes[i];
		for (unsigned s = 0; s < IR_MAX_PARAMS; s++) {
			uint32_t v = n->param[s];
			if (v == IR_NONE || seen[v])
				continue;
			seen[v] = true;
			DLC_ASSERT(g->vals[v].kind == IR_VAL_CONST);
			if (g->vals[v].data)
				continue;
			b->params[b->nparams++] = (struct bind_param){ v, i, s };
		}
		for (unsigned k = 0; k < n->nin; k++) {
			uint32_t v = n->in[k];
			if (g->vals[v].kind != IR_VAL_CONST || seen[v])
				continue;
			seen[v] = true;
			if (!g->vals[v].data)
				b->params[b->nparams++] = (struct bind_param){ v, i, BIND_ACTIVATION };
		}
	}
}

/* Where errors about parameter p point: its layer, or its own statement. */
static struct src_span param_loc(const struct binder *b, const struct bind_param *p)
{
	return p->slot == BIND_ACTIVATION ? b->g->vals[p->val].loc : b->g->nodes[p->node].loc;
}

static const struct ir_type *weight_type(struct ir_graph *g, const struct bind_param *p)
{
	uint32_t w = g->nodes[p->node].param[0];
	return w == IR_NONE ? NULL : &g->vals[w].type;
}

/* Keras stores conv and dense kernels transposed relative to PyTorch. */
static bool keras_transposed(struct binder *b, const struct bind_param *p)
{
	enum ir_op op = b->g->nodes[p->node].op;
	return b->g->weights.convention == IR_CONV_KERAS && p->slot == 0 &&
	       (op == IR_CONV2D || op == IR_CONV_TRANSPOSE || op == IR_DENSE);
}

/* A parameter of a recurrent layer under the Keras convention. */
static bool keras_rnn(struct binder *b, const struct bind_param *p)
{
	enum ir_op op = b->g->nodes[p->node].op;
	return b->g->weights.convention == IR_CONV_KERAS && (op == IR_LSTM || op == IR_GRU) &&
	       p->slot != BIND_ACTIVATION;
}

/* Keras gate k's block for PyTorch gate k: GRU z, r, h -> r, z, n. */
static int64_t keras_gate(enum ir_op op, int64_t k)
{
	return op == IR_GRU && k < 2 ? 1 - k : k;
}

/* Fills the IR data of Keras recurrent parameter p (slot 0, 1 or 2; slot
 * 2 also fills slot 3's constant `bias3`) from file tensor t, whose shape
 * was checked. IR layout: rows gate-major in PyTorch order. */
static void keras_rnn_copy(struct binder *b, const struct bind_param *p,
                           const struct st_tensor *t, float *dst, float *bias3)
{
	enum ir_op op = b->g->nodes[p->node].op;
	int64_t gates = op == IR_LSTM ? 4 : 3;
	int64_t units = b->g->nodes[p->node].attr.rnn.units, rows = gates * units;
	const unsigned char *src = t->data;
	if (p->slot < 2) { /* [C, G*H] -> [G*H, C] */
		int64_t cols = t->dims[0];
		for (int64_t k = 0; k < gates; k++)
			for (int64_t j = 0; j < units; j++)
				for (int64_t c = 0; c < cols; c++) {
					int64_t from = c * rows + keras_gate(op, k) * units + j;
					memcpy(&dst[(k * units + j) * cols + c], src + from * 4, 4);
				}
		return;
	}
	for (int64_t k = 0; k < gates; k++)
		for (int64_t j = 0; j < units; j++) {
			int64_t from = keras_gate(op, k) * units + j, to = k * units + j;
			memcpy(&dst[to], src + from * 4, 4);
			if (op == IR_GRU)
				memcpy(&bias3[to], src + (rows + from) * 4, 4);
			else
				bias3[to] = 0.0f;
		}
}

/* perm[k] = the file axis that becomes IR axis k. */
static void keras_perm(enum ir_op op, unsigned *perm)
{
	/* conv [kh, kw, in, out] -> [out, in, kh, kw]; conv_transpose (Keras
	 * Conv2DTranspose) [kh, kw, out, in] -> [in, out, kh, kw] alike */
	static const unsigned conv[4] = { 3, 2, 0, 1 }, dense[2] = { 1, 0 };
	bool c = op == IR_CONV2D || op == IR_CONV_TRANSPOSE;
	memcpy(perm, c ? conv : dense, (c ? 4 : 2) * sizeof *perm);
}

/* The dims the file must hold for parameter p; returns the rank. */
static unsigned file_dims(struct binder *b, const struct bind_param *p, int64_t *dims)
{
	const struct ir_type *t = &b->g->vals[p->val].type;
	if (keras_rnn(b, p) && p->slot < 2) {
		dims[0] = t->dims[1];
		dims[1] = t->dims[0];
		return 2;
	}
	if (keras_rnn(b, p) && b->g->nodes[p->node].op == IR_GRU) {
		dims[0] = 2;
		dims[1] = t->dims[0];
		return 2;
	}
	if (!keras_transposed(b, p)) {
		memcpy(dims, t->dims, t->rank * sizeof *dims);
		return t->rank;
	}
	unsigned perm[IR_MAX_RANK];
	keras_perm(b->g->nodes[p->node].op, perm);
	for (unsigned k = 0; k < t->rank; k++)
		dims[perm[k]] = t->dims[k];
	return t->rank;
}

/* dst axis k takes src axis perm[k]; elements of esize bytes. */
static void permute_copy(unsigned char *dst, const unsigned char *src, size_t esize,
                         unsigned rank, const int64_t *src_dims, const unsigned *perm)
{
	int64_t sstride[IR_MAX_RANK], dims[IR_MAX_RANK], stride[IR_MAX_RANK], idx[IR_MAX_RANK];
	int64_t n = 1;
	for (unsigned k = rank; k-- > 0;) {
		sstride[k] = n;
		n *= src_dims[k];
	}
	for (unsigned k = 0; k < rank; k++) {
		dims[k] = src_dims[perm[k]];
		stride[k] = sstride[perm[k]];
		idx[k] = 0;
	}
	int64_t off = 0;
	for (int64_t i = 0; i < n; i++) {
		memcpy(dst + (size_t)i * esize, src + (size_t)off * esize, esize);
		for (unsigned k = rank; k-- > 0;) {
			off += stride[k];
			if (++idx[k] < dims[k])
				break;
			off -= stride[k] * dims[k];
			idx[k] = 0;
		}
	}
}

/* "[2, 3, 3, 3]" (truncated to n bytes) */
static void fmt_dims(char *buf, size_t n, const int64_t *dims, unsigned rank)
{
	int w = snprintf(buf, n, "[");
	size_t len = w > 0 ? (size_t)w : 0;
	for (unsigned i = 0; i < rank && len < n; i++) {
		w = snprintf(buf + len, n - len, "%s%" PRId64, i ? ", " : "", dims[i]);
		len += w > 0 ? (size_t)w : 0;
	}
	if (len < n)
		snprintf(buf + len, n - len, "]");
}

/* Levenshtein distance, or SIZE_MAX when it exceeds max (or the strings are
 * too long to bother). */
static size_t edit_distance(const char *a, const char *b, size_t max)
{
	enum { LONGEST = 256 };
	size_t la = strlen(a), lb = strlen(b);
	if (la > LONGEST || lb > LONGEST || (la > lb ? la - lb : lb - la) > max)
		return SIZE_MAX;
	size_t row[LONGEST + 1];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0], best = row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t v = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > max)
			return SIZE_MAX;
	}
	return row[lb] <= max ? row[lb] : SIZE_MAX;
}

/* The weight's key under the other convention ("conv1.weight" <->
 * "conv1.kernel"), if the two differ. */
static const char *other_convention_key(struct binder *b, const struct bind_param *p)
{
	enum ir_op op = b->g->nodes[p->node].op;
	const struct ir_param_info *info =
	    p->slot == BIND_ACTIVATION ? NULL : ir_param_info(op, p->slot);
	if (!info || op == IR_LSTM || op == IR_GRU) /* keys differ by more than a suffix */
		return NULL;
	bool keras = b->g->weights.convention == IR_CONV_KERAS;
	const char *mine = keras ? info->keras : info->pytorch;
	const char *other = keras ? info->pytorch : info->keras;
	const char *name = b->g->vals[p->val].name;
	size_t n = strlen(name), m = strlen(mine);
	if (!strcmp(mine, other) || n <= m || name[n - m - 1] != '.' || strcmp(name + n - m, mine))
		return NULL;
	return arena_printf(b->ctx->scratch, "%.*s%s", (int)(n - m), name, other);
}

/* Notes for a missing weight: the file uses the other convention, or an
 * unclaimed tensor has a similar name. The tensor offered is marked used:
 * the note already accounts for it. */
static void suggest_key(struct binder *b, const struct bind_param *p)
{
	const char *alt = other_convention_key(b, p);
	struct st_tensor *t = alt ? st_find(&b->file, alt) : NULL;
	if (t) {
		t->used = true;
		if (!b->hinted_convention) {
			bool keras = b->g->weights.convention == IR_CONV_KERAS;
			diag_note(b->d, b->g->weights.loc,
			          "the file has '%s', the name under the %s convention; %s", alt,
			          keras ? "pytorch" : "keras",
			          keras ? "is the file from pytorch? (drop 'keras' here)"
			                : "is the file from keras? (add 'keras' here)");
			b->hinted_convention = true;
		}
		return;
	}
	const char *name = b->g->vals[p->val].name;
	size_t len = strlen(name), best = len / 5 + 1;
	struct st_tensor *pick = NULL;
	for (uint32_t i = 0; i < b->file.ntensors && b->suggest_budget > 0; i++) {
		struct st_tensor *c = &b->file.tensors[i];
		if (c->used)
			continue;
		b->suggest_budget -= (long long)(len + 1) * (long long)(strlen(c->name) + 1);
		size_t dist = edit_distance(name, c->name, best);
		if (dist != SIZE_MAX && (!pick || dist < best)) {
			pick = c;
			best = dist;
		}
	}
	if (pick) {
		pick->used = true;
		diag_note(b->d, b->g->weights.path_loc, "did you mean '%s'?", pick->name);
	}
}

static bool check_tensor(struct binder *b, const struct bind_param *p,
                         const struct st_tensor *t)
{
	const struct ir_value *v = &b->g->vals[p->val];
	struct src_span at = param_loc(b, p);
	bool ok = true;
	enum st_dtype want = st_dtype_of_ir(v->type.dtype);
	if (t->dtype != want) {
		diag_error(b->d, at, "weight '%s' has dtype %s, expected %s", v->name,
		           st_dtype_name(t->dtype), st_dtype_name(want));
		ok = false;
	}
	int64_t dims[IR_MAX_RANK];
	unsigned rank = file_dims(b, p, dims);
	if (t->rank != rank || memcmp(t->dims, dims, t->rank * sizeof *dims)) {
		char got[256], exp[256];
		fmt_dims(got, sizeof got, t->dims, t->rank);
		fmt_dims(exp, sizeof exp, dims, rank);
		diag_error(b->d, at, "weight '%s' has shape %s, expected %s", v->name, got, exp);
		if (keras_rnn(b, p) && p->slot < 2 && !b->hinted_layout) {
			bool lstm = b->g->nodes[p->node].op == IR_LSTM;
			diag_note(b->d, b->g->weights.path_loc,
			          "keras files hold %s kernels as [in, %s * units] and recurrent "
			          "kernels as [units, %s * units]",
			          lstm ? "lstm" : "gru", lstm ? "4" : "3", lstm ? "4" : "3");
			b->hinted_layout = true;
		}
		if (keras_rnn(b, p) && p->slot == 2 && b->g->nodes[p->node].op == IR_GRU)
			diag_note(b->d, b->g->weights.path_loc,
			          "keras gru biases are [2, 3 * units] (input and recurrent bias, "
			          "reset_after=True)");
		if (keras_transposed(b, p) && !b->hinted_layout) {
			enum ir_op op = b->g->nodes[p->node].op;
			diag_note(b->d, b->g->weights.path_loc,
			          "keras files hold %s kernels as %s",
			          op == IR_CONV2D ? "conv2d" : op == IR_DENSE ? "dense"
			                                                      : "conv2d_transpose",
			          op == IR_CONV2D ? "[kh, kw, in/groups, out]"
			          : op == IR_DENSE ? "[in, out]"
			                           : "[kh, kw, out/groups, in]");
			b->hinted_layout = true;
		}
		ok = false;
	}
	return ok;
}

static void bind_from_file(struct binder *b, const struct bind_param *p)
{
	struct ir_value *v = &b->g->vals[p->val];
	if (keras_rnn(b, p) && p->slot == 3)
		return; /* `<..>.bias:hh`: filled with slot 2 from the same tensor */
	struct st_tensor *t = st_find(&b->file, v->name);
	if (!t) {
		diag_error(b->d, param_loc(b, p), "weight '%s' not found in '%s'", v->name,
		           b->file.path);
		suggest_key(b, p);
		return;
	}
	if (!check_tensor(b, p, t))
		return;
	if (keras_rnn(b, p)) {
		void *data = arena_alloc(b->g->arena, (size_t)ir_type_bytes(&v->type));
		struct ir_value *v3 = NULL;
		float *bias3 = NULL;
		if (p->slot == 2) {
			v3 = &b->g->vals[b->g->nodes[p->node].param[3]];
			bias3 = arena_alloc(b->g->arena, (size_t)ir_type_bytes(&v3->type));
		}
		keras_rnn_copy(b, p, t, data, bias3);
		v->data = data;
		if (v3)
			v3->data = bias3;
		return;
	}
	DLC_ASSERT((int64_t)t->nbytes == ir_type_bytes(&v->type));
	void *data = arena_alloc(b->g->arena, (size_t)t->nbytes);
	if (keras_transposed(b, p)) {
		unsigned perm[IR_MAX_RANK];
		keras_perm(b->g->nodes[p->node].op, perm);
		permute_copy(data, t->data, st_dtype_size(t->dtype), t->rank, t->dims, perm);
	} else {
		memcpy(data, t->data, (size_t)t->nbytes);
	}
	v->data = data;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !memcmp(s + n - m, suffix, m);
}

static void report_unused(struct binder *b)
{
	uint32_t unused = 0;
	for (uint32_t i = 0; i < b->file.ntensors; i++) {
		const struct st_tensor *t = &b->file.tensors[i];
		if (t->used || ends_with(t->name, ".num_batches_tracked"))
			continue;
		if (++unused <= BIND_MAX_UNUSED_LISTED)
			diag_error(b->d, b->g->weights.loc, "tensor '%s' in '%s' is not used by any layer",
			           t->name, b->file.path);
	}
	if (unused > BIND_MAX_UNUSED_LISTED)
		diag_error(b->d, b->g->weights.loc, "%" PRIu32 " more tensors in '%s' are not used by any layer",
		           unused - BIND_MAX_UNUSED_LISTED, b->file.path);
}

static void bind_file(struct binder *b)
{
	struct ir_graph *g = b->g;
	DLC_ASSERT(g->weights.path);
	const char *dir = b->ctx->opts->model_dir ? b->ctx->opts->model_dir : ".";
	if (!path_resolves_inside(dir, g->weights.path)) {
		diag_error(b->d, g->weights.path_loc, "weights file '%s' resolves outside the model's "
		           "directory (through a symbolic link); dlc reads only files below '%s'",
		           g->weights.path, dir);
		return;
	}
	if (!st_load(b->ctx->scratch, b->d, g->weights.path_loc, g->weights.path, &b->file))
		return;
	/* Mark the tensors the model reads first, so that did-you-mean
	 * suggestions only offer tensors nothing else claims. */
	for (uint32_t i = 0; i < b->nparams; i++) {
		struct st_tensor *t = st_find(&b->file, g->vals[b->params[i].val].name);
		if (t)
			t->used = true;
	}
	for (uint32_t i = 0; i < b->nparams; i++)
		bind_from_file(b, &b->params[i]);
	report_unused(b);
}

static void bind_random(struct binder *b)
{
	struct ir_graph *g = b->g;
	for (uint32_t i = 0; i < b->nparams; i++) {
		const struct bind_param *p = &b->params[i];
		struct ir_value *v = &g->vals[p->val];
		DLC_ASSERT(v->type.dtype == IR_DT_F32);
		float lo = -1.0f, hi = 1.0f; /* constants: uniform in [-1, 1) */
		if (p->slot != BIND_ACTIVATION)
			wrand_param_range(g->nodes[p->node].op, p->slot, weight_type(g, p), &lo, &hi);
		int64_t n = ir_type_numel(&v->type);
		float *data = arena_array(g->arena, (size_t)n, sizeof *data);
		wrand_fill(data, n, g->weights.seed, v->name, lo, hi);
		v->data = data;
	}
}

static bool check_total(struct binder *b)
{
	int64_t total = 0;
	for (uint32_t i = 0; i < b->nparams; i++) {
		const struct ir_value *v = &b->g->vals[b->params[i].val];
		DLC_ASSERT(v->type.dtype != IR_DT_NONE);
		if (ckd_add_i64(&total, total, ir_type_bytes(&v->type)) || total > BIND_MAX_BYTES) {
			diag_error(b->d, b->g->weights.loc,
			           "the model's weights need more than %" PRId64 " bytes (16 GiB), "
			           "which is the limit",
			           BIND_MAX_BYTES);
			return false;
		}
	}
	return true;
}

static bool bind_weights(struct pass_ctx *ctx)
{
	struct binder b = { .ctx = ctx, .g = ctx->g, .d = ctx->diag,
	                    .suggest_budget = BIND_SUGGEST_BUDGET };
	int errors = ctx->diag->errors;
	collect_params(&b);
	switch (b.g->weights.kind) {
	case IR_WEIGHTS_NONE:
		if (b.nparams && b.params[0].slot == BIND_ACTIVATION)
			diag_error(b.d, param_loc(&b, &b.params[0]),
			           "constant '%s' reads the weights file but the model has no "
			           "'weights' statement (give it a value= instead?)",
			           b.g->vals[b.params[0].val].name);
		else if (b.nparams)
			diag_error(b.d, b.g->nodes[b.params[0].node].loc,
			           "model has layers with weights but no 'weights' statement");
		break;
	case IR_WEIGHTS_FILE:
		if (check_total(&b))
			bind_file(&b);
		break;
	case IR_WEIGHTS_RANDOM:
		if (check_total(&b))
			bind_random(&b);
		break;
	}
	return ctx->diag->errors == errors;
}

const struct pass pass_bind_weights = {
	.name = "bind-weights",
	.summary = "load the weights and check them against the layers",
	.run = bind_weights,
	.stage = IR_STAGE_BOUND,
	.min_opt = 0,
};
