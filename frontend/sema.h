/* sema.h - a checked model: what check.c hands to lower.c.
 *
 * check.c resolves every name and converts every argument (given or
 * default) into a typed struct fe_arg, reporting all mistakes it finds.
 * When it succeeds, lowering has nothing left to validate: it only maps
 * this structure onto IR builder calls. */
#ifndef DLC_FE_SEMA_H
#define DLC_FE_SEMA_H

#include <stdbool.h>
#include <stdint.h>

#include "ast.h"
#include "ir.h"
#include "layers.h"

/* One argument after type checking. Which fields hold the value depends
 * on the parameter's type:
 *   INT, AXIS     i[0] (AXIS: IR_AXIS_CHANNEL for `channel`)
 *   INT2          i[0], i[1]
 *   PAD           pad_mode; when explicit, i[0..3] = top, left, bottom, right
 *   FLOAT         f
 *   BOOL          i[0] (0 or 1)
 *   ACT           op (IR_OP_NONE for none)
 *   FLOATS        fs[0..n)
 *   DIMS          i[0..n)
 *   STRING, WORD  s
 *   INTS          is[0..n)
 *   TYPE          dtype, i[0..n) the dims */
struct fe_arg {
	bool given;          /* written in the source (else the default) */
	struct src_span loc; /* the value, or the call when defaulted */
	int64_t i[IR_MAX_RANK];
	unsigned n;
	double f;
	const float *fs;
	const int64_t *is;
	enum ir_dtype dtype;
	enum ir_pad_mode pad_mode;
	enum ir_op op;
	const char *s;
};

/* A reference to a value: model input k is k, layer k is ninputs + k. */
typedef uint32_t fe_ref;

struct sema_input {
	const struct ast_stmt *stmt;
	const char *name;
	struct ir_type type;
	enum ir_layout layout; /* IR_LAYOUT_NONE unless 4-D */
};

struct sema_layer {
	const struct ast_stmt *stmt;
	enum fe_layer_id id;
	const char *name;   /* the user's or a generated one */
	const char *prefix; /* weight name prefix (params= or name) */
	struct fe_arg args[FE_MAX_LAYER_PARAMS];
	fe_ref *in;
	uint32_t nin;
};

struct sema {
	const char *name;      /* model name */
	enum ir_layout layout; /* of every 4-D activation */
	struct sema_input *inputs;
	uint32_t ninputs;
	struct ir_weights_src weights; /* path not yet joined to the model dir */
	struct sema_layer *layers;
	uint32_t nlayers;
	fe_ref *outputs;
	uint32_t noutputs;
};

/* Checks m and fills *out. Returns false if any error was reported. */
bool fe_check(struct arena *a, struct diag *d, const struct ast_model *m, struct sema *out);

#endif
