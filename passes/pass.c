/* pass.c - the fixed pass pipeline and its driver.
 *
 * The pipeline is a plain list (QBE style). Each pass runs on the whole
 * graph; after it the IR is printed if asked (--print-after[-all]) and, in
 * builds with DLC_VERIFY_EACH, checked by the verifier for the stage the
 * pass promises. A verifier failure is a bug in dlc: it aborts. */
#include "pass.h"

#include <string.h>

#include "check.h"

const struct pass pass_verify;

const struct pass *const pass_pipeline[] = {
	&pass_shape_infer,
	&pass_bind_weights,
	&pass_verify,
	&pass_remove_dropout,
	&pass_dce,
	&pass_lower_conv_transpose,
	&pass_fold_constants,
	&pass_fuse_attention,
	&pass_fold_batchnorm,
	&pass_fold_rescale,
	&pass_fold_pad,
	&pass_fuse_gate,
	&pass_layout,
	&pass_fuse_epilogue,
	&pass_fuse_eltwise,
	&pass_tile,
	&pass_winograd,
	&pass_pack,
	&pass_dwpack,
	&pass_pack_rnn,
	NULL,
};

static bool run_verify(struct pass_ctx *ctx)
{
	if (ir_verify(ctx->g, IR_STAGE_BOUND, stderr))
		DLC_UNREACHABLE("IR verification failed (see above)");
	return true;
}

const struct pass pass_verify = {
	.name = "verify",
	.summary = "check every IR invariant (types, edges, weights)",
	.run = run_verify,
	.stage = IR_STAGE_BOUND,
	.min_opt = 0,
};

const struct pass *pass_find(const char *name)
{
	for (const struct pass *const *p = pass_pipeline; *p; p++)
		if (!strcmp((*p)->name, name))
			return *p;
	return NULL;
}

static bool is_disabled(const struct pass_options *o, const char *name)
{
	for (const char **d = o->disabled; d && *d; d++)
		if (!strcmp(*d, name))
			return true;
	return false;
}

bool pass_run_pipeline(struct ir_graph *g, struct diag *d, const struct pass_options *o,
                       bool *stopped)
{
	*stopped = false;
	if (ir_verify(g, IR_STAGE_LOWERED, stderr))
		DLC_UNREACHABLE("the frontend produced invalid IR (see above)");
	for (const struct pass *const *pp = pass_pipeline; *pp; pp++) {
		const struct pass *p = *pp;
		/* Passes below -O1 are what correctness needs; they cannot be
		 * disabled. */
		bool run = (o->opt_level >= p->min_opt || (p->recognizes && o->importing)) &&
		           !(p->min_opt > 0 && is_disabled(o, p->name)) &&
		           !(p->codegen_only && o->for_interpreter);
		if (run) {
			struct arena scratch = { 0 };
			struct pass_ctx ctx = { g, d, &scratch, o };
			bool ok = p->run(&ctx) && !d->errors;
			arena_free(&scratch);
			if (!ok)
				return false;
#ifdef DLC_VERIFY_EACH
			if (ir_verify(g, p->stage, stderr)) {
				fprintf(stderr, "after pass '%s':\n", p->name);
				DLC_UNREACHABLE("IR verification failed");
			}
#endif
			if (o->print_after_all || (o->print_after && !strcmp(o->print_after, p->name))) {
				FILE *out = o->print_out ? o->print_out : stderr;
				fprintf(out, "; *** IR after %s ***\n", p->name);
				ir_print(g, out);
			}
		}
		if (o->stop_after && !strcmp(o->stop_after, p->name)) {
			*stopped = true;
			return true;
		}
	}
	return true;
}
