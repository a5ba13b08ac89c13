/* safetensors_write.h - writes tensors as a safetensors file.
 *
 * The inverse of safetensors.h, used by `dlc import` to store the weights
 * of a translated model: u64 little-endian header length, the JSON header
 * (tensors sorted by name, so the same tensors always give the same bytes)
 * padded with spaces to a multiple of 8 bytes, then each tensor's data in
 * the same order with increasing offsets. */
#ifndef DLC_SAFETENSORS_WRITE_H
#define DLC_SAFETENSORS_WRITE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "safetensors.h"

/* Writes the n tensors (name, dtype, rank, dims, data, nbytes; `used` is
 * ignored) to f. Names must be distinct and nbytes must match dtype x dims
 * (checked: internal errors). Returns false if writing failed. */
bool st_write(FILE *f, const struct st_tensor *t, uint32_t n, struct arena *scratch);

#endif
