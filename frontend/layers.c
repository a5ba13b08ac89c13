/* layers.c - the tables of layers.def and keywords.def and lookups in them. */
#include "layers.h"

#include <string.h>

#include "check.h"

const struct fe_layer fe_layers[FE_LAYER_COUNT] = {
	[FE_LAYER_NONE] = { "none", IR_OP_NONE, 0, 0, "", 0 },
#define LAYER(id, name, op, min_in, max_in, doc) \
	[FE_LAYER_##id] = { #name, op, min_in, max_in, doc, FE_PSTART_##id },
#define PARAM(layer, name, type, def, range, flags, doc)
#include "layers.def"
};

const struct fe_param fe_params[FE_PARAM_COUNT] = {
#define LAYER(id, name, op, min_in, max_in, doc)
#define PARAM(layer, name, type, def, range, flags, doc)                                           \
	[FE_P_##layer##_##name] = { FE_LAYER_##layer, #name, type, def, range, flags, doc },
#include "layers.def"
};

enum fe_layer_id fe_layer_find(const char *name)
{
	for (unsigned i = 1; i < FE_LAYER_COUNT; i++)
		if (!strcmp(fe_layers[i].name, name))
			return (enum fe_layer_id)i;
	return FE_LAYER_NONE;
}

const char *const fe_keywords[FE_KW_COUNT] = {
	[FE_KW_NONE] = "",
#define KEYWORD(id, spelling) [FE_KW_##id] = #spelling,
#include "keywords.def"
};

enum fe_keyword fe_keyword_find(const char *s)
{
	for (unsigned i = 1; i < FE_KW_COUNT; i++)
		if (!strcmp(fe_keywords[i], s))
			return (enum fe_keyword)i;
	return FE_KW_NONE;
}

const struct fe_param *fe_layer_params(enum fe_layer_id id, unsigned *n)
{
	DLC_ASSERT(id > FE_LAYER_NONE && id < FE_LAYER_COUNT);
	uint32_t first = fe_layers[id].first;
	unsigned k = 0;
	while (first + k < FE_PARAM_COUNT && fe_params[first + k].layer == id)
		k++;
	DLC_ASSERT(k <= FE_MAX_LAYER_PARAMS);
	*n = k;
	return &fe_params[first];
}
