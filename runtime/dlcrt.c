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

/* name and element size per enum dlc_dtype code */
static const struct {
	const char *name;
	size_t size;
} dtypes[] = {
	[DLC_DTYPE_F32] = { "f32", 4 }, [DLC_DTYPE_I32] = { "i32", 4 },
	[DLC_DTYPE_I64] = { "i64", 8 }, [DLC_DTYPE_BOOL] = { "bool", 1 },
	[DLC_DTYPE_I8] = { "i8", 1 },   [DLC_DTYPE_U8] = { "u8", 1 },
	[DLC_DTYPE_I16] = { "i16", 2 }, [DLC_DTYPE_U16] = { "u16", 2 },
	[DLC_DTYPE_U32] = { "u32", 4 }, [DLC_DTYPE_U64] = { "u64", 8 },
};

static bool known(int dtype)
{
	return dtype > DLC_DTYPE_NONE && dtype <= DLC_DTYPE_U64;
}

size_t dlc_dtype_size(int dtype)
{
	return known(dtype) ? dtypes[dtype].size : 0;
}

const char *dlc_dtype_name(int dtype)
{
	return known(dtype) ? dtypes[dtype].name : "?";
}

bool dlc_is_aligned(const void *p, size_t align)
{
	return ((uintptr_t)p & (align - 1)) == 0;
}
