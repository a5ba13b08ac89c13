/* driver.c - the dlc command line.
 *
 *   dlc [options] MODEL.dl            compile (see --help)
 *   dlc run MODEL.dl --input F... --output F...
 *   dlc import MODEL -o OUT.dl        translate to the language (ir_to_dl.h)
 *
 * Stages: read source -> fe_parse -> fe_lower -> pass pipeline -> emit.
 * Nothing is written unless the whole run succeeds: text goes to a memory
 * stream first, files are written to a temporary name and renamed. */
#include "driver.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "backend.h"
#include "cheader.h"
#include "check.h"
#include "diag.h"
#include "frontend.h"
#include "interp.h"
#include "ir.h"
#include "ir_to_dl.h"
#include "mem_report.h"
#include "onnx_import.h"
#include "outfile.h"
#include "pass.h"
#include "plan.h"
#include "safetensors_write.h"

/* The largest model source dlc reads; anything larger is refused before
 * reading, so a hostile file cannot make dlc allocate without bound. */
#define MAX_SOURCE_BYTES (64u << 20)
#define MAX_RUN_BYTES ((int64_t)8 << 30)

enum emit_kind { EMIT_NONE, EMIT_AST, EMIT_IR, EMIT_IR_OPT, EMIT_LLVM, EMIT_ASM, EMIT_HEADER,
                 EMIT_OBJ, EMIT_DOT };

struct options {
	const char *input;
	const char *output;
	enum emit_kind emit;
	struct pass_options pass;
	struct cg_options cg;
	const char *header;     /* --header=PATH */
	const char *disabled[32];
	unsigned ndisabled;
	/* dlc run */
	bool run;
	bool import;            /* dlc import */
	const char *run_inputs[64], *run_outputs[64];
	unsigned nrun_inputs, nrun_outputs;
	int64_t max_memory;
	/* the memory plan */
	bool mem_report;         /* --mem-report */
	bool report_only;        /* --mem-report without -o or --emit: print and stop */
	bool has_max_scratch;    /* --max-scratch given */
	int64_t max_scratch;     /* its value in bytes */
	const char *max_scratch_arg;
	/* ONNX models: static shapes for symbolic input dims */
	struct onnx_input_shape shapes[16];
	unsigned nshapes;
	/* ONNX models: graph inputs made constants (--freeze-input) */
	struct onnx_freeze freezes[64];
	unsigned nfreezes;
};

static const char usage_text[] =
	"usage: dlc [options] MODEL.dl\n"
	"       dlc run [options] MODEL.dl --input IN.bin... --output OUT.bin...\n"
	"       dlc import [options] MODEL.onnx -o OUT.dl\n"
	"\n"
	"dlc compiles a neural network described in the dlc language (see\n"
	"docs/dsl.md) ahead of time.\n"
	"MODEL may also be an ONNX file (MODEL.onnx) in every mode.\n"
	"\n"
	"Output:\n"
	"  -o FILE               write the result to FILE ('-' = stdout); for an\n"
	"                        object the default is MODEL.o in the current\n"
	"                        directory, and the header goes next to it\n"
	"  --emit=STAGE          what to produce (default obj):\n"
	"                          obj     a native object file plus a C header\n"
	"                          header  the C header only\n"
	"                          llvm    the LLVM IR of the object\n"
	"                          asm     the assembly of the object\n"
	"                          ast     the syntax tree\n"
	"                          ir      the typed IR with weights bound, before\n"
	"                                  optimization\n"
	"                          ir-opt  the IR after the whole pass pipeline\n"
	"                          dot     the same IR (or the IR at --stop-after)\n"
	"                                  as a Graphviz graph: dot -Tsvg\n"
	"  --header=FILE         where to write the header (default: the object's\n"
	"                        path with .h instead of .o)\n"
	"  --name=NAME           prefix of every symbol and macro (default: the\n"
	"                        model's name)\n"
	"  --weights=embed       weights in the object's read-only data (default)\n"
	"  --weights=external    weights in FILE.weights next to the object; the\n"
	"                        caller loads them and passes them to the entry point\n"
	"  -O0 -O1 -O2 -O3       optimization level (default -O2; dlc run: -O0)\n"
	"  --sanitize=address    instrument the generated code for AddressSanitizer:\n"
	"                        every tensor gets scratch bytes of its own between\n"
	"                        poisoned redzones (more scratch); link the program\n"
	"                        with -fsanitize=address\n"
	"  --sanitize=thread     instrument it for ThreadSanitizer; link with\n"
	"                        -fsanitize=thread\n"
	"\n"
	"Target (as LLVM spells it):\n"
	"  --target=TRIPLE       e.g. x86_64-unknown-linux-gnu (default: the host)\n"
	"  --mcpu=CPU            e.g. skylake-avx512; 'native' for the host (default:\n"
	"                        a portable baseline: x86-64, generic)\n"
	"  --mattr=FEATURES      e.g. +avx2,+fma\n"
	"  --reloc=pic|static    relocation model (default pic)\n"
	"  --print-targets       list the targets this dlc can generate code for\n"
	"\n"
	"Inspecting passes:\n"
	"  --print-after=PASS    print the IR after PASS (to stderr)\n"
	"  --print-after-all     print the IR after every pass (to stderr)\n"
	"  --stop-after=PASS     stop the pipeline after PASS and print the IR at\n"
	"                        that point instead of compiling\n"
	"  --disable-pass=PASS   skip an optional pass (repeatable)\n"
	"  --list-passes         print the pass pipeline and exit\n"
	"\n"
	"ONNX models:\n"
	"  --input-shape=NAME=D1,D2,...\n"
	"                        the static shape of input NAME when the model\n"
	"                        leaves dims symbolic (repeatable)\n"
	"  --freeze-input=NAME=FILE\n"
	"                        make input NAME a constant of the compiled model\n"
	"                        (e.g. a weight the model takes as an input), its\n"
	"                        value read from FILE: an ONNX TensorProto (.pb),\n"
	"                        or raw little-endian elements if FILE ends in\n"
	"                        .bin; its type must be the input's (repeatable)\n"
	"\n";

