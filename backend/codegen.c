/* codegen.c - builds the LLVM module of a model and drives the back end.
 *
 * cg_emit: pick the target machine (triple, CPU, features, relocation
 * model), create an explicit context and module, build the entry point
 * `<name>_run` (argument checks, then one call per node in schedule order,
 * then copies into output buffers the plan could not target directly),
 * one internal function `<name>.<node>` per node holding its loop nest,
 * the const tables `<name>_inputs` / `<name>_outputs` and the weights
 * image, verify the module, run LLVM's default pipeline once, and hand it
 * to emit.c. Every LLVM object is disposed in reverse order of
 * creation before returning.
 *
 * --sanitize=address: every function carries sanitize_address and LLVM's
 * AddressSanitizer pass runs after the pipeline (as clang runs it); the
 * plan is a guarded one (plan_build_guarded), and the entry point poisons
 * the whole scratch region but the tensors' own bytes, and the gaps
 * between weight tensors, before the first layer, so a kernel that strays
 * from its tensor is reported; it unpoisons the scratch region before
 * returning. --sanitize=thread: sanitize_thread and the ThreadSanitizer
 * passes. */
#include <ctype.h>
#include <stdlib.h>
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
#define IO_ALIGN 4 /* f32 and i32 tensors; i64 inputs need 8 (io_align) */

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

/* Alignment the entry point demands of input/output buffer k (in table
 * order): the element size, at least IO_ALIGN. */
static unsigned io_align(struct cg *c, unsigned k)
{
	uint32_t v = k < c->g->ninputs ? c->g->inputs[k] : c->g->outputs[k - c->g->ninputs];
	size_t es = ir_dtype_size(c->g->vals[v].type.dtype);
	return es > IO_ALIGN ? (unsigned)es : IO_ALIGN;
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
	LLVMSetUnnamedAddr(gv, 1);
	LLVMSetAlignment(gv, PLAN_ALIGN);
	return gv;
}

/* The function attributes every generated function carries: nounwind and
 * the target machine's CPU and features. */
static void add_target_attrs(struct cg *c, LLVMValueRef fn)
{
	add_attr(c, fn, LLVMAttributeFunctionIndex, "nounwind");
	char *cpu = LLVMGetTargetMachineCPU(c->tm);
	add_str_attr(c, fn, "target-cpu", cpu);
	LLVMDisposeMessage(cpu);
	char *feat = LLVMGetTargetMachineFeatureString(c->tm);
	if (feat && *feat)
		add_str_attr(c, fn, "target-features", feat);
	LLVMDisposeMessage(feat);
	/* Without these LLVM narrows 512-bit vectors (tiled kernels and
	 * vectorized loops) to 256 bits on AVX-512 machines. */
	if (c->target->vec_floats == 16) {
		add_str_attr(c, fn, "prefer-vector-width", "512");
		add_str_attr(c, fn, "min-legal-vector-width", "512");
	}
	if (c->opts->sanitize == CG_SANITIZE_ADDRESS)
		add_attr(c, fn, LLVMAttributeFunctionIndex, "sanitize_address");
	else if (c->opts->sanitize == CG_SANITIZE_THREAD)
		add_attr(c, fn, LLVMAttributeFunctionIndex, "sanitize_thread");
}

/* Adds a function `name` returning ret_ty whose parameters are the entry
 * point's base pointers ([weights,] inputs..., outputs..., scratch), named
 * after the tensors. They are noalias: the caller's buffers, the scratch
 * region and the weights are distinct regions, and every tensor lies
 * inside one of them. */
static LLVMValueRef add_function(struct cg *c, const char *name, LLVMTypeRef ret_ty,
                                 const char **pnames)
{
	struct ir_graph *g = c->g;
	bool external = c->opts->weights == CG_WEIGHTS_EXTERNAL;
	unsigned nparams = (external ? 1 : 0) + g->ninputs + g->noutputs + 1;
	LLVMTypeRef *pt = arena_array(c->arena, nparams, sizeof *pt);
	for (unsigned i = 0; i < nparams; i++)
		pt[i] = c->t_ptr;
	LLVMValueRef fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(ret_ty, pt, nparams, 0));
	add_target_attrs(c, fn);
	for (unsigned i = 0; i < nparams; i++) {
		LLVMValueRef p = LLVMGetParam(fn, i);
		unsigned k = i - (external ? 1 : 0);
		const char *nm = external && i == 0 ? "weights"
		                 : i == nparams - 1 ? "scratch" : pnames[k];
		LLVMSetValueName2(p, nm, strlen(nm));
		add_attr(c, fn, i + 1, "noalias");
		add_attr(c, fn, i + 1, "nocapture");
		if ((external && i == 0) || k < g->ninputs)
			add_attr(c, fn, i + 1, "readonly");
	}
	return fn;
}

