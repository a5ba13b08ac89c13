/* ir.h - the graph IR: the contract between frontend, passes and backend.
 *
 * A graph is a dense array of values and a dense array of nodes, both
 * referred to by 32-bit ids (QBE style). A value is a tensor: a model input,
 * the output of a node, or a constant (a trained weight). Each node applies
 * one operation (ir_ops.def) to activation inputs `in` and weight
 * parameters `param`, and defines exactly one output value. The order of
 * `nodes` is the schedule: every node comes after the nodes defining its
 * inputs. Derived facts (uses, liveness) are recomputed by whoever needs
 * them (ir_count_uses), never stored.
 *
 * Invariants by stage (checked by ir_verify):
 *   after lowering:        ops, attributes and edges set; types may be unknown
 *                          (dtype IR_DT_NONE)
 *   after shape inference: every live value typed (dtype + static shape),
 *                          explicit pads resolved, param types set
 *   after weight binding:  every live constant has data
 * The text form is documented in docs/ir.md. */
#ifndef DLC_IR_H
#define DLC_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "diag.h"

#define IR_NONE UINT32_MAX /* "no value / no node" id */
#define IR_MAX_RANK 8
#define IR_MAX_PARAMS 4
#define IR_VARIADIC 255
/* Upper bound on the bytes of any one tensor; larger shapes are a user
 * error ("tensor too large"), which keeps all size arithmetic in range. */
#define IR_MAX_TENSOR_BYTES ((int64_t)1 << 40)

enum ir_op {
	IR_OP_NONE,
#define IR_OP(id, name, min_in, max_in, nparams, flags, attrs, shape, interp, lower, layout, \
              params, step, dl)                                                             \
	IR_##id,
#include "ir_ops.def"
	IR_OP_COUNT
};

/* A chain of elementwise steps run in one loop: y = step_n(...step_1(x)). */
enum ir_step_kind {
	IR_STEP_NONE,
#define IR_STEP(id, name, nargs, fn) IR_STEP_##id,
#include "ir_steps.def"
	IR_STEP_COUNT
};
struct ir_step_info {
	const char *name;
	unsigned nargs; /* numbers of the step used: none, a, or a and b */
};
extern const struct ir_step_info ir_step_table[IR_STEP_COUNT];
#define IR_MAX_STEPS 8
struct ir_eltwise_step {
	enum ir_step_kind kind;
	float a, b;
};

enum ir_op_flags {
	IR_F_ELEMENTWISE = 1 << 0, /* output[i] depends only on input[i] (per channel) */
	IR_F_VIEW = 1 << 1,        /* output is the input's bytes reinterpreted */
	IR_F_IDENTITY = 1 << 2,    /* output equals input at inference */
	IR_F_TENSOR = 1 << 3,      /* a general tensor op (ONNX import): any input may be
	                              a constant, axes index the declared order, not
	                              layout-aware */
	IR_F_IDS = 1 << 4,         /* reads i32/i64 ids (other ops read f32 unless typed) */
	IR_F_COMPUTE = 1 << 5,     /* does the arithmetic of the model (MACs): Graphviz
	                              colours it */
	IR_F_TYPED = 1 << 6,       /* reads and writes the dtypes its shape rule accepts
	                              (integers, bool), not only f32 */
	IR_F_SCALAR = 1 << 7,      /* takes rank-0 (scalar) inputs; no other op does */
};

struct ir_node;
struct ir_graph;
/* The attribute code of one kind of op (the attrs column of ir_ops.def,
 * compiler/ir_attrs.c). print writes " key=value ..." for the IR text
 * form; dot writes the label text after the op name in Graphviz; check
 * (NULL: nothing to check) returns why the attributes of a node are
 * unresolved or invalid after shape inference, or NULL. Optional (NULL:
 * none): step_args fills the numbers of the eltwise step an op of the
 * kind computes (the step column); fused tells whether a node carries
 * work the optimizer fused into it. */
