/* processor/registry.h — a client of the Confluent Schema Registry REST API
 * (Karapace, Confluent's, Apicurio's ccompat): an Avro schema by id, with the
 * schemas it references, as JSON texts. One request at a time, libcurl. */
#ifndef PROC_REGISTRY_H
#define PROC_REGISTRY_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    PROC_REG_OK,
    PROC_REG_NOT_FOUND,   /* the registry answered 404 for the id: no such schema */
    PROC_REG_NOT_AVRO,    /* the id names a PROTOBUF or JSON schema */
    PROC_REG_UNAVAILABLE, /* no answer, a timeout, 5xx, 408 or 429: may work later */
    PROC_REG_BAD,         /* an answer that is not a schema registry's (garbage, 401, a missing reference) */
} proc_reg_status;

/* A schema and those it references, as JSON texts: every referenced schema
 * before the schemas that reference it, the id's own schema last. */
typedef struct {
    char **texts;
    size_t n;
} proc_schema_texts;

void proc_schema_texts_free(proc_schema_texts *t);

typedef struct proc_registry proc_registry;

/* url: "http://host:port" (a path prefix is kept, a trailing '/' dropped).
 * timeout_ms bounds one HTTP request, connecting included. NULL when libcurl
 * cannot be set up. */
proc_registry *proc_registry_new(const char *url, long timeout_ms);
void proc_registry_free(proc_registry *r);

/* One try: GET /schemas/ids/ID, then GET /subjects/S/versions/V for each
 * reference (and theirs). Fills out (caller frees) on PROC_REG_OK; otherwise
 * err says what happened, naming the id and the URL. */
proc_reg_status proc_registry_fetch(proc_registry *r, int32_t id, proc_schema_texts *out, char *err, size_t cap);

/* proc_registry_fetch, tried again while the registry is unavailable: after
 * 0.5 s, then each wait twice the last, at most 8 s; no try starts later than
 * retry_s seconds after the first (0: one try only), so that the whole takes
 * at most retry_s plus one request's timeout; a set *stop ends the waiting.
 * Each failed try is logged as a warning. Returns the last try's status. */
proc_reg_status proc_registry_fetch_retrying(proc_registry *r, int32_t id, int retry_s,
                                             volatile sig_atomic_t *stop, proc_schema_texts *out, char *err,
                                             size_t cap);

#endif
