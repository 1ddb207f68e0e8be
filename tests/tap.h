/*
 * tap.h - a minimal Test Anything Protocol emitter for the C tests.
 *
 * Header only: each test program includes it once.  Call tap_plan(n) first
 * when the count is known, or not at all and let tap_done() print the plan
 * at the end.  Every check prints one "ok"/"not ok" line and returns
 * whether it passed; diag() writes "# " comment lines to stdout so they stay
 * next to the test they explain.  main() ends with "return tap_done();".
 */
#ifndef HIL_TESTS_TAP_H
#define HIL_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_planned_ = -1;
static int tap_run_;
static int tap_failed_;

static inline void tap_plan(int n)
{
	tap_planned_ = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

/* Print one comment line per line of the formatted text. */
static inline __attribute__((format(printf, 1, 0))) void
tap_vdiag_(const char *fmt, va_list ap)
{
	char buf[4096];
	const char *p, *nl;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	for (p = buf;; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl) {
			if (*p)
				printf("# %s\n", p);
			break;
		}
		printf("# %.*s\n", (int)(nl - p), p);
	}
	fflush(stdout);
}

static inline __attribute__((format(printf, 1, 2))) void diag(const char *fmt,
							      ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vdiag_(fmt, ap);
	va_end(ap);
}

/* A test description must not contain '#', which starts a directive. */
static inline void tap_print_desc_(const char *desc)
{
	for (; *desc; desc++) {
		if (*desc == '#')
			fputs("\\#", stdout);
		else if (*desc == '\n')
			fputc(' ', stdout);
		else
			fputc(*desc, stdout);
	}
}

static inline __attribute__((format(printf, 4, 5))) int
tap_ok_(int cond, const char *file, int line, const char *fmt, ...)
{
	char desc[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	tap_run_++;
	if (!cond)
		tap_failed_++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run_);
	tap_print_desc_(desc);
	fputc('\n', stdout);
	if (!cond)
		diag("failed at %s:%d", file, line);
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                 \
	tap_is_int_((long long)(got), (long long)(want), __FILE__, __LINE__,   \
		    __VA_ARGS__)

static inline __attribute__((format(printf, 5, 6))) int
tap_is_int_(long long got, long long want, const char *file, int line,
	    const char *fmt, ...)
{
	char desc[1024];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	r = tap_ok_(got == want, file, line, "%s", desc);
	if (!r)
		diag("     got: %lld\nexpected: %lld", got, want);
	return r;
}

#define is_str(got, want, ...)                                                 \
	tap_is_str_((got), (want), __FILE__, __LINE__, __VA_ARGS__)

static inline __attribute__((format(printf, 5, 6))) int
tap_is_str_(const char *got, const char *want, const char *file, int line,
	    const char *fmt, ...)
{
	char desc[1024];
	va_list ap;
	int same, r;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	same = (!got && !want) || (got && want && strcmp(got, want) == 0);
	r = tap_ok_(same, file, line, "%s", desc);
	if (!r)
		diag("     got: %s%s%s\nexpected: %s%s%s", got ? "'" : "",
		     got ? got : "NULL", got ? "'" : "", want ? "'" : "",
		     want ? want : "NULL", want ? "'" : "");
	return r;
}

/* Skip one test with a reason. */
static inline __attribute__((format(printf, 1, 2))) void
tap_skip(const char *fmt, ...)
{
	char desc[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	tap_run_++;
	printf("ok %d # SKIP ", tap_run_);
	tap_print_desc_(desc);
	fputc('\n', stdout);
	fflush(stdout);
}

/* Print the plan if none was given; return the exit status for main(). */
static inline int tap_done(void)
{
	if (tap_planned_ < 0)
		printf("1..%d\n", tap_run_);
	else if (tap_planned_ != tap_run_)
		diag("planned %d tests but ran %d", tap_planned_, tap_run_);
	fflush(stdout);
	if (tap_failed_)
		return 1;
	return tap_planned_ < 0 || tap_planned_ == tap_run_ ? 0 : 1;
}

#endif /* HIL_TESTS_TAP_H */
