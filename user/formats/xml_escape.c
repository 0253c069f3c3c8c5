// SPDX-License-Identifier: MIT
#include <string.h>

#include "xml_escape.h"

/* Length of the valid UTF-8 sequence at s, 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void xml_escape(FILE *out, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0;

	if (!s)
		return;
	while (*p) {
		size_t n;

		if (max && used >= max) {
			fputs("..", out);
			return;
		}
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			if (*p < 0x20 && *p != '\t' && *p != '\n') {
				fputc('?', out);
				break;
			}
			n = utf8_len(p);
			if (!n) {
				fputc('?', out);
				break;
			}
			fwrite(p, 1, n, out);
			p += n;
			used++;
			continue;
		}
		p++;
		used++;
	}
}
