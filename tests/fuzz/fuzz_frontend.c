/* fuzz_frontend.c - libFuzzer target: the bytes are a .dl source.
 *
 * Source -> fe_parse (and the AST printer) -> fe_lower -> the pass
 * pipeline at -O0 and at -O2 -> memory plans (checked) and every printer
 * -> the interpreter at -O0 and -O2, compared (fuzz_check_model). Models
 * naming a weights file get random weights instead (the fuzzer never
 * opens files); weights are bound only when small. Any crash, sanitizer
 * report, leak, internal error ("internal error: ...") or failed check is
 * a bug: malformed input must only ever produce diagnostics. */
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
		fuzz_check_model(&a, &d, m, 2, NULL);
	}
	diag_free(&d);
	arena_free(&a);
	free(text);
	return 0;
}