/* Makes fn the function being built: its entry block (created here, home
 * of the allocas) and its scratch and weights bases. */
static void enter_function(struct cg *c, LLVMValueRef fn, LLVMValueRef weights_gv)
{
	c->fn = fn;
	c->entry = LLVMAppendBasicBlockInContext(c->ctx, fn, "entry");
	LLVMPositionBuilderAtEnd(c->b, c->entry);
	c->scratch = LLVMGetParam(fn, LLVMCountParams(fn) - 1);
	c->weights = c->opts->weights == CG_WEIGHTS_EXTERNAL ? LLVMGetParam(fn, 0) : weights_gv;
}

/* Points c->addr[v] at value v inside the function being built (a GEP
 * from the base pointer of v's home, at the builder's position). */
static void bind_value(struct cg *c, uint32_t v)
{
	struct ir_graph *g = c->g;
	const struct plan *p = c->plan;
	unsigned first = c->opts->weights == CG_WEIGHTS_EXTERNAL ? 1 : 0;
	const char *nm = g->vals[v].name ? g->vals[v].name : "t";
	switch (p->home[v]) {
	case PLAN_HOME_NONE:
		c->addr[v] = NULL;
		return;
	case PLAN_HOME_INPUT:
		c->addr[v] = byte_offset(c, LLVMGetParam(c->fn, first + p->index[v]), p->offset[v], nm);
		return;
	case PLAN_HOME_OUTPUT:
		c->addr[v] = byte_offset(c, LLVMGetParam(c->fn, first + g->ninputs + p->index[v]),
		                         p->offset[v], nm);
		return;
	case PLAN_HOME_WEIGHTS:
		c->addr[v] = byte_offset(c, c->weights, p->offset[v], nm);
		return;
	case PLAN_HOME_SCRATCH:
		c->addr[v] = byte_offset(c, c->scratch, p->offset[v], nm);
		return;
	}
	DLC_UNREACHABLE("bind_value: invalid home");
}

/* Binds (or, with bind false, forgets) the values node n reads and writes. */
static void bind_node(struct cg *c, const struct ir_node *n, bool bind)
{
	for (unsigned k = 0; k < n->nin; k++) {
		if (bind)
			bind_value(c, n->in[k]);
		else
			c->addr[n->in[k]] = NULL;
	}
	for (unsigned k = 0; k < IR_MAX_PARAMS; k++) {
		if (n->param[k] == IR_NONE)
			continue;
		if (bind)
			bind_value(c, n->param[k]);
		else
			c->addr[n->param[k]] = NULL;
	}
	if (bind)
		bind_value(c, n->out);
	else
		c->addr[n->out] = NULL;
}

/* True when fn does nothing: one block of address arithmetic and `ret`
 * (a view, or a concat whose inputs were all computed in place). */
static bool is_empty_function(LLVMValueRef fn)
{
	if (LLVMCountBasicBlocks(fn) != 1)
		return false;
	for (LLVMValueRef i = LLVMGetFirstInstruction(LLVMGetEntryBasicBlock(fn)); i;
	     i = LLVMGetNextInstruction(i)) {
		LLVMOpcode op = LLVMGetInstructionOpcode(i);
		if (op != LLVMGetElementPtr && op != LLVMRet)
			return false;
	}
	return true;
}

/* The symbol of node i's function: `<model>.<node name>`, unique because
 * node names are (LLVM would append a number to a clash anyway). */
static const char *node_symbol(struct cg *c, uint32_t i)
{
	const char *nm = c->g->nodes[i].name;
	if (nm)
		return arena_printf(c->arena, "%s.%s", c->opts->name, nm);
	return arena_printf(c->arena, "%s.node%u", c->opts->name, (unsigned)i);
}

/* Emits node i as an internal noinline function and a call to it from the
 * entry point (at the builder's position there). One function per node
 * keeps each function small: LLVM's optimizer is superlinear in function
 * size, so one function for a whole model of thousands of layers took
 * minutes at -O2. noinline keeps the inliner from gluing them back. */
