/* emit.c - writes a finished module: an object file or assembly through the
 * target machine, or the textual LLVM IR. Everything goes through memory
 * buffers so that any FILE (stdout, a temporary output file) works. */
#include "cg.h"

#include <string.h>

#include <llvm-c/Target.h>

#include "check.h"

static bool put(FILE *out, const char *p, size_t n, struct diag *d)
{
	static const struct src_span none;
	if (fwrite(p, 1, n, out) != n) {
		diag_error(d, none, "cannot write output: write failed");
		return false;
	}
	return true;
}

bool cg_write(struct cg *c, enum cg_emit what, FILE *out, struct diag *d)
{
	static const struct src_span none;
	switch (what) {
	case CG_EMIT_NONE:
		return true;
	case CG_EMIT_LLVM: {
		char *s = LLVMPrintModuleToString(c->mod);
		bool ok = put(out, s, strlen(s), d);
		LLVMDisposeMessage(s);
		return ok;
	}
	case CG_EMIT_OBJ:
	case CG_EMIT_ASM: {
		char *err = NULL;
		LLVMMemoryBufferRef buf = NULL;
		LLVMCodeGenFileType ft = what == CG_EMIT_OBJ ? LLVMObjectFile : LLVMAssemblyFile;
		if (LLVMTargetMachineEmitToMemoryBuffer(c->tm, c->mod, ft, &err, &buf)) {
			diag_error(d, none, "llvm code generation failed: %s", err);
			LLVMDisposeMessage(err);
			return false;
		}
		bool ok = put(out, LLVMGetBufferStart(buf), LLVMGetBufferSize(buf), d);
		LLVMDisposeMemoryBuffer(buf);
		return ok;
	}
	}
	DLC_UNREACHABLE("cg_write: invalid emit kind");
}

void cg_print_targets(FILE *out)
{
	LLVMInitializeAllTargetInfos();
	for (LLVMTargetRef t = LLVMGetFirstTarget(); t; t = LLVMGetNextTarget(t))
		fprintf(out, "  %-12s %s\n", LLVMGetTargetName(t), LLVMGetTargetDescription(t));
}
