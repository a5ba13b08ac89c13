/* rmodel_emit.c - writes a resolved random layer as .dl statements and its
 * weights as tensors.
 *
 * Weights are uniform in +-sqrt(3 / fan_in) (variance 1 / fan_in, so
 * activations stay of order 1 through deep chains); biases, batchnorm
 * statistics and constants are small and fixed-range. Spellings vary on
 * purpose (positional or keyword arguments, `k` or `[k, k]`, negative
 * axes, implicit or explicit inputs) so the front end sees them all. */
#include "rmodel.h"

#include <math.h>
#include <string.h>

#include "check.h"

#define Q(i) (l->q[i])
#define SPELL(bit) ((l->raw[15] >> (bit)) & 1)

static void vname(const struct rm_model *m, int v, char *buf)
{
	if (v < m->ninputs)
		sprintf(buf, "x%d", v);
	else
		sprintf(buf, "v%d", v);
}

float *rm_add_tensor(struct rm_weights *w, const char *name, int rank, const int *dims,
                     uint64_t seed, float lo, float hi)
{
	if (w->n == w->cap) {
		uint32_t cap = w->cap ? 2 * w->cap : 16;
		w->t = arena_grow(w->a, w->t, w->n, cap, sizeof *w->t);
		w->cap = cap;
	}
	struct st_tensor *t = &w->t[w->n++];
	memset(t, 0, sizeof *t);
	t->name = arena_strdup(w->a, name);
	t->dtype = ST_F32;
	t->rank = (uint8_t)rank;
	int64_t n = 1;
	for (int i = 0; i < rank; i++) {
		t->dims[i] = dims[i];
		n *= dims[i];
	}
	float *data = arena_array(w->a, (size_t)n, sizeof(float));
	for (int64_t i = 0; i < n; i++)
		data[i] = rm_uniform(&seed, lo, hi);
	t->data = data;
	t->nbytes = (uint64_t)n * 4;
	return data;
}

/* A weight of fan-in `fan_in` named "<prefix>.<suffix>". */
void rm_add_weight(struct rm_weights *w, const char *prefix, const char *suffix, int rank,
                   const int *dims, uint64_t seed, int fan_in)
{
	char name[96];
	snprintf(name, sizeof name, "%s.%s", prefix, suffix);
	float b = sqrtf(3.0f / (float)fan_in);
	rm_add_tensor(w, name, rank, dims, seed, -b, b);
}

static void add_bias(struct rm_weights *w, const char *prefix, const char *suffix, int n,
                     uint64_t seed)
{
	char name[96];
	snprintf(name, sizeof name, "%s.%s", prefix, suffix);
	rm_add_tensor(w, name, 1, &n, seed, -0.2f, 0.2f);
}

/* The input list, left out when the layer reads the previous statement. */
static void emit_inputs(const struct rm_model *m, const struct rm_layer *l, int prev, FILE *dl)
{
	if (l->nin == 1 && l->rin[0] == prev && SPELL(0))
		return;
	char b[16];
	fputc('(', dl);
	for (int i = 0; i < l->nin; i++) {
		vname(m, l->rin[i], b);
		fprintf(dl, "%s%s", i ? ", " : "", b);
	}
	fputc(')', dl);
}

static void emit_int2(FILE *dl, const char *key, int a, int b, bool keyed, bool list)
{
	if (keyed)
		fprintf(dl, ", %s=", key);
	else
		fprintf(dl, ", ");
	if (a == b && !list)
		fprintf(dl, "%d", a);
	else
		fprintf(dl, "[%d, %d]", a, b);
}

/* padding=: mode 0 valid, 1 same, 2 p, 3 [ph, pw], 4 [t, l, b, r] */
static void emit_padding(FILE *dl, int mode, const int *p, bool omit_valid)
{
	static const char *const spell[2] = { "valid", "same" };
	if (mode == 0 && omit_valid)
		return;
	fprintf(dl, ", padding=");
	if (mode < 2)
		fprintf(dl, "%s", spell[mode]);
	else if (mode == 2)
		fprintf(dl, "%d", p[0]);
	else if (mode == 3)
		fprintf(dl, "[%d, %d]", p[0], p[1]);
	else
		fprintf(dl, "[%d, %d, %d, %d]", p[0], p[1], p[2], p[3]);
}

