/* processor/cmd_send_sample.c — the sample alert generator behind `send`: each
 * alert's values come from its own xoshiro256** stream and are written
 * straight into the caller's buffer. */
#include "processor/cmd_send_sample.h"

#include <math.h>
#include <string.h>

/* Ids and times start at the sample alert's own values. */
#define ALERT_ID0 1231321321ull
#define SOURCE_ID0 281323062375219200ull
#define OBJECT_ID0 281323062375219201ull
#define TAI0 1480360995ll
#define N_OBJECTS 4096     /* few enough that an object has several alerts */
#define MAX_PRV 5          /* previous detections per alert: 0..MAX_PRV */
#define L2_SOURCES 2       /* detections repeated in diaSourcesL2 */
#define SOURCE_ID_STEP 8   /* > MAX_PRV: an alert's history ids sit below its own id */
#define TAI_STEP 40        /* seconds between alerts, so midPointTai increases */
#define DEG9 1000000000ll  /* positions are written with 9 decimals, like the sample's */
#define JITTER9 55556      /* ±0.2 arcsec of a source around its object */
#define STAMP_SIDE 16
#define STAMP_CARDS 6
#define STAMP_BYTES (STAMP_CARDS * 80 + STAMP_SIDE * STAMP_SIDE * 2)

enum { STREAM_ALERT = 1, STREAM_OBJECT, STREAM_STAMP };

/* ---- random numbers: splitmix64 seeds xoshiro256** ---- */

