/* ir_to_dl.h - a typed, bound IR graph written back as a .dl program.
 *
 * `dlc import` uses it to turn an imported model (ONNX) into the language:
 * the graph after the -O0 pipeline (shapes inferred, weights bound,
 * dropout and dead layers removed) becomes a program that compiles to the
 * same graph, plus the tensors its weights file must hold. Names become
 * valid, unique identifiers ("/layer1/conv/Conv" -> "layer1_conv_Conv");
 * weights keep their names when they follow the `<prefix>.<suffix>` form
 * of docs/dsl.md section 6 (written with `params=`), else they are stored
 * under the layer's name. A node the language cannot express (fused or
 * packed forms, a layout other than the model's, an op without a layer) is
 * reported as an error naming the node and the op; nothing is written. */
#ifndef DLC_IR_TO_DL_H
#define DLC_IR_TO_DL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "diag.h"
#include "ir.h"
#include "safetensors.h"

/* The tensors of the weights file: names are the keys the program reads,
 * data point into the graph's constants. */
struct dl_weights {
	struct st_tensor *tensors;
	uint32_t n;
};

/* Writes g as a .dl program to out. weights_file is the path written in
 * the `weights` statement (relative to the program); the statement is
 * omitted when the program reads no tensors (w->n == 0). Returns false
 * after reporting every node that cannot be written; out may then hold a
 * partial program, so callers write it to a temporary file or memory. */
bool ir_to_dl(struct ir_graph *g, struct arena *a, struct diag *d, const char *weights_file,
              FILE *out, struct dl_weights *w);

/* The identifier a name becomes: runs of characters outside
 * [A-Za-z0-9_] joined by one '_', "v" in front of a leading digit or an
 * empty result, '_' after a keyword of the language. Not yet unique. */
char *dl_identifier(struct arena *a, const char *name);

#endif