static void emit_zeropad(const struct rm_layer *l, FILE *dl)
{
	const int *p = &Q(1);
	if (Q(0) == 2 && p[0] == 1 && SPELL(1)) {
		fprintf(dl, "zeropad2d()"); /* the default, 1 */
		return;
	}
	fprintf(dl, "zeropad2d(%s", SPELL(2) ? "padding=" : "");
	if (Q(0) == 2)
		fprintf(dl, "%d)", p[0]);
	else if (Q(0) == 3)
		fprintf(dl, "[%d, %d])", p[0], p[1]);
	else
		fprintf(dl, "[%d, %d, %d, %d])", p[0], p[1], p[2], p[3]);
}

static const char *const acts[5] = { "none", "relu", "sigmoid", "tanh", "softmax" };

static void emit_conv(const struct rm_model *m, const struct rm_layer *l, const char *name,
                      FILE *dl, struct rm_weights *w)
{
	const struct rm_shape *x = rm_value_shape(m, l->rin[0]);
	int c = x->d[rm_channel_axis(m, 4)], g = Q(12), f = Q(0);
	fprintf(dl, "conv2d(%d", f);
	emit_int2(dl, "kernel", Q(1), Q(2), SPELL(1), SPELL(2));
	if (Q(3) != 1 || Q(4) != 1 || SPELL(3))
		emit_int2(dl, "stride", Q(3), Q(4), true, SPELL(2));
	emit_padding(dl, Q(7), &Q(8), !SPELL(4));
	if (Q(5) != 1 || Q(6) != 1)
		emit_int2(dl, "dilation", Q(5), Q(6), true, false);
	if (g != 1 || SPELL(5))
		fprintf(dl, ", groups=%d", g);
	if (!Q(13))
		fprintf(dl, ", bias=false");
	if (Q(14) || SPELL(6))
		fprintf(dl, ", activation=%s", acts[Q(14)]);
	fprintf(dl, ")");
	int fan = c / g * Q(1) * Q(2);
	if (m->keras) {
		int d[4] = { Q(1), Q(2), c / g, f };
		rm_add_weight(w, name, "kernel", 4, d, l->wseed, fan);
	} else {
		int d[4] = { f, c / g, Q(1), Q(2) };
		rm_add_weight(w, name, "weight", 4, d, l->wseed, fan);
	}
	if (Q(13))
		add_bias(w, name, "bias", f, l->wseed + 1);
}

static void emit_convt(const struct rm_model *m, const struct rm_layer *l, const char *name,
                       FILE *dl, struct rm_weights *w)
{
	const struct rm_shape *x = rm_value_shape(m, l->rin[0]);
	int c = x->d[rm_channel_axis(m, 4)], g = Q(14), f = Q(0);
	fprintf(dl, "conv2d_transpose(%d", f);
	emit_int2(dl, "kernel", Q(1), Q(2), SPELL(1), SPELL(2));
	if (Q(3) != 1 || Q(4) != 1 || SPELL(3))
		emit_int2(dl, "stride", Q(3), Q(4), true, SPELL(2));
	if (Q(7) || Q(8) || Q(9) || Q(10))
		fprintf(dl, ", padding=[%d, %d, %d, %d]", Q(7), Q(8), Q(9), Q(10));
	if (Q(11) || Q(12))
		emit_int2(dl, "output_padding", Q(11), Q(12), true, false);
	if (Q(5) != 1 || Q(6) != 1)
		emit_int2(dl, "dilation", Q(5), Q(6), true, false);
	if (g != 1)
		fprintf(dl, ", groups=%d", g);
	if (!Q(13))
		fprintf(dl, ", bias=false");
	if (Q(15))
		fprintf(dl, ", activation=relu");
	fprintf(dl, ")");
	int fan = c / g * Q(1) * Q(2);
	if (m->keras) {
		int d[4] = { Q(1), Q(2), f / g, c };
		rm_add_weight(w, name, "kernel", 4, d, l->wseed, fan);
	} else {
		int d[4] = { c, f / g, Q(1), Q(2) };
		rm_add_weight(w, name, "weight", 4, d, l->wseed, fan);
	}
	if (Q(13))
		add_bias(w, name, "bias", f, l->wseed + 1);
}