struct ir_attrs_kind {
	void (*print)(FILE *out, const struct ir_node *n);
	void (*dot)(FILE *out, const struct ir_node *n);
	const char *(*check)(const struct ir_graph *g, const struct ir_node *n);
	void (*step_args)(const struct ir_node *n, struct ir_eltwise_step *s);
	bool (*fused)(const struct ir_node *n);
};

struct ir_param_info;
struct ir_op_info {
	const char *name;
	uint8_t min_in, max_in, nparams;
	unsigned flags;
	const struct ir_attrs_kind *attrs;
	const struct ir_param_info *params; /* its nparams weight slots */
	enum ir_step_kind step;
};
extern const struct ir_op_info ir_op_table[IR_OP_COUNT];

/* Element types. f32 is what every layer computes; the integer and bool
 * types carry ids, indices, masks and shapes through the ops flagged
 * IR_F_TYPED (and ids into IR_F_IDS ops). bool is one byte, 0 or 1 (any
 * non-zero byte of a model input reads as true). The numbering is the
 * runtime's enum dlc_dtype (runtime/dlcrt.h). */
enum ir_dtype { IR_DT_NONE, IR_DT_F32, IR_DT_I32, IR_DT_I64, IR_DT_BOOL, IR_DT_I8, IR_DT_U8,
	        IR_DT_I16, IR_DT_U16, IR_DT_U32, IR_DT_U64 };
#define IR_DT_LAST IR_DT_U64
/* How a dtype's elements compute: IEEE float, two's complement signed or
 * unsigned integers (wrapping), or truth values. */
enum ir_dtype_class { IR_DC_NONE, IR_DC_FLOAT, IR_DC_SIGNED, IR_DC_UNSIGNED, IR_DC_BOOL };

struct ir_type {
	enum ir_dtype dtype; /* IR_DT_NONE = not inferred yet (or in error) */
	uint8_t rank;        /* 0: a scalar, one element */
	int64_t dims[IR_MAX_RANK];
};

/* Data layout of 4-D activations. The frontend records the model's declared
 * layout on every op that cares; kernels index through it. */
enum ir_layout { IR_LAYOUT_NONE, IR_LAYOUT_NHWC, IR_LAYOUT_NCHW };


/* Loop tiling of conv2d/dense, chosen per layer and target by the tiling
 * pass (vec == 0: not tiled, the backend emits plain loops). M runs over
 * output pixels (conv) or every leading position of the input (dense:
 * batch rows, times steps for a rank-3 input), N over output channels, K
 * over the reduction (input channels x kernel taps). */
struct ir_tile {
	int32_t vec;        /* vector width in floats */
	int32_t mr, nr;     /* register block: mr rows x nr columns (nr % vec == 0) */
	int32_t mc, nc, kc; /* cache blocks along M, N and K */
	bool packed;        /* weight param 0 is pre-packed in nr-wide panels
	                       (layout in docs/ir.md) rather than PyTorch layout */
	int32_t winograd;   /* conv2d only: 0, or m of Winograd F(m x m, 3 x 3):
	                       weight param 0 holds the transformed filters
	                       (docs/ir.md) and the layer runs as batched GEMMs */
};

/* The kernel that runs a node, chosen once by the passes (tile,
 * winograd, pack, dwpack) and read by the memory planner and the backend.
 * NAIVE: plain loop nests (every op; the only choice at -O0). The others
 * are conv2d/dense only and imply weight param 0 re-laid for them
 * (docs/ir.md): TILED the packed implicit GEMM, WINOGRAD F(m x m, 3 x 3)
 * batched GEMMs, DEPTHWISE channels-in-lanes conv (depthwise, and groups
 * narrower than a vector). */
enum ir_kernel { IR_KERNEL_NAIVE, IR_KERNEL_TILED, IR_KERNEL_WINOGRAD, IR_KERNEL_DEPTHWISE };
const char *ir_kernel_name(enum ir_kernel k); /* "naive", "tiled", ... */

