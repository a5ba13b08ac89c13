/* fuzz_frontend.c - libFuzzer target: the bytes are a .dl source.
 *
 * Source -> fe_parse (and the AST printer) -> fe_lower -> the pass
 * pipeline at -O0 and at -O2 -> memory plan (checked) and every printer.
 * Models naming a weights file stop after shape inference (the fuzzer
 * never opens files); `weights random(...)` models run the whole pipeline
 * when their weights are small. Any crash, sanitizer report, leak or
 * internal error ("internal error: ...") is a bug: malformed input must
 * only ever produce diagnostics. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return -1;
	struct arena a = { 0 };
	struct diag d;
	diag_init(&d, fuzz_null());
	/* An exact-size heap copy (not arena memory), so ASan sees any read
	 * past the terminating NUL. */
	char *text = malloc(size + 1);
	FUZZ_CHECK(text != NULL, "out of memory");
	memcpy(text, data, size);
	text[size] = '\0';
	uint32_t file = diag_add_source(&d, "fuzz.dl", text, (uint32_t)size);
	struct ast_model *m = fe_parse(&a, &d, file);
	if (m && !d.errors) {
		fe_print_ast(m, fuzz_null());
		static const int levels[] = { 0, 2 };
		for (unsigned i = 0; i < sizeof levels / sizeof levels[0] && !d.errors; i++) {
			struct ir_graph *g = fuzz_compile(&a, &d, m, levels[i], NULL, NULL);
			if (g)
				fuzz_plan_and_print(g, &a);
		}
	}
	diag_free(&d);
	arena_free(&a);
	free(text);
	return 0;
}
