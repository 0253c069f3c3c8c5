/* SPDX-License-Identifier: MIT */
/* User-facing messages on stderr: errors are one line prefixed "memtrace:". */
#ifndef MEMTRACE_LOG_H
#define MEMTRACE_LOG_H

__attribute__((format(printf, 1, 2))) void log_error(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_warn(const char *fmt, ...);
/* Printed when verbose >= level (each -v adds one). */
__attribute__((format(printf, 3, 4))) void log_debug(int verbose, int level, const char *fmt, ...);

#endif
