/* onnx_inputs.c - the graph's inputs: initializers become constants,
 * every other graph input an IR input with a static type (from the model
 * or --input-shape), or a constant (--freeze-input NAME=FILE).
 *
 * Some models take a weight as a run-time input (the ONNX node tests feed
 * Conv's W and Gemm's B that way); freezing the input bakes a value into
 * the compiled model instead, so it is an initializer to the rest of the
 * importer. The value comes from a TensorProto file (.pb, as the node
 * tests' input_N.pb) or from raw little-endian elements (.bin). Either way
 * it must have exactly the input's declared element type and shape: a
 * frozen input changes what the model computes with, never its types. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "onnx_inputs.h"
#include "onnx_read.h"

/* The --input-shape given for input name, or NULL. */
static const struct onnx_input_shape *given_shape(struct onnx_imp *m, const char *name)
{
	for (unsigned i = 0; m->opts && i < m->opts->nshapes; i++)
		if (!strcmp(m->opts->shapes[i].name, name))
			return &m->opts->shapes[i];
	return NULL;
}

/* The --freeze-input naming graph input name, or NULL. */
static const struct onnx_freeze *find_freeze(const struct onnx_imp *m, const char *name)
{
	for (unsigned i = 0; m->opts && i < m->opts->nfreezes; i++)
		if (!strcmp(m->opts->freezes[i].name, name))
			return &m->opts->freezes[i];
	return NULL;
}

/* Reports every --freeze-input that names no graph input, an initializer,
 * or an input already named; false if any. */
static bool check_freezes(struct onnx_imp *m)
{
	const Onnx__GraphProto *gp = m->model->graph;
	bool ok = true;
	for (unsigned i = 0; m->opts && i < m->opts->nfreezes; i++) {
		const char *name = m->opts->freezes[i].name;
		bool input = false, dup = false;
		for (size_t k = 0; k < gp->n_input && !input; k++)
			input = gp->input[k]->name && !strcmp(gp->input[k]->name, name);
		for (unsigned k = 0; k < i && !dup; k++)
			dup = !strcmp(m->opts->freezes[k].name, name);
		const char *why = dup ? "is frozen twice"
		                  : !input ? "is not an input of the model"
		                  : onnx_value(m, name)->kind == ONNX_CONST ? "already has an initializer"
		                  : NULL;
		if (why) {
			diag_error(m->d, m->loc, "--freeze-input names '%s', which %s", name, why);
			ok = false;
		}
	}
	return ok;
}

/* The input's declared type: element type and dims, 0 for a symbolic dim
 * (unless --input-shape fixes it); rank -1 when no shape is declared. */
struct decl {
	int32_t elem;
	int rank;
	int64_t dims[IR_MAX_RANK];
};

static bool declared(struct onnx_imp *m, const Onnx__ValueInfoProto *vi, struct decl *t)
{
	const Onnx__TypeProto *tp = vi->type;
	if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
		diag_error(m->d, m->loc, "--freeze-input '%s': the input is not a tensor", vi->name);
		return false;
	}
	const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
	memset(t, 0, sizeof *t);
	t->elem = tt->has_elem_type ? tt->elem_type : 0;
	t->rank = -1;
	const struct onnx_input_shape *given = given_shape(m, vi->name);
	if (given) {
		t->rank = given->rank;
		memcpy(t->dims, given->dims, given->rank * sizeof *t->dims);
	} else if (tt->shape) {
		if (tt->shape->n_dim > IR_MAX_RANK) {
			diag_error(m->d, m->loc, "--freeze-input '%s': the input has rank %zu; at most %d "
			           "is supported", vi->name, tt->shape->n_dim, IR_MAX_RANK);
			return false;
		}
		t->rank = (int)tt->shape->n_dim;
		for (int i = 0; i < t->rank; i++) {
			const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[i];
			bool fixed = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			t->dims[i] = fixed && dim->dim_value > 0 ? dim->dim_value : 0;
		}
	}
	return true;
}

/* "float[1, 3, ?]" (rank -1: "float[...]") */
static const char *type_str(char *buf, size_t n, int32_t elem, int rank, const int64_t *dims)
{
	int k = snprintf(buf, n, "%s[", onnx_dtype_name(elem));
	if (rank < 0)
		k += snprintf(buf + k, n - (size_t)k, "...");
	for (int i = 0; i < rank && (size_t)k < n; i++)
		k += dims[i] ? snprintf(buf + k, n - (size_t)k, "%s%" PRId64, i ? ", " : "", dims[i])
		             : snprintf(buf + k, n - (size_t)k, "%s?", i ? ", " : "");
	if ((size_t)k < n)
		snprintf(buf + k, n - (size_t)k, "]");
	return buf;
}