typedef struct {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* One independent stream per (seed, kind of stream, index). */
static void rng_seed(rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
    uint64_t x = seed;
    x = splitmix64(&x) ^ stream;
    x = splitmix64(&x) ^ index;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [lo, hi]; the modulo bias, below 1e-7 for every range used here,
 * is far under what a sample stream could show. */
static int64_t rng_range(rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * 0x1p-53; }

/* A decimal value mant × 10^-scale. */
typedef struct {
    int64_t mant;
    int scale;
} decimal;

/* Log-uniform over [10^e_lo, 10^e_hi] with sig significant digits: a decade,
 * then a mantissa log-uniform within it. */
static decimal rng_log_decimal(rng *r, int e_lo, int e_hi, int sig)
{
    int e = (int)rng_range(r, e_lo, e_hi - 1);
    double lead = pow(10.0, sig - 1);
    return (decimal){llround(lead * pow(10.0, rng_unit(r))), sig - 1 - e};
}

static decimal rng_fixed(rng *r, int64_t lo, int64_t hi, int scale) { return (decimal){rng_range(r, lo, hi), scale}; }

/* ---- text ---- */

static size_t format_uint(uint64_t v, char *out)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

size_t proc_sample_decimal(int64_t mant, int scale, char *out)
{
    if (mant == 0) {
        memcpy(out, "0.0", 3);
        return 3;
    }
    size_t o = 0;
    if (mant < 0)
        out[o++] = '-';
    uint64_t u = mant < 0 ? 0 - (uint64_t)mant : (uint64_t)mant;
    while (u % 10 == 0) {
        u /= 10;
        scale--;
    }
    char d[20];
    int n = (int)format_uint(u, d);
    int exp10 = n - 1 - scale; /* exponent of the leading digit */
    if (exp10 < -4 || exp10 >= 16) { /* where Python's repr switches to exponent form */
        out[o++] = d[0];
        if (n > 1) {
            out[o++] = '.';
            memcpy(out + o, d + 1, (size_t)n - 1);
            o += (size_t)n - 1;
        }
        out[o++] = 'e';
        out[o++] = exp10 < 0 ? '-' : '+';
        int a = exp10 < 0 ? -exp10 : exp10;
        if (a < 10)
            out[o++] = '0';
        o += format_uint((uint64_t)a, out + o);
    } else if (scale <= 0) {
        memcpy(out + o, d, (size_t)n);
        o += (size_t)n;
        memset(out + o, '0', (size_t)-scale);
        o += (size_t)-scale;
        memcpy(out + o, ".0", 2);
        o += 2;
    } else if (exp10 >= 0) {
        memcpy(out + o, d, (size_t)(n - scale));
        o += (size_t)(n - scale);
        out[o++] = '.';
        memcpy(out + o, d + n - scale, (size_t)scale);
        o += (size_t)scale;
    } else {
        memcpy(out + o, "0.", 2);
        o += 2;
        memset(out + o, '0', (size_t)(-exp10 - 1));
        o += (size_t)(-exp10 - 1);
        memcpy(out + o, d, (size_t)n);
        o += (size_t)n;
    }
    return o;
}

int proc_sample_format_parse(const char *name, proc_sample_format *out)
{
    if (!strcmp(name, "python"))
        *out = PROC_SAMPLE_PYTHON;
    else if (!strcmp(name, "json"))
        *out = PROC_SAMPLE_JSON;
    else
        return -1;
    return 0;
}

/* ---- the writer: Python str(dict) or compact JSON, same values ---- */

typedef struct {
    char *p, *end;
    bool full; /* something did not fit: the alert is dropped */
    bool sep;  /* the next value or key needs a separator first */
    bool json;
} out;

static void put(out *o, const char *s, size_t n)
{
    if ((size_t)(o->end - o->p) < n) {
        o->full = true;
        return;
    }
    memcpy(o->p, s, n);
    o->p += n;
}

static void put_char(out *o, char c) { put(o, &c, 1); }

/* Starts a value: the separator from the previous one, if any. */
static void item(out *o)
{
    if (o->sep)
        put(o, ", ", o->json ? 1 : 2);
    o->sep = false;
}

static void key(out *o, const char *k)
{
    item(o);
    char q = o->json ? '"' : '\'';
    put_char(o, q);
    put(o, k, strlen(k));
    put_char(o, q);
    put(o, ": ", o->json ? 1 : 2);
}

static void open_(out *o, char c)
{
    item(o);
    put_char(o, c);
}

static void close_(out *o, char c)
{
    put_char(o, c);
    o->sep = true;
}

static void v_int(out *o, int64_t v)
{
    item(o);
    char buf[21];
    size_t n = 0;
    if (v < 0)
        buf[n++] = '-';
    n += format_uint(v < 0 ? 0 - (uint64_t)v : (uint64_t)v, buf + n);
    put(o, buf, n);
    o->sep = true;
}

static void v_decimal(out *o, decimal d)
{
    item(o);
    char buf[32];
    put(o, buf, proc_sample_decimal(d.mant, d.scale, buf));
    o->sep = true;
}

/* Strings here are plain ASCII: no escapes in either format. */
static void v_str(out *o, const char *s, size_t n)
{
    item(o);
    char q = o->json ? '"' : '\'';
    put_char(o, q);
    put(o, s, n);
    put_char(o, q);
    o->sep = true;
}

/* Python's bytes repr: single quotes unless the data holds ' and no ". */
static void v_bytes_python(out *o, const unsigned char *b, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    bool squote = memchr(b, '\'', n) != NULL, dquote = memchr(b, '"', n) != NULL;
    char q = squote && !dquote ? '"' : '\'';
    item(o);
    put_char(o, 'b');
    put_char(o, q);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = b[i];
        char esc[4] = {'\\', (char)c, 0, 0};
        size_t len = 2;
        if (c == '\t')
            esc[1] = 't';
        else if (c == '\n')
            esc[1] = 'n';
        else if (c == '\r')
            esc[1] = 'r';
        else if (c < 0x20 || c >= 0x7f) {
            esc[1] = 'x';
            esc[2] = hex[c >> 4];
            esc[3] = hex[c & 15];
            len = 4;
        } else if (c != q && c != '\\') {
            esc[0] = (char)c;
            len = 1;
        }
        put(o, esc, len);
    }
    put_char(o, q);
    o->sep = true;
}

/* JSON has no bytes: standard padded base64, as the alert writer encodes them. */
static void v_bytes_base64(out *o, const unsigned char *b, size_t n)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    item(o);
    put_char(o, '"');
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)b[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)b[i + 1] << 8;
        if (i + 2 < n)
            v |= b[i + 2];
        char quad[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                        i + 2 < n ? b64[v & 63] : '='};
        put(o, quad, 4);
    }
    put_char(o, '"');
    o->sep = true;
}

static void k_int(out *o, const char *k, int64_t v)
{
    key(o, k);
    v_int(o, v);
}

static void k_decimal(out *o, const char *k, decimal d)
{
    key(o, k);
    v_decimal(o, d);
}

