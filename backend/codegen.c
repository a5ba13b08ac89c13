/* codegen.c - builds the LLVM module of a model and drives the back end.
 *
 * cg_emit: pick the target machine (triple, CPU, features, relocation
 * model), create an explicit context and module, build the entry point
 * `<name>_run` (argument checks, then one loop nest per node in schedule
 * order, then copies into output buffers the plan could not target
 * directly), the const tables `<name>_inputs` / `<name>_outputs` and the
 * weights image, verify the module, run LLVM's default pipeline once, and
 * hand it to emit.c. Every LLVM object is disposed in reverse order of
 * creation before returning. */
#include <ctype.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "cg.h"
#include "check.h"
#include "cheader.h"
#include "outfile.h"

/* Status codes of dlcrt.h; the runtime is not linked into the compiler. */
enum { STATUS_OK = 0, STATUS_NULL_BUFFER = 1, STATUS_MISALIGNED = 2 };
#define IO_ALIGN 4

static bool is_c_identifier(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static void add_attr(struct cg *c, LLVMValueRef fn, unsigned idx, const char *name)
{
	unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
	DLC_ASSERT(kind != 0);
	LLVMAddAttributeAtIndex(fn, idx, LLVMCreateEnumAttribute(c->ctx, kind, 0));
}

static void add_str_attr(struct cg *c, LLVMValueRef fn, const char *k, const char *v)
{
	LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
	                        LLVMCreateStringAttribute(c->ctx, k, (unsigned)strlen(k), v,
	                                                  (unsigned)strlen(v)));
}

/* "if (p == NULL) return NULL_BUFFER; if (p % align) return MISALIGNED;" */
static void check_buffer(struct cg *c, LLVMValueRef p, unsigned align)
{
	LLVMValueRef is_null = LLVMBuildIsNull(c->b, p, "is.null");
	LLVMBasicBlockRef after = cg_if_begin(c, is_null, "null");
	LLVMBuildRet(c->b, LLVMConstInt(c->t_i32, STATUS_NULL_BUFFER, 0));
	LLVMPositionBuilderAtEnd(c->b, after);
	LLVMValueRef bits = LLVMBuildPtrToInt(c->b, p, c->t_i64, "addr");
	LLVMValueRef low = LLVMBuildAnd(c->b, bits, cg_i64(c, align - 1), "low");
	LLVMValueRef mis = LLVMBuildICmp(c->b, LLVMIntNE, low, cg_i64(c, 0), "misaligned");
	after = cg_if_begin(c, mis, "misaligned");
	LLVMBuildRet(c->b, LLVMConstInt(c->t_i32, STATUS_MISALIGNED, 0));
	LLVMPositionBuilderAtEnd(c->b, after);
}

static LLVMValueRef byte_offset(struct cg *c, LLVMValueRef base, int64_t off, const char *name)
{
	if (!off)
		return base;
	LLVMValueRef i = cg_i64(c, off);
	if (LLVMIsConstant(base))
		return LLVMConstInBoundsGEP2(c->t_i8, base, &i, 1);
	return LLVMBuildInBoundsGEP2(c->b, c->t_i8, base, &i, 1, name);
}

/* The embedded weights: one private constant byte array, 64-byte aligned,
 * made from the raw image (not one LLVM constant per element). */
static LLVMValueRef embed_weights(struct cg *c, const uint8_t *img)
{
	LLVMValueRef init = LLVMConstStringInContext2(c->ctx, (const char *)img,
	                                              (size_t)c->plan->weights_bytes, 1);
	LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), "weights");
	LLVMSetInitializer(gv, init);
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMPrivateLinkage);
	LLVMSetAlignment(gv, PLAN_ALIGN);
	return gv;
}

/* Declares <name>_run with its parameters, named after the tensors. */
static void declare_entry(struct cg *c, const char **pnames, bool external)
{
	struct ir_graph *g = c->g;
	unsigned nparams = (external ? 1 : 0) + g->ninputs + g->noutputs + 1;
	LLVMTypeRef *pt = arena_array(c->arena, nparams, sizeof *pt);
	for (unsigned i = 0; i < nparams; i++)
		pt[i] = c->t_ptr;
	LLVMTypeRef fty = LLVMFunctionType(c->t_i32, pt, nparams, 0);
	const char *fname = arena_printf(c->arena, "%s_run", c->opts->name);
	c->fn = LLVMAddFunction(c->mod, fname, fty);
	add_attr(c, c->fn, LLVMAttributeFunctionIndex, "nounwind");
	add_str_attr(c, c->fn, "target-cpu", LLVMGetTargetMachineCPU(c->tm));
	char *feat = LLVMGetTargetMachineFeatureString(c->tm);
	if (feat && *feat)
		add_str_attr(c, c->fn, "target-features", feat);
	LLVMDisposeMessage(feat);
	for (unsigned i = 0; i < nparams; i++) {
		LLVMValueRef p = LLVMGetParam(c->fn, i);
		unsigned k = i - (external ? 1 : 0);
		const char *nm = external && i == 0 ? "weights"
		                 : i == nparams - 1 ? "scratch" : pnames[k];
		LLVMSetValueName2(p, nm, strlen(nm));
		add_attr(c, c->fn, i + 1, "noalias");
		add_attr(c, c->fn, i + 1, "nocapture");
		if ((external && i == 0) || k < g->ninputs)
			add_attr(c, c->fn, i + 1, "readonly");
	}
}