static bool matches(const struct decl *t, int32_t elem, size_t rank, const int64_t *dims)
{
	if (elem != t->elem)
		return false;
	if (t->rank < 0)
		return true;
	if ((size_t)t->rank != rank)
		return false;
	for (size_t i = 0; i < rank; i++)
		if (t->dims[i] && t->dims[i] != dims[i])
			return false;
	return true;
}


static struct onnx_tensor *from_raw(struct onnx_imp *m, const char *name, const char *path,
                                    const struct decl *t, const unsigned char *buf, size_t len)
{
	char want[160];
	type_str(want, sizeof want, t->elem, t->rank, t->dims);
	unsigned es = onnx_elem_size(t->elem);
	bool fixed = t->rank >= 0;
	for (int i = 0; i < t->rank; i++)
		fixed = fixed && t->dims[i];
	if (!es || !fixed) {
		diag_error(m->d, m->loc, "--freeze-input '%s': a raw .bin file needs a supported element "
		           "type and a static shape, but the input is declared %s%s", name, want,
		           es ? "; give its shape with --input-shape" : "");
		return NULL;
	}
	int64_t bytes = es;
	for (int i = 0; i < t->rank; i++)
		if (ckd_mul_i64(&bytes, bytes, t->dims[i]))
			bytes = -1;
	if (bytes < 0 || (uint64_t)bytes != len) {
		diag_error(m->d, m->loc, "--freeze-input '%s': '%s' holds %zu bytes, expected %" PRId64
		           " for %s", name, path, len, bytes, want);
		return NULL;
	}
	Onnx__TensorProto tp;
	onnx__tensor_proto__init(&tp);
	tp.name = (char *)(uintptr_t)name;
	tp.has_data_type = 1;
	tp.data_type = t->elem;
	tp.n_dims = (size_t)t->rank;
	tp.dims = (int64_t *)(uintptr_t)t->dims;
	tp.has_raw_data = 1;
	tp.raw_data.len = len;
	tp.raw_data.data = (uint8_t *)(uintptr_t)buf;
	return onnx_read_tensor(m, &tp, name);
}

static struct onnx_tensor *from_proto(struct onnx_imp *m, const char *name, const char *path,
                                      const struct decl *t, const unsigned char *buf,
                                      size_t len)
{
	Onnx__TensorProto *tp = onnx__tensor_proto__unpack(&m->alloc, len, buf);
	if (!tp) {
		diag_error(m->d, m->loc, "--freeze-input '%s': '%s' is not a valid ONNX TensorProto "
		           "(name a raw little-endian tensor FILE.bin)", name, path);
		return NULL;
	}
	struct onnx_tensor *r = NULL;
	int32_t elem = tp->has_data_type ? tp->data_type : 0;
	if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
		diag_error(m->d, m->loc, "--freeze-input '%s': '%s' refers to external data; give the "
		           "tensor inline or as a raw .bin file", name, path);
	} else if (tp->n_dims > IR_MAX_RANK || !matches(t, elem, tp->n_dims, tp->dims)) {
		char want[160], got[160];
		int rank = tp->n_dims > IR_MAX_RANK ? -1 : (int)tp->n_dims;
		diag_error(m->d, m->loc, "--freeze-input '%s': the input is declared %s, but '%s' "
		           "holds %s", name, type_str(want, sizeof want, t->elem, t->rank, t->dims),
		           path, type_str(got, sizeof got, elem, rank, tp->dims));
	} else {
		r = onnx_read_tensor(m, tp, name);
	}
	onnx__tensor_proto__free_unpacked(tp, &m->alloc);
	return r;
}

/* The constant for frozen graph input vi, read from its file and checked
 * against the input's declared type; NULL (reported) on error. */
static struct onnx_tensor *freeze_input(struct onnx_imp *m, const Onnx__ValueInfoProto *vi)
{
	const struct onnx_freeze *fz = find_freeze(m, vi->name);
	struct decl t;
	if (!fz || !declared(m, vi, &t))
		return NULL;
	size_t len, n = strlen(fz->path);
	/* bounded by the largest tensor dlc takes, plus a .pb header */
	unsigned char *buf = onnx_read_file(m, fz->path, "the --freeze-input file",
	                                    IR_MAX_TENSOR_BYTES + ((int64_t)1 << 20), &len);
	if (!buf)
		return NULL;
	bool raw = n > 4 && !strcmp(fz->path + n - 4, ".bin");
	struct onnx_tensor *r = raw ? from_raw(m, vi->name, fz->path, &t, buf, len)
	                            : from_proto(m, vi->name, fz->path, &t, buf, len);
	free(buf);
	if (r)
		r->name = arena_strdup(m->a, vi->name); /* the IR constant's name */
	return r;
}

