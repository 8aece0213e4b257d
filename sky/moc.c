/* sky/moc.c — watchmaps: IVOA MOC files (FITS binary table of NUNIQ cells, or
 * the ASCII "order/ipix-ipix" form) read into sorted ranges of cells at the
 * map's deepest order, and the membership of a position. */
#include <chealpix.h>
#include <ctype.h>
#include <errno.h>
#include <fitsio.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sky/sky.h"

#define DEG (3.14159265358979323846 / 180.0)

typedef struct {
    uint64_t lo, hi; /* cells [lo, hi) at the map's order */
} range;

typedef struct {
    int order;
    uint64_t ipix;
} cell;

struct sky_moc {
    int order;
    range *r;
    size_t n;
};

/* Cells as read, before they become ranges. */
typedef struct {
    cell *c;
    size_t n, cap;
    int order; /* the deepest order read */
} cells;

static void fail(sky_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(sky_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

static int push(cells *cs, int order, uint64_t ipix)
{
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 256;
        cell *c = realloc(cs->c, cap * sizeof *c);
        if (!c)
            return -1;
        cs->c = c;
        cs->cap = cap;
    }
    cs->c[cs->n++] = (cell){order, ipix};
    if (order > cs->order)
        cs->order = order;
    return 0;
}

static uint64_t cells_at(int order) { return (uint64_t)12 << (2 * order); }

static int by_lo(const void *a, const void *b)
{
    uint64_t x = ((const range *)a)->lo, y = ((const range *)b)->lo;
    return (x > y) - (x < y);
}

/* A map of ranges r[0..n) at order (taken), sorted and merged. */
static sky_moc *merged(range *r, size_t n_in, int order, const char *path, sky_error *err)
{
    if (n_in == 0) {
        free(r);
        fail(err, "%s: the MOC holds no cells", path);
        return NULL;
    }
    sky_moc *m = calloc(1, sizeof *m);
    if (!m) {
        free(r);
        fail(err, "%s: out of memory", path);
        return NULL;
    }
    m->order = order;
    qsort(r, n_in, sizeof *r, by_lo);
    size_t n = 0;
    for (size_t k = 0; k < n_in; k++) {
        if (n > 0 && r[k].lo <= r[n - 1].hi) {
            if (r[k].hi > r[n - 1].hi)
                r[n - 1].hi = r[k].hi;
        } else {
            r[n++] = r[k];
        }
    }
    range *shrunk = realloc(r, n * sizeof *r);
    m->r = shrunk ? shrunk : r;
    m->n = n;
    return m;
}

/* The cells as sorted, merged ranges at their deepest order. */
static sky_moc *to_ranges(cells *cs, const char *path, sky_error *err)
{
    range *r = malloc((cs->n ? cs->n : 1) * sizeof *r);
    if (!r) {
        fail(err, "%s: out of memory", path);
        return NULL;
    }
    for (size_t k = 0; k < cs->n; k++) {
        int shift = 2 * (cs->order - cs->c[k].order);
        r[k] = (range){cs->c[k].ipix << shift, (cs->c[k].ipix + 1) << shift};
    }
    return merged(r, cs->n, cs->order, path, err);
}

/* ---- ASCII: "order/ipix-ipix ipix ... order/..." ---- */

static int parse_uint(const char **p, uint64_t *v)
{
    if (!isdigit((unsigned char)**p))
        return -1;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(*p, &end, 10);
    if (errno == ERANGE)
        return -1;
    *p = end;
    *v = x;
    return 0;
}

sky_moc *sky_moc_parse(const char *text, const char *path, sky_error *err)
{
    cells cs = {0};
    int order = -1;
    size_t line = 1;
    const char *p = text;
    sky_moc *m = NULL;
    for (;;) {
        while (*p && (isspace((unsigned char)*p) || *p == ',')) {
            line += *p == '\n';
            p++;
        }
        if (!*p)
            break;
        const char *tok = p;
        size_t tok_len = strcspn(p, " \t\r\n,");
        uint64_t a, b;
        if (*p == 's' && isdigit((unsigned char)p[1])) /* MOC 2.0's space prefix */
            p++;
        if (parse_uint(&p, &a) != 0)
            goto bad;
        if (*p == '/') {
            p++;
            if (a > SKY_MOC_MAX_ORDER) {
                fail(err, "%s:%zu: order %llu is above %d", path, line, (unsigned long long)a, SKY_MOC_MAX_ORDER);
                goto out;
            }
            order = (int)a;
            if (cs.order < order)
                cs.order = order; /* "29/" alone sets the deepest order */
            continue;
        }
        if (order < 0) {
            fail(err, "%s:%zu: cell '%.*s' before any order ('ORDER/')", path, line, (int)tok_len, tok);
            goto out;
        }
        b = a;
        if (*p == '-') {
            p++;
            if (parse_uint(&p, &b) != 0)
                goto bad;
        }
        if (*p && !isspace((unsigned char)*p) && *p != ',')
            goto bad;
        if (b < a || b >= cells_at(order)) {
            fail(err, "%s:%zu: cell '%.*s' is out of range at order %d (0..%llu)", path, line, (int)tok_len, tok,
                 order, (unsigned long long)cells_at(order) - 1);
            goto out;
        }
        /* A range at one order: each cell, coarsened where a whole parent fits. */
        for (uint64_t x = a; x <= b;) {
            int o = order;
            uint64_t ipix = x, span = 1;
            while (o > 0 && ipix % 4 == 0 && x + span * 4 - 1 <= b) {
                ipix /= 4;
                span *= 4;
                o--;
            }
            if (push(&cs, o, ipix) != 0) {
                fail(err, "%s: out of memory", path);
                goto out;
            }
            if (x + span - 1 == b)
                break;
            x += span;
        }
        if (cs.order < order)
            cs.order = order;
        continue;
    bad:
        fail(err, "%s:%zu: '%.*s' is neither ORDER/ nor a cell IPIX or IPIX-IPIX", path, line, (int)tok_len, tok);
        goto out;
    }
    m = to_ranges(&cs, path, err);
out:
    free(cs.c);
    return m;
}

/* ---- FITS: a binary table of NUNIQ cells ---- */

static void fits_fail(sky_error *err, const char *path, const char *what, int status)
{
    char text[FLEN_STATUS];
    fits_get_errstatus(status, text);
    fail(err, "%s: %s: %s", path, what, text);
}

/* MOC 2.0's RANGE table: [start, end) pairs of order-29 cells, one value a
 * row; kept at the map's order (MOCORD_S) when every bound falls on its cells. */
static sky_moc *load_fits_ranges(fitsfile *f, int col, long rows, const char *path, sky_error *err)
{
    int status = 0, order = SKY_MOC_MAX_ORDER;
    if (rows % 2 != 0) {
        fail(err, "%s: cell %ld: a RANGE table has an even number of rows (start, end), this one %ld", path, rows,
             rows);
        return NULL;
    }
    range *r = malloc((rows ? (size_t)rows / 2 : 1) * sizeof *r);
    long long *v = malloc((rows ? (size_t)rows : 1) * sizeof *v);
    if (!r || !v || fits_read_col(f, TLONGLONG, col, 1, 1, rows, NULL, v, NULL, &status)) {
        if (status)
            fits_fail(err, path, "reading the ranges", status);
        else
            fail(err, "%s: out of memory", path);
        free(r);
        free(v);
        return NULL;
    }
    uint64_t all = cells_at(SKY_MOC_MAX_ORDER), bits = 0;
    for (long k = 0; k < rows; k += 2) {
        if (v[k] < 0 || v[k] >= v[k + 1] || (uint64_t)v[k + 1] > all) {
            fail(err, "%s: cell %ld: range %lld-%lld is empty or out of range at order 29 (0..%llu)", path, k + 1,
                 v[k], v[k + 1], (unsigned long long)all);
            free(r);
            free(v);
            return NULL;
        }
        r[k / 2] = (range){(uint64_t)v[k], (uint64_t)v[k + 1]};
        bits |= (uint64_t)v[k] | (uint64_t)v[k + 1];
    }
    free(v);
    int depth;
    if (fits_read_key(f, TINT, "MOCORD_S", &depth, NULL, &status) == 0 && depth >= 0 && depth < order &&
        (bits & (((uint64_t)1 << (2 * (order - depth))) - 1)) == 0) {
        for (long k = 0; k < rows / 2; k++) {
            r[k].lo >>= 2 * (order - depth);
            r[k].hi >>= 2 * (order - depth);
        }
        order = depth;
    }
    return merged(r, (size_t)rows / 2, order, path, err);
}

static sky_moc *load_fits(const char *path, sky_error *err)
{
    fitsfile *f;
    int status = 0, hdutype, col;
    if (fits_open_file(&f, path, READONLY, &status)) {
        fits_fail(err, path, "not a FITS file cfitsio reads", status);
        return NULL;
    }
    sky_moc *m = NULL;
    cells cs = {0};
    char ordering[FLEN_VALUE] = "";
    long rows = 0;
    if (fits_movabs_hdu(f, 2, &hdutype, &status) || hdutype != BINARY_TBL) {
        fail(err, "%s: not a MOC: no binary table after the primary HDU", path);
        goto out;
    }
    if (fits_read_key(f, TSTRING, "ORDERING", ordering, NULL, &status) ||
        (strcmp(ordering, "NUNIQ") != 0 && strcmp(ordering, "RANGE") != 0)) {
        fail(err, "%s: not a MOC: ORDERING is %s%s%s, a MOC's is 'NUNIQ' (or MOC 2.0's 'RANGE')", path,
             status ? "missing" : "'", status ? "" : ordering, status ? "" : "'");
        goto out;
    }
    bool ranges = strcmp(ordering, "RANGE") == 0;
    if (fits_get_colnum(f, CASEINSEN, ranges ? "RANGE" : "UNIQ", &col, &status) &&
        (status = 0, ranges || fits_get_colnum(f, CASEINSEN, "NUNIQ", &col, &status))) {
        fail(err, "%s: not a MOC: the table has no %s column", path, ranges ? "RANGE" : "UNIQ");
        goto out;
    }
    if (fits_get_num_rows(f, &rows, &status)) {
        fits_fail(err, path, "reading the table", status);
        goto out;
    }
    if (ranges) {
        m = load_fits_ranges(f, col, rows, path, err);
        goto out;
    }
    for (long row = 1; row <= rows; row++) {
        long long uniq;
        int anynul = 0;
        if (fits_read_col(f, TLONGLONG, col, row, 1, 1, NULL, &uniq, &anynul, &status)) {
            fits_fail(err, path, "reading a cell", status);
            goto out;
        }
        /* NUNIQ = 4 * 4^order + ipix, and ipix < 12 * 4^order: order is where its top bit is. */
        if (uniq < 4) {
            fail(err, "%s: cell %ld: NUNIQ %lld is below 4, no HEALPix cell", path, row, uniq);
            goto out;
        }
        int order = (63 - __builtin_clzll((unsigned long long)uniq)) / 2 - 1;
        if (order > SKY_MOC_MAX_ORDER) {
            fail(err, "%s: cell %ld: NUNIQ %lld is at order %d, above %d", path, row, uniq, order, SKY_MOC_MAX_ORDER);
            goto out;
        }
        if (push(&cs, order, (uint64_t)uniq - ((uint64_t)4 << (2 * order))) != 0) {
            fail(err, "%s: out of memory", path);
            goto out;
        }
    }
    m = to_ranges(&cs, path, err);
out:
    status = 0;
    fits_close_file(f, &status);
    free(cs.c);
    return m;
}

static char *read_all(const char *path, sky_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, got;
    char buf[65536];
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                fail(err, "%s: out of memory", path);
                return NULL;
            }
            text = t;
        }
        memcpy(text + len, buf, got);
        len += got;
    }
    fclose(f);
    if (!text) {
        fail(err, "%s: empty: no cells", path);
        return NULL;
    }
    text[len] = '\0';
    if (strlen(text) != len) {
        free(text);
        fail(err, "%s: neither a FITS MOC nor an ASCII one (a NUL byte in the text)", path);
        return NULL;
    }
    return text;
}

