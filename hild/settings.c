/*
 * settings.c - driver settings: check what an admin sends against the
 * table a plugin declares, and hide secrets from API output.
 */
#include "config.h"

#include "settings.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETTINGS_MAX_STRING 1024 /* a string value, bytes */
#define SETTINGS_MAX_NAME   64	 /* longest key quoted in a message */

static const struct hil_setting *settings_find(const struct hil_setting *decl,
					       const char *key)
{
	for (; decl && decl->key; decl++)
		if (strcmp(decl->key, key) == 0)
			return decl;
	return NULL;
}

static bool settings_ignored(const char *const *ignore, const char *key)
{
	for (; ignore && *ignore; ignore++)
		if (strcmp(*ignore, key) == 0)
			return true;
	return false;
}

/* A key the client sent is quoted in a message only when it is short
 * printable ASCII; anything else could smuggle terminal or log escapes. */
static bool settings_quotable(const char *key)
{
	size_t n = 0;

	for (; *key; key++, n++)
		if ((unsigned char)*key < 0x20 || (unsigned char)*key > 0x7e ||
		    *key == '\'' || n >= SETTINGS_MAX_NAME)
			return false;
	return n > 0;
}

static bool settings_has_control(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

/* A decimal integer written as a string: optional '-', then digits. */
static int settings_parse_int(const char *s, long long *ret)
{
	const char *p = s;
	char *end = NULL;
	long long v;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -ERANGE;
	*ret = v;
	return 0;
}

static int settings_check_value(const struct hil_setting *d, const json_t *v,
				char *err, size_t errlen)
{
	long long n;

	switch (d->type) {
	case HIL_SETTING_STRING:
		if (!json_is_string(v)) {
			snprintf(err, errlen, "setting '%s' must be a string",
				 d->key);
			return -EINVAL;
		}
		if (json_string_length(v) > SETTINGS_MAX_STRING) {
			snprintf(err, errlen,
				 "setting '%s' is longer than %d bytes", d->key,
				 SETTINGS_MAX_STRING);
			return -EINVAL;
		}
		if (settings_has_control(v)) {
			snprintf(err, errlen,
				 "setting '%s' contains control characters",
				 d->key);
			return -EINVAL;
		}
		return 0;
	case HIL_SETTING_INT:
		if (json_is_integer(v))
			n = json_integer_value(v);
		else if (!json_is_string(v) ||
			 settings_parse_int(json_string_value(v), &n) < 0) {
			snprintf(err, errlen,
				 "setting '%s' must be a decimal integer",
				 d->key);
			return -EINVAL;
		}
		if (d->min <= d->max && (n < d->min || n > d->max)) {
			snprintf(err, errlen,
				 "setting '%s' must be between %lld and %lld",
				 d->key, d->min, d->max);
			return -EINVAL;
		}
		return 0;
	case HIL_SETTING_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "setting '%s' must be a boolean",
				 d->key);
			return -EINVAL;
		}
		return 0;
	}
	/* A table with a type this hild does not know is the plugin's
	 * fault, but the client's value cannot be accepted either. */
	snprintf(err, errlen, "setting '%s' has a type hild does not support",
		 d->key);
	return -EINVAL;
}

int settings_validate(const struct hil_setting *decl, const json_t *obj,
		      const char *const *ignore, char *err, size_t errlen)
{
	const struct hil_setting *d;
	const char *key;
	json_t *v;
	int r;

	if (!json_is_object(obj)) {
		snprintf(err, errlen, "settings must be a JSON object");
		return -EINVAL;
	}
	json_object_foreach((json_t *)obj, key, v)
	{
		if (settings_ignored(ignore, key))
			continue;
		d = settings_find(decl, key);
		if (!d) {
			if (settings_quotable(key))
				snprintf(err, errlen, "unknown setting '%s'",
					 key);
			else
				snprintf(err, errlen,
					 "unknown setting (its name is not "
					 "printable or too long)");
			return -EINVAL;
		}
		r = settings_check_value(d, v, err, errlen);
		if (r < 0)
			return r;
	}
	for (d = decl; d && d->key; d++)
		if ((d->flags & HIL_SETTING_REQUIRED) &&
		    !json_object_get(obj, d->key)) {
			snprintf(err, errlen, "missing required setting '%s'",
				 d->key);
			return -EINVAL;
		}
	return 0;
}
