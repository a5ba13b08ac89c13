/* check.h - internal invariants and overflow-checked size arithmetic.
 *
 * DLC_ASSERT guards invariants that only a bug in dlc can break: it aborts
 * with "internal error" and the source location, in every build type.
 * User mistakes never reach it: they are diagnosed through diag.h. */
#ifndef DLC_CHECK_H
#define DLC_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

_Noreturn void dlc_internal_error(const char *file, int line, const char *what);
_Noreturn void dlc_fatal_oom(size_t size);

#define DLC_ASSERT(c) \
	((c) ? (void)0 : dlc_internal_error(__FILE__, __LINE__, "assertion '" #c "' failed"))
#define DLC_UNREACHABLE(what) dlc_internal_error(__FILE__, __LINE__, what)

/* Each returns true when the exact result does not fit (and then leaves *r
 * unspecified), false otherwise. */
static inline bool ckd_mul_size(size_t *r, size_t a, size_t b)
{
	return __builtin_mul_overflow(a, b, r);
}
static inline bool ckd_add_size(size_t *r, size_t a, size_t b)
{
	return __builtin_add_overflow(a, b, r);
}
static inline bool ckd_mul_i64(int64_t *r, int64_t a, int64_t b)
{
	return __builtin_mul_overflow(a, b, r);
}
static inline bool ckd_add_i64(int64_t *r, int64_t a, int64_t b)
{
	return __builtin_add_overflow(a, b, r);
}

#endif
