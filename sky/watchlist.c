/* sky/watchlist.c — watchlists: a CSV catalogue of positions read into entries
 * sorted by declination zone, then RA, and the lookup of a position's nearest
 * entry within its radius. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sky/sky.h"

#define DEG (3.14159265358979323846 / 180.0)

typedef struct {
    double ra, dec;
    uint32_t name;   /* offset into names; without names, the row number among the entries */
    uint32_t radius; /* index into radii */
} entry;

struct sky_watchlist {
    entry *e;
    size_t n;
    char *names; /* NUL-terminated, back to back; NULL without a name column */
    size_t names_len;
    double *radii; /* degrees: [0] the list's, then the rows' own (each new value once) */
    uint32_t n_radii;
    double max_radius; /* degrees: how far a lookup looks */
    double zone_h;     /* zone height, degrees */
    uint32_t n_zones;
    uint32_t *zone_start; /* n_zones + 1: entries of zone z are e[zone_start[z] .. zone_start[z + 1]) */
};

static void fail(sky_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(sky_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

/* ---- CSV ---- */

enum { MAX_FIELDS = 64 };

/* Splits line (modified in place) into fields at commas; a field may be
 * "quoted" ("" for a quote). Leading and trailing blanks of unquoted fields go.
 * Returns the number of fields, or -1 for an unterminated quote. */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        char *out = p, *start = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0')
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p != ',' && *p != '\0')
                return -1;
        } else {
            while (*p != ',' && *p != '\0')
                p++;
            out = p;
            while (out > start && (out[-1] == ' ' || out[-1] == '\t'))
                out--;
        }
        char sep = *p;
        *out = '\0';
        if (n < max)
            fields[n] = start;
        n++;
        if (sep == '\0')
            return n;
        p++;
    }
}

/* Decimals of at most 15 digits and a power of ten within 22 (Clinger's fast
 * path): both a double exactly, so one multiplication or division rounds once,
 * as strtod does. Returns false, having decided nothing, for any other text. */
static bool fast_decimal(const char *s, double *v)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    bool neg = *s == '-';
    s += neg || *s == '+';
    uint64_t m = 0;
    int digits = 0, frac = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++)
        m = m * 10 + (uint64_t)(*s - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++, digits++, frac++)
            m = m * 10 + (uint64_t)(*s - '0');
    if (digits == 0 || digits > 15 || *s != '\0' || frac > 22)
        return false;
    double x = (double)m / pow10[frac];
    *v = neg ? -x : x;
    return true;
}

bool sky_number(const char *s, double *v)
{
    if (fast_decimal(s, v))
        return true;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *s != '\0' && *end == '\0' && errno != ERANGE && isfinite(*v);
}

/* ---- loading ---- */

typedef struct {
    const char *path;
    size_t line;
    int col_ra, col_dec, col_name, col_radius, n_cols;
    sky_watchlist *wl;
    size_t cap, names_cap, radii_cap;
    uint32_t *hash;  /* entry + 1 by name, open addressing; 0 is empty */
    size_t hash_cap;
} loader;

