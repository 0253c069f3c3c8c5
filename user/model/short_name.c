// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "short_name.h"

#define MAX_NEST 64

static bool ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* Length of an operator name at s ("operator<<=", "operator()"), 0 if none. */
static size_t operator_len(const char *name, const char *s)
{
	static const char *const ops[] = { "()", "[]", "<=>", "<<=", ">>=", "->*", "<<", ">>", "<=", ">=", "->",
					   "<", ">", "==", "!=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
					   "&&", "||", "++", "--", "+", "-", "*", "/", "%", "&", "|", "^", "~",
					   "!", "=", "," };
	size_t n = strlen("operator");

	if (strncmp(s, "operator", n) || (s > name && ident(s[-1])))
		return 0;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(s + n, ops[i], strlen(ops[i])))
			return n + strlen(ops[i]);
	return 0;
}

/* Qualifiers a member function's argument list may carry after it. */
static size_t qualifier_len(const char *s)
{
	static const char *const q[] = { " const", " volatile", " &&", " &" };

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (!strncmp(s, q[i], strlen(q[i])) && !ident(s[strlen(q[i])]))
			return strlen(q[i]);
	return 0;
}

/* A space that ends "operator" ("operator new") or sits inside "(anonymous namespace)". */
static bool part_of_name(const char *buf, size_t i)
{
	return (i >= 8 && !strncmp(buf + i - 8, "operator", 8)) ||
	       (i >= 10 && !strncmp(buf + i - 10, "(anonymous", 10));
}

/*
 * A function template's name comes with its return type ("shapes::Grid*
 * shapes::make_grid" once shortened): the name is what follows the last
 * space that is not part of it.
 */
static void drop_return_type(char *buf, size_t n)
{
	while (n && buf[n - 1] == ' ')
		buf[--n] = '\0';
	/* Spaces inside a kept "<T as Trait>" are the name's own. */
	for (size_t i = n, depth = 0; i-- > 0;) {
		if (buf[i] == '>')
			depth++;
		else if (buf[i] == '<' && depth)
			depth--;
		if (buf[i] != ' ' || depth || part_of_name(buf, i))
			continue;
		memmove(buf, buf + i + 1, n - i);
		return;
	}
}

const char *short_name(const char *name, char *buf, size_t len)
{
	char keep[MAX_NEST]; /* per open '<' or '(': 1 when copied (a Rust path), 0 when elided */
	size_t o = 0, depth = 0, dropping = 0;
	const char *s = name;

	while (*s && o + 1 < len) {
		size_t n = dropping ? 0 : operator_len(name, s);

		if (n || (!dropping && !strncmp(s, "(anonymous namespace)", 21) && (n = 21))) {
			n = n < len - 1 - o ? n : len - 1 - o;
			memcpy(buf + o, s, n);
			o += n;
			s += n;
			continue;
		}
		if (*s == '<' || *s == '(') {
			/* "<T as Trait>::f" at the start of a path is Rust's: kept, its insides shortened. */
			bool rust_path = *s == '<' && !dropping && (s == name || (s - name >= 2 && s[-1] == ':' && s[-2] == ':'));

			if (depth == MAX_NEST)
				goto whole;
			keep[depth++] = rust_path;
			if (rust_path)
				buf[o++] = *s;
			else
				dropping++;
		} else if (*s == '>' || *s == ')') {
			if (!depth)
				goto whole;
			if (keep[--depth])
				buf[o++] = *s;
			else if (!--dropping && *s == ')')
				while (qualifier_len(s + 1))
					s += qualifier_len(s + 1);
		} else if (!dropping) {
			buf[o++] = *s;
		}
		s++;
	}
	if (depth && !*s)
		goto whole;
	buf[o] = '\0';
	drop_return_type(buf, o);
	return buf;
whole:
	snprintf(buf, len, "%s", name);
	return buf;
}