/* The rest of the usage (C11 guarantees string literals of 4095 bytes). */
static const char usage_text2[] =
	"Memory plan:\n"
	"  --mem-report          print the memory plan (per layer: shape, bytes, live\n"
	"                        range, offset, MACs; totals: scratch size, lower\n"
	"                        bound, weights) to stdout and stop; with -o or\n"
	"                        --emit, compile as usual and print it to stderr\n"
	"  --max-scratch=BYTES   fail (exit 1, nothing written, the plan on stderr)\n"
	"                        when the scratch region needs more than BYTES\n"
	"                        (suffixes K, M, G as for --max-memory)\n"
	"\n"
	"Running (reference interpreter):\n"
	"  --input FILE          raw little-endian input tensor, one per model input\n"
	"                        in declaration order; a file may hold K samples\n"
	"                        back to back, then the model runs K times\n"
	"  --output FILE         raw output tensor, one per model output\n"
	"  --max-memory=BYTES    refuse to run if tensors need more (default 8 GiB)\n"
	"\n"
	"Translating (dlc import):\n"
	"  -o OUT.dl             the program to write (default: the model's name\n"
	"                        with .dl, in the current directory); its weights go\n"
	"                        to OUT.safetensors next to it\n"
	"\n"
	"  --help                this text\n"
	"  --version             the version of dlc\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("dlc: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\ntry 'dlc --help' for more information\n", stderr);
	return 2;
}

static bool parse_bytes(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return false;
	int64_t mult = 1;
	if (*end == 'K' || *end == 'k')
		mult = 1 << 10, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1 << 20, end++;
	else if (*end == 'G' || *end == 'g')
		mult = 1 << 30, end++;
	if (*end)
		return false;
	return !ckd_mul_i64(out, v, mult);
}