static void emit_node(struct cg *c, uint32_t i, const char **pnames, LLVMValueRef weights_gv)
{
	const struct ir_node *n = &c->g->nodes[i];
	struct cg saved = *c; /* the entry point's fn, entry, weights, scratch */
	LLVMBasicBlockRef at = LLVMGetInsertBlock(c->b);
	LLVMValueRef fn = add_function(c, node_symbol(c, i), c->t_void, pnames);
	LLVMSetLinkage(fn, LLVMInternalLinkage);
	add_attr(c, fn, LLVMAttributeFunctionIndex, "noinline");
	enter_function(c, fn, weights_gv);
	bind_node(c, n, true);
	cg_lower_node(c, n);
	LLVMBuildRetVoid(c->b);
	bind_node(c, n, false);
	c->fn = saved.fn;
	c->entry = saved.entry;
	c->weights = saved.weights;
	c->scratch = saved.scratch;
	LLVMPositionBuilderAtEnd(c->b, at);
	if (is_empty_function(fn)) {
		LLVMDeleteFunction(fn);
		return;
	}
	unsigned np = LLVMCountParams(fn);
	LLVMValueRef *args = arena_array(c->arena, np, sizeof *args);
	LLVMGetParams(c->fn, args);
	LLVMBuildCall2(c->b, LLVMGlobalGetValueType(fn), fn, args, np, "");
}

/* Calls ASan's __asan_poison_memory_region (poison) or
 * __asan_unpoison_memory_region on n bytes at base + off. */
static void asan_mark(struct cg *c, bool poison, LLVMValueRef base, int64_t off, int64_t n)
{
	const char *name = poison ? "__asan_poison_memory_region" : "__asan_unpoison_memory_region";
	LLVMTypeRef pt[2] = { c->t_ptr, c->t_i64 };
	LLVMTypeRef ft = LLVMFunctionType(c->t_void, pt, 2, 0);
	LLVMValueRef fn = LLVMGetNamedFunction(c->mod, name);
	if (!fn)
		fn = LLVMAddFunction(c->mod, name, ft);
	LLVMValueRef args[2] = { byte_offset(c, base, off, "guard"), cg_i64(c, n) };
	LLVMBuildCall2(c->b, ft, fn, args, 2, "");
}

struct weight_span {
	int64_t lo, hi;
};