/* The static type of graph input vi; false (reported) if it has none. */
static bool input_type(struct onnx_imp *m, const Onnx__ValueInfoProto *vi, struct ir_type *t)
{
	const char *name = vi->name;
	const Onnx__TypeProto *tp = vi->type;
	if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
		diag_error(m->d, m->loc, "input '%s' is not a tensor", name);
		return false;
	}
	const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
	int32_t et = tt->has_elem_type ? tt->elem_type : 0;
	memset(t, 0, sizeof *t);
	t->dtype = onnx_ir_dtype(et);
	if (!t->dtype) {
		diag_error(m->d, m->loc, "input '%s' has element type %s; dlc takes float, integer "
		           "and bool inputs", name, onnx_dtype_name(et));
		return false;
	}
	const struct onnx_input_shape *given = given_shape(m, name);
	if (given) {
		t->rank = given->rank;
		memcpy(t->dims, given->dims, given->rank * sizeof *t->dims);
		if (tt->shape && tt->shape->n_dim != given->rank) {
			diag_error(m->d, m->loc, "--input-shape gives input '%s' %u dims, but the model "
			           "declares %zu", name, given->rank, tt->shape->n_dim);
			return false;
		}
		return true;
	}
	if (!tt->shape) {
		diag_error(m->d, m->loc, "input '%s' has no shape; give one with --input-shape "
		           "%s=d1,d2,...", name, name);
		return false;
	}
	if (tt->shape->n_dim > IR_MAX_RANK) { /* rank 0: a scalar */
		diag_error(m->d, m->loc, "input '%s' has rank %zu; dlc supports ranks 0 to %d", name,
		           tt->shape->n_dim, IR_MAX_RANK);
		return false;
	}
	t->rank = (uint8_t)tt->shape->n_dim;
	for (unsigned i = 0; i < t->rank; i++) {
		const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[i];
		if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
		    dim->dim_value > 0) {
			t->dims[i] = dim->dim_value;
			continue;
		}
		const char *sym = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
		                      ? dim->dim_param : "?";
		diag_error(m->d, m->loc, "input '%s' has a dynamic dim %u ('%s'); dlc needs static "
		           "shapes: give one with --input-shape %s=d1,d2,...", name, i, sym, name);
		return false;
	}
	return true;
}

bool onnx_read_inputs(struct onnx_imp *m)
{
	const Onnx__GraphProto *gp = m->model->graph;
	bool ok = true;
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *tp = gp->initializer[i];
		if (!tp->name || !tp->name[0]) {
			diag_error(m->d, m->loc, "initializer %zu has no name", i);
			ok = false;
			continue;
		}
		struct onnx_tensor *t = onnx_read_tensor(m, tp, tp->name);
		struct onnx_value *v = onnx_value(m, tp->name);
		v->kind = t ? ONNX_CONST : ONNX_BAD;
		v->t = t;
		ok = ok && t;
	}
	if (gp->n_sparse_initializer) {
		diag_error(m->d, m->loc, "sparse initializers are not supported");
		ok = false;
	}
	for (unsigned i = 0; m->opts && i < m->opts->nshapes; i++) {
		bool found = false;
		for (size_t k = 0; k < gp->n_input && !found; k++)
			found = gp->input[k]->name && !strcmp(gp->input[k]->name, m->opts->shapes[i].name);
		if (!found) {
			diag_error(m->d, m->loc, "--input-shape names '%s', which is not an input of the "
			           "model", m->opts->shapes[i].name);
			ok = false;
		}
	}
	ok = check_freezes(m) && ok;
	for (size_t i = 0; i < gp->n_input; i++) {
		const Onnx__ValueInfoProto *vi = gp->input[i];
		if (!vi->name || !vi->name[0]) {
			diag_error(m->d, m->loc, "graph input %zu has no name", i);
			ok = false;
			continue;
		}
		struct onnx_value *v = onnx_value(m, vi->name);
		if (v->kind == ONNX_CONST || v->kind == ONNX_BAD)
			continue; /* an initializer listed as input (IR version < 4): a weight */
		if (find_freeze(m, vi->name)) {
			v->t = freeze_input(m, vi);
			v->kind = v->t ? ONNX_CONST : ONNX_BAD;
			ok = ok && v->t;
			continue;
		}
		struct ir_type t;
		if (!input_type(m, vi, &t)) {
			v->kind = ONNX_BAD;
			ok = false;
			continue;
		}
		enum ir_layout layout = t.rank == 4 ? IR_LAYOUT_NCHW : IR_LAYOUT_NONE;
		const char *irname = onnx_unique(m, vi->name);
		v->kind = ONNX_ACT;
		v->type = t;
		v->ir = ir_add_input(m->g, irname, t, layout, m->loc);
	}
	return ok;
}

bool onnx_parse_freeze(const char *arg, struct onnx_freeze *out)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= sizeof out->name)
		return false;
	memset(out, 0, sizeof *out);
	memcpy(out->name, arg, (size_t)(eq - arg));
	out->path = eq + 1;
	return true;
}
