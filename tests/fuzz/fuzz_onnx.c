/* fuzz_onnx.c - libFuzzer target: the bytes are an ONNX model file.
 *
 * onnx_import reads a path (external data is resolved next to it), so the
 * bytes are written to model.onnx in a private directory made once with
 * mkdtemp: external-data references then resolve inside an empty directory
 * and the containment checks are exercised without touching other files.
 * A model that imports runs through the pass pipeline at -O0 and at -O2
 * (each from its own import, as passes change the graph), and every
 * compiled graph is planned, checked and printed (fuzz_plan_and_print).
 * Graphs with more than FUZZ_MAX_WEIGHT_BYTES of constants stop after
 * import. Any crash, sanitizer report, leak, internal error or failed
 * check is a bug: a malformed model must only ever produce diagnostics. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "onnx_import.h"
#include "pass.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char tmp_dir[] = "/tmp/dlc-fuzz-onnx-XXXXXX";
static char tmp_path[64];

static void remove_dir(void)
{
	unlink(tmp_path);
	rmdir(tmp_dir);
}

/* The model file, in a directory of its own (made on the first call and
 * removed at exit). */
static const char *model_path(void)
{
	if (!tmp_path[0]) {
		FUZZ_CHECK(mkdtemp(tmp_dir) != NULL, "cannot make a temporary directory");
		snprintf(tmp_path, sizeof tmp_path, "%s/model.onnx", tmp_dir);
		atexit(remove_dir);
	}
	return tmp_path;
}

static bool small_consts(const struct ir_graph *g)
{
	int64_t total = 0;
	for (uint32_t v = 0; v < g->nvals; v++) {
		const struct ir_value *val = &g->vals[v];
		if (val->kind != IR_VAL_CONST || val->type.dtype == IR_DT_NONE)
			continue;
		int64_t b = ir_type_bytes(&val->type);
		if (b > FUZZ_MAX_WEIGHT_BYTES - total)
			return false;
		total += b;
	}
	return true;
}

/* Imports the model at path and, when it imports, compiles it at opt_level. */
static void compile_at(const char *file, int opt_level)
{
	struct arena a = { 0 };
	struct diag d;
	diag_init(&d, fuzz_null());
	struct onnx_options o = { 0 };
	struct ir_graph *g = onnx_import(&a, &d, file, &o);
	FUZZ_CHECK(!g == !!d.errors, "onnx_import returned %s with %d errors",
	           g ? "a graph" : "NULL", d.errors);
	if (g) {
		ir_print(g, fuzz_null());
		struct pass_options po = {
			.opt_level = opt_level,
			.print_out = fuzz_null(),
			.model_dir = ".",
		};
		bool stopped = false;
		/* shape inference first: the types say how large the constants are */
		po.stop_after = "shape-infer";
		if (pass_run_pipeline(g, &d, &po, &stopped) && !d.errors && small_consts(g)) {
			g = onnx_import(&a, &d, file, &o);
			FUZZ_CHECK(g && !d.errors, "importing the same model twice gave different results");
			po.stop_after = NULL;
			if (pass_run_pipeline(g, &d, &po, &stopped) && !d.errors)
				fuzz_plan_and_print(g, &a);
		}
	}
	diag_free(&d);
	arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return -1;
	const char *path = model_path();
	FILE *f = fopen(path, "wb");
	FUZZ_CHECK(f != NULL, "cannot write '%s'", path);
	FUZZ_CHECK(fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write '%s'", path);
	compile_at(path, 0);
	compile_at(path, 2);
	return 0;
}
