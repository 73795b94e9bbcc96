/*
 * qlog: the query log, one line per query received, for tests to assert on.
 */
#ifndef FAULTDNS_QLOG_H
#define FAULTDNS_QLOG_H

#include <stdio.h>

/*
 * Open PATH for appending; NULL PATH disables the log.  Returns 0, or -1
 * with errno set.
 */
int qlog_open(const char *path);
void qlog_close(void);

/* Write one line, with a newline added, and flush it so a test that reads
 * the file right after its query finds the line. */
void qlog_write(const char *line);

#endif