/* How conv/pool padding was given; shape inference turns SAME/VALID into
 * explicit pads. */
enum ir_pad_mode { IR_PAD_NONE, IR_PAD_VALID, IR_PAD_SAME, IR_PAD_EXPLICIT };

/* The weight-file convention: names of parameters and layout of tensors. */
enum ir_convention { IR_CONV_NONE, IR_CONV_PYTORCH, IR_CONV_KERAS };

struct ir_conv_attr {
	int64_t filters;
	int64_t kernel[2], stride[2], dilation[2];
	int64_t pad[4]; /* top, left, bottom, right (after shape inference) */
	enum ir_pad_mode pad_mode;
	int64_t groups;
	int64_t out_pad[2]; /* conv_transpose: extra rows/columns at the end */
	bool bias;
	enum ir_layout layout;
	struct ir_eltwise_step act; /* fused activation (IR_STEP_NONE: none) */
	struct ir_tile tile;
};

struct ir_dense_attr {
	int64_t units;
	bool bias;
	struct ir_eltwise_step act; /* fused activation (IR_STEP_NONE: none) */
	struct ir_tile tile;
};

struct ir_pool_attr {
	int64_t kernel[2], stride[2];
	int64_t pad[4]; /* top, left, bottom, right */
	enum ir_pad_mode pad_mode;
	bool count_include_pad; /* avgpool: divide by kernel area, not valid taps */
	bool ceil_mode;         /* output size rounded up (compiler/window.h) */
	enum ir_layout layout;
};

/* Axis values the frontend may use; shape inference makes every axis
 * non-negative: IR_AXIS_LAST = rank-1, IR_AXIS_CHANNEL = 1 for rank 2 and
 * the layout's channel axis for rank 4 (nhwc: 3, nchw: 1). Other negative
 * axes count from the end as in NumPy. */
#define IR_AXIS_LAST (-1)
#define IR_AXIS_CHANNEL (-100)

struct ir_axis_attr {
	int axis;              /* softmax, concat */
	enum ir_layout layout; /* global_avgpool; concat's channel axis */
	bool log;              /* softmax: log_softmax, (x - max) - log(sum) */
};

/* batchnorm, and layer_norm: there axis is the first normalized axis
 * (every axis from it on is normalized together). */
struct ir_batchnorm_attr {
	int axis;              /* channel axis (layer_norm: first normalized axis) */
	float epsilon;
	enum ir_layout layout;
};

struct ir_rescale_attr {
	float scale, offset; /* y = x * scale + offset */
};

struct ir_normalize_attr {
	int axis;          /* channel axis */
	enum ir_layout layout;
	int64_t nchannels; /* length of mean and std */
	const float *mean, *std; /* y = (x - mean[c]) / std[c] */
};

struct ir_reshape_attr {
	uint8_t rank;
	int64_t dims[IR_MAX_RANK]; /* dims[0] may be 0 = keep batch; one -1 = infer */
};

struct ir_dropout_attr {
	float rate;
};

struct ir_clip_attr {
	float min, max; /* y = min(max(x, min), max) */
};

struct ir_pad_attr {
	int64_t pad[4]; /* zeros added: top, left, bottom, right */
	enum ir_layout layout;
};

struct ir_eltwise_attr {
	uint8_t nsteps;
	struct ir_eltwise_step steps[IR_MAX_STEPS];
};

struct ir_transpose_attr {
	uint8_t rank;
	uint8_t perm[IR_MAX_RANK]; /* output axis i is input axis perm[i] */
};

/* embedding: size = vocab, dim = vector length (the weight is [vocab,
 * dim]); onehot: size = classes, dim = 0. Ids outside [0, size) are an
 * error at run time (docs/dsl.md). */
struct ir_index_attr {
	int64_t size;
	int64_t dim;
};

