/* cheader.c - writes the C header of a compiled model (see cheader.h).
 *
 * Everything is printed with fprintf from the typed graph and the plan; the
 * text depends on nothing else, so headers of two compilations are
 * byte-identical. Macro names are the model prefix in upper case; symbol
 * names use the prefix as given. */
#include "cheader.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>

static const char *const c_reserved[] = {
	"auto", "break", "case", "char", "const", "continue", "default", "do", "double",
	"else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
	"register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
	"switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool",
	"_Complex", "_Imaginary", "_Alignas", "_Alignof", "_Atomic", "_Generic",
	"_Noreturn", "_Static_assert", "_Thread_local", "scratch", "weights", NULL,
};

static bool usable_name(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return false;
	for (unsigned i = 0; c_reserved[i]; i++)
		if (!strcmp(s, c_reserved[i]))
			return false;
	return true;
}

/* Equal after upper-casing: such names would make the same macro. */
static bool same_upper(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (toupper((unsigned char)*a) != toupper((unsigned char)*b))
			return false;
	return *a == *b;
}

const char **hdr_param_names(struct ir_graph *g, struct arena *a)
{
	uint32_t n = g->ninputs + g->noutputs;
	const char **names = arena_array(a, n ? n : 1, sizeof *names);
	bool ok = true;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v = i < g->ninputs ? g->inputs[i] : g->outputs[i - g->ninputs];
		/* "probs.softmax" (a layer's activation) -> "probs_softmax" */
		char *c = arena_strdup(a, g->vals[v].name);
		for (char *q = c; *q; q++)
			if (*q == '.')
				*q = '_';
		names[i] = c;
		ok = ok && usable_name(names[i]);
		for (uint32_t j = 0; ok && j < i; j++)
			ok = !same_upper(names[i], names[j]);
	}
	if (ok)
		return names;
	for (uint32_t i = 0; i < n; i++)
		names[i] = i < g->ninputs ? arena_printf(a, "input%" PRIu32, i)
		                          : arena_printf(a, "output%" PRIu32, i - g->ninputs);
	return names;
}

/* The C element type of a tensor: float, int64_t (i64), uint8_t (bool:
 * 0 or 1), ... */
static const char *c_type(const struct ir_type *t)
{
	switch (t->dtype) {
	case IR_DT_I32: return "int32_t";
	case IR_DT_I64: return "int64_t";
	case IR_DT_BOOL: return "uint8_t";
	case IR_DT_I8: return "int8_t";
	case IR_DT_U8: return "uint8_t";
	case IR_DT_I16: return "int16_t";
	case IR_DT_U16: return "uint16_t";
	case IR_DT_U32: return "uint32_t";
	case IR_DT_U64: return "uint64_t";
	default: return "float";
	}
}

/* The buffer alignment the entry point checks: the element size, at least
 * 4 (codegen.c agrees). */
static int io_align(const struct ir_type *t)
{
	size_t es = ir_dtype_size(t->dtype);
	return es > 4 ? (int)es : 4;
}

static void upper(char *dst, const char *src, size_t n)
{
	size_t i = 0;
	for (; src[i] && i + 1 < n; i++)
		dst[i] = (char)toupper((unsigned char)src[i]);
	dst[i] = 0;
}