static int read_header(loader *L, char *line, sky_error *err)
{
    char *f[MAX_FIELDS];
    int n = split(line, f, MAX_FIELDS);
    if (n < 0) {
        fail(err, "%s:%zu: the header has an unterminated quote", L->path, L->line);
        return -1;
    }
    if (n > MAX_FIELDS) {
        fail(err, "%s:%zu: the header has %d columns, at most %d are read", L->path, L->line, n, MAX_FIELDS);
        return -1;
    }
    L->col_ra = L->col_dec = L->col_name = L->col_radius = -1;
    L->n_cols = n;
    for (int k = 0; k < n; k++) {
        int *col = !strcasecmp(f[k], "ra")              ? &L->col_ra
                   : !strcasecmp(f[k], "dec")           ? &L->col_dec
                   : !strcasecmp(f[k], "name")          ? &L->col_name
                   : !strcasecmp(f[k], "radius_arcsec") ? &L->col_radius
                                                        : NULL;
        if (col && *col >= 0) {
            fail(err, "%s:%zu: the header names column '%s' twice", L->path, L->line, f[k]);
            return -1;
        }
        if (col)
            *col = k;
    }
    if (L->col_ra < 0 || L->col_dec < 0) {
        fail(err, "%s:%zu: the header has no '%s' column (a watchlist needs ra and dec, in degrees)", L->path,
             L->line, L->col_ra < 0 ? "ra" : "dec");
        return -1;
    }
    return 0;
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* Grows the name table to twice the entries it may hold (before they are added). */
static int grow_hash(loader *L, size_t need)
{
    if (need * 2 <= L->hash_cap)
        return 0;
    size_t cap = L->hash_cap ? L->hash_cap * 2 : 1024;
    while (cap < need * 2)
        cap *= 2;
    uint32_t *h = calloc(cap, sizeof *h);
    if (!h)
        return -1;
    for (size_t k = 0; k < L->hash_cap; k++)
        if (L->hash[k]) {
            size_t at = hash_name(L->wl->names + L->wl->e[L->hash[k] - 1].name) & (cap - 1);
            while (h[at])
                at = (at + 1) & (cap - 1);
            h[at] = L->hash[k];
        }
    free(L->hash);
    L->hash = h;
    L->hash_cap = cap;
    return 0;
}

/* Files entry k's name; returns the entry already holding it + 1, or 0. */
static uint32_t file_name(loader *L, size_t k)
{
    const char *name = L->wl->names + L->wl->e[k].name;
    size_t at = hash_name(name) & (L->hash_cap - 1);
    for (; L->hash[at]; at = (at + 1) & (L->hash_cap - 1))
        if (!strcmp(L->wl->names + L->wl->e[L->hash[at] - 1].name, name))
            return L->hash[at];
    L->hash[at] = (uint32_t)k + 1;
    return 0;
}

static int add_name(loader *L, const char *name, uint32_t *off)
{
    sky_watchlist *wl = L->wl;
    size_t len = strlen(name) + 1;
    if (wl->names_len + len > L->names_cap) {
        size_t cap = L->names_cap ? L->names_cap : 4096;
        while (cap < wl->names_len + len)
            cap *= 2;
        char *names = realloc(wl->names, cap);
        if (!names)
            return -1;
        wl->names = names;
        L->names_cap = cap;
    }
    if (wl->names_len + len > UINT32_MAX)
        return -1;
    memcpy(wl->names + wl->names_len, name, len);
    *off = (uint32_t)wl->names_len;
    wl->names_len += len;
    return 0;
}

/* A new row radius: the last one added again, or a new value. */
static int add_radius(loader *L, double r, uint32_t *ix)
{
    sky_watchlist *wl = L->wl;
    if (wl->radii[wl->n_radii - 1] == r && wl->n_radii > 1) {
        *ix = wl->n_radii - 1;
        return 0;
    }
    if (wl->n_radii == L->radii_cap) {
        size_t cap = L->radii_cap * 2;
        double *radii = realloc(wl->radii, cap * sizeof *radii);
        if (!radii || cap > UINT32_MAX)
            return -1;
        wl->radii = radii;
        L->radii_cap = cap;
    }
    wl->radii[wl->n_radii] = r;
    *ix = wl->n_radii++;
    return 0;
}

/* The line of the file's row-th entry (1-based), read again: only an error
 * needs it, so no line is kept per entry. */
static size_t line_of_row(const char *path, size_t row)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, lineno = 0, rows = 0;
    while (f && getline(&line, &cap, f) >= 0) {
        lineno++;
        const char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '#')
            continue;
        if (rows++ == row) /* the header is row 0 */
            break;
    }
    free(line);
    if (f)
        fclose(f);
    return lineno;
}