sky_moc *sky_moc_load(const char *path, sky_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char head[9] = "";
    size_t got = fread(head, 1, 8, f);
    fclose(f);
    if (got == 8 && memcmp(head, "SIMPLE  ", 8) == 0)
        return load_fits(path, err);
    char *text = read_all(path, err);
    if (!text)
        return NULL;
    sky_moc *m = sky_moc_parse(text, path, err);
    free(text);
    return m;
}

void sky_moc_free(sky_moc *moc)
{
    if (!moc)
        return;
    free(moc->r);
    free(moc);
}

int sky_moc_order(const sky_moc *moc) { return moc->order; }
size_t sky_moc_ranges(const sky_moc *moc) { return moc->n; }

bool sky_moc_contains(const sky_moc *moc, double ra, double dec)
{
    if (!isfinite(ra) || !(dec >= -90 && dec <= 90))
        return false;
    ra = fmod(ra, 360);
    ra = ra < 0 ? ra + 360 : ra;
    int64_t ipix;
    ang2pix_nest64((int64_t)1 << moc->order, (90 - dec) * DEG, ra * DEG, &ipix);
    /* The last range starting at or before ipix. */
    size_t lo = 0, hi = moc->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (moc->r[mid].lo <= (uint64_t)ipix)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && (uint64_t)ipix < moc->r[lo - 1].hi;
}