static void tensor_macros(FILE *out, const char *P, const char *kind, uint32_t idx,
                          const char *pname, const struct ir_value *v)
{
	char up[256], ty[256];
	upper(up, pname, sizeof up);
	const struct ir_type *t = &v->type;
	fprintf(out, "/* %s %" PRIu32 " '%s': %s", kind[0] == 'I' ? "input" : "output", idx, v->name,
	        ir_type_str(t, ty, sizeof ty));
	if (v->kind == IR_VAL_INPUT && t->rank == 4 && v->layout)
		fprintf(out, " %s", ir_layout_name(v->layout));
	fprintf(out, " */\n");
	fprintf(out, "#define %s_%s_%s_RANK %u\n", P, kind, up, t->rank);
	if (t->rank) {
		fprintf(out, "#define %s_%s_%s_SHAPE {", P, kind, up);
		for (unsigned d = 0; d < t->rank; d++)
			fprintf(out, "%s%" PRId64, d ? ", " : "", t->dims[d]);
		fprintf(out, "}\n");
	} else {
		fprintf(out, "/* a scalar (rank 0, one element): no _SHAPE or _DIM macros */\n");
	}
	for (unsigned d = 0; d < t->rank; d++)
		fprintf(out, "#define %s_%s_%s_DIM%u %" PRId64 "\n", P, kind, up, d, t->dims[d]);
	fprintf(out, "#define %s_%s_%s_COUNT %" PRId64 "\n", P, kind, up, ir_type_numel(t));
	fprintf(out, "#define %s_%s_%s_BYTES %" PRId64 "\n", P, kind, up, ir_type_bytes(t));
	if (t->dtype != IR_DT_F32)
		fprintf(out, "#define %s_%s_%s_ALIGN %d /* %s elements */\n", P, kind, up,
		        io_align(t), c_type(t));
	fprintf(out, "#define %s_%s%" PRIu32 "_COUNT %s_%s_%s_COUNT\n", P, kind, idx, P, kind, up);
	fprintf(out, "#define %s_%s%" PRIu32 "_BYTES %s_%s_%s_BYTES\n\n", P, kind, idx, P, kind,
	        up);
}

static void intro(FILE *out, const char *p, const char *P, const struct hdr_options *o)
{
	fprintf(out,
	        "/* %s.h - the API of the neural network model '%s', compiled by dlc.\n"
	        " * Generated file: do not edit; regenerate with dlc instead.\n"
	        " *\n"
	        " * Link the object dlc wrote with the dlc runtime and the C math library:\n"
	        " *     cc app.c %s.o -ldlcrt -lm\n"
	        " *\n",
	        p, p, p);
	if (o->sanitizer)
		fprintf(out,
		        " * It was compiled with --sanitize=%s: it calls the sanitizer's\n"
		        " * runtime, so link the program with -fsanitize=%s (clang):\n"
		        " *     clang -fsanitize=%s app.c %s.o -ldlcrt -lm\n"
		        " *\n",
		        o->sanitizer, o->sanitizer, o->sanitizer, p);
	fprintf(out,
	        " * Call %s_run() with caller-owned buffers:\n"
	        " *   - each input: %s_INPUT_<NAME>_COUNT elements (C order, the shape\n"
	        " *     in %s_INPUT_<NAME>_SHAPE; floats, or int32_t/int64_t token ids\n"
	        " *     where the parameter says so), aligned to %s_IO_ALIGN bytes;\n"
	        " *   - each output: %s_OUTPUT_<NAME>_COUNT floats, written by the call;\n"
	        " *   - scratch: %s_SCRATCH_BYTES bytes aligned to %s_SCRATCH_ALIGN; its\n"
	        " *     contents need not be initialised and are garbage afterwards. It\n"
	        " *     may be NULL only when %s_SCRATCH_BYTES is 0.\n",
	        p, P, P, P, P, P, P, P);
	if (o->external_weights)
		fprintf(out,
		        " *   - weights: the %s_WEIGHTS_BYTES bytes of the weights file%s%s%s,\n"
		        " *     loaded unchanged into memory aligned to %s_WEIGHTS_ALIGN bytes.\n"
		        " *     dlc cannot check at run time that it is the right file.\n",
		        P, o->weights_file ? " '" : "", o->weights_file ? o->weights_file : "",
		        o->weights_file ? "'" : "", P);
	else
		fprintf(out, " *   - the weights are compiled into the object as read-only data.\n");
	fprintf(out,
	        " * The model has no global mutable state and never allocates: calls with\n"
	        " * different scratch and output buffers may run concurrently. The call\n"
	        " * returns DLC_OK (0), or DLC_ERR_NULL_BUFFER / DLC_ERR_MISALIGNED (see\n"
	        " * dlcrt.h) without touching any buffer, or DLC_ERR_INDEX when a token\n"
	        " * id is outside its embedding/onehot range (outputs not written).\n"
	        " * Inputs and outputs must not overlap each other or the scratch region. */\n");
}