/* lstm, gru over a batch-first [N, T, F] input. Params: weight_ih
 * [G*H, F], weight_hh [G*H, H], bias_ih [G*H], bias_hh [G*H] (both biases
 * absent together), G = 4 gates i, f, g, o (lstm) or 3 gates r, z, n
 * (gru), PyTorch's equations; initial state zero. reverse runs t = T-1
 * down to 0 (the backward direction of a bidirectional layer); sequence
 * outputs stay aligned with input positions. */
struct ir_rnn_attr {
	int64_t units;         /* H */
	bool return_sequences; /* out [N, T, H]; else the final state [N, H] */
	bool reverse;
	int32_t packed_vec;    /* 0, or the vector width for which the pass
	                          pack-rnn re-laid weight_ih and weight_hh in
	                          column panels (docs/ir.md) */
};
/* Vectors per column panel of packed recurrent weights. */
#define IR_RNN_PANEL_VECS 8

/* timestep: [N, T, ...] -> [N, ...] at position `index` of axis 1;
 * negative counts from the end until shape inference resolves it. */
struct ir_select_attr {
	int64_t index;
};

/* binary: y = a OP b with NumPy broadcasting (shapes aligned at the
 * last axis; an axis of size 1 stretches to the other's size). */
enum ir_binop { IR_BINOP_NONE, IR_BINOP_ADD, IR_BINOP_SUB, IR_BINOP_MUL, IR_BINOP_DIV,
	        IR_BINOP_POW, IR_BINOP_MIN, IR_BINOP_MAX, /* min, max: NaN if either is */
	        IR_BINOP_PRELU, /* a < 0 ? a * b : a */
	        IR_BINOP_MOD,   /* integers: the remainder with the sign of b (ONNX Mod) */
	        IR_BINOP_FMOD,  /* the remainder with the sign of a (C's fmod, %) */
	        IR_BINOP_AND, IR_BINOP_OR, IR_BINOP_XOR /* bool only */ };
/* On integers: add, sub, mul and pow wrap; div truncates toward zero;
 * div, mod and fmod by 0 give 0 and the signed minimum divided by -1
 * wraps (no trap, no undefined behaviour); pow with a negative exponent
 * is 1 / a^-b truncated (0 unless a is 1 or -1). prelu and pow with a
 * fractional result are f32 only. */
#define IR_BINOP_LAST IR_BINOP_XOR
struct ir_binary_attr {
	enum ir_binop op;
};

/* reduce_mean, reduce_sum, reduce_max, ... (the IR_REDUCE_* ops, ONNX's
 * Reduce*) over `axes` (negative count from the end until shape inference
 * makes them non-negative and ascending); keepdims keeps each reduced
 * axis with size 1. */
struct ir_reduce_attr {
	uint8_t naxes;
	int axes[IR_MAX_RANK];
	bool keepdims;
};

/* slice of one axis, ONNX Slice semantics: negative start/end count from
 * the end, then both are clamped (step > 0: to [0, dim]; step < 0: start
 * to [0, dim - 1], end to [-1, dim - 1]); the output has
 * ceil((end - start) / step) >= 1 elements along the axis. Shape
 * inference resolves axis and start into range; the kernels read only
 * start, step and the output's extent. */
struct ir_slice_attr {
	int axis;
	int64_t start, end, step; /* step != 0 */
};

/* pad (ONNX Pad, constant mode): pads[i] elements of `value` before axis
 * i and pads[rank + i] after it, each >= 0. */
struct ir_pad_nd_attr {
	uint8_t npads; /* 2 * rank of the input (checked by shape inference) */
	int64_t pads[2 * IR_MAX_RANK];
	float value;
};

/* broadcast (ONNX Expand): the output shape is the NumPy broadcast of the
 * input's shape and dims. */
struct ir_broadcast_attr {
	uint8_t rank;
	int64_t dims[IR_MAX_RANK];
};

/* gather along `axis` with constant indices (ONNX Gather on an activation
 * with 1-D constant indices): the axis becomes nidx long, element j taken
 * from position idx[j]. Negative indices count from the end until shape
 * inference resolves them into [0, dim). idx is arena memory. */