static int cmp_span(const void *a, const void *b)
{
	const struct weight_span *x = a, *y = b;
	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Poisons (or unpoisons) the bytes of the weights image that no weight
 * tensor covers: the redzones of a guarded plan. Only those: other calls
 * may be reading the weights at the same time. */
static void mark_weight_gaps(struct cg *c, bool poison)
{
	const struct plan *p = c->plan;
	struct weight_span *s = arena_array(c->arena, p->nvals ? p->nvals : 1, sizeof *s);
	uint32_t n = 0;
	for (uint32_t v = 0; v < p->nvals; v++)
		if (p->home[v] == PLAN_HOME_WEIGHTS)
			s[n++] = (struct weight_span){ p->offset[v],
			                               p->offset[v] + ir_type_bytes(&c->g->vals[v].type) };
	qsort(s, n, sizeof *s, cmp_span);
	int64_t end = 0;
	for (uint32_t k = 0; k <= n; k++) {
		int64_t lo = k < n ? s[k].lo : p->weights_bytes;
		if (lo > end)
			asan_mark(c, poison, c->weights, end, lo - end);
		if (k < n && s[k].hi > end)
			end = s[k].hi;
	}
}

/* At entry: the scratch region poisoned but for the plan's
 * regions, and the weights' gaps. Exit: the scratch region unpoisoned,
 * and the gaps of external weights (the caller's memory). */
static void asan_guards(struct cg *c, bool entry)
{
	const struct plan *p = c->plan;
	if (c->opts->sanitize != CG_SANITIZE_ADDRESS || !p->redzone)
		return;
	if (p->scratch_bytes) {
		asan_mark(c, entry, c->scratch, 0, p->scratch_bytes);
		for (uint32_t k = 0; entry && k < p->nregions; k++)
			if (p->regions[k].bytes)
				asan_mark(c, false, c->scratch, p->regions[k].offset, p->regions[k].bytes);
	}
	if (p->weights_bytes && (entry || c->opts->weights == CG_WEIGHTS_EXTERNAL))
		mark_weight_gaps(c, entry);
}

static void build_entry(struct cg *c, const uint8_t *img)
{
	struct ir_graph *g = c->g;
	bool external = c->opts->weights == CG_WEIGHTS_EXTERNAL;
	const char **pnames = hdr_param_names(g, c->arena);
	LLVMValueRef weights_gv = !external && img ? embed_weights(c, img) : NULL;
	const char *fname = arena_printf(c->arena, "%s_run", c->opts->name);
	enter_function(c, add_function(c, fname, c->t_i32, pnames), weights_gv);
	unsigned nparams = LLVMCountParams(c->fn), first = external ? 1 : 0;
	for (unsigned i = 0; i + 1 < nparams; i++)
		check_buffer(c, LLVMGetParam(c->fn, i),
		             external && i == 0 ? PLAN_ALIGN : io_align(c, i - first));
	if (c->plan->scratch_bytes)
		check_buffer(c, c->scratch, PLAN_ALIGN);
	c->addr = arena_array(c->arena, g->nvals ? g->nvals : 1, sizeof *c->addr);
	for (uint32_t v = 0; v < g->nvals; v++)
		if (c->plan->home[v] == PLAN_HOME_INPUT)
			bind_value(c, v);
	cg_check_indices(c); /* before anything writes an output */
	asan_guards(c, true);
	for (uint32_t i = 0; i < g->nnodes; i++)
		emit_node(c, i, pnames, weights_gv);
	unsigned first_out = first + g->ninputs;
	for (uint32_t k = 0; k < g->noutputs; k++) {
		uint32_t v = g->outputs[k];
		if (c->plan->home[v] == PLAN_HOME_OUTPUT && c->plan->index[v] == k &&
		    c->plan->offset[v] == 0)
			continue;
		bind_value(c, v);
		LLVMBuildMemCpy(c->b, LLVMGetParam(c->fn, first_out + k), IO_ALIGN, c->addr[v],
		                IO_ALIGN, cg_i64(c, ir_type_bytes(&g->vals[v].type)));
	}
	asan_guards(c, false);
	LLVMBuildRet(c->b, LLVMConstInt(c->t_i32, STATUS_OK, 0));
}

/* A private NUL-terminated string constant. */
static LLVMValueRef const_cstring(struct cg *c, const char *s)
{
	LLVMValueRef init = LLVMConstStringInContext2(c->ctx, s, strlen(s), 0);
	const char *sym = arena_printf(c->arena, "%s.name", s);
	LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), sym);
	LLVMSetInitializer(gv, init);
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMPrivateLinkage);
	LLVMSetUnnamedAddr(gv, 1);
	return gv;
}

/* <name>_inputs / <name>_outputs: arrays of struct dlc_tensor_info
 * { const char *name; int32_t dtype, rank; int64_t count, bytes, dims[8]; }. */
static void build_table(struct cg *c, const char *suffix, const uint32_t *vals, uint32_t n)
{
	LLVMTypeRef dims_ty = LLVMArrayType2(c->t_i64, IR_MAX_RANK);
	LLVMTypeRef fields[6] = { c->t_ptr, c->t_i32, c->t_i32, c->t_i64, c->t_i64, dims_ty };
	LLVMTypeRef rec = LLVMStructTypeInContext(c->ctx, fields, 6, 0);
	LLVMValueRef *rows = arena_array(c->arena, n ? n : 1, sizeof *rows);
	for (uint32_t i = 0; i < n; i++) {
		const struct ir_value *v = &c->g->vals[vals[i]];
		LLVMValueRef dims[IR_MAX_RANK];
		for (unsigned d = 0; d < IR_MAX_RANK; d++)
			dims[d] = cg_i64(c, d < v->type.rank ? v->type.dims[d] : 0);
		LLVMValueRef f[6] = {
			const_cstring(c, v->name ? v->name : ""),
			LLVMConstInt(c->t_i32, (unsigned long long)v->type.dtype, 0),
			LLVMConstInt(c->t_i32, v->type.rank, 0),
			cg_i64(c, ir_type_numel(&v->type)),
			cg_i64(c, ir_type_bytes(&v->type)),
			LLVMConstArray2(c->t_i64, dims, IR_MAX_RANK),
		};
		rows[i] = LLVMConstNamedStruct(rec, f, 6);
	}
	LLVMValueRef init = LLVMConstArray2(rec, rows, n);
	const char *name = arena_printf(c->arena, "%s_%s", c->opts->name, suffix);
	LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), name);
	LLVMSetInitializer(gv, init);
	LLVMSetGlobalConstant(gv, 1);
}

