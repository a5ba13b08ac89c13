/* rmodel.h - random valid dlc models for differential testing.
 *
 * A model is a list of layers, each reading earlier values (model inputs
 * or layer outputs) by id. Every layer keeps the random choices it was
 * made from (`raw`); rm_resolve derives the concrete parameters and output
 * shapes from those choices and the input shapes, clamping whatever the
 * inputs no longer allow (a kernel larger than the image, groups that no
 * longer divide the channels). A layer whose choices cannot be made valid
 * at all is bypassed: readers of its value read its first input instead.
 * So the shrinker can delete layers or shrink sizes freely and the model
 * stays valid; the generator uses the same function to build it.
 *
 * Value ids: 0 .. ninputs-1 are the model inputs, ninputs + k is layer k. */
#ifndef RMODEL_H
#define RMODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "safetensors.h"

#define RM_MAX_LAYERS 64
#define RM_MAX_INPUTS 2
#define RM_MAX_VALUES (RM_MAX_INPUTS + RM_MAX_LAYERS)
#define RM_MAX_RANK 6
#define RM_NRAW 16
#define RM_MAX_OUTPUTS 6

/* value facts the numerics rely on (exp, log, sqrt and div stay tame) */
enum { RM_UNIT = 1, /* |x| <= 1 */
       RM_POS = 2 /* x in about [0.3, 3] */ };

/* the binary ops RM_BINARY and RM_BINCONST draw (q[0]): add, sub, mul,
 * div, min, max, prelu */
#define RM_NBINOPS 7

enum rm_kind {
	RM_KNONE,
	RM_CONV,
	RM_CONVT, /* conv2d_transpose */
	RM_DENSE,
	RM_POOL,
	RM_GAP,
	RM_FLATTEN,
	RM_RESHAPE,
	RM_UNARY,
	RM_SOFTMAX,
	RM_BATCHNORM,
	RM_NORMALIZE,
	RM_ZEROPAD,
	RM_BINARY,
	RM_CONCAT,
	RM_BINCONST,
	RM_MATMUL,
	RM_MATMULC,
	RM_SLICE,
	RM_PAD,
	RM_TRANSPOSE,
	RM_GATHER,
	RM_REDUCE,
	RM_BROADCAST,
	RM_RNN,
	RM_TIMESTEP,
	RM_EMBEDDING,
	RM_ONEHOT,
	RM_NKINDS
};

/* standalone elementwise layers (RM_UNARY raw[0]) */
enum rm_unary { RU_RELU, RU_SIGMOID, RU_TANH, RU_RELU6, RU_HARD_SWISH, RU_NEG, RU_ABS,
                RU_LEAKY, RU_HARD_SIGMOID, RU_CLIP, RU_RESCALE, RU_DROPOUT, RU_EXP, RU_LOG,
                RU_SQRT, RU_SILU, RU_ELU, RU_SELU, RU_CELU, RU_SOFTPLUS, RU_SOFTSIGN, RU_MISH,
                RU_THRESHOLDED, RU_SIN, RU_COS, RU_ATAN, RU_SHRINK, RU_COUNT };

struct rm_shape {
	int rank;
	int d[RM_MAX_RANK];
	bool ids;       /* i32 token ids */
	unsigned flags; /* RM_UNIT, RM_POS */
};

struct rm_layer {
	enum rm_kind kind;
	int nin;
	int in[3];        /* value ids as generated */
	int raw[RM_NRAW]; /* the random choices, kind-specific */
	uint64_t wseed;   /* seeds this layer's weights and constants */
	bool removed;     /* deleted by the shrinker */
	/* set by rm_resolve */
	bool ok;
	int rin[3];       /* inputs after bypassing removed/invalid layers */
	int q[RM_NRAW];   /* derived parameters */
	struct rm_shape out;
};

struct rm_model {
	uint64_t seed;
	bool nchw;
	bool keras;     /* weights in the keras convention */
	int budget;     /* max elements of any value */
	int ninputs;
	struct rm_shape input[RM_MAX_INPUTS];
	int idmax;      /* token ids are drawn from [0, idmax) */
	int nlayers;
	struct rm_layer layer[RM_MAX_LAYERS];
	int noutputs;
	int outputs[RM_MAX_OUTPUTS];
	int target;     /* which target options the optimized compile adds */
	/* set by rm_resolve */
	int nrout;
	int routputs[RM_MAX_OUTPUTS];
};

/* Generates the model of `seed`: values of at most `budget` elements,
 * min_steps to max_steps generation steps (rmodel_gen.c). */
void rm_generate(struct rm_model *m, uint64_t seed, int budget, int min_steps, int max_steps);
/* Derives every layer's parameters and shape; false if the model has no
 * valid output left. */
bool rm_resolve(struct rm_model *m);
const struct rm_shape *rm_value_shape(const struct rm_model *m, int v);
/* Legalizes one layer against its resolved input shapes (l->rin). */
bool rm_legalize(const struct rm_model *m, struct rm_layer *l);
/* The part of rm_legalize for slice, pad, transpose, gather, reduce_mean,
 * broadcast and the sequence layers (rmodel_tensor.c). */
bool rm_legalize_tensor(const struct rm_model *m, struct rm_layer *l, const struct rm_shape *x);

/* Weight tensors collected while a model is written. */
struct rm_weights {
	struct arena *a;
	struct st_tensor *t;
	uint32_t n, cap;
};
/* Writes the statement(s) of layer k and adds its tensors to w; `prev` is
 * the value of the previous layer statement (-1 if none), which the layer
 * may read implicitly. */
void rm_emit_layer(const struct rm_model *m, int k, int prev, FILE *dl, struct rm_weights *w);
/* The part of rm_emit_layer for the layers of rmodel_tensor.c: writes the
 * call (without inputs) and adds the tensors of weight prefix `name`. */
void rm_emit_tensor_layer(const struct rm_model *m, const struct rm_layer *l, const char *name,
                          FILE *dl, struct rm_weights *w);
/* Adds "<prefix>.<suffix>", uniform in +-sqrt(3 / fan_in). */
void rm_add_weight(struct rm_weights *w, const char *prefix, const char *suffix, int rank,
                   const int *dims, uint64_t seed, int fan_in);
/* Adds tensor `name` of the given dims, each element uniform in
 * [lo, hi) drawn from `seed`; returns its data. */
float *rm_add_tensor(struct rm_weights *w, const char *name, int rank, const int *dims,
                     uint64_t seed, float lo, float hi);

/* the generator's deterministic PRNG (splitmix64) */
uint64_t rm_next(uint64_t *state);
int rm_below(uint64_t *state, int n); /* uniform in [0, n) */
float rm_uniform(uint64_t *state, float lo, float hi);

int rm_channel_axis(const struct rm_model *m, int rank);
int64_t rm_count(const struct rm_shape *s);

#endif