static int read_row(loader *L, char *line, sky_error *err)
{
    char *f[MAX_FIELDS];
    int n = split(line, f, MAX_FIELDS);
    if (n < 0) {
        fail(err, "%s:%zu: unterminated quote", L->path, L->line);
        return -1;
    }
    if (n != L->n_cols) {
        fail(err, "%s:%zu: %d field%s, the header names %d", L->path, L->line, n, n == 1 ? "" : "s", L->n_cols);
        return -1;
    }
    entry e = {.radius = 0};
    if (!sky_number(f[L->col_ra], &e.ra) || !sky_number(f[L->col_dec], &e.dec)) {
        const char *what = sky_number(f[L->col_ra], &e.ra) ? "dec" : "ra";
        fail(err, "%s:%zu: %s '%s' is not a number", L->path, L->line, what, f[what[0] == 'r' ? L->col_ra : L->col_dec]);
        return -1;
    }
    if (!(e.ra >= 0 && e.ra < 360)) {
        fail(err, "%s:%zu: ra %s is outside [0, 360)", L->path, L->line, f[L->col_ra]);
        return -1;
    }
    if (!(e.dec >= -90 && e.dec <= 90)) {
        fail(err, "%s:%zu: dec %s is outside [-90, 90]", L->path, L->line, f[L->col_dec]);
        return -1;
    }
    if (L->col_radius >= 0 && *f[L->col_radius]) {
        double r;
        if (!sky_number(f[L->col_radius], &r)) {
            fail(err, "%s:%zu: radius_arcsec '%s' is not a number", L->path, L->line, f[L->col_radius]);
            return -1;
        }
        if (!(r > 0 && r <= SKY_RADIUS_MAX_ARCSEC)) {
            fail(err, "%s:%zu: radius_arcsec %s is %s", L->path, L->line, f[L->col_radius],
                 r <= 0 ? "not above 0" : "above 3600 (1 degree): cone matching beyond a degree is not a watchlist");
            return -1;
        }
        if (add_radius(L, r / 3600.0, &e.radius) != 0) {
            fail(err, "%s:%zu: out of memory", L->path, L->line);
            return -1;
        }
    }
    if (isnan(L->wl->radii[e.radius])) {
        fail(err, "%s:%zu: no radius: the row has no radius_arcsec and the watchlist sets none", L->path, L->line);
        return -1;
    }
    sky_watchlist *wl = L->wl;
    if (wl->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 1024;
        entry *es = realloc(wl->e, cap * sizeof *es);
        if (es)
            wl->e = es;
        if (!es || cap > UINT32_MAX - 1) {
            fail(err, "%s:%zu: out of memory", L->path, L->line);
            return -1;
        }
        L->cap = cap;
    }
    if (L->col_name >= 0) {
        if (!*f[L->col_name]) {
            fail(err, "%s:%zu: empty name", L->path, L->line);
            return -1;
        }
        if (add_name(L, f[L->col_name], &e.name) != 0 || grow_hash(L, wl->n + 1) != 0) {
            fail(err, "%s:%zu: out of memory", L->path, L->line);
            return -1;
        }
    } else {
        e.name = (uint32_t)wl->n + 1;
    }
    wl->e[wl->n] = e;
    if (L->col_name >= 0) {
        uint32_t first = file_name(L, wl->n);
        if (first) {
            fail(err, "%s:%zu: duplicate name '%s' (first on line %zu)", L->path, L->line, f[L->col_name],
                 line_of_row(L->path, first));
            return -1;
        }
    }
    wl->n++;
    return 0;
}

/* ---- the index ---- */

static uint32_t zone_of(const sky_watchlist *wl, double dec)
{
    double z = floor((dec + 90) / wl->zone_h);
    return z < 0 ? 0 : z >= wl->n_zones ? wl->n_zones - 1 : (uint32_t)z;
}

static int by_ra(const void *a, const void *b)
{
    double x = ((const entry *)a)->ra, y = ((const entry *)b)->ra;
    return (x > y) - (x < y);
}

/* Sorts the entries by zone in place (each one moved straight to its zone's
 * next free place: no second array), then each zone by RA. */
