/* pass.h - the pass interface and the fixed pass pipeline.
 *
 * A pass is a function over one graph with a name (for --print-after,
 * --stop-after, --disable-pass) and the IR stage it leaves behind (for the
 * verifier). Passes report user errors through ctx->diag and return false
 * if any occurred; the pipeline stops after the first pass with errors,
 * since later passes rely on its invariants. */
#ifndef DLC_PASS_H
#define DLC_PASS_H

#include <stdbool.h>
#include <stdio.h>

#include "ir.h"
#include "target.h"

struct pass_options {
	int opt_level;                 /* -O0..-O3 */
	const char *print_after;       /* pass name or NULL */
	bool print_after_all;
	const char *stop_after;        /* pass name or NULL */
	const char **disabled;         /* pass names; NULL-terminated or NULL */
	FILE *print_out;               /* where --print-after goes */
	const char *model_dir;         /* directory of the model file */
	const struct target_desc *target; /* for tiling and packing; NULL = baseline */
	bool for_interpreter;          /* the IR will run in the interpreter: skip
	                                  the codegen_only passes */
	bool importing;                /* dlc import: the recognizing passes
	                                  (pass.recognizes) run at every -O level */
};

struct pass_ctx {
	struct ir_graph *g;
	struct diag *diag;
	struct arena *scratch;         /* freed after each pass */
	const struct pass_options *opts;
};

struct pass {
	const char *name;
	const char *summary;           /* one line for --help */
	bool (*run)(struct pass_ctx *ctx);
	enum ir_stage stage;           /* what the IR satisfies afterwards */
	int min_opt;                   /* runs only at -O >= min_opt */
	bool codegen_only;             /* rewrites weights into layouts only the
	                                  back end reads (packing): skipped when
	                                  the interpreter runs the IR */
	bool recognizes;               /* turns a pattern of primitives into the
	                                  layer the language has for it (silu,
	                                  gelu, attention): also runs for dlc
	                                  import at -O0, so the written program
	                                  reads as that layer */
};

/* The passes, each defined in its own file pass_<name>.c. */
extern const struct pass pass_shape_infer;  /* shape inference and checks */
extern const struct pass pass_bind_weights; /* load and check the weights */
extern const struct pass pass_remove_dropout;
extern const struct pass pass_dce;          /* dead-layer removal */
extern const struct pass pass_lower_conv_transpose; /* conv_transpose as conv2d + shuffle */
extern const struct pass pass_fold_constants; /* constant subgraphs evaluated */
extern const struct pass pass_fuse_attention; /* softmax(q k^T) v as one attention node */
extern const struct pass pass_fold_batchnorm; /* batchnorm into conv/dense or scale_bias */
extern const struct pass pass_fold_rescale;   /* input preprocessing into the first layer */
extern const struct pass pass_fold_pad;       /* zeropad2d into the conv/avgpool after it */
extern const struct pass pass_fuse_gate;     /* x * sigmoid(x) into one silu step, ... */
extern const struct pass pass_layout;       /* NHWC inside, declared layout at the edges */
extern const struct pass pass_fuse_epilogue;  /* activation + residual into conv/dense */
extern const struct pass pass_fuse_eltwise;   /* elementwise chains into one loop */
extern const struct pass pass_tile;         /* register/cache blocks of conv2d/dense */
extern const struct pass pass_winograd;     /* 3x3 stride-1 convs as Winograd F(2x2, 3x3) */
extern const struct pass pass_pack;         /* weights pre-packed into kernel panels */
extern const struct pass pass_dwpack;       /* depthwise weights as [KH, KW, S, C] */
extern const struct pass pass_pack_rnn;     /* lstm/gru weights in column panels */

/* Whether conv2d n runs on the lane-wise (depthwise) kernel for vectors of
 * vec floats: NHWC, groups of S input and S output channels with S below
 * vec and dividing it (S = 1 is depthwise), a kernel of at most 16 x 16
 * and 64 taps, constant weights (pass_dwpack.c). The tiling pass leaves
 * these. */
bool pass_conv_lanewise(const struct ir_graph *g, const struct ir_node *n, int64_t vec);

/* The pipeline, in order; NULL-terminated. */
extern const struct pass *const pass_pipeline[];
const struct pass *pass_find(const char *name);

/* Runs the pipeline on g. Returns false if a pass reported errors (or the
 * verifier failed, which is an internal error). *stopped is set when
 * --stop-after ended the pipeline early. */
bool pass_run_pipeline(struct ir_graph *g, struct diag *d, const struct pass_options *o,
                       bool *stopped);

#endif
