/* tests/processor/test_kafka_lang.c — `alertfilter run` on the mock cluster with
 * the language's config parts: a rule reading a definition and dropping keys
 * from what it publishes, and SIGHUP reloading the definitions with the rules. */
#include "tests/processor/kafka_harness.h"

static bool is_bright(const kh_alert *a) { return a->snr > 5; }
static bool is_gr(const kh_alert *a) { return a->band == 'g' || a->band == 'r'; }

/* The JSON of alerts [from, to) that pred selects, without prv_diaSources (caller frees). */
static char **expected_light(int from, int to, bool (*pred)(const kh_alert *), size_t *n, char **all, size_t at)
{
    for (int id = from; id < to; id++) {
        kh_alert a = kh_alert_make(id);
        if (pred(&a)) {
            char *start = strstr(a.json, ",\"prv_diaSources\":[");
            cr_assert_not_null(start);
            char *end = strchr(strchr(start, '[') + 1, ']') + 1; /* its elements hold no lists */
            memmove(start, end, strlen(end) + 1);
            all[at + (*n)++] = a.json;
            a.json = NULL;
        }
        kh_alert_free(&a);
    }
    return all;
}

static char *config_with(const kh_cluster *c, const char *definition)
{
    char rules[400];
    snprintf(rules, sizeof rules,
             "{ name = \"picked\"; topic = \"out\"; where = \"$pick and diaSource.snr >= 0\"; "
             "drop = [ \"prv_diaSources\" ]; }");
    char *cfg = kh_run_config(c, "", "in", "lang", "auto", "", rules);
    FILE *f = fopen(cfg, "a");
    cr_assert_not_null(f);
    fprintf(f, "definitions = { pick = \"%s\"; };\n", definition);
    fclose(f);
    return cfg;
}

Test(kafka_lang, sighup_reloads_definitions_and_drops_keys, .timeout = 90)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 2);
    char *cfg = config_with(&c, "diaSource.snr > 5");
    char *errp;
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, NULL);
    char **all = calloc(1200, sizeof *all);
    size_t na = 0, nb = 0;
    expected_light(0, 600, is_bright, &na, all, 0);
    kh_produce_alerts(&c, "in", 0, 600);
    cr_assert_eq(kh_wait_topic_size(&c, "out", (int64_t)na, 30000), (int64_t)na);

    /* The definition changes, the rule does not: the reload takes the new one. */
    char *next = config_with(&c, "diaSource.filterName in ('g', 'r')");
    cr_assert_eq(rename(next, cfg), 0);
    kill(pid, SIGHUP);
    char *log = NULL;
    cr_assert(kh_wait_log(errp, "msg=\"rules reloaded\" rules=1", 10000), "no reload");
    expected_light(600, 1200, is_gr, &nb, all, na);
    kh_produce_alerts(&c, "in", 600, 1200);
    cr_assert_eq(kh_wait_topic_size(&c, "out", (int64_t)(na + nb), 30000), (int64_t)(na + nb));
    kill(pid, SIGTERM);
    cr_assert_eq(kh_wait(pid, 20000), 0, "log:\n%s", kh_tail(log = kh_slurp(errp)));
    free(log);

    kh_recs rs = kh_read_topic(&c, "out");
    cr_assert_eq(kh_expect_values(&rs, all, na + nb, "out"), 0);
    for (size_t i = 0; i < rs.n; i++)
        cr_assert_str_eq(rs.r[i].rule, "picked");
    for (size_t i = 0; i < na + nb; i++)
        free(all[i]);
    free(all);
    kh_recs_free(&rs);
    unlink(errp), unlink(cfg);
    free(errp), free(cfg), free(next);
    kh_cluster_free(&c);
}
