/* reply.c - replies, errors and authorization checks for handlers. */
#include "config.h"

#include "api/api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static const struct {
	int status;
	const char *type;
} reply_errs[] = {
	[API_E_VALIDATION] = {400, "ValidationError"},
	[API_E_BAD_ARG] = {400, "BadArgumentError"},
	[API_E_UNAUTH] = {401, "AuthorizationError"},
	[API_E_FORBIDDEN] = {403, "AuthorizationError"},
	[API_E_NOT_FOUND] = {404, "NotFoundError"},
	[API_E_DUPLICATE] = {409, "DuplicateError"},
	[API_E_MISMATCH] = {409, "ProjectMismatchError"},
	[API_E_BLOCKED] = {409, "BlockedError"},
	[API_E_ILLEGAL] = {409, "IllegalStateError"},
	[API_E_ALLOCATION] = {500, "AllocationError"},
	[API_E_SERVER] = {500, "ServerError"},
	[API_E_UNAVAILABLE] = {503, "ServiceUnavailableError"},
	[API_E_OBM] = {502, "OBMError"},
	[API_E_OBM_TIMEOUT] = {504, "OBMError"},
};

static void reply_set(struct api_req *r, int status, json_t *body)
{
	json_decref(r->body);
	r->status = status;
	r->body = body;
}

int api_reply_empty(struct api_req *r)
{
	reply_set(r, 200, NULL);
	return API_DONE;
}

int api_reply_json(struct api_req *r, int status, json_t *body)
{
	if (!body)
		return api_error(r, API_E_SERVER, "out of memory");
	reply_set(r, status, body);
	return API_DONE;
}

json_t *api_error_body(const char *type, const char *msg)
{
	char clean[512];
	json_t *body;
	size_t i;

	body = json_pack("{s:s, s:s}", "type", type, "msg", msg);
	if (body)
		return body;
	/* The message echoes client bytes that are not UTF-8: keep its
	 * ASCII, mark the rest. */
	for (i = 0; msg[i] && i < sizeof(clean) - 1; i++)
		clean[i] = (unsigned char)msg[i] < 0x80 ? msg[i] : '?';
	clean[i] = '\0';
	return json_pack("{s:s, s:s}", "type", type, "msg", clean);
}

int api_error(struct api_req *r, enum api_err e, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_set(r, reply_errs[e].status,
		  api_error_body(reply_errs[e].type, msg));
	return r->status;
}

int api_db_error(struct api_req *r, int err)
{
	if (err == -EEXIST)
		return api_error(r, API_E_DUPLICATE,
				 "the object was created concurrently");
	if (err == -EAGAIN)
		r->retry = true;
	return api_error(r, API_E_SERVER, "database error");
}

int api_need_admin(struct api_req *r)
{
	if (r->who.admin)
		return 0;
	if (!r->who.authenticated)
		return api_error(r, API_E_UNAUTH, "authentication required");
	return api_error(r, API_E_FORBIDDEN,
			 "this call needs administrator rights");
}

/* 1 when the caller has access to the project, 0 when not, or a negative
 * errno when the database failed. */
static int reply_project_access(struct api_req *r, const char *project_id)
{
	int n;

	if (r->who.admin)
		return 1;
	if (!project_id || !r->who.authenticated)
		return 0;
	if (r->who.user_id[0] == '\0') {
		for (size_t i = 0; i < r->who.nprojects; i++)
			if (strcmp(r->who.projects[i], project_id) == 0)
				return 1;
		return 0;
	}
	n = db_q(r->db, Q_AUTH_USER_IN_PROJECT, NULL, r->who.user_id,
		 project_id);
	return n < 0 ? n : n > 0;
}

bool api_has_project(struct api_req *r, const char *project_id)
{
	/* A database failure denies. */
	return reply_project_access(r, project_id) > 0;
}

int api_need_project(struct api_req *r, const char *project_id)
{
	int n = reply_project_access(r, project_id);

	if (n > 0)
		return 0;
	if (n < 0)
		return api_db_error(r, n);
	if (!r->who.authenticated)
		return api_error(r, API_E_UNAUTH, "authentication required");
	return api_error(r, API_E_FORBIDDEN,
			 "this call needs access to the project");
}

json_t *api_arg(const struct api_req *r, const char *name)
{
	return r->args ? json_object_get(r->args, name) : NULL;
}

const char *api_arg_str(const struct api_req *r, const char *name)
{
	return json_string_value(api_arg(r, name));
}

bool api_arg_bool(const struct api_req *r, const char *name, bool dflt)
{
	json_t *v = api_arg(r, name);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}