static int build_index(sky_watchlist *wl)
{
    /* Zones at least as high as the widest radius (a lookup reads two or three),
     * and about 8 entries each on average. */
    wl->zone_h = fmax(wl->max_radius, 180.0 * 8 / (double)wl->n);
    wl->n_zones = (uint32_t)ceil(180.0 / wl->zone_h);
    if (wl->n_zones == 0)
        wl->n_zones = 1;
    wl->zone_start = calloc((size_t)wl->n_zones + 1, sizeof *wl->zone_start);
    uint32_t *next = malloc((size_t)wl->n_zones * sizeof *next);
    if (!wl->zone_start || !next) {
        free(next);
        return -1;
    }
    for (size_t k = 0; k < wl->n; k++)
        wl->zone_start[zone_of(wl, wl->e[k].dec) + 1]++;
    for (uint32_t z = 0; z < wl->n_zones; z++)
        wl->zone_start[z + 1] += wl->zone_start[z];
    memcpy(next, wl->zone_start, (size_t)wl->n_zones * sizeof *next);
    for (uint32_t z = 0; z < wl->n_zones; z++)
        while (next[z] < wl->zone_start[z + 1]) {
            uint32_t home = zone_of(wl, wl->e[next[z]].dec);
            if (home == z) {
                next[z]++;
                continue;
            }
            entry t = wl->e[next[home]];
            wl->e[next[home]++] = wl->e[next[z]];
            wl->e[next[z]] = t;
        }
    free(next);
    for (uint32_t z = 0; z < wl->n_zones; z++)
        qsort(wl->e + wl->zone_start[z], wl->zone_start[z + 1] - wl->zone_start[z], sizeof(entry), by_ra);
    return 0;
}