static void emit_dense(const struct rm_model *m, const struct rm_layer *l, const char *name,
                       FILE *dl, struct rm_weights *w)
{
	const struct rm_shape *x = rm_value_shape(m, l->rin[0]);
	int k = x->d[x->rank - 1], u = Q(0);
	fprintf(dl, "dense(%d", u);
	if (Q(2) || SPELL(1))
		fprintf(dl, SPELL(2) ? ", %s" : ", activation=%s", acts[Q(2)]);
	if (!Q(1))
		fprintf(dl, ", bias=false");
	fprintf(dl, ")");
	int d[2] = { u, k }, dk[2] = { k, u };
	rm_add_weight(w, name, m->keras ? "kernel" : "weight", 2, m->keras ? dk : d, l->wseed, k);
	if (Q(1))
		add_bias(w, name, "bias", u, l->wseed + 1);
}

static void emit_pool(const struct rm_layer *l, FILE *dl)
{
	fprintf(dl, "%s(", Q(0) ? "avgpool2d" : "maxpool2d");
	if (Q(1) == Q(2) && !SPELL(1))
		fprintf(dl, "%d", Q(1));
	else
		fprintf(dl, "[%d, %d]", Q(1), Q(2));
	if (Q(3))
		emit_int2(dl, "stride", Q(4), Q(5), true, SPELL(2));
	emit_padding(dl, Q(6), &Q(7), !SPELL(3));
	if (Q(0) && (Q(11) || SPELL(4)))
		fprintf(dl, ", count_include_pad=%s", Q(11) ? "true" : "false");
	if (Q(12))
		fprintf(dl, ", ceil_mode=true");
	fprintf(dl, ")");
}

static void emit_reshape(const struct rm_layer *l, FILE *dl)
{
	int r = l->out.rank, minus = Q(0) == 0 ? r - 1 : 1 + (Q(0) - 1) % (r - 1);
	fprintf(dl, "reshape([");
	for (int i = 1; i < r; i++)
		fprintf(dl, "%s%d", i > 1 ? ", " : "", i == minus && SPELL(1) ? -1 : l->out.d[i]);
	fprintf(dl, "])");
}

static void emit_unary(const struct rm_layer *l, FILE *dl)
{
	static const char *const plain[RU_COUNT] = {
		[RU_RELU] = "relu()", [RU_SIGMOID] = "sigmoid()", [RU_TANH] = "tanh()",
		[RU_RELU6] = "relu6()", [RU_HARD_SWISH] = "hard_swish()", [RU_NEG] = "neg()",
		[RU_ABS] = "abs()", [RU_EXP] = "exp()", [RU_LOG] = "log()", [RU_SQRT] = "sqrt()",
		[RU_SILU] = "silu()", [RU_SOFTPLUS] = "softplus()", [RU_SOFTSIGN] = "softsign()",
		[RU_MISH] = "mish()", [RU_SIN] = "sin()", [RU_COS] = "cos()", [RU_ATAN] = "atan()",
	};
	static const char *const elu[4] = { "", "0.5", "alpha=1", "0.1" };
	static const char *const selu[4] = { "", "1.5", "alpha=1.2, gamma=0.9", "gamma=1" };
	static const char *const celu[4] = { "", "0.5", "alpha=2", "1" };
	static const char *const thr[4] = { "", "0", "alpha=0.25", "-0.5" };
	static const char *const leaky[4] = { "", "0.1", "alpha=0.2", "0.3" };
	static const char *const hsig[4] = { "", "1/6, 0.5", "alpha=0.25", "0.1, beta=0.4" };
	static const char *const clip[4] = { "-1, 1", "0, 6", "min=-0.5, max=0.5", "0, 1" };
	static const char *const resc[4] = { "scale=1/255", "0.5, 0.25", "2, offset=-1",
		                             "scale=-1, offset=0.5" };
	/* softshrink (lambd = bias): continuous, so O0 and O2 stay close */
	static const char *const shrink[4] = { "lambd=0.5, bias=0.5", "0.25, 0.25",
		                               "lambd=0, bias=0", "1, 1" };
	static const char *const drop[4] = { "", "0.1", "rate=0.25", "0.5" };
	int k = Q(1);
	switch (Q(0)) {
	case RU_LEAKY:
		fprintf(dl, "leaky_relu(%s)", leaky[k]);
		break;
	case RU_HARD_SIGMOID:
		fprintf(dl, "hard_sigmoid(%s)", hsig[k]);
		break;
	case RU_CLIP:
		fprintf(dl, "clip(%s)", clip[k]);
		break;
	case RU_RESCALE:
		fprintf(dl, "rescale(%s)", resc[k]);
		break;
	case RU_DROPOUT:
		fprintf(dl, "dropout(%s)", drop[k]);
		break;
	case RU_ELU:
		fprintf(dl, "elu(%s)", elu[k]);
		break;
	case RU_SELU:
		fprintf(dl, "selu(%s)", selu[k]);
		break;
	case RU_CELU:
		fprintf(dl, "celu(%s)", celu[k]);
		break;
	case RU_THRESHOLDED:
		fprintf(dl, "thresholded_relu(%s)", thr[k]);
		break;
	case RU_SHRINK:
		fprintf(dl, "shrink(%s)", shrink[k]);
		break;
	default:
		fprintf(dl, "%s", plain[Q(0)]);
	}
}

