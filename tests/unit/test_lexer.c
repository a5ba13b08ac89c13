/* test_lexer.c - the scanner, seen through fe_parse and the AST printer:
 * number and string spellings, comments and terminators, and every
 * lexical error with its exact message and location. */
#include "harness.h"

#include "frontend.h"

struct lexrun {
	struct capture cap;
	struct arena a;
	struct ast_model *m;
	char *ast; /* fe_print_ast output (malloc'd), "" on errors */
	size_t astlen;
};

/* Parses `len` bytes of src (which may hold NUL bytes). */
static void parse_bytes(struct lexrun *r, const char *src, size_t len)
{
	memset(r, 0, sizeof *r);
	capture_begin(&r->cap);
	char *text = arena_alloc(&r->a, len + 1);
	memcpy(text, src, len);
	uint32_t file = diag_add_source(&r->cap.d, "t.dl", text, (uint32_t)len);
	r->m = fe_parse(&r->a, &r->cap.d, file);
	FILE *f = open_memstream(&r->ast, &r->astlen);
	assert_non_null(f);
	fe_print_ast(r->m, f);
	fclose(f);
}

static void parse(struct lexrun *r, const char *src)
{
	parse_bytes(r, src, strlen(src));
}

static void done(struct lexrun *r)
{
	free(r->ast);
	capture_end(&r->cap);
	arena_free(&r->a);
}

/* Parses `src` expecting no diagnostics and exactly `ast` printed. */
static void expect_ast(const char *src, const char *ast)
{
	struct lexrun r;
	parse(&r, src);
	assert_string_equal(capture_text(&r.cap), "");
	assert_non_null(r.m);
	assert_string_equal(r.ast, ast);
	done(&r);
}

/* Parses `src` expecting failure and exactly the diagnostics `diags`. */
static void expect_diags_bytes(const char *src, size_t len, const char *diags)
{
	struct lexrun r;
	parse_bytes(&r, src, len);
	assert_null(r.m);
	assert_string_equal(capture_text(&r.cap), diags);
	done(&r);
}

static void expect_diags(const char *src, const char *diags)
{
	expect_diags_bytes(src, strlen(src), diags);
}

static void test_numbers(void **state)
{
	(void)state;
	expect_ast("f(64, 0x1F, 0XfF, 007, 9223372036854775807)\n",
	           "1:1: layer f(64, 31, 255, 7, 9223372036854775807)\n");
	expect_ast("f(0.5, 1e-5, 2E3, .25, 5., 1.5e+2, 3.0)\n",
	           "1:1: layer f(0.5, 1e-05, 2000.0, 0.25, 5.0, 150.0, 3.0)\n");
	/* fractions are numbers; unary minus applies to numbers only */
	expect_ast("f(1/255, -1, -0.5, 6/2, -1/4, (3))\n",
	           "1:1: layer f(0.00392156862745098, -1, -0.5, 3.0, -0.25, 3)\n");
}

static void test_strings_idents_lists(void **state)
{
	(void)state;
	expect_ast("weights \"a \\\"b\\\" \\\\ c\\n\\t\" keras\n",
	           "1:1: weights \"a \\\"b\\\" \\\\ c\\n\\t\" keras\n");
	expect_ast(
	    "x_1 = _f9(A, b_, [1, 2], (3, 4), (5,), [], [1, 2,], [[1], (2, 3)])\n",
	    "1:1: layer x_1 = _f9(A, b_, [1, 2], (3, 4), (5,), [], [1, 2], [[1], (2, 3)])\n");
	/* keywords are reserved only as whole words */
	expect_ast("models = inputs(outputs=weights_)\n",
	           "1:1: layer models = inputs(outputs=weights_)\n");
}

static void test_terminators_comments(void **state)
{
	(void)state;
	/* ';' ends a statement like a newline; CR is blank; no final newline */
	expect_ast("# header\r\nmodel m; input x: f32[1,2] # trailing\r\n\n\n  relu()",
	           "2:1: model m\n2:10: input x: f32[1, 2]\n5:3: layer relu()\n");
	expect_ast("", "");
	expect_ast("# only a comment", "");
	expect_ast(";;\n;", "");
}

static void test_invalid_characters(void **state)
{
	(void)state;
	expect_diags("relu() $\n", "t.dl:1:8: error: invalid character '$'\n"
	                           "    1 | relu() $\n"
	                           "      |        ^\n");
	/* a run of bad bytes on one line is reported once */
	expect_diags_bytes("a\x01\x02\x03\nb = \xff\n", 11,
	                   "t.dl:1:2: error: invalid character '\\x01'\n"
	                   "    1 | a???\n"
	                   "      |  ^\n"
	                   "t.dl:2:5: error: invalid byte 0xff (the file is not valid UTF-8)\n"
	                   "    2 | b = \xff\n"
	                   "      |     ^\n");
	expect_diags_bytes("f(\0)\n", 5,
	                   "t.dl:1:3: error: invalid character '\\x00'\n"
	                   "    1 | f(?)\n"
	                   "      |   ^\n");
	/* valid UTF-8 is named by code point; a no-break space is invisible */
	expect_diags("f(\xc2\xa0)\n", "t.dl:1:3: error: invalid character '\xc2\xa0' (U+00A0)\n"
	                              "    1 | f(\xc2\xa0)\n"
	                              "      |   ^~\n");
	/* UTF-8 is fine in comments */
	expect_ast("relu() # \xc3\xa9\xe2\x82\xac\n", "1:1: layer relu()\n");
}

