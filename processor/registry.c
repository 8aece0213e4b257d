/* processor/registry.c — the schema registry client: HTTP through libcurl,
 * answers read with alert/'s JSON reader, references fetched depth first. */
#include "processor/registry.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert/alert.h"
#include "processor/log.h"
#include "processor/log.h"

#define MAX_ANSWER_BYTES (16u << 20) /* a schema registry's answer: Rubin's whole schema is ~80 KB */
#define MAX_REFERENCES 256           /* schemas fetched for one id, references included */
#define MAX_REF_DEPTH 32

struct proc_registry {
    char *url; /* without a trailing '/' */
    long timeout_ms;
    CURL *curl;
    char *body;
    size_t body_len;
    bool too_large;
    alert_doc doc;
};

void proc_schema_texts_free(proc_schema_texts *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->texts[i]);
    free(t->texts);
    t->texts = NULL;
    t->n = 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_status;
static void curl_init(void) { curl_init_status = curl_global_init(CURL_GLOBAL_DEFAULT); }

proc_registry *proc_registry_new(const char *url, long timeout_ms)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_status != CURLE_OK)
        return NULL;
    proc_registry *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->url = strdup(url);
    r->curl = curl_easy_init();
    if (!r->url || !r->curl) {
        proc_registry_free(r);
        return NULL;
    }
    size_t n = strlen(r->url);
    while (n > 0 && r->url[n - 1] == '/')
        r->url[--n] = '\0';
    r->timeout_ms = timeout_ms;
    alert_doc_init(&r->doc);
    r->doc.max_bytes = MAX_ANSWER_BYTES;
    return r;
}

void proc_registry_free(proc_registry *r)
{
    if (!r)
        return;
    if (r->curl)
        curl_easy_cleanup(r->curl);
    alert_doc_free(&r->doc);
    free(r->body);
    free(r->url);
    free(r);
}

static size_t on_body(char *data, size_t size, size_t n, void *opaque)
{
    proc_registry *r = opaque;
    size_t got = size * n;
    if (r->body_len + got > MAX_ANSWER_BYTES) {
        r->too_large = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    char *grown = realloc(r->body, r->body_len + got + 1);
    if (!grown)
        return 0;
    memcpy(grown + r->body_len, data, got);
    r->body = grown;
    r->body_len += got;
    r->body[r->body_len] = '\0';
    return got;
}

/* GET url+path into r->body. Returns the status for what came back (OK: a 200
 * whose body is in r->body; NOT_FOUND: a 404). */
static proc_reg_status http_get(proc_registry *r, const char *path, char *err, size_t cap)
{
    char url[2048], masked[2048], shown[2048]; /* shown: url for messages, credentials masked */
    snprintf(url, sizeof url, "%s%s", r->url, path);
    snprintf(shown, sizeof shown, "%s", proc_log_mask_url(url, masked, sizeof masked));
    r->body_len = 0;
    r->too_large = false;
    CURL *c = r->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "alertfilter/" ALERTFILTER_VERSION);
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/vnd.schemaregistry.v1+json, application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    CURLcode cc = curl_easy_perform(c);
    curl_slist_free_all(h);
    if (r->too_large) {
        snprintf(err, cap, "GET %s: the answer is larger than %u bytes", shown, MAX_ANSWER_BYTES);
        return PROC_REG_BAD;
    }
    if (cc != CURLE_OK) {
        snprintf(err, cap, "GET %s: %s", shown, curl_easy_strerror(cc));
        return PROC_REG_UNAVAILABLE;
    }
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (code == 200)
        return PROC_REG_OK;
    char what[120];
    snprintf(what, sizeof what, "%.*s", r->body_len > 100 ? 100 : (int)r->body_len, r->body ? r->body : "");
    for (char *p = what; *p; p++)
        if ((unsigned char)*p < ' ')
            *p = ' ';
    snprintf(err, cap, "GET %s: HTTP %ld%s%s", shown, code, *what ? ": " : "", what);
    if (code == 404)
        return PROC_REG_NOT_FOUND;
    if (code >= 500 || code == 408 || code == 429)
        return PROC_REG_UNAVAILABLE;
    return PROC_REG_BAD;
}

/* ---- the answer: {"schema": "...", "schemaType": "AVRO", "references": [...]} ---- */

typedef struct {
    char *name, *subject;
    int64_t version;
} reference;

typedef struct {
    char *schema;
    reference *refs;
    size_t n_refs;
    bool not_avro;
    char type[32];
} answer;