/* Writes {k0: v0, k1: v1, ...} of decimals under key k. */
static void k_decimals(out *o, const char *k, const char *const *keys, const decimal *v, size_t n)
{
    key(o, k);
    open_(o, '{');
    for (size_t i = 0; i < n; i++)
        k_decimal(o, keys[i], v[i]);
    close_(o, '}');
}

/* ---- the alert's contents ---- */

typedef struct {
    int64_t ra, decl; /* degrees × DEG9 */
} position;

typedef struct {
    uint64_t id;
    position pos;
    decimal ra_decl_cov[3], pm_ra, pm_decl, parallax, pm_parallax_cov[6], lnl, chi2;
    int64_t radec_tai, ndata, flags;
} object;

typedef struct {
    uint64_t id;
    int64_t ccd_visit, tai, flags;
    char filter;
    position pos;
    decimal ra_decl_cov[3], x, y, x_y_cov[3], snr, ps_flux;
} source;

static const char *const ra_decl_cov_keys[] = {"raSigma", "declSigma", "ra_decl_Cov"};
static const char *const x_y_cov_keys[] = {"xSigma", "ySigma", "x_y_Cov"};
static const char *const pm_parallax_cov_keys[] = {"pmRaSigma",       "pmDeclSigma",       "parallaxSigma",
                                                   "pmRa_pmDecl_Cov", "pmRa_parallax_Cov", "pmDecl_parallax_Cov"};

/* Mostly 0, sometimes one bit set, as pipeline flags are. */
static int64_t rng_flags(rng *r) { return rng_range(r, 0, 9) ? 0 : (int64_t)1 << rng_range(r, 0, 15); }

static void rng_sigmas(rng *r, decimal *v, size_t n, int64_t hi, int scale)
{
    for (size_t i = 0; i < n; i++)
        v[i] = rng_fixed(r, 1, hi, scale);
}

/* An object's values depend on (seed, object number) only, so that every alert
 * of an object agrees on them; positions are uniform on the sphere. */
static void make_object(uint64_t seed, uint64_t number, object *ob)
{
    rng r;
    rng_seed(&r, seed, STREAM_OBJECT, number);
    ob->id = OBJECT_ID0 + number;
    ob->pos.ra = rng_range(&r, 0, 360 * DEG9 - 1);
    ob->pos.decl = llround(asin(2 * rng_unit(&r) - 1) * (180 / M_PI) * DEG9);
    rng_sigmas(&r, ob->ra_decl_cov, 3, 99, 5);
    ob->radec_tai = TAI0 - rng_range(&r, 0, 86400 * 365);
    ob->pm_ra = rng_fixed(&r, -99999, 99999, 8);
    ob->pm_decl = rng_fixed(&r, -99999, 99999, 8);
    ob->parallax = rng_fixed(&r, 0, 9999999, 6);
    rng_sigmas(&r, ob->pm_parallax_cov, 6, 999, 7);
    ob->lnl = rng_log_decimal(&r, -5, 3, 5);
    ob->chi2 = rng_log_decimal(&r, -1, 4, 6);
    ob->ndata = rng_range(&r, 1, 2000);
    ob->flags = rng_flags(&r);
}

static int64_t wrap_ra(int64_t ra) { return ((ra % (360 * DEG9)) + 360 * DEG9) % (360 * DEG9); }

static int64_t clamp_decl(int64_t d) { return d > 90 * DEG9 ? 90 * DEG9 : d < -90 * DEG9 ? -90 * DEG9 : d; }

/* A detection of ob: its position within JITTER9, a band, a signal-to-noise
 * log-uniform in 1..100 and a flux of either sign over five decades. */
static void make_source(rng *r, const object *ob, uint64_t id, int64_t tai, source *s)
{
    s->id = id;
    s->tai = tai;
    s->ccd_visit = rng_range(r, 100000, 999999);
    s->filter = "ugrizy"[rng_range(r, 0, 5)];
    s->pos.ra = wrap_ra(ob->pos.ra + rng_range(r, -JITTER9, JITTER9));
    s->pos.decl = clamp_decl(ob->pos.decl + rng_range(r, -JITTER9, JITTER9));
    rng_sigmas(r, s->ra_decl_cov, 3, 99, 5);
    s->x = rng_fixed(r, 0, 40959, 1);
    s->y = rng_fixed(r, 0, 40959, 1);
    rng_sigmas(r, s->x_y_cov, 3, 30, 1);
    s->snr = (decimal){llround(100 * pow(10.0, 2 * rng_unit(r))), 2};
    s->ps_flux = rng_log_decimal(r, -7, -2, 4);
    if (rng_range(r, 0, 9) == 0)
        s->ps_flux.mant = -s->ps_flux.mant;
    s->flags = rng_flags(r);
}