sky_watchlist *sky_watchlist_load(const char *path, double radius_arcsec, sky_error *err)
{
    if (!isnan(radius_arcsec) && !(radius_arcsec > 0 && radius_arcsec <= SKY_RADIUS_MAX_ARCSEC)) {
        fail(err, "%s: radius_arcsec %g is %s", path, radius_arcsec,
             radius_arcsec <= 0 ? "not above 0"
                                : "above 3600 (1 degree): cone matching beyond a degree is not a watchlist");
        return NULL;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        fail(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    loader L = {.path = path, .radii_cap = 4};
    L.wl = calloc(1, sizeof *L.wl);
    if (L.wl && (L.wl->radii = malloc(L.radii_cap * sizeof(double)))) {
        L.wl->radii[0] = isnan(radius_arcsec) ? NAN : radius_arcsec / 3600.0;
        L.wl->n_radii = 1;
    } else if (L.wl) {
        free(L.wl);
        L.wl = NULL;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    bool header = false;
    int rc = L.wl ? 0 : -1;
    if (!L.wl)
        fail(err, "%s: out of memory", path);
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        L.line++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        const char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#')
            continue;
        if (strlen(line) != (size_t)len) {
            fail(err, "%s:%zu: a NUL byte in the line (not a CSV text file?)", path, L.line);
            rc = -1;
        } else if (!header) {
            rc = read_header(&L, line, err);
            header = true;
        } else {
            rc = read_row(&L, line, err);
        }
    }
    if (rc == 0 && ferror(f)) {
        fail(err, "%s: read error: %s", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    free(line);
    free(L.hash);
    if (rc == 0 && !header) {
        fail(err, "%s: empty: no header line and no entries", path);
        rc = -1;
    } else if (rc == 0 && L.wl->n == 0) {
        fail(err, "%s: no entries after the header", path);
        rc = -1;
    }
    if (rc != 0) {
        sky_watchlist_free(L.wl);
        return NULL;
    }
    sky_watchlist *wl = L.wl;
    if (L.col_name < 0) {
        free(wl->names);
        wl->names = NULL;
    }
    /* Give back what doubling left unused. */
    entry *es = realloc(wl->e, wl->n * sizeof *es);
    wl->e = es ? es : wl->e;
    if (wl->names) {
        char *names = realloc(wl->names, wl->names_len);
        wl->names = names ? names : wl->names;
    }
    /* The list's radius counts if some row has no radius of its own. */
    for (size_t k = 0; k < wl->n; k++)
        if (wl->e[k].radius == 0) {
            wl->max_radius = wl->radii[0];
            break;
        }
    for (uint32_t k = 1; k < wl->n_radii; k++)
        wl->max_radius = fmax(wl->max_radius, wl->radii[k]);
    if (build_index(wl) != 0) {
        fail(err, "%s: out of memory", path);
        sky_watchlist_free(wl);
        return NULL;
    }
    return wl;
}

void sky_watchlist_free(sky_watchlist *wl)
{
    if (!wl)
        return;
    free(wl->e);
    free(wl->names);
    free(wl->zone_start);
    free(wl->radii);
    free(wl);
}

size_t sky_watchlist_count(const sky_watchlist *wl) { return wl->n; }

size_t sky_watchlist_bytes(const sky_watchlist *wl)
{
    return sizeof *wl + wl->n * sizeof(entry) + wl->names_len + ((size_t)wl->n_zones + 1) * sizeof(uint32_t) +
           wl->n_radii * sizeof(double);
}

const char *sky_watchlist_name(const sky_watchlist *wl, size_t k, char buf[24])
{
    if (wl->names)
        return wl->names + wl->e[k].name;
    snprintf(buf, 24, "%u", wl->e[k].name);
    return buf;
}

/* ---- lookup ---- */

/* The first entry of e[lo, hi) with RA at least ra. */
static size_t lower_bound(const entry *e, size_t lo, size_t hi, double ra)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].ra < ra)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

typedef struct {
    int64_t best;
    double best_sep;
} nearest;

static void scan(const sky_watchlist *wl, size_t from, size_t to, double ra_hi, double ra, double dec, nearest *nr)
{
    for (size_t k = from; k < to && wl->e[k].ra <= ra_hi; k++) {
        const entry *e = &wl->e[k];
        double radius = wl->radii[e->radius];
        /* The separation is at least the difference in declination: no trigonometry for most. */
        if (fabs(e->dec - dec) > radius)
            continue;
        double sep = sky_angsep(ra, dec, e->ra, e->dec);
        if (sep <= radius && (nr->best < 0 || sep < nr->best_sep)) {
            nr->best = (int64_t)k;
            nr->best_sep = sep;
        }
    }
}

int64_t sky_watchlist_match(const sky_watchlist *wl, double ra, double dec)
{
    if (!isfinite(ra) || !(dec >= -90 && dec <= 90))
        return -1;
    if (ra < 0 || ra >= 360) {
        ra = fmod(ra, 360);
        ra = ra < 0 ? ra + 360 : ra;
        ra = ra >= 360 ? 0 : ra;
    }
    double r = wl->max_radius;
    /* RA within r of the position differs by at most asin(sin r / cos dec'),
     * dec' the largest |dec| within r, which is at most x / sqrt(1 - x^2) for
     * x = r / cos dec' (radians): one cosine. Padded against rounding; near a
     * pole, any RA. */
    double far = fabs(dec) + r, dra = 360;
    if (far < 89.999) {
        double x = r * DEG / cos(far * DEG);
        if (x < 0.5)
            dra = x / sqrt(1 - x * x) / DEG * (1 + 1e-9) + 1e-9;
    }
    nearest nr = {.best = -1};
    uint32_t z0 = zone_of(wl, dec - r), z1 = zone_of(wl, dec + r);
    for (uint32_t z = z0; z <= z1; z++) {
        size_t lo = wl->zone_start[z], hi = wl->zone_start[z + 1];
        if (lo == hi)
            continue;
        if (dra >= 180) {
            scan(wl, lo, hi, 360, ra, dec, &nr);
            continue;
        }
        /* [ra - dra, ra + dra], split where it wraps past 0 or 360. */
        double a = ra - dra, b = ra + dra;
        scan(wl, lower_bound(wl->e, lo, hi, fmax(a, 0)), hi, fmin(b, 360), ra, dec, &nr);
        if (a < 0)
            scan(wl, lower_bound(wl->e, lo, hi, a + 360), hi, 360, ra, dec, &nr);
        if (b >= 360)
            scan(wl, lo, hi, b - 360, ra, dec, &nr);
    }
    return nr.best;
}