static void answer_free(answer *a)
{
    free(a->schema);
    for (size_t i = 0; i < a->n_refs; i++) {
        free(a->refs[i].name);
        free(a->refs[i].subject);
    }
    free(a->refs);
    memset(a, 0, sizeof *a);
}

/* The value of key in the dict at node, or ALERT_ABSENT. */
static uint32_t member(alert_doc *d, uint32_t node, const char *key)
{
    alert_step step = {.key = key, .key_len = (uint32_t)strlen(key), .index = -1};
    if (alert_at(d, node)->type != ALERT_DICT)
        return ALERT_ABSENT;
    return alert_lookup(d, node, &step, 1);
}

static char *string_of(alert_doc *d, uint32_t node)
{
    const char *s;
    size_t n;
    if (node == ALERT_ABSENT || alert_at(d, node)->type != ALERT_STR || alert_string(d, node, &s, &n))
        return NULL;
    return strndup(s, n);
}

/* Reads r->body as a registry's answer. Returns 0, or -1 with why in err. */
static int read_answer(proc_registry *r, const char *what, answer *a, char *err, size_t cap)
{
    memset(a, 0, sizeof *a);
    alert_error e;
    alert_doc *d = &r->doc;
    if (alert_parse(d, r->body ? r->body : "", r->body_len, ALERT_FORMAT_JSON, &e)) {
        snprintf(err, cap, "%s: the answer is not JSON (%s)", what, e.msg);
        return -1;
    }
    uint32_t type = member(d, 0, "schemaType");
    if (type != ALERT_ABSENT) {
        char *t = string_of(d, type);
        snprintf(a->type, sizeof a->type, "%s", t ? t : "?");
        a->not_avro = !t || strcmp(t, "AVRO") != 0;
        free(t);
        if (a->not_avro)
            return 0;
    }
    if (!(a->schema = string_of(d, member(d, 0, "schema")))) {
        snprintf(err, cap, "%s: the answer has no \"schema\" string", what);
        return -1;
    }
    uint32_t refs = member(d, 0, "references");
    if (refs == ALERT_ABSENT || alert_at(d, refs)->type == ALERT_NULL)
        return 0;
    if (alert_at(d, refs)->type != ALERT_LIST) {
        snprintf(err, cap, "%s: \"references\" is not a list", what);
        return -1;
    }
    const alert_node *list = alert_at(d, refs);
    a->refs = calloc(list->count + 1, sizeof *a->refs);
    if (!a->refs) {
        snprintf(err, cap, "%s: out of memory", what);
        return -1;
    }
    for (uint32_t i = 0, k = refs + 1; i < list->count; i++, k = alert_at(d, k)->next) {
        reference *ref = &a->refs[a->n_refs++];
        ref->name = string_of(d, member(d, k, "name"));
        ref->subject = string_of(d, member(d, k, "subject"));
        uint32_t v = member(d, k, "version");
        if (!ref->subject || v == ALERT_ABSENT || alert_at(d, v)->type != ALERT_INT ||
            alert_int(d, v, &ref->version) || ref->version < -1) {
            snprintf(err, cap, "%s: reference %" PRIu32 " needs \"subject\" (a string) and \"version\" (an integer)",
                     what, i);
            return -1;
        }
    }
    return 0;
}

/* ---- fetching a schema and its references ---- */

typedef struct {
    proc_schema_texts *out;
    char **seen; /* "subject/version" of each reference fetched */
    size_t n_seen;
} walk;

static int push_text(proc_schema_texts *t, char *text)
{
    char **grown = realloc(t->texts, (t->n + 1) * sizeof *grown);
    if (!grown) {
        free(text);
        return -1;
    }
    t->texts = grown;
    t->texts[t->n++] = text;
    return 0;
}

static proc_reg_status fetch_refs(proc_registry *r, walk *w, answer *a, int depth, char *err, size_t cap);

/* Fetches GET path, its references first, then appends its schema. */
static proc_reg_status fetch_one(proc_registry *r, walk *w, const char *path, const char *what, int depth,
                                 char *err, size_t cap)
{
    proc_reg_status s = http_get(r, path, err, cap);
    if (s != PROC_REG_OK)
        return s;
    answer a;
    if (read_answer(r, what, &a, err, cap)) {
        answer_free(&a);
        return PROC_REG_BAD;
    }
    if (a.not_avro) {
        snprintf(err, cap, "%s is a %s schema, not Avro", what, a.type);
        answer_free(&a);
        return PROC_REG_NOT_AVRO;
    }
    s = fetch_refs(r, w, &a, depth, err, cap);
    if (s == PROC_REG_OK) {
        if (push_text(w->out, a.schema)) {
            snprintf(err, cap, "%s: out of memory", what);
            s = PROC_REG_BAD;
        }
        a.schema = NULL;
    }
    answer_free(&a);
    return s;
}