/* Returns -1 to continue, or an exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
	int i = 1;
	if (argc > 1 && !strcmp(argv[1], "run")) {
		o->run = true;
		i = 2;
	} else if (argc > 1 && !strcmp(argv[1], "import")) {
		o->import = true;
		i = 2;
	}
	for (; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage_text, stdout);
			fputs(usage_text2, stdout);
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("dlc %s\n", DLC_VERSION);
			return 0;
		} else if (!strcmp(a, "--list-passes")) {
			for (const struct pass *const *p = pass_pipeline; *p; p++)
				printf("%-16s -O%d+  %s\n", (*p)->name, (*p)->min_opt, (*p)->summary);
			return 0;
		} else if (!strcmp(a, "-o")) {
			if (!next)
				return usage_error("%s needs a file name", a);
			o->output = argv[++i];
		} else if (!strncmp(a, "--emit=", 7)) {
			const char *v = a + 7;
			if (!strcmp(v, "ast"))
				o->emit = EMIT_AST;
			else if (!strcmp(v, "ir"))
				o->emit = EMIT_IR;
			else if (!strcmp(v, "ir-opt"))
				o->emit = EMIT_IR_OPT;
			else if (!strcmp(v, "dot"))
				o->emit = EMIT_DOT;
			else if (!strcmp(v, "llvm"))
				o->emit = EMIT_LLVM;
			else if (!strcmp(v, "asm"))
				o->emit = EMIT_ASM;
			else if (!strcmp(v, "header"))
				o->emit = EMIT_HEADER;
			else if (!strcmp(v, "obj"))
				o->emit = EMIT_OBJ;
			else
				return usage_error("unknown --emit stage '%s' (expected obj, header, llvm, "
				                   "asm, ast, ir, ir-opt or dot)", v);
		} else if (!strcmp(a, "--print-targets")) {
			cg_print_targets(stdout);
			return 0;
		} else if (!strncmp(a, "--target=", 9)) {
			o->cg.triple = a + 9;
		} else if (!strncmp(a, "--mcpu=", 7)) {
			o->cg.cpu = a + 7;
		} else if (!strncmp(a, "--mattr=", 8)) {
			o->cg.features = a + 8;
		} else if (!strncmp(a, "--reloc=", 8)) {
			if (!strcmp(a + 8, "pic"))
				o->cg.reloc = CG_RELOC_PIC;
			else if (!strcmp(a + 8, "static"))
				o->cg.reloc = CG_RELOC_STATIC;
			else
				return usage_error("unknown relocation model '%s' (expected pic or static)", a + 8);
		} else if (!strncmp(a, "--name=", 7)) {
			o->cg.name = a + 7;
		} else if (!strncmp(a, "--header=", 9)) {
			o->header = a + 9;
		} else if (!strncmp(a, "--weights=", 10)) {
			if (!strcmp(a + 10, "embed"))
				o->cg.weights = CG_WEIGHTS_EMBED;
			else if (!strcmp(a + 10, "external"))
				o->cg.weights = CG_WEIGHTS_EXTERNAL;
			else
				return usage_error("unknown weights mode '%s' (expected embed or external)", a + 10);
		} else if (!strncmp(a, "--sanitize=", 11)) {
			if (!strcmp(a + 11, "address"))
				o->cg.sanitize = CG_SANITIZE_ADDRESS;
			else if (!strcmp(a + 11, "thread"))
				o->cg.sanitize = CG_SANITIZE_THREAD;
			else
				return usage_error("unknown sanitizer '%s' (expected address or thread)", a + 11);
		} else if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && !a[3]) {
			o->pass.opt_level = a[2] - '0';
		} else if (!strncmp(a, "--print-after=", 14)) {
			if (!pass_find(a + 14))
				return usage_error("unknown pass '%s' (see --list-passes)", a + 14);
			o->pass.print_after = a + 14;
		} else if (!strcmp(a, "--print-after-all")) {
			o->pass.print_after_all = true;
		} else if (!strncmp(a, "--stop-after=", 13)) {
			if (!pass_find(a + 13))
				return usage_error("unknown pass '%s' (see --list-passes)", a + 13);
			o->pass.stop_after = a + 13;
		} else if (!strncmp(a, "--disable-pass=", 15)) {
			if (!pass_find(a + 15))
				return usage_error("unknown pass '%s' (see --list-passes)", a + 15);
			if (o->ndisabled + 1 >= sizeof o->disabled / sizeof o->disabled[0])
				return usage_error("too many %s options", "--disable-pass");
			o->disabled[o->ndisabled++] = a + 15;
		} else if (o->run && !strcmp(a, "--input")) {
			if (!next)
				return usage_error("%s needs a file name", a);
			if (o->nrun_inputs == 64)
				return usage_error("too many %s options", a);
			o->run_inputs[o->nrun_inputs++] = argv[++i];
		} else if (o->run && !strcmp(a, "--output")) {
			if (!next)
				return usage_error("%s needs a file name", a);
			if (o->nrun_outputs == 64)
				return usage_error("too many %s options", a);
			o->run_outputs[o->nrun_outputs++] = argv[++i];
		} else if (!strncmp(a, "--input-shape=", 14) || !strcmp(a, "--input-shape")) {
			const char *v = a[13] == '=' ? a + 14 : next;
			if (!v)
				return usage_error("%s needs NAME=D1,D2,...", a);
			if (a[13] != '=')
				i++;
			if (o->nshapes == sizeof o->shapes / sizeof o->shapes[0])
				return usage_error("too many %s options", "--input-shape");
			if (!onnx_parse_input_shape(v, &o->shapes[o->nshapes]))
				return usage_error("invalid --input-shape '%s' (expected NAME=D1,D2,... with "
				                   "dims >= 1)", v);
			o->nshapes++;
		} else if (!strncmp(a, "--freeze-input=", 15) || !strcmp(a, "--freeze-input")) {
			const char *v = a[14] == '=' ? a + 15 : next;
			if (!v)
				return usage_error("%s needs NAME=FILE", a);
			if (a[14] != '=')
				i++;
			if (o->nfreezes == sizeof o->freezes / sizeof o->freezes[0])
				return usage_error("too many %s options", "--freeze-input");
			if (!onnx_parse_freeze(v, &o->freezes[o->nfreezes]))
				return usage_error("invalid --freeze-input '%s' (expected NAME=FILE)", v);
			o->nfreezes++;
		} else if (!strcmp(a, "--mem-report")) {
			o->mem_report = true;
		} else if (!strncmp(a, "--max-scratch=", 14)) {
			if (!parse_bytes(a + 14, &o->max_scratch))
				return usage_error("invalid byte count '%s'", a + 14);
			o->has_max_scratch = true;
			o->max_scratch_arg = a + 14;
		} else if (o->run && !strncmp(a, "--max-memory=", 13)) {
			if (!parse_bytes(a + 13, &o->max_memory))
				return usage_error("invalid byte count '%s'", a + 13);
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option '%s'", a);
		} else {
			if (o->input)
				return usage_error("more than one model file given ('%s')", a);
			o->input = a;
		}
	}
	if (!o->input)
		return usage_error("%s", "no model file given");
	if (o->run && o->emit != EMIT_NONE)
		return usage_error("%s", "dlc run does not take --emit");
	if (o->import && (o->emit != EMIT_NONE || o->mem_report || o->has_max_scratch ||
	                  o->pass.stop_after))
		return usage_error("%s", "dlc import does not take --emit, --stop-after, --mem-report "
		                   "or --max-scratch");
	if ((o->run || o->import) && o->cg.sanitize)
		return usage_error("%s", "--sanitize applies to compiled code; dlc run and dlc import "
		                   "do not take it");
	if (o->run && (o->mem_report || o->has_max_scratch))
		return usage_error("%s", "dlc run does not take --mem-report or --max-scratch");
	if ((o->mem_report || o->has_max_scratch) && (o->emit == EMIT_AST || o->pass.stop_after))
		return usage_error("%s", "--mem-report and --max-scratch need the whole pipeline; they "
		                   "cannot be combined with --emit=ast or --stop-after");
	o->report_only = o->mem_report && o->emit == EMIT_NONE && !o->output;
	if (!o->run && !o->import && o->emit == EMIT_NONE)
		o->emit = EMIT_OBJ;
	return -1;
}

/* Reads a model source file into arena memory, refusing non-regular files
 * and files over MAX_SOURCE_BYTES. */
