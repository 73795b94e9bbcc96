#include "config.h"

#include <stdio.h>

#include "qlog.h"

static FILE *qlog_file;

int
qlog_open(const char *path)
{
    if (path == NULL)
        return 0;
    qlog_file = fopen(path, "a");
    return qlog_file ? 0 : -1;
}

void
qlog_close(void)
{
    if (qlog_file != NULL)
        fclose(qlog_file);
    qlog_file = NULL;
}

void
qlog_write(const char *line)
{
    if (qlog_file == NULL)
        return;
    fprintf(qlog_file, "%s\n", line);
    fflush(qlog_file);
}
