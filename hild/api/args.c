/* args.c - argument gathering and validation (spec section 1.2). */
#include "config.h"

#include "api/args.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The original client's label alphabet, plus '/' where the route allows. */
static bool args_label_char(unsigned char c, bool slash)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	if (c == '/')
		return slash;
	return c != '\0' && strchr(" $_.+!*'(),-", c) != NULL;
}

int args_check_label(const char *what, const char *s, bool slash, char *err,
		     size_t errlen)
{
	size_t n = strlen(s);

	if (n == 0) {
		snprintf(err, errlen, "%s must not be empty", what);
		return -EINVAL;
	}
	if (n > API_MAX_LABEL) {
		snprintf(err, errlen, "%s is longer than %d bytes", what,
			 API_MAX_LABEL);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (!args_label_char((unsigned char)s[i], slash)) {
			snprintf(err, errlen,
				 "%s has a character outside letters, digits, "
				 "space and $_.+!*'(),-%s",
				 what, slash ? "/" : "");
			return -EINVAL;
		}
	return 0;
}

static int args_depth(const json_t *v, int depth)
{
	const char *k;
	json_t *e;
	size_t i;
	int d, max = depth;

	if (json_is_object(v)) {
		if (json_object_size(v) > API_MAX_KEYS)
			return API_MAX_DEPTH + 1;
		json_object_foreach((json_t *)v, k, e)
		{
			d = args_depth(e, depth + 1);
			if (d > max)
				max = d;
			if (max > API_MAX_DEPTH)
				break;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			d = args_depth(e, depth + 1);
			if (d > max)
				max = d;
			if (max > API_MAX_DEPTH)
				break;
		}
	}
	return max;
}

static bool args_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static const char *const args_type_names[] = {
	[API_T_STRING] = "a string",  [API_T_TEXT] = "a string",
	[API_T_BOOL] = "a boolean",   [API_T_OBJECT] = "an object",
	[API_T_ANY] = "a JSON value",
};

static int args_check_value(const struct api_arg *a, const json_t *v, char *err,
			    size_t errlen)
{
	size_t max = a->type == API_T_STRING ? API_MAX_LABEL : API_MAX_STRING;
	bool ok = false;

	switch (a->type) {
	case API_T_STRING:
	case API_T_TEXT:
		ok = json_is_string(v);
		if (ok && json_string_length(v) > max) {
			snprintf(err, errlen,
				 "argument '%s' is longer than %zu bytes",
				 a->name, max);
			return -EINVAL;
		}
		if (ok &&
		    (strlen(json_string_value(v)) != json_string_length(v) ||
		     args_has_control(json_string_value(v)))) {
			snprintf(err, errlen,
				 "argument '%s' contains control characters",
				 a->name);
			return -EINVAL;
		}
		break;
	case API_T_BOOL:
		ok = json_is_boolean(v);
		break;
	case API_T_OBJECT:
		ok = json_is_object(v);
		break;
	case API_T_ANY:
		ok = true;
		break;
	}
	if (!ok) {
		snprintf(err, errlen, "argument '%s' must be %s", a->name,
			 args_type_names[a->type]);
		return -EINVAL;
	}
	return 0;
}

static const struct api_arg *args_find(const struct api_arg *schema,
				       const char *name)
{
	for (; schema && schema->name; schema++)
		if (strcmp(schema->name, name) == 0)
			return schema;
	return NULL;
}

struct args_query_ctx {
	json_t *args;
	char *err;
	size_t errlen;
};

static int args_add_query(void *arg, const char *k, const char *v)
{
	struct args_query_ctx *q = arg;

	if (!v || !*v) {
		snprintf(q->err, q->errlen, "query argument '%s' is empty", k);
		return -EINVAL;
	}
	if (json_object_get(q->args, k)) {
		snprintf(q->err, q->errlen, "query argument '%s' is repeated",
			 k);
		return -EINVAL;
	}
	if (json_object_set_new(q->args, k, json_string(v)) < 0) {
		snprintf(q->err, q->errlen,
			 "query argument '%s' is not valid UTF-8", k);
		return -EINVAL;
	}
	return 0;
}

static int args_parse(const struct router_in *in, bool is_get, json_t **ret,
		      char *err, size_t errlen)
{
	struct args_query_ctx q = {.err = err, .errlen = errlen};
	json_error_t jerr;
	json_t *args;
	int r;

	if (is_get) {
		if (in->body_len > 0) {
			snprintf(err, errlen, "a GET request takes no body");
			return -EINVAL;
		}
		q.args = json_object();
		if (!q.args)
			return -ENOMEM;
		r = in->query_each ? in->query_each(in->ctx, args_add_query, &q)
				   : 0;
		if (r < 0) {
			json_decref(q.args);
			return -EINVAL;
		}
		*ret = q.args;
		return 0;
	}
	if (in->body_len == 0) {
		*ret = json_object();
		return *ret ? 0 : -ENOMEM;
	}
	if (in->body_len > API_MAX_BODY) {
		snprintf(err, errlen, "the body is larger than %d bytes",
			 API_MAX_BODY);
		return -EINVAL;
	}
	args = json_loadb(in->body, in->body_len, JSON_REJECT_DUPLICATES,
			  &jerr);
	if (!args) {
		snprintf(err, errlen, "the body is not valid JSON: %s",
			 jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(args)) {
		json_decref(args);
		snprintf(err, errlen, "the body must be a JSON object");
		return -EINVAL;
	}
	if (args_depth(args, 1) > API_MAX_DEPTH) {
		json_decref(args);
		snprintf(err, errlen,
			 "the body nests deeper than %d levels or has an "
			 "object with more than %d keys",
			 API_MAX_DEPTH, API_MAX_KEYS);
		return -EINVAL;
	}
	*ret = args;
	return 0;
}

int args_gather(const struct router_in *in, bool is_get,
		const struct api_arg *schema, const char *const *pnames,
		size_t npnames, json_t **ret_args, char *err, size_t errlen)
{
	const struct api_arg *a;
	json_t *args = NULL, *v;
	const char *k;
	int r;

	r = args_parse(in, is_get, &args, err, errlen);
	if (r < 0)
		return r;
	r = -EINVAL;
	json_object_foreach(args, k, v)
	{
		for (size_t i = 0; i < npnames; i++)
			if (strcmp(pnames[i], k) == 0) {
				snprintf(err, errlen,
					 "argument '%s' is given in the path "
					 "and again in the request",
					 k);
				goto out;
			}
		a = args_find(schema, k);
		if (!a)
			a = args_find(schema, API_ARG_OTHERS);
		if (!a) {
			snprintf(err, errlen, "unexpected argument '%.64s'", k);
			goto out;
		}
		if (args_check_value(a, v, err, errlen) < 0)
			goto out;
	}
	for (a = schema; a && a->name; a++)
		if (a->required && !json_object_get(args, a->name)) {
			snprintf(err, errlen, "missing argument '%s'", a->name);
			goto out;
		}
	*ret_args = args;
	args = NULL;
	r = 0;
out:
	json_decref(args);
	return r;
}
