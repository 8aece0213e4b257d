/* alert/doc.c — the document's lifetime (reusable buffers, limits) and the
 * names of formats and value types. */
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"

static const char *const format_names[] = {
    [ALERT_FORMAT_AUTO] = "auto",
    [ALERT_FORMAT_PYTHON] = "python",
    [ALERT_FORMAT_JSON] = "json",
    [ALERT_FORMAT_AVRO] = "avro",
};

static const char *const type_names[] = {
    [ALERT_NULL] = "null", [ALERT_BOOL] = "bool",   [ALERT_INT] = "int",     [ALERT_FLOAT] = "float", [ALERT_STR] = "str",
    [ALERT_BYTES] = "bytes", [ALERT_LIST] = "list", [ALERT_TUPLE] = "tuple", [ALERT_DICT] = "dict",
};

void alert_doc_init(alert_doc *d)
{
    memset(d, 0, sizeof *d);
    d->format = ALERT_FORMAT_JSON;
    d->max_depth = ALERT_DEFAULT_MAX_DEPTH;
    d->max_bytes = ALERT_DEFAULT_MAX_BYTES;
}

void alert_doc_free(alert_doc *d)
{
    free(d->nodes);
    free(d->scratch);
    alert_doc_init(d);
}

int alert_format_parse(const char *name, alert_format *out)
{
    for (size_t i = 0; i < sizeof format_names / sizeof *format_names; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (alert_format)i;
            return 0;
        }
    }
    return -1;
}

const char *alert_format_name(alert_format f)
{
    return (unsigned)f < sizeof format_names / sizeof *format_names ? format_names[f] : "?";
}

const char *alert_type_name(alert_type t)
{
    return (unsigned)t < sizeof type_names / sizeof *type_names ? type_names[t] : "?";
}