static void test_malformed_numbers(void **state)
{
	(void)state;
	expect_diags("f(1e)\n", "t.dl:1:3: error: malformed number '1e'\n"
	                        "    1 | f(1e)\n"
	                        "      |   ^~\n");
	expect_diags("f(0x)\n", "t.dl:1:3: error: malformed number '0x'\n"
	                        "    1 | f(0x)\n"
	                        "      |   ^~\n");
	expect_diags("f(1e+)\n", "t.dl:1:3: error: malformed number '1e+'\n"
	                         "    1 | f(1e+)\n"
	                         "      |   ^~~\n");
	expect_diags("f(3x3, 1.2.3)\n", "t.dl:1:3: error: malformed number '3x3'\n"
	                                "    1 | f(3x3, 1.2.3)\n"
	                                "      |   ^~~\n"
	                                "t.dl:1:8: error: malformed number '1.2.3'\n"
	                                "    1 | f(3x3, 1.2.3)\n"
	                                "      |        ^~~~~\n");
}

static void test_out_of_range(void **state)
{
	(void)state;
	expect_diags("f(9223372036854775808)\n",
	             "t.dl:1:3: error: integer '9223372036854775808' is out of range "
	             "(the maximum is 9223372036854775807)\n"
	             "    1 | f(9223372036854775808)\n"
	             "      |   ^~~~~~~~~~~~~~~~~~~\n");
	expect_diags("f(0x8000000000000000)\n",
	             "t.dl:1:3: error: integer '0x8000000000000000' is out of range "
	             "(the maximum is 9223372036854775807)\n"
	             "    1 | f(0x8000000000000000)\n"
	             "      |   ^~~~~~~~~~~~~~~~~~\n");
	expect_diags("f(1e999)\n", "t.dl:1:3: error: number '1e999' is out of range\n"
	                           "    1 | f(1e999)\n"
	                           "      |   ^~~~~\n");
	expect_diags("f(1/0)\n", "t.dl:1:5: error: division by zero\n"
	                         "    1 | f(1/0)\n"
	                         "      |     ^\n");
}

static void test_string_errors(void **state)
{
	(void)state;
	expect_diags("weights \"abc\nrelu()\n", "t.dl:1:9: error: unterminated string\n"
	                                        "    1 | weights \"abc\n"
	                                        "      |         ^~~~\n");
	expect_diags("weights \"abc", "t.dl:1:9: error: unterminated string\n"
	                              "    1 | weights \"abc\n"
	                              "      |         ^~~~\n");
	expect_diags("weights \"a\\qb\"\n",
	             "t.dl:1:11: error: unknown escape sequence '\\q' in string\n"
	             "    1 | weights \"a\\qb\"\n"
	             "      |           ^~\n");
	expect_diags_bytes("weights \"a\0b\"\n", 14,
	                   "t.dl:1:11: error: NUL byte in string\n"
	                   "    1 | weights \"a?b\"\n"
	                   "      |           ^\n");
}

/* Independent lexical errors on separate lines are all reported, and a
 * lexical error does not add a syntax error for the same line. */
static void test_errors_on_every_line(void **state)
{
	(void)state;
	expect_diags("f(1e)\nrelu()\ng(@)\n", "t.dl:1:3: error: malformed number '1e'\n"
	                                      "    1 | f(1e)\n"
	                                      "      |   ^~\n"
	                                      "t.dl:3:3: error: invalid character '@'\n"
	                                      "    3 | g(@)\n"
	                                      "      |   ^\n");
}

static void test_nesting(void **state)
{
	(void)state;
	enum { N = 100000 };
	char *src = malloc(N + 16);
	assert_non_null(src);
	memcpy(src, "f(", 2);
	memset(src + 2, '(', N);
	strcpy(src + 2 + N, "\nrelu()\n");
	struct lexrun r;
	parse(&r, src);
	assert_null(r.m);
	const char *out = capture_text(&r.cap);
	const char *want = "t.dl:1:66: error: nesting too deep (more than 64 levels)\n";
	assert_true(!strncmp(out, want, strlen(want)));
	assert_int_equal(r.cap.d.errors, 1);
	done(&r);
	free(src);
	/* 64 levels are fine */
	char ok[200] = "f(";
	for (int i = 0; i < 63; i++)
		strcat(ok, "[");
	strcat(ok, "1");
	for (int i = 0; i < 63; i++)
		strcat(ok, "]");
	strcat(ok, ")\n");
	parse(&r, ok);
	assert_non_null(r.m);
	done(&r);
}

/* Arbitrary bytes never crash the scanner. */
static void test_binary_garbage(void **state)
{
	(void)state;
	char buf[4096];
	uint32_t x = 12345;
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < sizeof buf; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (char)(x >> 16);
		}
		struct lexrun r;
		parse_bytes(&r, buf, sizeof buf);
		assert_true(r.cap.d.errors > 0);
		done(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strings_idents_lists),
		cmocka_unit_test(test_terminators_comments),
		cmocka_unit_test(test_invalid_characters),
		cmocka_unit_test(test_malformed_numbers),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_string_errors),
		cmocka_unit_test(test_errors_on_every_line),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_binary_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
