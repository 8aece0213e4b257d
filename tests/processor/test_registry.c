/* tests/processor/test_registry.c — the schema registry client
 * (processor/registry.c) against a scripted local HTTP server: schemas and
 * their references, 404, garbage, a registry down or slow, retries. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "processor/log.h"
#include "processor/registry.h"
#include "registry_server.h"

/* ---- routes, written as the server's JSON ---- */

typedef struct {
    char text[16384];
    size_t len;
} routes;

/* Appends s as a JSON string. */
static void put_string(routes *r, const char *s)
{
    r->len += (size_t)snprintf(r->text + r->len, sizeof r->text - r->len, "\"");
    for (; *s; s++)
        r->len += (size_t)snprintf(r->text + r->len, sizeof r->text - r->len, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
    r->len += (size_t)snprintf(r->text + r->len, sizeof r->text - r->len, "\"");
}

static void route(routes *r, const char *path, int status, const char *body, double delay, int fail_first)
{
    r->len += (size_t)snprintf(r->text + r->len, sizeof r->text - r->len, "%s", r->len ? ", " : "{");
    put_string(r, path);
    r->len += (size_t)snprintf(r->text + r->len, sizeof r->text - r->len, ": {\"status\": %d, \"delay\": %g, \"fail_first\": %d, \"body\": ",
                               status, delay, fail_first);
    put_string(r, body);
    r->len += (size_t)snprintf(r->text + r->len, sizeof r->text - r->len, "}");
}

static const char *done(routes *r)
{
    snprintf(r->text + r->len, sizeof r->text - r->len, "%s}", r->len ? "" : "{");
    return r->text;
}

static rs_server server;

static void stop_server(void) { rs_stop(&server); }
static void quiet(void) { cr_redirect_stderr(); /* the warnings of each retry */ }

#define FIXED_SCHEMA "{\\\"type\\\": \\\"fixed\\\", \\\"name\\\": \\\"x\\\", \\\"size\\\": 2}"
#define FIXED_TEXT "{\"type\": \"fixed\", \"name\": \"x\", \"size\": 2}"

static proc_reg_status fetch(int32_t id, long timeout_ms, proc_schema_texts *out, char *err)
{
    proc_registry *r = proc_registry_new(server.url, timeout_ms);
    cr_assert_not_null(r);
    proc_reg_status s = proc_registry_fetch(r, id, out, err, 512);
    proc_registry_free(r);
    return s;
}

/* The error with the server's URL replaced by "URL". */
static char *unurl(const char *err, const char *url)
{
    static char out[600];
    const char *at = strstr(err, url);
    if (!at)
        snprintf(out, sizeof out, "%s", err);
    else
        snprintf(out, sizeof out, "%.*sURL%s", (int)(at - err), err, at + strlen(url));
    return out;
}

TestSuite(registry, .init = quiet, .fini = stop_server, .timeout = 30);

Test(registry, a_schema_by_id_with_its_escapes_read)
{
    routes r = {0};
    route(&r, "/schemas/ids/1100", 200, "{\"schema\": \"" FIXED_SCHEMA "\"}", 0, 0);
    rs_start(&server, done(&r));
    proc_schema_texts t;
    char err[512] = "";
    cr_assert_eq(fetch(1100, 5000, &t, err), PROC_REG_OK, "%s", err);
    cr_assert_eq(t.n, 1);
    cr_assert_str_eq(t.texts[0], FIXED_TEXT);
    proc_schema_texts_free(&t);
    cr_assert_eq(rs_requests(&server, NULL), 1);
}

Test(registry, references_come_first_each_fetched_once_with_its_subject_escaped)
{
    routes r = {0};
    /* id 7 references a/b v1 and c v2; c references a/b v1 again. */
    route(&r, "/schemas/ids/7", 200,
          "{\"schemaType\": \"AVRO\", \"schema\": \"top\", \"references\": ["
          "{\"name\": \"n.ab\", \"subject\": \"a/b\", \"version\": 1},"
          "{\"name\": \"n.c\", \"subject\": \"c\", \"version\": 2}]}",
          0, 0);
    route(&r, "/subjects/a%2Fb/versions/1", 200, "{\"subject\": \"a/b\", \"version\": 1, \"id\": 3, \"schema\": \"ab\"}", 0, 0);
    route(&r, "/subjects/c/versions/2", 200,
          "{\"subject\": \"c\", \"version\": 2, \"id\": 4, \"schema\": \"c\", "
          "\"references\": [{\"name\": \"n.ab\", \"subject\": \"a/b\", \"version\": 1}]}",
          0, 0);
    rs_start(&server, done(&r));
    proc_schema_texts t;
    char err[512] = "";
    cr_assert_eq(fetch(7, 5000, &t, err), PROC_REG_OK, "%s", err);
    cr_assert_eq(t.n, 3);
    cr_assert_str_eq(t.texts[0], "ab");
    cr_assert_str_eq(t.texts[1], "c");
    cr_assert_str_eq(t.texts[2], "top");
    proc_schema_texts_free(&t);
    cr_assert_eq(rs_requests(&server, "/subjects/a%2Fb/versions/1"), 1);
    cr_assert_eq(rs_requests(&server, NULL), 3);
}

Test(registry, an_unknown_id_is_not_found)
{
    rs_start(&server, "{}");
    proc_schema_texts t;
    char err[512] = "";
    cr_assert_eq(fetch(5, 5000, &t, err), PROC_REG_NOT_FOUND);
    cr_assert_str_eq(unurl(err, server.url),
                     "GET URL/schemas/ids/5: HTTP 404: {\"error_code\":40403,\"message\":\"Schema not found\"}");
    cr_assert_eq(t.n, 0);
}

Test(registry, a_protobuf_schema_is_not_avro)
{
    routes r = {0};
    route(&r, "/schemas/ids/9", 200, "{\"schemaType\": \"PROTOBUF\", \"schema\": \"syntax = \\\"proto3\\\";\"}", 0, 0);
    rs_start(&server, done(&r));
    proc_schema_texts t;
    char err[512] = "";
    cr_assert_eq(fetch(9, 5000, &t, err), PROC_REG_NOT_AVRO);
    cr_assert_str_eq(err, "schema id 9 is a PROTOBUF schema, not Avro");
}

Test(registry, garbage_answers_are_bad)
{
    routes r = {0};
    route(&r, "/schemas/ids/1", 200, "<html>hello</html>", 0, 0);
    route(&r, "/schemas/ids/2", 200, "{\"id\": 2}", 0, 0);
    route(&r, "/schemas/ids/3", 200, "{\"schema\": 3}", 0, 0);
    route(&r, "/schemas/ids/4", 200, "{\"schema\": \"s\", \"references\": {}}", 0, 0);
    route(&r, "/schemas/ids/5", 200, "{\"schema\": \"s\", \"references\": [{\"subject\": \"x\"}]}", 0, 0);
    route(&r, "/schemas/ids/6", 401, "{\"message\": \"Unauthorized\"}", 0, 0);
    route(&r, "/schemas/ids/7", 200, "{\"schema\": \"s\", \"references\": [{\"subject\": \"gone\", \"version\": 3}]}", 0, 0);
    rs_start(&server, done(&r));
    const char *want[] = {
        "schema id 1: the answer is not JSON (offset 0: expected a value, found '<')",
        "schema id 2: the answer has no \"schema\" string",
        "schema id 3: the answer has no \"schema\" string",
        "schema id 4: \"references\" is not a list",
        "schema id 5: reference 0 needs \"subject\" (a string) and \"version\" (an integer)",
        "GET URL/schemas/ids/6: HTTP 401: {\"message\": \"Unauthorized\"}",
        "GET URL/subjects/gone/versions/3: HTTP 404: {\"error_code\":40403,\"message\":\"Schema not found\"}",
    };
    for (int id = 1; id <= 7; id++) {
        proc_schema_texts t;
        char err[512] = "";
        cr_expect_eq(fetch(id, 5000, &t, err), PROC_REG_BAD, "id %d: %s", id, err);
        cr_expect_str_eq(unurl(err, server.url), want[id - 1], "id %d: %s", id, err);
        cr_expect_eq(t.n, 0);
    }
}

Test(registry, a_server_error_is_unavailable)
{
    routes r = {0};
    route(&r, "/schemas/ids/1", 500, "oops", 0, 0);
    route(&r, "/schemas/ids/2", 429, "slow down", 0, 0);
    rs_start(&server, done(&r));
    proc_schema_texts t;
    char err[512] = "";
    cr_assert_eq(fetch(1, 5000, &t, err), PROC_REG_UNAVAILABLE);
    cr_assert_str_eq(unurl(err, server.url), "GET URL/schemas/ids/1: HTTP 500: oops");
    cr_assert_eq(fetch(2, 5000, &t, err), PROC_REG_UNAVAILABLE);
    cr_assert_str_eq(unurl(err, server.url), "GET URL/schemas/ids/2: HTTP 429: slow down");
}

Test(registry, a_registry_down_is_unavailable)
{
    snprintf(server.url, sizeof server.url, "http://127.0.0.1:%d", rs_dead_port());
    snprintf(server.dir, sizeof server.dir, "/tmp/af-registry-none");
    proc_schema_texts t;
    char err[512] = "";
    cr_assert_eq(fetch(1, 5000, &t, err), PROC_REG_UNAVAILABLE);
    cr_assert_str_eq(unurl(err, server.url), "GET URL/schemas/ids/1: Couldn't connect to server");
}

Test(registry, credentials_in_the_url_are_not_in_messages)
{
    int port = rs_dead_port();
    snprintf(server.url, sizeof server.url, "http://reader:s3cret@127.0.0.1:%d", port);
    snprintf(server.dir, sizeof server.dir, "/tmp/af-registry-none");
    proc_schema_texts t;
    char err[512] = "", want[128];
    cr_assert_eq(fetch(1, 5000, &t, err), PROC_REG_UNAVAILABLE);
    snprintf(want, sizeof want, "GET http://***@127.0.0.1:%d/schemas/ids/1: Couldn't connect to server", port);
    cr_assert_str_eq(err, want);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

Test(registry, a_slow_registry_times_out)
{
    routes r = {0};
    route(&r, "/schemas/ids/1", 200, "{\"schema\": \"s\"}", 3, 0);
    rs_start(&server, done(&r));
    proc_schema_texts t;
    char err[512] = "";
    double t0 = now();
    cr_assert_eq(fetch(1, 300, &t, err), PROC_REG_UNAVAILABLE);
    double took = now() - t0;
    cr_assert_str_eq(unurl(err, server.url), "GET URL/schemas/ids/1: Timeout was reached");
    /* curl times the request on its own clock, from a little after t0: 0.300 s can read 0.2999 here */
    cr_assert(took >= 0.29 && took < 2.0, "took %.3f s", took);
}

Test(registry, retries_until_the_registry_answers)
{
    routes r = {0};
    route(&r, "/schemas/ids/1", 200, "{\"schema\": \"s\"}", 0, 2);
    rs_start(&server, done(&r));
    proc_registry *reg = proc_registry_new(server.url, 5000);
    proc_schema_texts t;
    char err[512] = "";
    double t0 = now();
    cr_assert_eq(proc_registry_fetch_retrying(reg, 1, 10, NULL, &t, err, sizeof err), PROC_REG_OK, "%s", err);
    double took = now() - t0;
    cr_assert_eq(rs_requests(&server, "/schemas/ids/1"), 3);
    cr_assert(took >= 1.5 && took < 4.0, "waits 0.5 s then 1 s; took %.3f s", took);
    cr_assert_str_eq(t.texts[0], "s");
    proc_schema_texts_free(&t);
    proc_registry_free(reg);
}

Test(registry, retrying_gives_up_after_the_time_allowed)
{
    snprintf(server.url, sizeof server.url, "http://127.0.0.1:%d", rs_dead_port());
    snprintf(server.dir, sizeof server.dir, "/tmp/af-registry-none");
    proc_registry *reg = proc_registry_new(server.url, 1000);
    proc_schema_texts t;
    char err[512] = "";
    double t0 = now();
    /* Tries at 0, 0.5 and 1.5 s; the next would start at 3.5 s, past 2 s. */
    cr_assert_eq(proc_registry_fetch_retrying(reg, 1, 2, NULL, &t, err, sizeof err), PROC_REG_UNAVAILABLE);
    double took = now() - t0;
    cr_assert(took >= 1.5 && took < 2.5, "took %.3f s", took);
    cr_assert_str_eq(unurl(err, server.url), "GET URL/schemas/ids/1: Couldn't connect to server");
    proc_registry_free(reg);
}

Test(registry, not_found_is_not_retried)
{
    rs_start(&server, "{}");
    proc_registry *reg = proc_registry_new(server.url, 5000);
    proc_schema_texts t;
    char err[512] = "";
    cr_assert_eq(proc_registry_fetch_retrying(reg, 8, 10, NULL, &t, err, sizeof err), PROC_REG_NOT_FOUND);
    cr_assert_eq(rs_requests(&server, NULL), 1);
    proc_registry_free(reg);
}
