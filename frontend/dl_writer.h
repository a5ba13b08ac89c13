/* dl_writer.h - the inside of the .dl writer (ir_to_dl.h): its state, the
 * text primitives every statement is made of (dl_text.c) and the writer
 * of each op's statement (the dl column of ir_ops.def, dl_layers.c).
 * Private to frontend/. */
#ifndef DLC_DL_WRITER_H
#define DLC_DL_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ir_to_dl.h"
#include "layers.h"
#include "strmap.h"

#define DL_MAX_RNN_LAYERS 100 /* num_layers' limit in the language */

enum stmt_kind {
	STMT_NONE,  /* written as part of another node's statement */
	STMT_PLAIN, /* one node, one statement */
	STMT_FUSED, /* an activation node: written with its conv2d/dense */
	STMT_RNN,   /* the last node of a recurrent statement */
	STMT_ALIAS, /* a 1-D reshape to the same type: its value is its input's */
};

/* One recurrent statement: layer j is fwd[j] (and rev[j] joined by cat[j]
 * when bidirectional). */
struct rnn_group {
	uint32_t nlayers;
	bool bidi;
	uint32_t fwd[DL_MAX_RNN_LAYERS], rev[DL_MAX_RNN_LAYERS], cat[DL_MAX_RNN_LAYERS];
};

struct writer {
	struct ir_graph *g;
	struct arena *a;
	struct diag *d;
	FILE *out;                /* the statements (a memory stream) */
	uint32_t *uses;           /* per value, graph outputs included */
	uint32_t *user;           /* per value: the first node reading it */
	const char **ident;       /* per value: its identifier in the program */
	uint8_t *kind;            /* per node: enum stmt_kind */
	uint32_t *partner;        /* per node: the conv2d/dense of a STMT_FUSED activation */
	struct rnn_group **group; /* per node: the group a STMT_RNN node ends */
	struct strmap names, keys, prefixes; /* sets: every value is 0 */
	struct st_tensor *tensors;
	uint32_t ntensors, captensors;
	enum ir_layout layout;     /* the model's: from its 4-D inputs, else nhwc */
	const struct ir_node *cur; /* the node being written, for errors */
	unsigned nargs;
	bool ok;
};

/* A weight of a layer: the constant and the key suffix the language
 * gives its slot. */
struct wref {
	uint32_t v;
	const char *suffix;
};

static inline bool dlw_has_bias(const struct ir_node *n)
{
	return n->param[2] != IR_NONE;
}

/* A unique identifier made from name, claimed (ir_to_dl.c). */
const char *dlw_claim(struct writer *w, const char *name);

/* ---- text primitives (dl_text.c) ---- */

/* Reports that w->cur cannot be written, and why; the run fails. */
__attribute__((format(printf, 2, 3))) void dlw_error(struct writer *w, const char *fmt, ...);
struct ir_node *dlw_def_node(struct writer *w, uint32_t v); /* NULL: not a node's value */
unsigned dlw_rank(struct writer *w, uint32_t v);
/* The shortest decimal that reads back as v (buf holds it). */
const char *dlw_float(struct writer *w, char *buf, size_t n, float v);
void dlw_string(FILE *out, const char *s); /* a quoted string literal */

/* A statement: dlw_begin, arguments, then dlw_end (inputs by value id) or
 * dlw_end_named (one input by identifier). */
void dlw_begin(struct writer *w, const char *ident, enum fe_layer_id layer);
__attribute__((format(printf, 2, 3))) void dlw_arg(struct writer *w, const char *fmt, ...);
void dlw_arg_float(struct writer *w, const char *key, float v);
void dlw_arg_floats(struct writer *w, const char *key, const float *v, int64_t n);
void dlw_arg_ints(struct writer *w, const char *key, const int64_t *v, unsigned n);
void dlw_arg_int_list(struct writer *w, const char *key, const int *v, unsigned n);
void dlw_arg_int2(struct writer *w, const char *key, const int64_t *v);
void dlw_arg_pad(struct writer *w, enum ir_pad_mode mode, const int64_t *p, bool valid_default);
void dlw_end(struct writer *w, const uint32_t *in, unsigned nin);
void dlw_end_named(struct writer *w, const char *in);

/* Weights: the tensor under key goes to the weights file. */
void dlw_add_tensor(struct writer *w, const char *key, uint32_t v);
const char *dlw_weight_prefix(struct writer *w, const char *ident, const struct wref *r,
                              unsigned n);
void dlw_arg_params(struct writer *w, const char *ident, const char *prefix);
void dlw_layer_weights(struct writer *w, const struct ir_node *n, const char *ident);
void dlw_check_layout(struct writer *w, enum ir_layout l);

/* ---- statements (dl_layers.c) ---- */

/* The statement of node n, its value named ident (the dl column). */
#define IR_OP(id, name, min_in, max_in, nparams, flags, attrs, shape, interp, lower, layout,       \
              params, step, dl)                                                                    \
	void write_##dl(struct writer *w, const struct ir_node *n, const char *ident);
#include "ir_ops.def"

/* conv2d or dense n with the activation node act folded in as
 * `activation=` (act may be NULL). */
void write_conv_dense(struct writer *w, const struct ir_node *n, const struct ir_node *act,
                      const char *ident);
/* A recurrent statement: all layers and directions of grp. */
void write_rnn(struct writer *w, const struct rnn_group *grp, const char *ident);

#endif