/* The CPU when none is given: a portable baseline for the architecture. */
static const char *baseline_cpu(const char *triple)
{
	if (!strncmp(triple, "x86_64", 6))
		return "x86-64";
	return "generic";
}

static void init_llvm_targets(void)
{
	LLVMInitializeAllTargetInfos();
	LLVMInitializeAllTargets();
	LLVMInitializeAllTargetMCs();
	LLVMInitializeAllAsmPrinters();
}

bool cg_target_resolve(const char *triple, const char *cpu, const char *features,
                       struct arena *a, struct target *t, struct diag *d)
{
	static const struct src_span none;
	init_llvm_targets();
	char *norm = triple ? LLVMNormalizeTargetTriple(triple) : LLVMGetDefaultTargetTriple();
	LLVMTargetRef target;
	char *err = NULL;
	if (LLVMGetTargetFromTriple(norm, &target, &err)) {
		diag_error(d, none, "unsupported target '%s': %s", triple ? triple : norm, err);
		LLVMDisposeMessage(err);
		LLVMDisposeMessage(norm);
		return false;
	}
	bool native = cpu && !strcmp(cpu, "native");
	char *host_cpu = native ? LLVMGetHostCPUName() : NULL;
	char *host_feat = native && !features ? LLVMGetHostCPUFeatures() : NULL;
	t->triple = arena_strdup(a, norm);
	t->cpu = arena_strdup(a, native ? host_cpu : cpu ? cpu : baseline_cpu(norm));
	t->features = arena_strdup(a, host_feat ? host_feat : features ? features : "");
	t->desc = target_lookup(t->triple, t->cpu, t->features);
	LLVMDisposeMessage(host_feat);
	LLVMDisposeMessage(host_cpu);
	LLVMDisposeMessage(norm);
	return true;
}

static bool create_target(struct cg *c, struct diag *d)
{
	const struct cg_options *o = c->opts;
	struct target own;
	const struct target *t = o->target;
	if (!t) {
		if (!cg_target_resolve(o->triple, o->cpu, o->features, c->arena, &own, d))
			return false;
		t = &own;
	}
	init_llvm_targets();
	LLVMTargetRef target;
	char *err = NULL;
	if (LLVMGetTargetFromTriple(t->triple, &target, &err))
		DLC_UNREACHABLE("a resolved triple has no LLVM target");
	static const LLVMCodeGenOptLevel levels[4] = { LLVMCodeGenLevelNone, LLVMCodeGenLevelLess,
	                                               LLVMCodeGenLevelDefault,
	                                               LLVMCodeGenLevelAggressive };
	int lvl = o->opt_level < 0 ? 0 : o->opt_level > 3 ? 3 : o->opt_level;
	LLVMRelocMode reloc = o->reloc == CG_RELOC_STATIC ? LLVMRelocStatic : LLVMRelocPIC;
	c->tm = LLVMCreateTargetMachine(target, t->triple, t->cpu, t->features, levels[lvl], reloc,
	                                LLVMCodeModelDefault);
	c->target = t->desc;
	LLVMSetTarget(c->mod, t->triple);
	LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(c->tm);
	LLVMSetModuleDataLayout(c->mod, dl);
	LLVMDisposeTargetData(dl);
	return true;
}

static void verify_module(struct cg *c)
{
	char *msg = NULL;
	if (LLVMVerifyModule(c->mod, LLVMReturnStatusAction, &msg)) {
		fprintf(stderr, "dlc: LLVM module verification failed:\n%s\n", msg);
		LLVMDisposeMessage(msg);
		DLC_UNREACHABLE("generated LLVM IR is invalid");
	}
	LLVMDisposeMessage(msg);
}