static char *read_source(struct arena *a, const char *path, uint32_t *len)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "dlc: error: cannot open '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "dlc: error: '%s' is not a regular file\n", path);
		close(fd);
		return NULL;
	}
	if (st.st_size > (off_t)MAX_SOURCE_BYTES) {
		fprintf(stderr, "dlc: error: '%s' is too large (%lld bytes; the limit is %u)\n",
		        path, (long long)st.st_size, MAX_SOURCE_BYTES);
		close(fd);
		return NULL;
	}
	size_t size = (size_t)st.st_size;
	char *text = arena_alloc(a, size + 1);
	size_t got = 0;
	while (got < size) {
		ssize_t r = read(fd, text + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != size) {
		fprintf(stderr, "dlc: error: cannot read '%s'\n", path);
		return NULL;
	}
	text[size] = 0;
	*len = (uint32_t)size;
	return text;
}

static char *dir_of(struct arena *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return arena_strdup(a, ".");
	if (slash == path)
		return arena_strdup(a, "/");
	return arena_strndup(a, path, (size_t)(slash - path));
}

/* ---- dlc run ---- */

static bool read_file_exact(const char *path, void **data, int64_t *size, int64_t limit)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "dlc: error: cannot read input '%s': %s\n", path,
		        fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (st.st_size > limit) {
		fprintf(stderr, "dlc: error: input '%s' is too large (%lld bytes)\n", path,
		        (long long)st.st_size);
		close(fd);
		return false;
	}
	*size = st.st_size;
	*data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!*data)
		dlc_fatal_oom((size_t)st.st_size);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, (char *)*data + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		fprintf(stderr, "dlc: error: cannot read input '%s'\n", path);
		free(*data);
		return false;
	}
	return true;
}

