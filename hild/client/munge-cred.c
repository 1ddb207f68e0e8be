/*
 * munge-cred.c - MUNGE credentials for the client library: the only file
 * of libhilclient that includes <munge.h>.
 *
 * munged decodes a credential once only, so every request gets a new
 * one.  The credential carries no payload; the server learns the uid of
 * this process from munged.
 */
#include "config.h"

#include "hilclient.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <munge.h>

#define MUNGE_AUTH_PREFIX "Authorization: MUNGE "

static int munge_cred_header(void *arg, char **ret_line, char *why,
			     size_t whylen)
{
	const char *socket = arg;
	munge_ctx_t ctx = munge_ctx_create();
	char *cred = NULL, *line = NULL;
	munge_err_t e;
	int r = -ENOMEM;

	if (!ctx)
		return -ENOMEM;
	if (socket &&
	    munge_ctx_set(ctx, MUNGE_OPT_SOCKET, socket) != EMUNGE_SUCCESS)
		goto out;
	e = munge_encode(&cred, ctx, NULL, 0);
	if (e != EMUNGE_SUCCESS) {
		const char *msg = munge_ctx_strerror(ctx);

		snprintf(why, whylen, "munged: %s",
			 msg ? msg : munge_strerror(e));
		r = e == EMUNGE_SOCKET ? -ECONNREFUSED : -EIO;
		goto out;
	}
	line = malloc(strlen(MUNGE_AUTH_PREFIX) + strlen(cred) + 1);
	if (!line)
		goto out;
	strcpy(line, MUNGE_AUTH_PREFIX);
	strcat(line, cred);
	*ret_line = line;
	r = 0;
out:
	if (cred) {
		explicit_bzero(cred, strlen(cred));
		free(cred);
	}
	munge_ctx_destroy(ctx);
	return r;
}

int hil_client_use_munge(struct hil_client *c, const char *socket)
{
	if (socket && (!*socket || socket[0] != '/'))
		return -EINVAL;
	return hil_client_set_header_fn(c, munge_cred_header, (void *)socket);
}