static void write_source(out *o, const source *s)
{
    open_(o, '{');
    k_int(o, "diaSourceId", (int64_t)s->id);
    k_int(o, "ccdVisitId", s->ccd_visit);
    k_int(o, "midPointTai", s->tai);
    key(o, "filterName");
    v_str(o, &s->filter, 1);
    k_decimal(o, "ra", (decimal){s->pos.ra, 9});
    k_decimal(o, "decl", (decimal){s->pos.decl, 9});
    k_decimals(o, "ra_decl_Cov", ra_decl_cov_keys, s->ra_decl_cov, 3);
    k_decimal(o, "x", s->x);
    k_decimal(o, "y", s->y);
    k_decimals(o, "x_y_Cov", x_y_cov_keys, s->x_y_cov, 3);
    k_decimal(o, "snr", s->snr);
    k_decimal(o, "psFlux", s->ps_flux);
    k_int(o, "flags", s->flags);
    close_(o, '}');
}

static void write_object(out *o, const object *ob)
{
    open_(o, '{');
    k_int(o, "diaObjectId", (int64_t)ob->id);
    k_decimal(o, "ra", (decimal){ob->pos.ra, 9});
    k_decimal(o, "decl", (decimal){ob->pos.decl, 9});
    k_decimals(o, "ra_decl_Cov", ra_decl_cov_keys, ob->ra_decl_cov, 3);
    k_int(o, "radecTai", ob->radec_tai);
    k_decimal(o, "pmRa", ob->pm_ra);
    k_decimal(o, "pmDecl", ob->pm_decl);
    k_decimal(o, "parallax", ob->parallax);
    k_decimals(o, "pm_parallax_Cov", pm_parallax_cov_keys, ob->pm_parallax_cov, 6);
    k_decimal(o, "pmParallaxLnL", ob->lnl);
    k_decimal(o, "pmParallaxChi2", ob->chi2);
    k_int(o, "pmParallaxNdata", ob->ndata);
    k_int(o, "flags", ob->flags);
    close_(o, '}');
}

/* A solar-system object; orbFitChi2 spans 1..1e20 so that exponent forms like
 * 1.5e+16 occur. */
static void write_ss_object(out *o, rng *r)
{
    static const char *const tail[] = {"MOID1", "MOID2", "moidLon1", "moidLon2", "uH",
                                       "uHErr", "uG1",   "uG1Err",   "uG2",      "uG2Err"};
    open_(o, '{');
    k_int(o, "ssObjectId", rng_range(r, 1000000, 9999999));
    key(o, "oe");
    open_(o, '{');
    k_decimal(o, "q", rng_fixed(r, 5000, 500000, 4));
    k_decimal(o, "e", rng_fixed(r, 0, 999, 3));
    k_decimal(o, "i", rng_fixed(r, 0, 1800000, 4));
    k_decimal(o, "lan", rng_fixed(r, 0, 35999, 2));
    k_decimal(o, "aop", rng_fixed(r, 0, 3599, 1));
    k_decimal(o, "M", rng_fixed(r, 0, 3599999, 4));
    k_int(o, "epoch", rng_range(r, 50000, 60000));
    close_(o, '}');
    k_decimal(o, "arc", rng_fixed(r, 1, 99999999, 6));
    k_decimal(o, "orbFitLnL", rng_fixed(r, -99999999, 0, 4));
    k_decimal(o, "orbFitChi2", rng_log_decimal(r, 0, 20, 6));
    k_int(o, "orbFitNdata", rng_range(r, 1, 2000));
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
        k_decimal(o, tail[i], rng_fixed(r, 0, 9999999, 3));
    k_int(o, "flags", rng_flags(r));
    close_(o, '}');
}

