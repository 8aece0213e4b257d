/* tests/sky/sky_test.h — what the sky tests share: a scratch directory, files
 * written into it, and a generator script run into it. */
#ifndef SKY_TEST_H
#define SKY_TEST_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fresh directory under /tmp for this test. */
static inline void scratch_dir(char dir[64])
{
    strcpy(dir, "/tmp/alertfilter-sky-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static inline void remove_dir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Writes text to dir/name; the path goes to path. */
static inline void write_file(const char *dir, const char *name, const char *text, size_t len, char path[128])
{
    snprintf(path, 128, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* Runs tests/sky/SCRIPT DIR (from the tree's root, as make test does). */
static inline void run_script(const char *script, const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "python3 tests/sky/%s '%s'", script, dir);
    cr_assert_eq(system(cmd), 0, "%s failed", cmd);
}

#endif