struct ir_gather_attr {
	int axis;
	int64_t nidx;
	const int64_t *idx;
};

/* attention (scaled dot-product, multi-head): q [B, Sq, H*dk], k [B, Sk,
 * H*dk], v [B, Sk, H*dv] (B may be absent), optional in[3] an additive
 * mask broadcasting to [B, H, Sq, Sk]. scale multiplies q . k; shape
 * inference turns 0 into 1 / sqrt(dk). causal hides key t from query s
 * when t > s (PyTorch's is_causal). */
struct ir_attention_attr {
	int32_t heads;
	float scale;
	bool causal;
};

/* compare: y = a OP b (bool) with NumPy broadcasting; a NaN compares
 * false (ne: true). */
enum ir_cmp { IR_CMP_NONE, IR_CMP_EQ, IR_CMP_NE, IR_CMP_LT, IR_CMP_LE, IR_CMP_GT, IR_CMP_GE };
#define IR_CMP_LAST IR_CMP_GE
struct ir_compare_attr {
	enum ir_cmp op;
};

/* cast: every element converted to dtype `to`. float to integer rounds
 * toward zero and saturates (NaN gives 0); integers wrap to a narrower
 * type; to bool: x != 0 (NaN is true); from bool: 0 or 1. */
struct ir_cast_attr {
	enum ir_dtype to;
};

/* argmax, argmin: the i64 position along `axis` of the largest (smallest)
 * element, the first one or with `last` the last one; a NaN wins over
 * any number (NumPy). keepdims keeps the axis with size 1. */
struct ir_arg_attr {
	int axis; /* negative from the end until shape inference */
	bool keepdims, last;
};

/* gather_elements: y[i] = data[i with axis k replaced by idx[i]], the
 * output the shape of the indices; a negative index counts from the end
 * and one still outside [0, dim) is clamped into it (never read out of
 * bounds; ONNX calls such indices invalid). */
struct ir_gather_elements_attr {
	int axis; /* negative from the end until shape inference */
};

/* cumsum: y[.., j, ..] = the sum of x[.., i, ..] for i <= j along `axis`
 * (i < j when exclusive; i >= j, i > j with reverse), added in that order
 * from 0; integers wrap. */
struct ir_cumsum_attr {
	int axis; /* negative from the end until shape inference */
	bool exclusive, reverse;
};

/* topk: along `axis`, the positions of the k best elements in order,
 * best first: largest (or smallest) first, equal elements by position, a
 * NaN beating every number (argmax's rule). 1 <= k <= the axis. */
struct ir_topk_attr {
	int axis; /* negative from the end until shape inference */
	int64_t k;
	bool largest;
};

/* resize (ONNX Resize of any rank): output element y[o] interpolates x
 * per axis from the taps of ir_resize_taps (compiler/resize.c): axis k's
 * output position o_k maps to the input coordinate of `coord` with
 * scale[k] (ONNX's formulas), then nearest picks one position (rounded
 * by `nearest`), linear two and cubic four (Keys with coefficient
 * cubic_a; exclude_outside renormalizes over the in-range ones), indices
 * clamped into the axis (edge padding). */
enum ir_resize_mode { IR_RESIZE_NEAREST, IR_RESIZE_LINEAR, IR_RESIZE_CUBIC };
enum ir_resize_coord { IR_COORD_HALF_PIXEL, IR_COORD_PYTORCH_HALF_PIXEL, IR_COORD_ALIGN_CORNERS,
	               IR_COORD_ASYMMETRIC, IR_COORD_TF_HALF_PIXEL_FOR_NN };
enum ir_resize_round { IR_ROUND_PREFER_FLOOR, IR_ROUND_PREFER_CEIL, IR_ROUND_FLOOR,
	               IR_ROUND_CEIL };