/* A FITS-like cutout: header cards, then 16×16 big-endian 16-bit pixels. */
static void make_stamp(rng *r, unsigned char *b)
{
    static const char *const cards[STAMP_CARDS] = {
        "SIMPLE  =                    T", "BITPIX  =                   16", "NAXIS   =                    2",
        "NAXIS1  =                   16", "NAXIS2  =                   16", "END"};
    memset(b, ' ', STAMP_CARDS * 80);
    for (int i = 0; i < STAMP_CARDS; i++)
        memcpy(b + i * 80, cards[i], strlen(cards[i]));
    for (int i = 0; i < STAMP_SIDE * STAMP_SIDE; i++) {
        uint16_t v = (uint16_t)rng_range(r, 0, 2047);
        b[STAMP_CARDS * 80 + 2 * i] = (unsigned char)(v >> 8);
        b[STAMP_CARDS * 80 + 2 * i + 1] = (unsigned char)v;
    }
}

static void write_cutout(out *o, rng *r, const char *k, uint64_t alert_id, const char *kind)
{
    char name[64] = "stamp-";
    size_t n = 6 + format_uint(alert_id, name + 6);
    memcpy(name + n, kind, strlen(kind));
    n += strlen(kind);
    unsigned char stamp[STAMP_BYTES];
    make_stamp(r, stamp);
    key(o, k);
    open_(o, '{');
    key(o, "fileName");
    v_str(o, name, n);
    key(o, "stampData");
    if (o->json)
        v_bytes_base64(o, stamp, sizeof stamp);
    else
        v_bytes_python(o, stamp, sizeof stamp);
    close_(o, '}');
}

void proc_sample_init(proc_sample *g, uint64_t seed)
{
    g->seed = seed;
    g->index = 0;
    g->alert_id = 0;
}

size_t proc_sample_alert(proc_sample *g, proc_sample_format fmt, bool stamps, char *buf, size_t cap)
{
    uint64_t i = g->index, alert_id = ALERT_ID0 + i;
    rng r;
    rng_seed(&r, g->seed, STREAM_ALERT, i);
    object ob;
    make_object(g->seed, (uint64_t)rng_range(&r, 0, N_OBJECTS - 1), &ob);
    int n_prv = (int)rng_range(&r, 0, MAX_PRV);
    int64_t tai = TAI0 + (int64_t)i * TAI_STEP + rng_range(&r, 0, TAI_STEP / 2);
    uint64_t source_id = SOURCE_ID0 + i * SOURCE_ID_STEP;

    out o = {.p = buf, .end = buf + cap, .json = fmt == PROC_SAMPLE_JSON};
    open_(&o, '{');
    k_int(&o, "alertId", (int64_t)alert_id);
    k_int(&o, "l1dbId", rng_range(&r, 100000000, 999999999));
    source s;
    make_source(&r, &ob, source_id, tai, &s);
    key(&o, "diaSource");
    write_source(&o, &s);

    /* The history: older detections of the same object, oldest first. */
    key(&o, "prv_diaSources");
    open_(&o, '[');
    const char *entry[MAX_PRV + 1];
    for (int j = n_prv; j > 0; j--) {
        item(&o);
        entry[n_prv - j] = o.p;
        make_source(&r, &ob, source_id - (uint64_t)j, tai - j * 86400 * 3 + rng_range(&r, -3600, 3600), &s);
        write_source(&o, &s);
    }
    entry[n_prv] = o.p;
    close_(&o, ']');

    key(&o, "diaObject");
    const char *object_text = o.p;
    write_object(&o, &ob);
    const char *object_end = o.p;
    key(&o, "ssObject");
    write_ss_object(&o, &r);
    /* As in the sample alert, the L2 copies repeat the object and the last two
     * detections of the history. */
    key(&o, "diaObjectL2");
    if (!o.full)
        put(&o, object_text, (size_t)(object_end - object_text));
    o.sep = true;
    key(&o, "diaSourcesL2");
    open_(&o, '[');
    int first = n_prv > L2_SOURCES ? n_prv - L2_SOURCES : 0;
    if (!o.full)
        put(&o, entry[first], (size_t)(entry[n_prv] - entry[first]));
    close_(&o, ']');

    if (stamps) {
        rng rs;
        rng_seed(&rs, g->seed, STREAM_STAMP, i);
        write_cutout(&o, &rs, "cutoutDifference", alert_id, "-diff.fits");
        write_cutout(&o, &rs, "cutoutTemplate", alert_id, "-template.fits");
    }
    close_(&o, '}');
    if (o.full)
        return 0;
    g->index = i + 1;
    g->alert_id = alert_id;
    return (size_t)(o.p - buf);
}
