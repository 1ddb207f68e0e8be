/*
 * utf8.c - reading and repairing UTF-8 text (see utf8.h).
 */
#include "config.h"

#include "utf8.h"

#include <stdbool.h>
#include <string.h>

/* A lead byte's form: its sequence length and the lowest code point such
 * a sequence may hold (anything below is an overlong form). */
static const struct utf8_form {
	unsigned char mask, lead;
	size_t len;
	uint32_t min;
} utf8_forms[] = {
	{0xe0, 0xc0, 2, 0x80},
	{0xf0, 0xe0, 3, 0x800},
	{0xf8, 0xf0, 4, 0x10000},
};

/* The form lead byte c starts, or NULL. */
static const struct utf8_form *utf8_form_of(unsigned char c)
{
	for (size_t f = 0; f < sizeof(utf8_forms) / sizeof(utf8_forms[0]); f++)
		if ((c & utf8_forms[f].mask) == utf8_forms[f].lead)
			return &utf8_forms[f];
	return NULL;
}

size_t utf8_next(const unsigned char *s, size_t n, uint32_t *ret)
{
	const struct utf8_form *f = utf8_form_of(s[0]);
	uint32_t cp;

	*ret = s[0] < 0x80 ? s[0] : UTF8_REPLACEMENT;
	if (!f)
		return 1;
	cp = s[0] & (0x7f >> f->len);
	for (size_t i = 1; i < f->len; i++) {
		if (i >= n || (s[i] & 0xc0) != 0x80)
			return 1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < f->min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 1;
	*ret = cp;
	return f->len;
}

/* Whether s[0..n) is a lead byte and continuation bytes only, too few
 * for its sequence: what a truncation leaves. */
static bool utf8_cut(const unsigned char *s, size_t n)
{
	const struct utf8_form *f = utf8_form_of(s[0]);

	if (!f || n >= f->len)
		return false;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return false;
	return true;
}

void utf8_clean_line(char *s)
{
	unsigned char *u = (unsigned char *)s;
	size_t n = strlen(s), i = 0, len;
	uint32_t cp;

	while (i < n) {
		len = utf8_next(u + i, n - i, &cp);
		if (cp == UTF8_REPLACEMENT && len == 1) {
			if (utf8_cut(u + i, n - i)) {
				u[i] = '\0';
				return;
			}
			u[i] = '?';
		} else if (cp < 0x20 || cp == 0x7f) {
			u[i] = ' ';
		}
		i += len;
	}
}