static int run_model(struct ir_graph *g, struct diag *d, const struct options *o)
{
	char buf[160];
	if (o->nrun_inputs != g->ninputs) {
		fprintf(stderr, "dlc: error: the model has %u input%s but %u --input file%s given\n",
		        g->ninputs, g->ninputs == 1 ? "" : "s", o->nrun_inputs,
		        o->nrun_inputs == 1 ? " was" : "s were");
		return 1;
	}
	if (o->nrun_outputs != g->noutputs) {
		fprintf(stderr, "dlc: error: the model has %u output%s but %u --output file%s given\n",
		        g->noutputs, g->noutputs == 1 ? "" : "s", o->nrun_outputs,
		        o->nrun_outputs == 1 ? " was" : "s were");
		return 1;
	}
	int64_t limit = o->max_memory ? o->max_memory : MAX_RUN_BYTES;
	void **in = calloc(g->ninputs + 1, sizeof *in);
	int64_t samples = -1;
	int status = 1;
	unsigned loaded = 0;
	for (; loaded < g->ninputs; loaded++) {
		const struct ir_value *v = &g->vals[g->inputs[loaded]];
		int64_t size, each = ir_type_bytes(&v->type);
		if (!read_file_exact(o->run_inputs[loaded], &in[loaded], &size, limit))
			goto out;
		if (size == 0 || size % each) {
			fprintf(stderr, "dlc: error: input '%s' holds %lld bytes, not a multiple of "
			        "%lld (input '%s' is %s)\n", o->run_inputs[loaded], (long long)size,
			        (long long)each, v->name, ir_type_str(&v->type, buf, sizeof buf));
			loaded++;
			goto out;
		}
		if (samples >= 0 && size / each != samples) {
			fprintf(stderr, "dlc: error: input '%s' holds %lld samples but the first "
			        "input holds %lld\n", o->run_inputs[loaded], (long long)(size / each),
			        (long long)samples);
			loaded++;
			goto out;
		}
		samples = size / each;
	}
	FILE **outf = calloc(g->noutputs + 1, sizeof *outf);
	void **outbuf = calloc(g->noutputs + 1, sizeof *outbuf);
	struct outfile *files = calloc(g->noutputs + 1, sizeof *files);
	bool ok = true;
	for (unsigned i = 0; i < g->noutputs && ok; i++) {
		int64_t bytes = ir_type_bytes(&g->vals[g->outputs[i]].type);
		outbuf[i] = malloc(bytes ? (size_t)bytes : 1);
		if (!outbuf[i])
			dlc_fatal_oom((size_t)bytes);
		ok = outfile_open(&files[i], o->run_outputs[i], d);
		outf[i] = files[i].f;
	}
	const void **ins = calloc(g->ninputs + 1, sizeof *ins);
	for (int64_t s = 0; ok && s < samples; s++) {
		for (unsigned i = 0; i < g->ninputs; i++) {
			int64_t each = ir_type_bytes(&g->vals[g->inputs[i]].type);
			ins[i] = (const char *)in[i] + s * each;
		}
		ok = interp_run(g, d, ins, outbuf, limit);
		for (unsigned i = 0; ok && i < g->noutputs; i++) {
			size_t bytes = (size_t)ir_type_bytes(&g->vals[g->outputs[i]].type);
			ok = fwrite(outbuf[i], 1, bytes, outf[i]) == bytes;
		}
	}
	for (unsigned i = 0; i < g->noutputs; i++) {
		if (files[i].f)
			ok = outfile_close(&files[i], ok, d) && ok;
		free(outbuf[i]);
	}
	free(files);
	free(outf);
	free(outbuf);
	free(ins);
	status = ok ? 0 : 1;
out:
	for (unsigned i = 0; i < loaded; i++)
		free(in[i]);
	free(in);
	return status;
}

