/* dlcrt.c - the runtime's few functions: names for status and dtype codes
 * and an alignment test. Nothing here allocates or keeps state. */
#include "dlcrt.h"

const char *dlc_status_str(int status)
{
	switch (status) {
	case DLC_OK:
		return "ok";
	case DLC_ERR_NULL_BUFFER:
		return "null buffer";
	case DLC_ERR_MISALIGNED:
		return "misaligned buffer";
	case DLC_ERR_INDEX:
		return "index out of range";
	default:
		return "unknown status";
	}
}

size_t dlc_dtype_size(int dtype)
{
	switch (dtype) {
	case DLC_DTYPE_F32:
	case DLC_DTYPE_I32:
		return 4;
	case DLC_DTYPE_I64:
		return 8;
	default:
		return 0;
	}
}

const char *dlc_dtype_name(int dtype)
{
	switch (dtype) {
	case DLC_DTYPE_F32:
		return "f32";
	case DLC_DTYPE_I32:
		return "i32";
	case DLC_DTYPE_I64:
		return "i64";
	default:
		return "?";
	}
}

bool dlc_is_aligned(const void *p, size_t align)
{
	return ((uintptr_t)p & (align - 1)) == 0;
}