struct ir_resize_attr {
	uint8_t mode, coord, nearest; /* the enums above */
	bool exclude_outside;
	float cubic_a;
	uint8_t rank;
	int64_t out[IR_MAX_RANK];     /* output dims */
	float scale[IR_MAX_RANK];     /* per axis, output / input as ONNX gives it;
	                                 0: out / in computed exactly (sizes given) */
};
#define IR_RESIZE_MAX_TAPS 4
/* The taps of output position o of an axis of in_len -> out_len with
 * scale s: at most IR_RESIZE_MAX_TAPS input positions idx[] (in range)
 * and weights w[]; returns how many. */
unsigned ir_resize_taps(const struct ir_resize_attr *a, int64_t in_len, int64_t out_len, float s,
                        int64_t o, int64_t *idx, float *w);
/* Every output position's taps, each padded to the axis's most taps T
 * (weight 0): idx and w of out_len * IR_RESIZE_MAX_TAPS entries, position
 * o's at [o * T, o * T + T); returns T. The interpreter and the back end
 * both compute from these tables. */
unsigned ir_resize_table(const struct ir_resize_attr *a, int64_t in_len, int64_t out_len, float s,
                         int64_t *idx, float *w);
/* Spellings of the resize enums ("linear", "half_pixel", "floor", ...):
 * names[value], and the value of a spelling or -1. */
extern const char *const ir_resize_modes[3], *const ir_resize_coords[5],
	*const ir_resize_rounds[4];
int ir_resize_lookup(const char *const *names, unsigned n, const char *s);

union ir_attrs {
	struct ir_resize_attr resize;
	struct ir_topk_attr topk;
	struct ir_cumsum_attr cumsum;
	struct ir_gather_elements_attr gather_elements;
	struct ir_compare_attr compare;
	struct ir_cast_attr cast;
	struct ir_arg_attr arg;
	struct ir_attention_attr attention;
	struct ir_binary_attr binary;
	struct ir_reduce_attr reduce;
	struct ir_slice_attr slice;
	struct ir_pad_nd_attr pad_nd;
	struct ir_broadcast_attr broadcast;
	struct ir_gather_attr gather;
	struct ir_index_attr index;
	struct ir_rnn_attr rnn;
	struct ir_select_attr select;
	struct ir_conv_attr conv;
	struct ir_dense_attr dense;
	struct ir_pool_attr pool;
	struct ir_axis_attr axis;
	struct ir_batchnorm_attr bn;
	struct ir_rescale_attr rescale;
	struct ir_normalize_attr norm;
	struct ir_reshape_attr reshape;
	struct ir_dropout_attr dropout;
	struct ir_clip_attr clip;
	struct ir_pad_attr pad;
	struct ir_eltwise_attr eltwise;
	struct ir_transpose_attr transpose;
	struct ir_axis_attr scale_bias; /* axis = channel axis; params: scale, bias */
};

enum ir_value_kind { IR_VAL_NONE, IR_VAL_INPUT, IR_VAL_NODE, IR_VAL_CONST };

struct ir_value {
	enum ir_value_kind kind;
	struct ir_type type;
	const char *name;     /* input name, node name, or weight key ("fc1.weight") */
	uint32_t node;        /* IR_VAL_NODE: defining node */
	enum ir_layout layout; /* IR_VAL_INPUT: declared layout of a 4-D input */
	const void *data;     /* IR_VAL_CONST: little-endian elements, or NULL */
	struct src_span loc;
};

struct ir_node {
	enum ir_op op;
	const char *name;      /* user's name or a generated one, unique */
	struct src_span loc;   /* the statement that created it */
	uint8_t nin;
	uint32_t *in;          /* nin activation value ids */
	uint32_t param[IR_MAX_PARAMS]; /* weight value ids or IR_NONE */
	uint32_t out;          /* output value id */
	enum ir_kernel kernel; /* how it runs (set by the passes) */
	union ir_attrs attr;
};

