/* names.c - project names, loan names and drain reasons (see names.h). */
#include "names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const names_kind_words[] = {
	[NAMES_RESERVE] = "reserve_",
	[NAMES_RELEASE] = "release_",
};

static bool names_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Every character of s (1..max bytes) is alnum or in extra. */
static int names_charset(const char *s, size_t max, const char *extra)
{
	size_t n = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++, n++) {
		if (n == max)
			return -EINVAL;
		if (!names_alnum(*s) && !strchr(extra, *s))
			return -EINVAL;
	}
	return 0;
}

int names_project_check(const char *name)
{
	return names_charset(name, NAMES_PROJECT_MAX, "$_.+!*'(),-");
}

int names_user_check(const char *user)
{
	if (user && user[0] == '-')
		return -EINVAL;
	return names_charset(user, NAMES_USER_MAX, "._-");
}

int names_prefix_check(const char *prefix)
{
	return names_charset(prefix, NAMES_PREFIX_MAX, "_-");
}

int names_loan_format(char *buf, size_t len, const char *prefix,
		      enum names_kind kind, const char *user, unsigned long uid,
		      long long start)
{
	int n;

	if (!buf || names_prefix_check(prefix) < 0 ||
	    names_user_check(user) < 0 || uid > NAMES_UID_MAX || start < 0 ||
	    start > NAMES_START_MAX ||
	    (kind != NAMES_RESERVE && kind != NAMES_RELEASE))
		return -EINVAL;
	n = snprintf(buf, len, "%s%s%s_%lu_%lld", prefix,
		     names_kind_words[kind], user, uid, start);
	if (n < 0 || (size_t)n >= len || n > NAMES_LOAN_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* A run of 1..maxdigits decimal digits without a leading zero (unless it
 * is "0"), no larger than max. */
static int names_number(const char *s, size_t n, unsigned long long max,
			unsigned long long *ret)
{
	unsigned long long v = 0;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (max - (unsigned)(s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*ret = v;
	return 0;
}

int names_loan_parse(const char *name, const char *prefix,
		     struct names_loan *ret_loan)
{
	struct names_loan l = {0};
	unsigned long long uid, start;
	const char *p, *end, *us, *ss;
	size_t plen, n;

	if (!name || !ret_loan || names_prefix_check(prefix) < 0)
		return -EINVAL;
	n = strnlen(name, NAMES_LOAN_MAX + 1);
	plen = strlen(prefix);
	if (n > NAMES_LOAN_MAX || strncmp(name, prefix, plen) != 0)
		return -EINVAL;
	p = name + plen;
	if (strncmp(p, names_kind_words[NAMES_RESERVE], 8) == 0)
		l.kind = NAMES_RESERVE;
	else if (strncmp(p, names_kind_words[NAMES_RELEASE], 8) == 0)
		l.kind = NAMES_RELEASE;
	else
		return -EINVAL;
	p += 8;
	end = name + n;
	/* From the right: _<start>, then _<uid>; the rest is the user. */
	ss = strrchr(p, '_');
	if (!ss || ss == p)
		return -EINVAL;
	if (names_number(ss + 1, (size_t)(end - ss - 1), NAMES_START_MAX,
			 &start) < 0)
		return -EINVAL;
	us = ss - 1;
	while (us > p && *us != '_')
		us--;
	if (us == p || *us != '_')
		return -EINVAL;
	if (names_number(us + 1, (size_t)(ss - us - 1), NAMES_UID_MAX, &uid) <
	    0)
		return -EINVAL;
	if ((size_t)(us - p) > NAMES_USER_MAX)
		return -EINVAL;
	memcpy(l.user, p, (size_t)(us - p));
	l.user[us - p] = '\0';
	if (names_user_check(l.user) < 0)
		return -EINVAL;
	l.uid = (unsigned long)uid;
	l.start = (long long)start;
	*ret_loan = l;
	return 0;
}

int names_loan_twin(char *buf, size_t len, const char *name, const char *prefix)
{
	struct names_loan l;
	int r;

	r = names_loan_parse(name, prefix, &l);
	if (r < 0)
		return r;
	return names_loan_format(buf, len, prefix,
				 l.kind == NAMES_RESERVE ? NAMES_RELEASE
							 : NAMES_RESERVE,
				 l.user, l.uid, l.start);
}

int names_reason_format(char *buf, size_t len, const char *project,
			const char *loan)
{
	int n;

	if (!buf || names_project_check(project) < 0 || !loan || !*loan ||
	    strchr(loan, ':') || strlen(loan) > NAMES_LOAN_MAX)
		return -EINVAL;
	n = snprintf(buf, len, NAMES_REASON_LENT "%s:%s", project, loan);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

bool names_reason_ours(const char *reason)
{
	return reason && strncmp(reason, NAMES_REASON_OURS,
				 strlen(NAMES_REASON_OURS)) == 0;
}
