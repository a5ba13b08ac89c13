/* cg.h - state shared by the back end's files (not part of its interface).
 *
 * One struct cg owns every LLVM object of a compilation: an explicit
 * context (never the global one), the module, one builder and the target
 * machine; common types are cached here. lower.c dispatches each IR node
 * to its lower_<op> (lower.h, one per row of ir_ops.def, in the lower_*.c
 * files), which emits a loop nest through the helpers of loops.c (loops,
 * addressing, scalar math), vec.c (vector vocabulary) and vmath.c
 * (vectorized math); codegen.c puts each in a function of its own, called
 * by the entry point, and builds the module around them; emit.c writes it
 * out. */
#ifndef DLC_CG_H
#define DLC_CG_H

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include "backend.h"
#include "plan.h"
#include "target.h"

struct cg {
	struct ir_graph *g;
	const struct plan *plan;
	const struct cg_options *opts;
	struct arena *arena;
	LLVMContextRef ctx;
	LLVMModuleRef mod;
	LLVMBuilderRef b;
	LLVMTargetMachineRef tm;
	LLVMTypeRef t_void, t_i1, t_i8, t_i32, t_i64, t_f32, t_ptr;
	LLVMValueRef fn;           /* the function being built (entry point or a node's) */
	LLVMBasicBlockRef entry;   /* its entry block, home of every alloca */
	LLVMValueRef *addr;        /* per IR value: pointer to its first element in fn
	                              (bound for the values the node being built uses) */
	LLVMValueRef weights;      /* base of the weights image in fn */
	LLVMValueRef scratch;      /* base of the scratch region in fn */
	const struct target_desc *target; /* the table entry of the target machine */
};

/* A counted loop "for (iv = 0; iv < n; iv++)" under construction. */
struct cg_loop {
	LLVMBasicBlockRef header, body, exit, pre;
	LLVMValueRef iv;
};

/* ---- loops.c: loops, constants, addressing and scalar math ---- */
LLVMValueRef cg_i64(struct cg *c, int64_t v);
LLVMValueRef cg_f32(struct cg *c, double v);
/* Opens a loop over [0, n) and leaves the builder in its body; returns iv. */
LLVMValueRef cg_loop_begin(struct cg *c, struct cg_loop *l, int64_t n, const char *name);
/* Closes the loop and leaves the builder after it. */
void cg_loop_end(struct cg *c, struct cg_loop *l);
/* A loop "for (iv = lo; iv < hi; iv++)" with run-time bounds; its blocks
 * are named <tag>.head, <tag>.body and <tag>.end. */
struct cg_rloop {
	LLVMBasicBlockRef header, body, exit, pre;
	LLVMValueRef iv, lo;
};
LLVMValueRef cg_rloop_begin(struct cg *c, struct cg_rloop *l, LLVMValueRef lo, LLVMValueRef hi,
                            const char *tag, const char *name);
void cg_rloop_end(struct cg *c, struct cg_rloop *l);
/* "if (cond) { ... }": returns the block after; the builder is in the then-block. */
LLVMBasicBlockRef cg_if_begin(struct cg *c, LLVMValueRef cond, const char *name);
void cg_if_end(struct cg *c, LLVMBasicBlockRef after);
/* A float variable in the entry block (cg_entry_var). */
LLVMValueRef cg_var(struct cg *c, const char *name);
/* i64 arithmetic that cannot overflow (static shapes bound every index). */
LLVMValueRef cg_add(struct cg *c, LLVMValueRef a, LLVMValueRef b, const char *name);
LLVMValueRef cg_mul(struct cg *c, LLVMValueRef a, LLVMValueRef b, const char *name);
LLVMValueRef cg_madd(struct cg *c, LLVMValueRef a, int64_t m, LLVMValueRef b, const char *name);
/* The smaller of two signed i64 values. */
LLVMValueRef cg_min(struct cg *c, LLVMValueRef a, LLVMValueRef b, const char *name);
/* &base[i] for float elements, and loads/stores through it. */
LLVMValueRef cg_elem(struct cg *c, LLVMValueRef base, LLVMValueRef i, const char *name);
LLVMValueRef cg_load(struct cg *c, LLVMValueRef base, LLVMValueRef i, const char *name);
void cg_store(struct cg *c, LLVMValueRef v, LLVMValueRef base, LLVMValueRef i);
/* Loops over every index of a shape, outermost axis first (iv[k] runs
 * over dims[k]), and the linear position sum of iv[k] * st[k] (axes of
 * stride 0 skipped). */
struct cg_nest {
	struct cg_loop l[IR_MAX_RANK];
	unsigned rank;
};
void cg_nest_begin(struct cg *c, struct cg_nest *ns, const int64_t *dims, unsigned rank,
                   LLVMValueRef *iv);
