/*
 * settings.h - driver settings (switch and OBM), declared by plugins as a
 * struct hil_setting table and sent by admins as a JSON object.
 */
#ifndef HIL_SETTINGS_H
#define HIL_SETTINGS_H

#include <jansson.h>
#include <stddef.h>

#include "hil/plugin.h"

/*
 * Check obj against decl: every required key present, no unknown key,
 * each value of the declared type (strings up to a named limit; integers
 * as JSON integers or decimal strings within [min, max]; booleans as JSON
 * booleans).  Skips the keys listed in ignore (NULL-terminated, may be
 * NULL), e.g. "type".  Returns 0, or -EINVAL with a message naming the key
 * (never its value) in err.
 */
int settings_validate(const struct hil_setting *decl, const json_t *obj,
		      const char *const *ignore, char *err, size_t errlen);

#endif /* HIL_SETTINGS_H */