static void emit_axis(FILE *dl, const char *key, int axis, int rank, int spelling)
{
	if (spelling == 0)
		return;
	if (spelling == 3)
		fprintf(dl, "%s=channel", key);
	else
		fprintf(dl, "%s=%d", key, spelling == 2 ? axis - rank : axis);
}

static void emit_channel_op(const struct rm_model *m, const struct rm_layer *l, const char *name,
                            FILE *dl, struct rm_weights *w)
{
	int c = Q(0), rank = l->out.rank, ca = rm_channel_axis(m, rank);
	static const int spell[3] = { 0, 3, 1 };
	uint64_t st = l->wseed;
	if (l->kind == RM_BATCHNORM) {
		fprintf(dl, "batchnorm(%s", Q(1) ? "epsilon=1e-3" : "");
		if (Q(2))
			fprintf(dl, "%s", Q(1) ? ", " : "");
		emit_axis(dl, "axis", ca, rank, spell[Q(2)]);
		fprintf(dl, ")");
		static const char *const pt[4] = { "weight", "bias", "running_mean", "running_var" };
		static const char *const kr[4] = { "gamma", "beta", "moving_mean", "moving_variance" };
		static const float lo[4] = { 0.5f, -0.5f, -0.5f, 0.5f }, hi[4] = { 1.5f, 0.5f, 0.5f, 2 };
		for (int i = 0; i < 4; i++) {
			char key[96];
			snprintf(key, sizeof key, "%s.%s", name, m->keras ? kr[i] : pt[i]);
			rm_add_tensor(w, key, 1, &c, st + (uint64_t)i, lo[i], hi[i]);
		}
		return;
	}
	/* normalize: eighths and quarters, exactly representable */
	int n = Q(1) ? c : 1;
	fprintf(dl, "normalize(mean=%s", Q(1) ? "[" : "");
	for (int i = 0; i < n; i++)
		fprintf(dl, "%s%g", i ? ", " : "", (rm_below(&st, 9) - 4) / 8.0);
	fprintf(dl, "%s, std=%s", Q(1) ? "]" : "", Q(1) ? "[" : "");
	for (int i = 0; i < n; i++)
		fprintf(dl, "%s%g", i ? ", " : "", 0.5 + rm_below(&st, 7) / 4.0);
	fprintf(dl, "%s)", Q(1) ? "]" : "");
}

/* `c<k> = constant(...)` for the constant operand of layer value v */
static void emit_constant(const struct rm_model *m, const struct rm_layer *l, int v, int rank,
                          const int *dims, float lo, float hi, bool filled, FILE *dl,
                          struct rm_weights *w)
{
	(void)m;
	char key[16];
	sprintf(key, "c%d", v);
	fprintf(dl, "%s = constant(f32[", key);
	for (int i = 0; i < rank; i++)
		fprintf(dl, "%s%d", i ? ", " : "", dims[i]);
	if (filled) {
		uint64_t st = l->wseed;
		fprintf(dl, "], value=%g)\n", lo + (hi - lo) * rm_below(&st, 5) / 4.0);
		return;
	}
	fprintf(dl, "])\n");
	rm_add_tensor(w, key, rank, dims, l->wseed, lo, hi);
}

static const char *const binops[RM_NBINOPS] = { "add", "sub", "mul", "div", "min", "max", "prelu" };