/* Where trained weights come from (the model's `weights` statement). */
enum ir_weights_kind { IR_WEIGHTS_NONE, IR_WEIGHTS_FILE, IR_WEIGHTS_RANDOM };
struct ir_weights_src {
	enum ir_weights_kind kind;
	const char *path;      /* FILE: resolved relative to the model file */
	enum ir_convention convention;
	uint64_t seed;         /* RANDOM */
	struct src_span loc;   /* the statement, for diagnostics */
	struct src_span path_loc;
};

struct ir_graph {
	struct arena *arena;   /* owns everything reachable from the graph */
	const char *name;      /* model name (C identifier) */
	struct ir_value *vals;
	uint32_t nvals, capvals;
	struct ir_node *nodes;
	uint32_t nnodes, capnodes;
	uint32_t *inputs, ninputs;   /* model input value ids, in order */
	uint32_t *outputs, noutputs; /* model output value ids, in order */
	struct ir_weights_src weights;
};

/* Parameter slot description: role names under each convention. */
struct ir_param_info {
	const char *pytorch, *keras; /* key suffix after "<prefix>." */
	bool optional;               /* e.g. bias: absent when attr.bias false */
};
/* Slot `slot` of op's weights (the params column), NULL past the last. */
const struct ir_param_info *ir_param_info(enum ir_op op, unsigned slot);
/* The eltwise step node n computes on its own (the step column with its
 * numbers from the attributes), kind IR_STEP_NONE for any other op. */
struct ir_eltwise_step ir_node_step(const struct ir_node *n);
/* Every eltwise step node n computes, in order, into out[IR_MAX_STEPS]:
 * its own step, or an eltwise node's chain; returns how many (0 for an
 * op that is not elementwise in this sense). */
unsigned ir_node_steps(const struct ir_node *n, struct ir_eltwise_step *out);

/* ---- builder ---- */
struct ir_graph *ir_graph_new(struct arena *a, const char *name);
uint32_t ir_add_input(struct ir_graph *g, const char *name, struct ir_type t,
                      enum ir_layout layout, struct src_span loc);
/* A constant with a key and (possibly unknown) type; data set later. */
uint32_t ir_add_const(struct ir_graph *g, const char *name, struct ir_type t,
                      const void *data, struct src_span loc);
/* Appends a node whose output value is new (type unknown). Copies `in`. */
uint32_t ir_add_node(struct ir_graph *g, enum ir_op op, const char *name,
                     const uint32_t *in, unsigned nin, const union ir_attrs *attr,
                     struct src_span loc);
void ir_add_output(struct ir_graph *g, uint32_t value);
static inline struct ir_node *ir_node(struct ir_graph *g, uint32_t id) { return &g->nodes[id]; }
static inline struct ir_value *ir_val(struct ir_graph *g, uint32_t id) { return &g->vals[id]; }
/* Replaces every use of value `from` (node inputs, graph outputs) by `to`. */
void ir_replace_uses(struct ir_graph *g, uint32_t from, uint32_t to);
/* Removes nodes for which keep[node] is false (none when keep_node is
 * NULL), renumbering nodes and dropping values no longer defined or used
 * (e.g. constants a packing pass replaced); value ids are compacted and
 * all references rewritten. */
void ir_compact(struct ir_graph *g, const bool *keep_node);
/* use counts per value (graph outputs count as uses); array of nvals. */
uint32_t *ir_count_uses(struct ir_graph *g, struct arena *scratch);

/* The value whose bytes v is: v itself, or through the views (IR_F_VIEW
 * nodes: reshape, flatten) it was made by, the first value that is not a
 * view's output. */
uint32_t ir_view_root(const struct ir_graph *g, uint32_t v);

/* ---- types ---- */
size_t ir_dtype_size(enum ir_dtype dt);
const char *ir_dtype_name(enum ir_dtype dt);
enum ir_dtype_class ir_dtype_class(enum ir_dtype dt);
/* Whether number v is an element value of integer or bool dtype dt: an
 * integer in its range (bool: 0 or 1), at most 2^53 in magnitude (exact
 * in a double); always true for f32. */
