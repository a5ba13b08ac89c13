/* onnx_attr.c - node attributes and constant integer inputs.
 *
 * Errors go through onnx_error, which names the node as the user knows it
 * and its operator:
 *   model.onnx: error: node 'Conv_3' (Conv): pads must have 4 values, got 2
 * Attribute readers check the attribute's type and report a mismatch
 * rather than guessing. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "onnx_attr.h"

const Onnx__AttributeProto *onnx_attr(const struct onnx_imp *m, const char *name)
{
	for (size_t i = 0; i < m->node->n_attribute; i++) {
		const Onnx__AttributeProto *a = m->node->attribute[i];
		if (a->name && !strcmp(a->name, name))
			return a;
	}
	return NULL;
}

static bool attr_is(struct onnx_imp *m, const Onnx__AttributeProto *a, Onnx__AttributeProto__AttributeType t,
                    const char *what)
{
	if (a->has_type && a->type == t)
		return true;
	onnx_error(m, "attribute '%s' must be %s", a->name, what);
	return false;
}

int64_t onnx_attr_int(struct onnx_imp *m, const char *name, int64_t def)
{
	const Onnx__AttributeProto *a = onnx_attr(m, name);
	if (!a || !attr_is(m, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, "an integer"))
		return def;
	return a->i;
}

float onnx_attr_float(struct onnx_imp *m, const char *name, float def)
{
	const Onnx__AttributeProto *a = onnx_attr(m, name);
	if (!a || !attr_is(m, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, "a float"))
		return def;
	return a->f;
}

const char *onnx_attr_str(struct onnx_imp *m, const char *name, const char *def)
{
	const Onnx__AttributeProto *a = onnx_attr(m, name);
	if (!a || !attr_is(m, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, "a string"))
		return def;
	return arena_strndup(m->a, (const char *)a->s.data, a->s.len);
}

int onnx_attr_ints(struct onnx_imp *m, const char *name, int64_t *out, unsigned max)
{
	const Onnx__AttributeProto *a = onnx_attr(m, name);
	if (!a)
		return -1;
	if (!attr_is(m, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, "a list of integers"))
		return -2;
	if (a->n_ints > max) {
		onnx_error(m, "attribute '%s' has %zu values, at most %u are supported", name, a->n_ints,
		           max);
		return -2;
	}
	if (a->n_ints) /* protobuf-c leaves an empty array NULL */
		memcpy(out, a->ints, a->n_ints * sizeof *out);
	return (int)a->n_ints;
}

int onnx_attr_floats(struct onnx_imp *m, const char *name, float *out, unsigned max)
{
	const Onnx__AttributeProto *a = onnx_attr(m, name);
	if (!a)
		return -1;
	if (!attr_is(m, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS, "a list of numbers"))
		return -2;
	if (a->n_floats > max) {
		onnx_error(m, "attribute '%s' has %zu values, at most %u are supported", name,
		           a->n_floats, max);
		return -2;
	}
	if (a->n_floats)
		memcpy(out, a->floats, a->n_floats * sizeof *out);
	return (int)a->n_floats;
}

bool onnx_axis(struct onnx_imp *m, int64_t axis, unsigned rank, int *out)
{
	if (axis < -(int64_t)rank || axis >= (int64_t)rank) {
		onnx_error(m, "axis %" PRId64 " is out of range for rank %u", axis, rank);
		return false;
	}
	*out = (int)(axis < 0 ? axis + rank : axis);
	return true;
}

int onnx_const_ints(struct onnx_imp *m, unsigned k, int64_t *out, unsigned max, const char *what)
{
	struct onnx_value *v = onnx_in(m, k);
	if (!v || v->kind != ONNX_CONST) {
		onnx_error(m, "%s must be a constant (computable at compile time)", what);
		return -1;
	}
	const struct onnx_tensor *t = v->t;
	if (t->dtype != IR_DT_I64 || t->rank > 1) {
		onnx_error(m, "%s must be a 1-D integer tensor", what);
		return -1;
	}
	if (t->numel > (int64_t)max) {
		onnx_error(m, "%s has %" PRId64 " values, at most %u are supported", what, t->numel,
		           max);
		return -1;
	}
	memcpy(out, t->data, (size_t)t->numel * sizeof *out);
	return (int)t->numel;
}