static void emit_binconst(const struct rm_model *m, const struct rm_layer *l, int v, FILE *dl,
                          struct rm_weights *w)
{
	bool divisor = Q(0) == 3 && !Q(2);
	emit_constant(m, l, v, Q(4), &Q(5), divisor ? 0.5f : -1, divisor ? 1.5f : 1, Q(3), dl, w);
	char x[16];
	vname(m, l->rin[0], x);
	if (Q(2))
		fprintf(dl, "v%d = %s()(c%d, %s)\n", v, binops[Q(0)], v, x);
	else
		fprintf(dl, "v%d = %s()(%s, c%d)\n", v, binops[Q(0)], x, v);
}

static void emit_matmulc(const struct rm_model *m, const struct rm_layer *l, int v, FILE *dl,
                         struct rm_weights *w)
{
	const struct rm_shape *x = rm_value_shape(m, l->rin[0]);
	int dims[2] = { x->d[x->rank - 1], Q(0) };
	float b = sqrtf(3.0f / (float)dims[0]);
	emit_constant(m, l, v, 2, dims, -b, b, false, dl, w);
	char xn[16];
	vname(m, l->rin[0], xn);
	fprintf(dl, "v%d = matmul()(%s, c%d)\n", v, xn, v);
}

/* RU_SILU variants 1-3: x * gate(x) written as two layers, as exporters
 * write SiLU and HardSwish (fuse-gate makes them one step): sigmoid with
 * the mul's operands either way round, or hard_sigmoid(1/6, 0.5). */
static void emit_gate(const struct rm_model *m, const struct rm_layer *l, int v, FILE *dl)
{
	char x[16];
	vname(m, l->rin[0], x);
	fprintf(dl, "g%d = %s(%s)\n", v, Q(1) == 3 ? "hard_sigmoid(1/6, 0.5)" : "sigmoid()", x);
	if (Q(1) == 2)
		fprintf(dl, "v%d = mul()(g%d, %s)\n", v, v, x);
	else
		fprintf(dl, "v%d = mul()(%s, g%d)\n", v, x, v);
}

void rm_emit_layer(const struct rm_model *m, int k, int prev, FILE *dl, struct rm_weights *w)
{
	const struct rm_layer *l = &m->layer[k];
	int v = m->ninputs + k;
	char name[16];
	vname(m, v, name);
	if (l->kind == RM_BINCONST) {
		emit_binconst(m, l, v, dl, w);
		return;
	}
	if (l->kind == RM_MATMULC) {
		emit_matmulc(m, l, v, dl, w);
		return;
	}
	if (l->kind == RM_UNARY && Q(0) == RU_SILU && Q(1)) {
		emit_gate(m, l, v, dl);
		return;
	}
	fprintf(dl, "%s = ", name);
	switch (l->kind) {
	case RM_CONV:
		emit_conv(m, l, name, dl, w);
		break;
	case RM_CONVT:
		emit_convt(m, l, name, dl, w);
		break;
	case RM_DENSE:
		emit_dense(m, l, name, dl, w);
		break;
	case RM_POOL:
		emit_pool(l, dl);
		break;
	case RM_GAP:
		fprintf(dl, "global_avgpool()");
		break;
	case RM_FLATTEN:
		fprintf(dl, "flatten()");
		break;
	case RM_RESHAPE:
		emit_reshape(l, dl);
		break;
	case RM_UNARY:
		emit_unary(l, dl);
		break;
	case RM_SOFTMAX:
		fprintf(dl, "%s(", Q(0) ? "log_softmax" : "softmax");
		emit_axis(dl, "axis", Q(2), l->out.rank, Q(1));
		fprintf(dl, ")");
		break;
	case RM_BATCHNORM:
	case RM_NORMALIZE:
		emit_channel_op(m, l, name, dl, w);
		break;
	case RM_BINARY:
		fprintf(dl, "%s()", binops[Q(0)]);
		break;
	case RM_CONCAT:
		fprintf(dl, "concat(");
		emit_axis(dl, "axis", Q(1), l->out.rank, Q(0) ? Q(0) : (SPELL(1) ? 3 : 0));
		fprintf(dl, ")");
		break;
	case RM_MATMUL:
		fprintf(dl, "matmul()");
		break;
	case RM_ZEROPAD:
		emit_zeropad(l, dl);
		break;
	default:
		rm_emit_tensor_layer(m, l, name, dl, w);
	}
	emit_inputs(m, l, prev, dl);
	fputc('\n', dl);
}
