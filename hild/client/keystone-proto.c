/*
 * keystone-proto.c - the password-auth body Keystone is sent (see
 * keystone-proto.h).
 */
#include "config.h"

#include "keystone-proto.h"

#include <jansson.h>

char *ksh_password_body(const char *user, const char *user_domain,
			const char *password, const char *project_id,
			const char *project_name, const char *project_domain)
{
	json_t *req, *scope = NULL;
	char *body;

	if (project_id && *project_id)
		scope = json_pack("{s:{s:s}}", "project", "id", project_id);
	else if (project_name && *project_name)
		scope = json_pack("{s:{s:s, s:{s:s}}}", "project", "name",
				  project_name, "domain", "id", project_domain);
	req = json_pack("{s:{s:{s:[s], s:{s:{s:s, s:{s:s}, s:s}}}}}", "auth",
			"identity", "methods", "password", "password", "user",
			"name", user, "domain", "id", user_domain, "password",
			password);
	if (req && scope &&
	    json_object_set_new(json_object_get(req, "auth"), "scope", scope) ==
		    0)
		scope = NULL;
	body = req && !scope ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(scope);
	json_decref(req);
	return body;
}