/* ---- code generation ---- */

/* --mem-report and --max-scratch on the final plan. Returns -1 to go on
 * compiling, or an exit status. */
static int report_plan(struct ir_graph *g, const struct plan *p, const struct options *o)
{
	if (o->has_max_scratch && p->scratch_bytes > o->max_scratch) {
		fprintf(stderr, "dlc: error: scratch plan needs %" PRId64 " bytes, more than "
		        "--max-scratch=%s", p->scratch_bytes, o->max_scratch_arg);
		if (strspn(o->max_scratch_arg, "0123456789") != strlen(o->max_scratch_arg))
			fprintf(stderr, " (%" PRId64 " bytes)", o->max_scratch);
		fputc('\n', stderr);
		mem_report_print(g, p, stderr);
		return 1;
	}
	if (!o->mem_report)
		return -1;
	if (!o->report_only) {
		mem_report_print(g, p, stderr);
		return -1;
	}
	mem_report_print(g, p, stdout);
	return fflush(stdout) ? 1 : 0;
}

/* The memory plan: a guarded one for --sanitize=address, which gives each
 * tensor scratch bytes of its own between redzones. */
static struct plan *make_plan(struct ir_graph *g, struct arena *a, const struct options *o)
{
	return o->cg.sanitize == CG_SANITIZE_ADDRESS ? plan_build_guarded(g, a) : plan_build(g, a);
}

/* Fills the backend and header options from the command line and plans
 * the graph's memory (unless given the plan). */
static struct plan *backend_options(struct ir_graph *g, struct arena *a, const struct options *o,
                                    struct plan *plan, struct cg_options *cg, struct hdr_options *ho)
{
	if (!plan)
		plan = make_plan(g, a, o);
	*cg = o->cg;
	cg->opt_level = o->pass.opt_level;
	cg->plan = plan;
	if (!cg->name)
		cg->name = g->name;
	if (!cg->weights)
		cg->weights = CG_WEIGHTS_EMBED;
	if (!cg->reloc)
		cg->reloc = CG_RELOC_PIC;
	memset(ho, 0, sizeof *ho);
	ho->name = cg->name;
	ho->external_weights = cg->weights == CG_WEIGHTS_EXTERNAL;
	ho->sanitizer = cg->sanitize == CG_SANITIZE_ADDRESS  ? "address"
	                : cg->sanitize == CG_SANITIZE_THREAD ? "thread"
	                                                     : NULL;
	return plan;
}