void cg_nest_end(struct cg *c, struct cg_nest *ns);
LLVMValueRef cg_offset(struct cg *c, LLVMValueRef *iv, const int64_t *st, unsigned rank);
/* Elements of any dtype: its memory type (bool: i8), and loads and stores
 * of base[i] as register values (bool: i1, any non-zero byte true; stored
 * as 0 or 1). */
LLVMTypeRef cg_dtype(struct cg *c, enum ir_dtype dt);
LLVMValueRef cg_tload(struct cg *c, enum ir_dtype dt, LLVMValueRef base, LLVMValueRef i,
                      const char *name);
void cg_tstore(struct cg *c, enum ir_dtype dt, LLVMValueRef v, LLVMValueRef base, LLVMValueRef i);
/* i clamped into [0, n) (signed i64). */
LLVMValueRef cg_clamp_index(struct cg *c, LLVMValueRef i, int64_t n, const char *name);
/* 0 <= i < n, as one unsigned compare. */
LLVMValueRef cg_in_range(struct cg *c, LLVMValueRef i, int64_t n, const char *name);
/* Calls llvm.<name>.f32 (exp, sqrt, log). */
LLVMValueRef cg_intrinsic(struct cg *c, const char *name, LLVMValueRef x);

/* Node operands: the type of value v, and the address of weight
 * parameter k of n (NULL when absent). */
const struct ir_type *cg_type(struct cg *c, uint32_t v);
LLVMValueRef cg_param(struct cg *c, const struct ir_node *n, unsigned k);
/* A 4-D activation seen as (n, c, h, w) whatever its layout. */
struct cg_t4 {
	int64_t n, c, h, w;
	enum ir_layout layout;
};
struct cg_t4 cg_t4_of(const struct ir_type *t, enum ir_layout layout);
/* Linear index of element (n, c, h, w). */
LLVMValueRef cg_t4_at(struct cg *c, const struct cg_t4 *t, LLVMValueRef n, LLVMValueRef ch,
                      LLVMValueRef h, LLVMValueRef w);
/* The four loops over an output's (n, c, h, w), nested in memory order;
 * iv[] is indexed n, c, h, w. */
struct cg_nest4 {
	struct cg_loop l[4];
};
void cg_nest4_begin(struct cg *c, struct cg_nest4 *ns, const struct cg_t4 *t, LLVMValueRef iv[4]);
void cg_nest4_end(struct cg *c, struct cg_nest4 *ns);
/* Input position of a conv/pool tap along one spatial axis:
 * out * stride - pad + k * dilation. */
LLVMValueRef cg_tap(struct cg *c, LLVMValueRef out, int64_t stride, int64_t pad, LLVMValueRef k,
                    int64_t dilation, const char *name);

/* ---- vec.c: the vector vocabulary of every lowerer ---- */
/* Floats per vector of the target (4 without one: SSE, NEON), and the
 * <vec x float> type. */
int cg_vec_floats(const struct cg *c);
LLVMTypeRef cg_vec_type(struct cg *c);
/* A builder placed before the first instruction of the entry block (the
 * home of every alloca); the caller disposes it. */
LLVMBuilderRef cg_entry_builder(struct cg *c);
/* A variable of type ty in the entry block (align 0: the type's). */
LLVMValueRef cg_entry_var(struct cg *c, LLVMTypeRef ty, unsigned align, const char *name);
/* Constant v of float or vector type ty (every lane). */
LLVMValueRef cg_vconst(struct cg *c, LLVMTypeRef ty, double v);
/* Vector memory access: `lanes` floats at base[i] as a vty vector (masked
 * when lanes is below its width: the other lanes read 0 and never touch
 * memory), and the store of the first `lanes` lanes of v (align 4): a
 * masked store on AVX-512, below it power-of-two pieces (AVX's masked
 * store is microcoded and slow on AMD cores). */
LLVMValueRef cg_vload(struct cg *c, LLVMTypeRef vty, LLVMValueRef base, LLVMValueRef i, int lanes,
                      unsigned align);
void cg_vstore(struct cg *c, LLVMValueRef v, LLVMValueRef base, LLVMValueRef i, int lanes);
/* The <n x i1> constant with the first `lanes` lanes of vty set. */
LLVMValueRef cg_vmask(struct cg *c, LLVMTypeRef vty, int lanes);
/* llvm.<name> (overloaded: "llvm.sqrt") of a float or vector value. */
LLVMValueRef cg_vintrinsic(struct cg *c, const char *name, LLVMValueRef x);
/* The same with two operands of one type ("llvm.maxnum"). */
LLVMValueRef cg_vintrinsic2(struct cg *c, const char *name, LLVMValueRef x, LLVMValueRef y);
/* The C math library's float function `name` ("asinf") of a float, or of
 * each lane of a vector (for functions LLVM has no intrinsic for). */
