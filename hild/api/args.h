/*
 * args.h - gather a request's arguments (path, body or query) and check
 * them against a route's schema, as the v0 spec's section 1.2 describes.
 */
#ifndef HIL_API_ARGS_H
#define HIL_API_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"
#include "api/router.h"

/* Check a label: 1..API_MAX_LABEL bytes of letters, digits, space and
 * $_.+!*'(),- ('/' too when slash).  0, or -EINVAL with a message. */
int args_check_label(const char *what, const char *s, bool slash, char *err,
		     size_t errlen);

/*
 * Build the argument object of a request: the body (non-GET; empty = {})
 * or the query string (GET), checked against schema (NULL = none
 * allowed).  pnames are the route's path parameter names, which may not
 * appear again.  Returns 0 with a new object in *ret_args, or -EINVAL with
 * a message for a 400 ValidationError.
 */
int args_gather(const struct router_in *in, bool is_get,
		const struct api_arg *schema, const char *const *pnames,
		size_t npnames, json_t **ret_args, char *err, size_t errlen);

#endif /* HIL_API_ARGS_H */
