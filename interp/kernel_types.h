/* kernel_types.h - the operand types every interpreter kernel reads
 * (internal to interp/). */
#ifndef DLC_INTERP_KERNEL_TYPES_H
#define DLC_INTERP_KERNEL_TYPES_H

#include <string.h>

#include "check.h"
#include "ir.h"

/* The type of node n's activation input k. */
static inline const struct ir_type *in_type(const struct ir_graph *g, const struct ir_node *n,
                                            unsigned k)
{
	DLC_ASSERT(k < n->nin);
	return &g->vals[n->in[k]].type;
}

/* The type of node n's output. */
static inline const struct ir_type *out_type(const struct ir_graph *g, const struct ir_node *n)
{
	return &g->vals[n->out].type;
}

/* Advances idx over dims (C order) and *off by strides; wraps to 0. */
static inline void interp_step_index(int64_t *idx, const int64_t *dims, unsigned rank,
                                     const int64_t *st, int64_t *off)
{
	for (unsigned k = rank; k-- > 0;) {
		*off += st[k];
		if (++idx[k] < dims[k])
			return;
		*off -= st[k] * dims[k];
		idx[k] = 0;
	}
}

/* The bytes of one element of node n's output (data movement kernels
 * copy elements of any dtype as bytes). */
static inline size_t out_elem(const struct ir_graph *g, const struct ir_node *n)
{
	return ir_dtype_size(out_type(g, n)->dtype);
}

/* dst[i] = src[j] for elements of es bytes. */
static inline void copy_elem(void *dst, int64_t i, const void *src, int64_t j, size_t es)
{
	memcpy((char *)dst + i * (int64_t)es, (const char *)src + j * (int64_t)es, es);
}

/* i clamped into [0, n). */
static inline int64_t clamp_index(int64_t i, int64_t n)
{
	return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/* binary on integer and bool tensors (interp_typed.c); interp_binary
 * runs f32 itself. */
void interp_binary_int(const struct ir_graph *g, const struct ir_node *n, const void *const *in,
                       void *out);

#endif