/* "dir/model.o" -> "dir/model" + ext; other names get ext appended. */
static char *swap_ext(struct arena *a, const char *path, const char *from, const char *to)
{
	size_t n = strlen(path), f = strlen(from);
	if (n > f && !strcmp(path + n - f, from))
		n -= f;
	return arena_printf(a, "%.*s%s", (int)n, path, to);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Writes the object and its header; both appear only if both succeed. */
static int emit_object(struct ir_graph *g, struct arena *a, struct diag *d, const struct options *o,
                       struct plan *planned)
{
	const char *obj = o->output;
	if (obj && !strcmp(obj, "-")) {
		diag_error(d, (struct src_span){ 0 }, "an object file cannot be written to stdout; "
		           "use --emit=llvm or --emit=asm for text");
		return 1;
	}
	if (!obj)
		obj = swap_ext(a, base_name(o->input), onnx_is_model_path(o->input) ? ".onnx" : ".dl",
		               ".o");
	const char *hdr = o->header ? o->header : swap_ext(a, obj, ".o", ".h");
	struct cg_options cg;
	struct hdr_options ho;
	struct plan *plan = backend_options(g, a, o, planned, &cg, &ho);
	if (cg.weights == CG_WEIGHTS_EXTERNAL) {
		cg.weights_path = swap_ext(a, obj, ".o", ".weights");
		ho.weights_file = base_name(cg.weights_path);
	}
	struct outfile of, hf;
	if (!outfile_open(&of, obj, d))
		return 1;
	if (!outfile_open(&hf, hdr, d)) {
		outfile_close(&of, false, d);
		return 1;
	}
	bool ok = cg_emit(g, &cg, CG_EMIT_OBJ, of.f, d) && !d->errors;
	ok = ok && hdr_emit(g, plan, &ho, hf.f);
	bool ok_obj = outfile_close(&of, ok, d);
	ok = outfile_close(&hf, ok && ok_obj, d) && ok && ok_obj;
	if (!ok && cg.weights_path)
		unlink(cg.weights_path);
	return ok ? 0 : 1;
}

/* ---- dlc import ---- */

/* Writes the graph (after the -O0 pipeline) as a .dl program and its
 * weights as a safetensors file next to it, named after the program;
 * both appear only if both are complete. */
static int write_import(struct ir_graph *g, struct arena *a, struct diag *d,
                        const struct options *o)
{
	const char *in = base_name(o->input), *dl = o->output;
	if (!dl) {
		dl = swap_ext(a, swap_ext(a, in, ".onnx", ""), ".dl", ".dl");
		if (!strcmp(dl, o->input)) {
			diag_error(d, (struct src_span){ 0 }, "dlc import would overwrite '%s'; give the "
			           "program to write with -o", o->input);
			return 1;
		}
	}
	if (!strcmp(dl, "-")) {
		diag_error(d, (struct src_span){ 0 }, "dlc import writes a weights file next to the "
		           "program, so the program cannot go to stdout");
		return 1;
	}
	const char *st = swap_ext(a, dl, ".dl", ".safetensors");
	struct outfile df, sf;
	if (!outfile_open(&df, dl, d))
		return 1;
	if (!outfile_open(&sf, st, d)) {
		outfile_close(&df, false, d);
		return 1;
	}
	fprintf(df.f, "# %s, translated by dlc import\n", in);
	/* An ONNX graph's name is the exporter's ("main_graph", "torch_jit"):
	 * the program is named after its file instead. */
	if (onnx_is_model_path(o->input))
		g->name = dl_identifier(a, swap_ext(a, base_name(dl), ".dl", ""));
	struct dl_weights w = { 0 };
	bool ok = ir_to_dl(g, a, d, base_name(st), df.f, &w) && !d->errors;
	ok = ok && st_write(sf.f, w.tensors, w.n, a);
	/* A program without weights gets no weights file. */
	bool want_st = ok && w.n > 0;
	bool st_done = outfile_close(&sf, want_st, d);
	ok = ok && (st_done || !want_st);
	ok = outfile_close(&df, ok, d) && ok;
	if (!ok && want_st && st_done)
		unlink(st);
	return ok ? 0 : 1;
}

/* ---- the pipeline ---- */

static int compile(struct options *o)
{
	struct arena arena = { 0 };
	struct diag d;
	diag_init(&d, stderr);
	int status = 1;
	uint32_t len, file = 0;
	/* ONNX models are binary: onnx_import reads them itself. */
	bool onnx = onnx_is_model_path(o->input);
	if (!onnx) {
		char *text = read_source(&arena, o->input, &len);
		if (!text)
			goto out;
		file = diag_add_source(&d, o->input, text, len);
	}

	/* Text results go to memory first: nothing is written on error. */
	char *outtext = NULL;
	size_t outlen = 0;
	FILE *mem = open_memstream(&outtext, &outlen);
	if (!mem)
		dlc_fatal_oom(0);

	struct ir_graph *g;
	if (onnx) {
		if (o->emit == EMIT_AST) {
			diag_error(&d, (struct src_span){ 0 }, "--emit=ast needs a .dl model; '%s' is an "
			           "ONNX model", o->input);
			goto done;
		}
		struct onnx_options oo = { o->shapes, o->nshapes, o->freezes, o->nfreezes };
		g = onnx_import(&arena, &d, o->input, &oo);
	} else {
		if (o->nshapes) {
			diag_error(&d, (struct src_span){ 0 }, "--input-shape applies to ONNX models only");
			goto done;
		}
		if (o->nfreezes) {
			diag_error(&d, (struct src_span){ 0 }, "--freeze-input applies to ONNX models only");
			goto done;
		}
		struct ast_model *m = fe_parse(&arena, &d, file);
		if (!m || d.errors)
			goto done;
		if (o->emit == EMIT_AST) {
			fe_print_ast(m, mem);
			goto write;
		}
		g = fe_lower(&arena, &d, m, dir_of(&arena, o->input));
	}
	if (!g || d.errors)
		goto done;

	o->pass.print_out = stderr;
	/* The target, resolved once ("native" included) by the backend, the
	 * only code that knows LLVM; passes and code generation get the same. */
	struct target *target = arena_alloc(&arena, sizeof *target);
	if (!cg_target_resolve(o->cg.triple, o->cg.cpu, o->cg.features, &arena, target, &d))
		goto done;
	o->pass.target = target->desc;
	o->cg.target = target;
	o->pass.model_dir = dir_of(&arena, o->input);
	/* The interpreter reads weights in PyTorch layout: dlc run at -O1+
	 * runs every optimization but the packing of weights for the back
	 * end's kernels (the codegen_only passes). dlc import writes the
	 * graph before those rewrites too (conv2d_transpose stays one layer),
	 * and after the passes that recognize layers (silu, attention). */
	o->pass.for_interpreter = o->run || o->import;
	o->pass.importing = o->import;
	o->disabled[o->ndisabled] = NULL;
	o->pass.disabled = o->disabled;
	/* --emit=ir and dlc run stop after the passes correctness needs
	 * (-O0); --emit=ir-opt runs the whole pipeline at the chosen level. */
	struct pass_options po = o->pass;
	if (o->emit == EMIT_IR)
		po.opt_level = 0;
	bool stopped = false;
	if (!pass_run_pipeline(g, &d, &po, &stopped) || d.errors)
		goto done;
	if (o->run) {
		fclose(mem);
		mem = NULL;
		status = run_model(g, &d, o);
		goto done;
	}
	if (o->import) {
		status = write_import(g, &arena, &d, o);
		goto done;
	}
	struct plan *planned = NULL;
	if (o->mem_report || o->has_max_scratch) {
		planned = make_plan(g, &arena, o);
		status = report_plan(g, planned, o);
		if (status >= 0)
			goto done;
		status = 1;
	}
	if (stopped || o->emit == EMIT_IR || o->emit == EMIT_IR_OPT || o->emit == EMIT_DOT) {
		if (o->emit == EMIT_DOT)
			ir_print_dot(g, mem);
		else
			ir_print(g, mem);
		goto write;
	}
	if (o->emit == EMIT_OBJ) {
		status = emit_object(g, &arena, &d, o, planned);
		goto done;
	}
	struct cg_options cg;
	struct hdr_options ho;
	struct plan *plan = backend_options(g, &arena, o, planned, &cg, &ho);
	if (o->emit == EMIT_HEADER)
		hdr_emit(g, plan, &ho, mem);
	else
		cg_emit(g, &cg, o->emit == EMIT_LLVM ? CG_EMIT_LLVM : CG_EMIT_ASM, mem, &d);

write:
	fflush(mem);
	if (d.errors)
		goto done;
	if (!o->output || !strcmp(o->output, "-")) {
		fwrite(outtext, 1, outlen, stdout);
		status = fflush(stdout) ? 1 : 0;
	} else {
		struct outfile of;
		if (outfile_open(&of, o->output, &d)) {
			bool ok = fwrite(outtext, 1, outlen, of.f) == outlen;
			status = outfile_close(&of, ok, &d) && ok ? 0 : 1;
		}
	}
done:
	if (mem)
		fclose(mem);
	free(outtext);
	if (d.errors && status == 0)
		status = 1;
	if (d.errors)
		fprintf(stderr, "%d error%s generated.\n", d.errors, d.errors == 1 ? "" : "s");
out:
	diag_free(&d);
	arena_free(&arena);
	return status;
}

int dlc_main(int argc, char **argv)
{
	struct options o;
	memset(&o, 0, sizeof o);
	o.pass.opt_level = 2;
	if (argc > 1 && (!strcmp(argv[1], "run") || !strcmp(argv[1], "import")))
		o.pass.opt_level = 0;
	int r = parse_args(argc, argv, &o);
	if (r >= 0)
		return r;
	return compile(&o);
}