bool ir_dtype_holds(enum ir_dtype dt, double v);
/* The dtype spelled `name` ("f32", "i64", "bool", ...), or IR_DT_NONE. */
enum ir_dtype ir_dtype_from_name(const char *name);
/* Element count of a typed value; fits because of IR_MAX_TENSOR_BYTES. */
int64_t ir_type_numel(const struct ir_type *t);
int64_t ir_type_bytes(const struct ir_type *t);
bool ir_type_eq(const struct ir_type *a, const struct ir_type *b);
/* Formats e.g. "f32[1, 28, 28, 1]" into buf; returns buf. */
char *ir_type_str(const struct ir_type *t, char *buf, size_t n);
const char *ir_layout_name(enum ir_layout l);
/* A tensor split at `axis` (the interpreter and the backend index
 * per-axis ops this way): element (o, i, r) is at (o * len + i) * inner + r. */
struct ir_split {
	int64_t outer, len, inner;
};
struct ir_split ir_split_at(const struct ir_type *t, int axis);
/* Element strides of a dense (C order) tensor of extents dims[0..rank). */
void ir_dense_strides(const int64_t *dims, unsigned rank, int64_t *st);
/* A reduction over `axes` of x: the kept axes (the output's order) and the
 * reduced ones (C order), each with x's element strides, and how many
 * elements each output sums (the interpreter and the backend). */
struct ir_reduce_split {
	unsigned nkept, nred;
	int64_t kept[IR_MAX_RANK], kept_stride[IR_MAX_RANK];
	int64_t red[IR_MAX_RANK], red_stride[IR_MAX_RANK];
	int64_t count;
};
struct ir_reduce_split ir_reduce_split(const struct ir_type *x, const int *axes, unsigned naxes);
/* NumPy matmul y = a @ b as a batch of m x k times k x n products: batch
 * holds the output's batch axes, sa/sb per batch axis the step from one
 * matrix of a/b to the next (in matrices; 0 where it broadcasts). A vector
 * a is one row, a vector b one column. */
struct ir_matmul_split {
	int64_t m, k, n;
	struct ir_type batch;
	int64_t sa[IR_MAX_RANK], sb[IR_MAX_RANK];
};
struct ir_matmul_split ir_matmul_split(const struct ir_type *a, const struct ir_type *b,
                                       const struct ir_type *y);
/* NumPy broadcasting of a and b (shapes aligned at the last axis, size 1
 * stretching): sets *out (a's dtype) and returns true, or returns false
 * when some axis differs with neither size 1. */
bool ir_broadcast_type(const struct ir_type *a, const struct ir_type *b, struct ir_type *out);
/* Element strides for reading a tensor of type `in` at the positions of
 * broadcast result `out`: strides[k] for out's axis k, 0 where `in` has
 * no such axis or size 1 there. */
void ir_broadcast_strides(const struct ir_type *in, const struct ir_type *out, int64_t *strides);
const char *ir_binop_name(enum ir_binop op); /* "add", "sub", "mul", "div", "pow", ... */
const char *ir_cmp_name(enum ir_cmp op);     /* "eq", "ne", "lt", "le", "gt", "ge" */
/* Whether op is one of the reductions (IR_REDUCE_*, struct ir_reduce_attr). */
bool ir_op_is_reduce(enum ir_op op);

/* ---- printer and verifier ---- */
void ir_print(struct ir_graph *g, FILE *out);
/* Writes the graph as a Graphviz digraph (dlc --emit=dot, ir_dot.c). */
void ir_print_dot(struct ir_graph *g, FILE *out);
/* Checks invariants of `stage` (see top of file). Returns the number of
 * violations, each printed to stderr as an internal error description. */
enum ir_stage { IR_STAGE_NONE, IR_STAGE_LOWERED, IR_STAGE_TYPED, IR_STAGE_BOUND };
int ir_verify(struct ir_graph *g, enum ir_stage stage, FILE *out);

#endif
