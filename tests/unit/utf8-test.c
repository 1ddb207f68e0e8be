/*
 * utf8-test.c - reading UTF-8 (hild/utf8.c: well-formed sequences, and
 * overlong forms, surrogates, values past U+10FFFF and cut sequences as
 * single bad bytes), repairing it to one valid line, and a driver's error
 * text (call_set_error) that stays valid JSON when it is truncated in the
 * middle of a character or holds bytes that are not UTF-8.
 */
#include "config.h"

#include "utf8.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "call.h"
#include "tap.h"

static void test_next(void)
{
	static const struct {
		const char *in;
		size_t len;
		uint32_t cp;
		const char *what;
	} cases[] = {
		{"A", 1, 'A', "ASCII"},
		{"\xc3\xa9", 2, 0xe9, "two bytes"},
		{"\xe2\x82\xac", 3, 0x20ac, "three bytes"},
		{"\xf0\x9f\x98\x80", 4, 0x1f600, "four bytes"},
		{"\xef\xbf\xbd", 3, 0xfffd, "U+FFFD itself"},
		{"\xf4\x8f\xbf\xbf", 4, 0x10ffff, "the last code point"},
		{"\xc0\xaf", 1, UTF8_REPLACEMENT, "overlong two-byte '/'"},
		{"\xe0\x80\xaf", 1, UTF8_REPLACEMENT, "overlong three bytes"},
		{"\xf0\x80\x80\xaf", 1, UTF8_REPLACEMENT,
		 "overlong four bytes"},
		{"\xed\xa0\x80", 1, UTF8_REPLACEMENT, "a surrogate"},
		{"\xf4\x90\x80\x80", 1, UTF8_REPLACEMENT, "past U+10FFFF"},
		{"\x80", 1, UTF8_REPLACEMENT, "a lone continuation byte"},
		{"\xff", 1, UTF8_REPLACEMENT, "0xff"},
		{"\xe2\x82", 1, UTF8_REPLACEMENT, "a cut sequence"},
		{"\xe2(\xac", 1, UTF8_REPLACEMENT, "a broken sequence"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t cp = 0;
		size_t len = utf8_next((const unsigned char *)cases[i].in,
				       strlen(cases[i].in), &cp);

		ok(len == cases[i].len && cp == cases[i].cp,
		   "utf8_next: %s reads as U+%04X in %zu byte(s) (got U+%04X "
		   "in %zu)",
		   cases[i].what, (unsigned)cases[i].cp, cases[i].len,
		   (unsigned)cp, len);
	}
}

static void test_clean(void)
{
	static const struct {
		const char *in, *out, *what;
	} cases[] = {
		{"port Gi1/0/1: timeout", "port Gi1/0/1: timeout",
		 "plain text"},
		{"caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac",
		 "valid UTF-8 is kept"},
		{"a\nb\tc\rd\x7f", "a b c d ", "control characters"},
		{"bad \xff byte", "bad ? byte", "a byte that is not UTF-8"},
		{"over \xc0\xaf long", "over ?? long", "an overlong form"},
		{"cut \xe2\x82", "cut ", "a sequence cut at the end"},
		{"cut \xf0\x9f\x98", "cut ", "a four-byte sequence cut"},
		{"end \xe2", "end ", "a lead byte at the end"},
		{"mid \xe2(", "mid ?(", "a broken sequence is not a cut one"},
		{"", "", "empty"},
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		utf8_clean_line(buf);
		is_str(buf, cases[i].out, "utf8_clean_line: %s", cases[i].what);
	}
}

/* The text of a call, as the API would send it. */
static int call_error_is_json(const struct hil_call *call)
{
	json_t *j = json_string(call_error(call));
	int r = j != NULL;

	json_decref(j);
	return r;
}

static void test_call_error(void)
{
	struct hil_call *call = NULL;
	char big[CALL_MAX_ERROR + 8];
	const char *e;
	size_t n;

	if (call_new(NULL, NULL, call_clock_ms() + 1000, &call) < 0 || !call) {
		ok(0, "a call is made");
		return;
	}
	/* CALL_MAX_ERROR - 2 ASCII bytes, then a euro sign: the NUL lands
	 * inside it. */
	memset(big, 'x', CALL_MAX_ERROR - 2);
	memcpy(big + CALL_MAX_ERROR - 2, "\xe2\x82\xac", 4);
	call_set_error(call, "%s", big);
	e = call_error(call);
	n = e ? strlen(e) : 0;
	ok(n == CALL_MAX_ERROR - 2 && e[n - 1] == 'x',
	   "an error text cut inside a character drops the character's "
	   "start (%zu bytes)",
	   n);
	ok(call_error_is_json(call), "and is a valid JSON string");

	call_set_error(call, "switch said: \xff\xfe\n%s", "ok");
	is_str(call_error(call), "switch said: ?? ok",
	       "bytes that are not UTF-8 and newlines are replaced");
	ok(call_error_is_json(call), "and the text is a valid JSON string");
	call_free(call);
}

int main(void)
{
	test_next();
	test_clean();
	test_call_error();
	return tap_done();
}