static proc_reg_status fetch_refs(proc_registry *r, walk *w, answer *a, int depth, char *err, size_t cap)
{
    for (size_t i = 0; i < a->n_refs; i++) {
        reference *ref = &a->refs[i];
        char key[600];
        snprintf(key, sizeof key, "%s/%" PRId64, ref->subject, ref->version);
        bool seen = false;
        for (size_t j = 0; j < w->n_seen && !seen; j++)
            seen = !strcmp(w->seen[j], key);
        if (seen)
            continue;
        char what[700];
        snprintf(what, sizeof what, "reference \"%s\" (subject \"%s\" version %" PRId64 ")",
                 ref->name ? ref->name : "", ref->subject, ref->version);
        if (depth >= MAX_REF_DEPTH || w->n_seen >= MAX_REFERENCES) {
            snprintf(err, cap, "%s: more than %d levels or %d schemas of references", what, MAX_REF_DEPTH,
                     MAX_REFERENCES);
            return PROC_REG_BAD;
        }
        char **grown = realloc(w->seen, (w->n_seen + 1) * sizeof *grown);
        if (!grown || !(grown[w->n_seen] = strdup(key))) {
            w->seen = grown ? grown : w->seen;
            snprintf(err, cap, "%s: out of memory", what);
            return PROC_REG_BAD;
        }
        w->seen = grown;
        w->n_seen++;
        char *subject = curl_easy_escape(r->curl, ref->subject, 0);
        char path[1200];
        if (ref->version == -1)
            snprintf(path, sizeof path, "/subjects/%s/versions/latest", subject ? subject : "");
        else
            snprintf(path, sizeof path, "/subjects/%s/versions/%" PRId64, subject ? subject : "", ref->version);
        curl_free(subject);
        proc_reg_status s = fetch_one(r, w, path, what, depth + 1, err, cap);
        /* The id exists, so a reference the registry cannot find is the registry's fault, not the message's. */
        if (s == PROC_REG_NOT_FOUND || s == PROC_REG_NOT_AVRO)
            s = PROC_REG_BAD;
        if (s != PROC_REG_OK)
            return s;
    }
    return PROC_REG_OK;
}

proc_reg_status proc_registry_fetch(proc_registry *r, int32_t id, proc_schema_texts *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    char path[64], what[64];
    snprintf(path, sizeof path, "/schemas/ids/%" PRId32, id);
    snprintf(what, sizeof what, "schema id %" PRId32, id);
    walk w = {.out = out};
    proc_reg_status s = fetch_one(r, &w, path, what, 0, err, cap);
    for (size_t i = 0; i < w.n_seen; i++)
        free(w.seen[i]);
    free(w.seen);
    if (s != PROC_REG_OK)
        proc_schema_texts_free(out);
    return s;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Sleeps ms milliseconds in short steps, returning early once *stop is set. */
static void nap(long ms, volatile sig_atomic_t *stop)
{
    while (ms > 0 && !(stop && *stop)) {
        long step = ms < 100 ? ms : 100;
        struct timespec t = {0, step * 1000000L};
        while (nanosleep(&t, &t) && errno == EINTR && !(stop && *stop))
            ;
        ms -= step;
    }
}

proc_reg_status proc_registry_fetch_retrying(proc_registry *r, int32_t id, int retry_s,
                                             volatile sig_atomic_t *stop, proc_schema_texts *out, char *err,
                                             size_t cap)
{
    double t0 = now_s();
    long wait_ms = 500;
    for (int attempt = 1;; attempt++) {
        proc_reg_status s = proc_registry_fetch(r, id, out, err, cap);
        double elapsed = now_s() - t0;
        if (s != PROC_REG_UNAVAILABLE || elapsed + (double)wait_ms / 1000 > retry_s || (stop && *stop))
            return s;
        char q[600];
        proc_log(PROC_LOG_WARN, "schema registry unavailable, retrying",
                 "id=%" PRId32 " attempt=%d retry_in_ms=%ld error=%s", id, attempt, wait_ms,
                 proc_log_quote(err, q, sizeof q));
        nap(wait_ms, stop);
        wait_ms = wait_ms * 2 > 8000 ? 8000 : wait_ms * 2;
    }
}