static void tables_and_entry(FILE *out, struct ir_graph *g, const char *p, const char *P,
                             const char **names, const struct hdr_options *o)
{
	fprintf(out,
	        "/* Descriptions of the inputs and outputs for programs that inspect\n"
	        " * the model at run time (struct dlc_tensor_info is in dlcrt.h). */\n"
	        "extern const struct dlc_tensor_info %s_inputs[%s_NUM_INPUTS];\n"
	        "extern const struct dlc_tensor_info %s_outputs[%s_NUM_OUTPUTS];\n\n",
	        p, P, p, P);
	fprintf(out, "/* Runs the model once. Returns DLC_OK or an error code. */\n");
	fprintf(out, "int %s_run(", p);
	if (o->external_weights)
		fprintf(out, "const void *weights, ");
	for (uint32_t i = 0; i < g->ninputs; i++)
		fprintf(out, "const %s *%s, ", c_type(&g->vals[g->inputs[i]].type), names[i]);
	for (uint32_t i = 0; i < g->noutputs; i++)
		fprintf(out, "float *%s, ", names[g->ninputs + i]);
	fprintf(out, "void *scratch);\n\n");
	fprintf(out,
	        "/* The same call with inputs and outputs given as arrays of pointers\n"
	        " * (in table order), for generic harnesses. */\n"
	        "#define %s_RUN_ARRAYS(%sinputs, outputs, scratch) \\\n\t%s_run(",
	        P, o->external_weights ? "weights, " : "", p);
	if (o->external_weights)
		fprintf(out, "(weights), ");
	for (uint32_t i = 0; i < g->ninputs; i++)
		fprintf(out, "(const %s *)(inputs)[%" PRIu32 "], ", c_type(&g->vals[g->inputs[i]].type),
		        i);
	for (uint32_t i = 0; i < g->noutputs; i++)
		fprintf(out, "(float *)(outputs)[%" PRIu32 "], ", i);
	fprintf(out, "(scratch))\n\n");
}

bool hdr_emit(struct ir_graph *g, const struct plan *p, const struct hdr_options *o,
              FILE *out)
{
	struct arena a = { 0 };
	const char *pre = o->name;
	char P[256];
	upper(P, pre, sizeof P);
	const char **names = hdr_param_names(g, &a);
	intro(out, pre, P, o);
	fprintf(out, "#ifndef %s_H_INCLUDED\n#define %s_H_INCLUDED\n\n", P, P);
	fprintf(out, "#include <stdint.h>\n\n#include \"dlcrt.h\"\n\n");
	fprintf(out, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
	fprintf(out, "#define %s_NUM_INPUTS %" PRIu32 "\n", P, g->ninputs);
	fprintf(out, "#define %s_NUM_OUTPUTS %" PRIu32 "\n", P, g->noutputs);
	int align = 4;
	for (uint32_t i = 0; i < g->ninputs; i++)
		if (io_align(&g->vals[g->inputs[i]].type) > align)
			align = io_align(&g->vals[g->inputs[i]].type);
	fprintf(out, "#define %s_IO_ALIGN %d /* bytes, for every input and output */\n", P, align);
	fprintf(out, "#define %s_SCRATCH_BYTES %" PRId64 "\n", P, p->scratch_bytes);
	fprintf(out, "#define %s_SCRATCH_ALIGN %d\n", P, PLAN_ALIGN);
	fprintf(out, "#define %s_WEIGHTS_EXTERNAL %d\n", P, o->external_weights ? 1 : 0);
	if (o->external_weights) {
		fprintf(out, "#define %s_WEIGHTS_BYTES %" PRId64 "\n", P, p->weights_bytes);
		fprintf(out, "#define %s_WEIGHTS_ALIGN %d\n", P, PLAN_ALIGN);
	}
	fprintf(out, "\n");
	for (uint32_t i = 0; i < g->ninputs; i++)
		tensor_macros(out, P, "INPUT", i, names[i], &g->vals[g->inputs[i]]);
	for (uint32_t i = 0; i < g->noutputs; i++)
		tensor_macros(out, P, "OUTPUT", i, names[g->ninputs + i], &g->vals[g->outputs[i]]);
	tables_and_entry(out, g, pre, P, names, o);
	fprintf(out, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
	arena_free(&a);
	return !ferror(out);
}