LLVMValueRef cg_vlibm(struct cg *c, const char *name, LLVMValueRef x);
/* A private constant row of n zero floats (aligned to PLAN_ALIGN): where
 * the padded taps of the tiled and Winograd kernels read. */
LLVMValueRef cg_zero_row(struct cg *c, int64_t n);
/* A call of intrinsic `name` overloaded on the nover types `over`. */
LLVMValueRef cg_call_intrinsic(struct cg *c, const char *name, LLVMTypeRef *over, unsigned nover,
                               LLVMValueRef *args, unsigned nargs);
/* Horizontal reduction of vector v in lane order: by fadd, or by the
 * softmax max (a NaN lane never wins). */
LLVMValueRef cg_hreduce(struct cg *c, LLVMValueRef v, bool is_max);
/* The sum of x's lanes as a tree, halving the vector log2(width) times
 * (the recurrent layers' dot products). */
LLVMValueRef cg_hsum(struct cg *c, LLVMValueRef x);
/* Scalar s in every lane of vector type ty (insertelement + shufflevector,
 * the result named `name`). */
LLVMValueRef cg_splat(struct cg *c, LLVMTypeRef ty, LLVMValueRef s, const char *name);

/* ---- vmath.c: vectorized transcendental functions ---- */
/* acc + a * b for float or vector values: llvm.fma when the target has
 * FMA, else fmul and fadd (a libm fmaf call would be slow). */
LLVMValueRef cg_fma(struct cg *c, LLVMValueRef a, LLVMValueRef b, LLVMValueRef acc);
/* tanh and sigmoid of a float or <n x float> value, inline, without libm
 * (approximations; error bounds in docs/ir.md "Math approximations"). */
LLVMValueRef cg_vtanh(struct cg *c, LLVMValueRef x);
LLVMValueRef cg_vsigmoid(struct cg *c, LLVMValueRef x);
/* e^x of a float or <n x float> value over the whole float range (+inf
 * above 88.72, 0 below -103.97, NaN through); error in docs/ir.md. */
LLVMValueRef cg_vexp(struct cg *c, LLVMValueRef x);
/* erf(x) for a float or vector: Abramowitz and Stegun 7.1.26 on |x|
 * (absolute error below 1.5e-7) with the sign of x. */
LLVMValueRef cg_verf(struct cg *c, LLVMValueRef x);
/* min(max(x, lo), hi) of a float or vector, NaN passing through. */
LLVMValueRef cg_vclamp(struct cg *c, LLVMValueRef x, double lo, double hi);
/* One eltwise step (ir_steps.def) on a float or vector value, as the
 * interpreter computes it but sigmoid, tanh, exp by the polynomials
 * above: the steps of eltwise chains and the fused activation of
 * conv2d/dense (IR_STEP_NONE returns x). In lower_eltwise.c. */
LLVMValueRef cg_vstep(struct cg *c, const struct ir_eltwise_step *s, LLVMValueRef x);
/* Adds the test functions of cg_emit_vmath (backend.h) to c->mod. */
void cg_build_vmath_tests(struct cg *c);

/* ---- lower.c ---- */
/* Emits the loop nest of node n at the builder's position: the op's
 * lower_<lower> function of ir_ops.def (lower.h). */
void cg_lower_node(struct cg *c, const struct ir_node *n);

/* ---- lower_tiled.c ---- */
/* Emits conv2d/dense n of kernel IR_KERNEL_TILED (packed weights) as a
 * tiled GEMM loop nest with explicit vector code (see the file). */
void cg_lower_tiled(struct cg *c, const struct ir_node *n);

/* ---- lower_winograd.c ---- */
/* Emits conv2d n of kernel IR_KERNEL_WINOGRAD (transformed filters, docs/ir.md
 * "Winograd weights") as Winograd transforms around batched GEMMs. */
void cg_lower_winograd(struct cg *c, const struct ir_node *n);

/* ---- lower_dwconv.c ---- */
/* Emits conv2d n of kernel IR_KERNEL_DEPTHWISE (NHWC, depthwise or groups
 * of S channels in and out, S below the vector width, weights re-laid by
 * the dwpack pass) with channels in vector lanes and blocks of output
 * pixels in registers (see the file). */
void cg_lower_dwconv(struct cg *c, const struct ir_node *n);

/* ---- lower_seq.c ---- */
/* At the top of the entry point, before any node: returns DLC_ERR_INDEX
 * if an id that embedding/onehot reads from a model input is out of range. */
void cg_check_indices(struct cg *c);

/* ---- emit.c ---- */
/* Writes the finished module in form `what` to out. */
bool cg_write(struct cg *c, enum cg_emit what, FILE *out, struct diag *d);

#endif
