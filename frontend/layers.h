/* layers.h - the layer table (layers.def) and the keyword table
 * (keywords.def) as C data.
 *
 * fe_layers[] and fe_params[] are generated from layers.def; each
 * layer's parameters are a contiguous run of fe_params[] in positional
 * order. Code that needs one particular parameter names it at compile
 * time: FE_ARG_INDEX(CONV2D, kernel) is kernel's index among conv2d's
 * parameters. */
#ifndef DLC_FE_LAYERS_H
#define DLC_FE_LAYERS_H

#include <stdint.h>

#include "ir.h"

/* The reserved words of the language; 0 = not one. */
enum fe_keyword {
	FE_KW_NONE,
#define KEYWORD(id, spelling) FE_KW_##id,
#include "keywords.def"
	FE_KW_COUNT
};

/* What a parameter accepts. */
enum fe_ptype {
	FE_PT_NONE,
	FE_PT_INT,    /* an integer */
	FE_PT_INT2,   /* an integer or a list of two: [h, w] */
	FE_PT_PAD,    /* valid | same | p | [ph, pw] | [top, left, bottom, right] */
	FE_PT_FLOAT,  /* a number */
	FE_PT_BOOL,   /* true | false */
	FE_PT_ACT,    /* none | relu | sigmoid | tanh | softmax */
	FE_PT_AXIS,   /* an integer or `channel` */
	FE_PT_FLOATS, /* a number or a list of numbers */
	FE_PT_DIMS,   /* a list of integers, each >= 1 or -1 */
	FE_PT_STRING, /* a string */
	FE_PT_INTS,   /* an integer or a list of integers (any length >= 1) */
	FE_PT_TYPE,   /* a tensor type: f32[d0, d1, ...] (any dtype) */
	FE_PT_DTYPE,  /* a dtype: f32 | i64 | i32 | bool | i8 | u8 | ... */
	FE_PT_WORD,   /* a word (identifier) the layer's check knows: linear, ... */
};

/* Bounds checked on every number of a parameter. */
enum fe_range {
	FE_RG_NONE,
	FE_RG_GE0,  /* >= 0 */
	FE_RG_GE1,  /* >= 1 */
	FE_RG_POS,  /* > 0 */
	FE_RG_UNIT, /* in [0, 1) */
};

enum fe_param_flags {
	FE_PF_KEYWORD = 1 << 0, /* only as key=value */
	FE_PF_DERIVED = 1 << 1, /* default computed by lowering */
};

enum fe_layer_id {
	FE_LAYER_NONE,
#define LAYER(id, name, op, min_in, max_in, doc) FE_LAYER_##id,
#define PARAM(layer, name, type, def, range, flags, doc)
#include "layers.def"
	FE_LAYER_COUNT
};

/* Every parameter's index in fe_params[]. FE_PSTART_<layer> equals the
 * index of the layer's first parameter without taking up a value. */
enum fe_param_id {
#define LAYER(id, name, op, min_in, max_in, doc) \
	FE_PSTART_##id, FE_PBEFORE_##id = FE_PSTART_##id - 1,
#define PARAM(layer, name, type, def, range, flags, doc) FE_P_##layer##_##name,
#include "layers.def"
	FE_PARAM_COUNT
};

#define FE_ARG_INDEX(layer, name) (FE_P_##layer##_##name - FE_PSTART_##layer)

/* The most parameters any one layer has (checked by fe_layer_params). */
#define FE_MAX_LAYER_PARAMS 12

struct fe_layer {
	const char *name;
	enum ir_op op;
	uint8_t min_in, max_in; /* activation inputs; IR_VARIADIC = up to 255 */
	const char *doc;
	uint32_t first;         /* index of its first parameter in fe_params */
};

struct fe_param {
	enum fe_layer_id layer;
	const char *name;
	enum fe_ptype type;
	const char *def; /* default as source text; NULL = required */
	enum fe_range range;
	unsigned flags; /* enum fe_param_flags */
	const char *doc;
};

extern const struct fe_layer fe_layers[FE_LAYER_COUNT];
extern const struct fe_param fe_params[FE_PARAM_COUNT];
extern const char *const fe_keywords[FE_KW_COUNT]; /* spellings; "" for FE_KW_NONE */

/* The layer spelled `name`, or FE_LAYER_NONE. */
enum fe_layer_id fe_layer_find(const char *name);
/* The keyword spelled s, or FE_KW_NONE (the scanner and the .dl writer
 * both ask this). */
enum fe_keyword fe_keyword_find(const char *s);
/* The parameters of a layer (a run of fe_params) and their number. */
const struct fe_param *fe_layer_params(enum fe_layer_id id, unsigned *n);

#endif
