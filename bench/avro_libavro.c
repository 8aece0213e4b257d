/* bench/avro_libavro.c — the C peer of `alertfilter eval` on Avro: Apache Avro's
 * C library (Debian's libavro-dev) reads each record of an object container file
 * with its generic value API, the rule exists(PATH) looks the field up by name,
 * and each match is written as "all<TAB>" and avro_value_to_json's one-line JSON.
 * usage: avro_libavro FILE.avro PATH (a dotted path of record fields) */
#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether the dotted path names a field (unions followed to their branch). */
static int exists(avro_value_t *rec, char *path)
{
    avro_value_t cur = *rec, next;
    for (char *save = NULL, *key = strtok_r(path, ".", &save); key; key = strtok_r(NULL, ".", &save)) {
        if (avro_value_get_type(&cur) == AVRO_UNION && avro_value_get_current_branch(&cur, &next) == 0)
            cur = next;
        if (avro_value_get_type(&cur) != AVRO_RECORD || avro_value_get_by_name(&cur, key, &next, NULL) != 0)
            return 0;
        cur = next;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: avro_libavro FILE.avro PATH\n");
        return 2;
    }
    avro_file_reader_t reader;
    if (avro_file_reader(argv[1], &reader) != 0) {
        fprintf(stderr, "avro_libavro: %s: %s\n", argv[1], avro_strerror());
        return 1;
    }
    avro_schema_t schema = avro_file_reader_get_writer_schema(reader);
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_value_t value;
    avro_generic_value_new(iface, &value);
    static char out[1 << 16];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    char path[256];
    int rc;
    while ((rc = avro_file_reader_read_value(reader, &value)) == 0) {
        snprintf(path, sizeof path, "%s", argv[2]);
        if (exists(&value, path)) {
            char *json;
            if (avro_value_to_json(&value, 1, &json) != 0) {
                fprintf(stderr, "avro_libavro: %s\n", avro_strerror());
                return 1;
            }
            fputs("all\t", stdout);
            fputs(json, stdout);
            fputc('\n', stdout);
            free(json);
        }
        avro_value_reset(&value);
    }
    avro_value_decref(&value);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
    avro_file_reader_close(reader);
    return 0;
}
