/*
 * utf8.h - reading and repairing UTF-8 text.
 *
 * JSON strings must be valid UTF-8 (jansson refuses anything else), and
 * text from switches, BMCs and plugins is not always: it is repaired
 * before it is stored or sent.
 */
#ifndef HIL_UTF8_H
#define HIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_REPLACEMENT 0xfffd /* what a byte that is not UTF-8 reads as */

/* Read the code point at s (n > 0 bytes left) into *ret.  A byte that
 * does not start a well-formed sequence (overlong forms, surrogates and
 * values past U+10FFFF included) reads as UTF8_REPLACEMENT.  Returns the
 * bytes used (1 for such a byte). */
size_t utf8_next(const unsigned char *s, size_t n, uint32_t *ret);

/* Make s valid UTF-8 on one line, in place: control characters become
 * spaces, bytes that are not UTF-8 become '?', and a sequence cut at the
 * end (by a truncating snprintf) is dropped. */
void utf8_clean_line(char *s);

#endif /* HIL_UTF8_H */