static bool optimize(struct cg *c, struct diag *d)
{
	static const struct src_span none;
	/* The sanitizers instrument the optimized code, as clang does. */
	static const char *const sanitize[] = {
		[CG_SANITIZE_NONE] = "",
		[CG_SANITIZE_ADDRESS] = ",asan",
		[CG_SANITIZE_THREAD] = ",tsan-module,function(tsan)",
	};
	DLC_ASSERT(c->opts->sanitize <= CG_SANITIZE_THREAD);
	char pipeline[64];
	int lvl = c->opts->opt_level < 0 ? 0 : c->opts->opt_level > 3 ? 3 : c->opts->opt_level;
	snprintf(pipeline, sizeof pipeline, "default<O%d>%s", lvl, sanitize[c->opts->sanitize]);
	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	LLVMErrorRef err = LLVMRunPasses(c->mod, pipeline, c->tm, po);
	LLVMDisposePassBuilderOptions(po);
	if (err) {
		char *msg = LLVMGetErrorMessage(err);
		diag_error(d, none, "llvm pass pipeline failed: %s", msg);
		LLVMDisposeErrorMessage(msg);
		return false;
	}
	return true;
}

/* Writes the weights image for --weights=external. */
static bool write_weights(const char *path, const uint8_t *img, int64_t n, struct diag *d)
{
	struct outfile of;
	if (!outfile_open(&of, path, d))
		return false;
	bool ok = n == 0 || fwrite(img, 1, (size_t)n, of.f) == (size_t)n;
	return outfile_close(&of, ok, d) && ok;
}

/* The builder and the cached types. */
static void init_types(struct cg *c)
{
	c->b = LLVMCreateBuilderInContext(c->ctx);
	c->t_void = LLVMVoidTypeInContext(c->ctx);
	c->t_i1 = LLVMInt1TypeInContext(c->ctx);
	c->t_i8 = LLVMInt8TypeInContext(c->ctx);
	c->t_i32 = LLVMInt32TypeInContext(c->ctx);
	c->t_i64 = LLVMInt64TypeInContext(c->ctx);
	c->t_f32 = LLVMFloatTypeInContext(c->ctx);
	c->t_ptr = LLVMPointerTypeInContext(c->ctx, 0);
}

bool cg_emit_vmath(const struct cg_options *o, enum cg_emit what, FILE *out, struct diag *d)
{
	DLC_ASSERT(is_c_identifier(o->name));
	struct arena arena = { 0 };
	struct cg c = { .opts = o, .arena = &arena };
	c.ctx = LLVMContextCreate();
	c.mod = LLVMModuleCreateWithNameInContext(o->name, c.ctx);
	bool ok = create_target(&c, d);
	if (ok) {
		init_types(&c);
		cg_build_vmath_tests(&c);
		LLVMDisposeBuilder(c.b);
		verify_module(&c);
		ok = optimize(&c, d) && cg_write(&c, what, out, d);
		LLVMDisposeTargetMachine(c.tm);
	}
	LLVMDisposeModule(c.mod);
	LLVMContextDispose(c.ctx);
	arena_free(&arena);
	return ok;
}

bool cg_emit(struct ir_graph *g, const struct cg_options *o, enum cg_emit what, FILE *out,
             struct diag *d)
{
	static const struct src_span none;
	if (!is_c_identifier(o->name)) {
		diag_error(d, none, "model name '%s' is not a C identifier", o->name ? o->name : "");
		return false;
	}
	struct arena arena = { 0 };
	struct cg c = { .g = g, .opts = o, .arena = &arena };
	c.plan = o->plan                              ? o->plan
	         : o->sanitize == CG_SANITIZE_ADDRESS ? plan_build_guarded(g, &arena)
	                                              : plan_build(g, &arena);
	const uint8_t *img = plan_weights_image(g, c.plan, &arena);
	c.ctx = LLVMContextCreate();
	c.mod = LLVMModuleCreateWithNameInContext(o->name, c.ctx);
	LLVMSetSourceFileName(c.mod, o->name, strlen(o->name));
	bool ok = create_target(&c, d);
	if (ok) {
		init_types(&c);
		build_entry(&c, img);
		build_table(&c, "inputs", g->inputs, g->ninputs);
		build_table(&c, "outputs", g->outputs, g->noutputs);
		LLVMDisposeBuilder(c.b);
		verify_module(&c);
		ok = optimize(&c, d) && cg_write(&c, what, out, d);
		if (ok && what == CG_EMIT_OBJ && o->weights == CG_WEIGHTS_EXTERNAL && o->weights_path)
			ok = write_weights(o->weights_path, img, c.plan->weights_bytes, d);
		LLVMDisposeTargetMachine(c.tm);
	}
	LLVMDisposeModule(c.mod);
	LLVMContextDispose(c.ctx);
	arena_free(&arena);
	return ok;
}

