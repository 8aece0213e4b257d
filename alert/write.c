/* alert/write.c — the JSON writer: any node of the tape as compact JSON, numbers
 * copied digit for digit, strings re-escaped only when they must be, JSON input
 * that is compact already copied as it is, and Python input in repr()'s shape
 * transcoded from its source. */
#include <stdlib.h>
#include <string.h>

#include "alert/internal.h"

void alert_buf_free(alert_buf *b)
{
    free(b->data);
    *b = (alert_buf){0};
}

/* Makes room for n more bytes after the cursor *w (which moves with the data). */
static int reserve(alert_buf *b, char **w, size_t n)
{
    b->len = b->data ? (size_t)(*w - b->data) : 0;
    if (b->cap - b->len >= n)
        return 0;
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap - b->len < n)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data)
        return -1;
    b->data = data;
    b->cap = cap;
    *w = data + b->len;
    return 0;
}

/* Writers below return the advanced cursor; the room was reserved before. */
static inline char *put(char *w, const void *p, size_t n)
{
    memcpy(w, p, n);
    return w + n;
}

/* One decoded character (code point cp, UTF-8 in utf8[0..n)) as JSON string content. */
static char *put_json_char(char *w, uint32_t cp, const char *utf8, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    static const char short_escape[32] = {['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
    if (cp == '"' || cp == '\\') {
        *w++ = '\\';
        *w++ = (char)cp;
        return w;
    }
    if (cp < 0x20 && short_escape[cp]) {
        *w++ = '\\';
        *w++ = short_escape[cp];
        return w;
    }
    if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF)) {
        /* Control characters must be escaped; a lone surrogate can only be. */
        char u[6] = {'\\', 'u', hex[cp >> 12], hex[cp >> 8 & 15], hex[cp >> 4 & 15], hex[cp & 15]};
        return put(w, u, 6);
    }
    return put(w, utf8, n);
}

/* A str whose raw span cannot be copied: every character re-escaped for JSON. */
static __attribute__((noinline)) char *put_string_escaped(char *w, const alert_doc *d, const alert_node *n)
{
    const unsigned char *p = (const unsigned char *)d->src + n->start, *end = p + n->len;
    alert_escape_mode mode = alert_node_escape_mode(d, n);
    while (p < end) {
        uint32_t cp = *p;
        const char *why;
        if (cp == '\\' && mode != ALERT_ESC_RAW) {
            p += alert_escape_decode(p, end, mode, &cp, &why);
            if (cp == ALERT_CP_NONE)
                continue;
            char utf8[4];
            w = put_json_char(w, cp, utf8, alert_utf8_put(utf8, cp));
        } else {
            /* Raw UTF-8 passes byte by byte: its bytes are all >= 0x80. */
            w = put_json_char(w, cp, (const char *)p, 1);
            p++;
        }
    }
    return w;
}

/* Two base64 digits for each 12 bits, in the order they are written. */
static uint16_t base64_pairs[4096];

static __attribute__((constructor)) void base64_pairs_init(void)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (unsigned i = 0; i < 4096; i++) {
        char two[2] = {digits[i >> 6], digits[i & 63]};
        memcpy(&base64_pairs[i], two, 2);
    }
}

#if defined(__GNUC__) && defined(__x86_64__)
#define HAVE_BASE64_SIMD 1
#include <immintrin.h>

static bool base64_simd; /* the CPU has SSSE3: put_base64_ssse3 may run */

static __attribute__((constructor)) void base64_simd_init(void)
{
    __builtin_cpu_init();
    base64_simd = __builtin_cpu_supports("ssse3");
}

/* Base64 of *p.. while 16 bytes can be loaded, 12 bytes (16 digits) a step:
 * each 3 bytes spread over a 32-bit lane, the four 6-bit fields moved to a
 * byte each by two multiplies, then each field offset to its digit by a
 * 16-entry table indexed by the field's range. Advances *p; returns w moved. */
static __attribute__((target("ssse3"))) char *put_base64_ssse3(char *w, const unsigned char **p, const unsigned char *end)
{
    const __m128i spread = _mm_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
    const __m128i offsets = _mm_setr_epi8(71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0);
    const unsigned char *q = *p;
    for (; end - q >= 16; q += 12, w += 16) {
        __m128i in = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)q), spread);
        /* lane bytes b1 b0 b2 b1: fields a = b0 >> 2, b = (b0 & 3) << 4 | b1 >> 4, c = (b1 & 15) << 2 | b2 >> 6, d = b2 & 63 */
        __m128i ac = _mm_mulhi_epu16(_mm_and_si128(in, _mm_set1_epi32(0x0FC0FC00)), _mm_set1_epi32(0x04000040));
        __m128i bd = _mm_mullo_epi16(_mm_and_si128(in, _mm_set1_epi32(0x003F03F0)), _mm_set1_epi32(0x01000010));
        __m128i fields = _mm_or_si128(ac, bd);
        /* range: 0 for A-Z (0..25), 1 for a-z, 2..11 for digits, 12 '+', 13 '/' */
        __m128i range = _mm_subs_epu8(fields, _mm_set1_epi8(51));
        range = _mm_or_si128(range, _mm_and_si128(_mm_cmpgt_epi8(_mm_set1_epi8(26), fields), _mm_set1_epi8(13)));
        __m128i out = _mm_add_epi8(fields, _mm_shuffle_epi8(offsets, range));
        _mm_storeu_si128((__m128i *)(void *)w, out);
    }
    *p = q;
    return w;
}
#endif

/* Bytes: standard base64 with padding, of the decoded content. */
static __attribute__((noinline)) char *put_base64(char *w, const alert_doc *d, const alert_node *n)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *)d->src + n->start, *end = p + n->len;
    alert_escape_mode mode = alert_node_escape_mode(d, n);
    if (mode == ALERT_ESC_RAW) {
#ifdef HAVE_BASE64_SIMD
        if (base64_simd)
            w = put_base64_ssse3(w, &p, end);
#endif
        /* Avro's bytes are their content (cutouts: tens of kB): six bytes at a time
         * from one big-endian load, two digits per lookup; then groups of three. */
        for (; end - p >= 8; p += 6) {
            uint64_t x = (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 | (uint64_t)p[3] << 32 |
                         (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16;
            uint16_t d[4] = {base64_pairs[x >> 52], base64_pairs[x >> 40 & 0xFFF], base64_pairs[x >> 28 & 0xFFF],
                             base64_pairs[x >> 16 & 0xFFF]};
            w = put(w, d, 8);
        }
        for (; end - p >= 3; p += 3) {
            uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
            char out[4] = {digits[v >> 18], digits[v >> 12 & 63], digits[v >> 6 & 63], digits[v & 63]};
            w = put(w, out, 4);
        }
    }
    unsigned char group[3];
    size_t have = 0;
    while (p < end) {
        have += alert_decode_piece(&p, end, mode, (char *)group + have);
        if (have == 3 || (p == end && have > 0)) {
            uint32_t v = (uint32_t)group[0] << 16 | (have > 1 ? group[1] : 0) << 8 | (have > 2 ? group[2] : 0);
            char out[4] = {digits[v >> 18], digits[v >> 12 & 63], have > 1 ? digits[v >> 6 & 63] : '=',
                           have > 2 ? digits[v & 63] : '='};
            w = put(w, out, 4);
            have = 0;
        }
    }
    return w;
}

static char *put_bool(char *w, bool v) { return v ? put(w, "true", 4) : put(w, "false", 5); }

/* The message the nodes point into, held in the writer's locals: the writes
 * through char pointers would otherwise reload it from the doc each time. */
typedef struct {
    const char *src;
    size_t len;
} message;

/* Copies a node's raw span; a short one with two fixed 16-byte moves when both
 * sides have the room (slack: the whole output was reserved with 32 to spare). */
static inline char *put_span(char *w, message m, const alert_node *n, bool slack)
{
    size_t start = n->start, len = n->len;
    if (slack && len <= 32 && start + 32 <= m.len) {
        memcpy(w, m.src + start, 16);
        memcpy(w + 16, m.src + start + 16, 16);
        return w + len;
    }
    return put(w, m.src + start, len);
}

/* A dict key that is not a str: quoted, spelled as Python's json.dumps spells it. */
static __attribute__((noinline)) char *put_key_spelling(char *w, const alert_doc *d, const alert_node *n)
{
    *w++ = '"';
    if (n->type == ALERT_BOOL)
        w = put_bool(w, n->count);
    else if (n->type == ALERT_NULL)
        w = put(w, "null", 4);
    else
        w = put(w, d->src + n->start, n->len);
    *w++ = '"';
    return w;
}

/* The most a scalar node can take as JSON: escapes at most sextuple a byte. */
static size_t scalar_room(const alert_node *n)
{
    if (n->flags & ALERT_F_BINARY)
        return 24;
    if (n->type == ALERT_STR && !(n->flags & ALERT_F_VERBATIM))
        return 6 * (size_t)n->len + 2;
    if (n->type == ALERT_BYTES)
        return (size_t)n->len / 3 * 4 + 6;
    return (size_t)n->len + 7;
}

/* A number of Avro's, held as its bits (see alert/avro.h). */
static __attribute__((noinline)) char *put_binary(char *w, const alert_node *n)
{
    uint64_t bits = (uint64_t)n->len << 32 | n->start;
    if (n->type == ALERT_INT)
        return w + alert_put_int64(w, (int64_t)bits);
    double v;
    memcpy(&v, &bits, sizeof v);
    return w + alert_put_shortest(w, v, n->flags & ALERT_F_FLOAT32);
}

/* A value that is not a container, and not a dict key. */
static inline __attribute__((always_inline)) char *put_scalar(char *w, const alert_doc *d, message m,
                                                              const alert_node *n, bool slack)
{
    switch (n->type) {
    case ALERT_NULL:
        return put(w, "null", 4);
    case ALERT_BOOL:
        return put_bool(w, n->count);
    case ALERT_STR:
        *w++ = '"';
        w = n->flags & ALERT_F_VERBATIM ? put_span(w, m, n, slack) : put_string_escaped(w, d, n);
        *w++ = '"';
        return w;
    case ALERT_BYTES:
        *w++ = '"';
        w = put_base64(w, d, n);
        *w++ = '"';
        return w;
    default:
        return n->flags & ALERT_F_BINARY ? put_binary(w, n) : put_span(w, m, n, slack);
    }
}

/* A dict key and its ':'. */
static inline __attribute__((always_inline)) char *put_key(char *w, const alert_doc *d, message m, const alert_node *n,
                                                           bool slack)
{
    w = n->type == ALERT_STR ? put_scalar(w, d, m, n, slack) : put_key_spelling(w, d, n);
    *w++ = ':';
    return w;
}

/* The enclosing open containers while writing; the innermost one lives in
 * write_nodes' locals. remaining: elements (a dict's pairs) still to write. */
typedef struct {
    uint32_t remaining;
    bool dict;
} frame;

typedef struct {
    frame *frames, local[64];
    size_t n, cap;
} frame_stack;

static __attribute__((noinline)) int grow_frames(frame_stack *st)
{
    frame *bigger = malloc(2 * st->cap * sizeof *bigger);
    if (!bigger)
        return -1;
    memcpy(bigger, st->frames, st->n * sizeof *bigger);
    if (st->frames != st->local)
        free(st->frames);
    st->frames = bigger;
    st->cap *= 2;
    return 0;
}

static inline int push_frame(frame_stack *st, frame f)
{
    if (st->n == st->cap && grow_frames(st) != 0)
        return -1;
    st->frames[st->n++] = f;
    return 0;
}

/* Whether the whole subtree is small enough to reserve for at once: then
 * nothing below checks for room (6 bytes out per byte in at most, plus 32 of
 * slack for put_span). Bigger subtrees reserve node by node. */
static bool reserve_whole(const alert_doc *d, uint32_t node, alert_buf *out, char **w, int *rc)
{
    size_t span = (size_t)d->nodes[node].len + 3;
    *rc = 0;
    if (span > (1u << 20))
        return false;
    *rc = reserve(out, w, 6 * span + 64);
    return true;
}

/* Whether the dict pair whose key is k can be written by put_pair: a
 * verbatim str key and a number or verbatim str value, each shorter than 32
 * bytes, with 32 bytes of the message from the value's start (the key's, before
 * it, then too). */
static inline bool pair_is_plain(message m, const alert_node *k)
{
    const alert_node *v = k + 1;
    bool key = k->type == ALERT_STR && (k->flags & ALERT_F_VERBATIM);
    bool value = ((v->type == ALERT_INT || v->type == ALERT_FLOAT) && !(v->flags & ALERT_F_BINARY)) ||
                 (v->type == ALERT_STR && (v->flags & ALERT_F_VERBATIM));
    return key && value && (k->len | v->len) < 32 && (size_t)v->start + 32 <= m.len;
}

/* A pair that pair_is_plain took, as "key":value in one straight line: each
 * span moved as 32 bytes (the slack of a whole reservation takes what is past
 * its end), a str value's quotes stored whether or not it is one and kept only
 * for a str (q), so no branch depends on the value's type. The nodes are read
 * before the first store, which could alias them as far as the compiler knows. */
static inline __attribute__((always_inline)) char *put_pair(char *w, message m, const alert_node *k)
{
    const char *key = m.src + k->start, *value = m.src + k[1].start;
    size_t key_len = k->len, value_len = k[1].len, q = k[1].type == ALERT_STR;
    *w = '"';
    memcpy(w + 1, key, 16);
    memcpy(w + 17, key + 16, 16);
    w += 1 + key_len;
    memcpy(w, "\":\"\"", 4); /* one store: '":' and a str value's quote; the value overwrites byte 4 */
    w += 2;
    memcpy(w + q, value, 16);
    memcpy(w + q + 16, value + 16, 16);
    w += q + value_len;
    *w = '"';
    return w + q;
}

/* The tape in order, without recursion: a container with elements becomes the
 * innermost frame, each finished element counts down and closes what it ends.
 * A dict's key is written with the ',' or '{' before it, so each element is a
 * value; with whole, a plain pair (see pair_is_plain) is written at once as
 * one element. Inlined twice: with whole (no room checks) and without. */
static inline __attribute__((always_inline)) int write_nodes(const alert_doc *d, uint32_t i, alert_buf *out,
                                                             char **cursor, frame_stack *st, const bool whole)
{
    const alert_node *nodes = d->nodes;
    const message m = {d->src, d->len};
    uint32_t remaining = 0; /* elements (dict: pairs) of the innermost frame still to write, kept in locals */
    unsigned dict = 0;
    size_t depth = 0;
    char *w = *cursor;
    const alert_node *n = &nodes[i]; /* the node due: a pointer, not an index to scale at each use */
    do {
        if (n->type >= ALERT_LIST) {
            unsigned is_dict = n->type == ALERT_DICT;
            if (!whole && reserve(out, &w, 2) != 0)
                return -1;
            *w++ = "[{"[is_dict];
            if (n->count > 0) {
                if (depth > 0 && push_frame(st, (frame){.remaining = remaining, .dict = dict}) != 0)
                    return -1;
                remaining = n->count;
                dict = is_dict;
                depth++;
                n++;
                if (dict)
                    goto key;
                continue;
            }
            *w++ = "]}"[is_dict];
        } else {
            if (!whole && reserve(out, &w, scalar_room(n)) != 0)
                return -1;
            w = put_scalar(w, d, m, n, whole);
        }
        n = &nodes[n->next];
        /* The element is done: its separator (and a dict's next key), or the closers of what it ends. */
        while (depth > 0) {
            if (!whole && reserve(out, &w, 1) != 0)
                return -1;
            if (--remaining > 0) {
                *w++ = ',';
                if (dict)
                    goto key;
                break;
            }
        closes: /* the innermost frame is complete */
            *w++ = "]}"[dict];
            if (--depth > 0) {
                frame f = st->frames[--st->n];
                remaining = f.remaining;
                dict = f.dict;
            }
        }
        continue;
    key: /* a dict's key is due, at n; plain pairs loop here, without the general steps */
        if (whole) {
            while (pair_is_plain(m, n)) {
                w = put_pair(w, m, n);
                n += 2;
                if (--remaining == 0)
                    goto closes;
                *w++ = ',';
            }
        }
        if (!whole && reserve(out, &w, scalar_room(n) + 1) != 0)
            return -1;
        w = put_key(w, d, m, n, whole);
        n++;
    } while (depth > 0);
    *cursor = w;
    return 0;
}

#if defined(__GNUC__) && defined(__x86_64__)
#define HAVE_CANONICAL_WRITER 1
#include <immintrin.h>

/* put_canonical's instructions: chosen at run time (see canonical_simd), so
 * the build itself needs none beyond x86-64's SSE2. */
#define CANONICAL_TARGET __attribute__((target("avx2,pclmul")))

/* For each set of bytes to drop of 8 (a bit each): the pshufb indices of the
 * bytes kept, in order, then 0x80s (which write zeros); and how many are kept. */
static uint64_t keep_shuffle[256];
static uint8_t keep_count[256];
static bool canonical_simd; /* the CPU has AVX2 and PCLMUL: put_canonical may run */

static __attribute__((constructor)) void canonical_writer_init(void)
{
    __builtin_cpu_init();
    canonical_simd = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul");
    for (unsigned drop = 0; drop < 256; drop++) {
        uint64_t shuffle = ~(uint64_t)0; /* 0xFF bytes: high bit set, so zeros */
        unsigned kept = 0;
        for (unsigned b = 0; b < 8; b++) {
            if (!(drop >> b & 1)) {
                shuffle = (shuffle & ~((uint64_t)0xFF << (8 * kept))) | (uint64_t)b << (8 * kept);
                kept++;
            }
        }
        keep_shuffle[drop] = shuffle;
        keep_count[drop] = (uint8_t)kept;
    }
}

/* The 8 of 16 bytes x that are kept by `drop` (the low 8 by its low byte, the
 * high 8 by the next), written at w; returns w advanced past them. 8 bytes are
 * written for each half whatever is kept: the slack past the output takes them. */
static inline CANONICAL_TARGET __attribute__((always_inline)) char *put_kept16(char *w, __m128i x, unsigned drop)
{
    unsigned lo = drop & 0xFF, hi = drop >> 8 & 0xFF;
    __m128i shuffle = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)&keep_shuffle[lo]),
                                         _mm_add_epi8(_mm_loadl_epi64((const __m128i *)(const void *)&keep_shuffle[hi]),
                                                      _mm_set1_epi8(8)));
    __m128i kept = _mm_shuffle_epi8(x, shuffle);
    _mm_storel_epi64((__m128i *)(void *)w, kept);
    w += keep_count[lo];
    _mm_storel_epi64((__m128i *)(void *)w, _mm_srli_si128(kept, 8));
    return w + keep_count[hi];
}

/* A container of a canonical doc (see alert_doc), from its source span
 * [p, p + n): the spaces outside strings dropped, each ' made ". Every ' is a
 * str's quote there, so the parity of the quotes before a byte tells whether
 * it is inside one: a prefix xor of the quote bits (a carry-less product),
 * carried from one 64-byte block to the next; the bytes kept are packed 8 at a
 * time with pshufb. Writes at most n bytes, and up to 8 of slack past them. */
static CANONICAL_TARGET char *put_canonical(char *w, const char *p, size_t n)
{
    const __m256i quote = _mm256_set1_epi8('\''), space = _mm256_set1_epi8(' '), to_double = _mm256_set1_epi8('"' - '\'');
    uint64_t inside = 0; /* all ones when the next block starts inside a str */
    for (size_t i = 0; i < n; i += 64) {
        const char *block = p + i;
        char padded[64];
        uint64_t past_end = 0; /* the padding's bits, dropped */
        if (n - i < 64) {
            memset(padded, 0, sizeof padded);
            memcpy(padded, block, n - i);
            block = padded;
            past_end = ~(uint64_t)0 << (n - i);
        }
        __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)block),
                hi = _mm256_loadu_si256((const __m256i *)(const void *)(block + 32));
        __m256i q_lo = _mm256_cmpeq_epi8(lo, quote), q_hi = _mm256_cmpeq_epi8(hi, quote);
        uint64_t quotes = (uint32_t)_mm256_movemask_epi8(q_lo) | (uint64_t)(uint32_t)_mm256_movemask_epi8(q_hi) << 32;
        uint64_t spaces = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, space)) |
                          (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, space)) << 32;
        lo = _mm256_add_epi8(lo, _mm256_and_si256(q_lo, to_double));
        hi = _mm256_add_epi8(hi, _mm256_and_si256(q_hi, to_double));
        /* A bit for each byte from an opening quote up to its closing one. */
        uint64_t in_str = (uint64_t)_mm_cvtsi128_si64(
            _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)quotes), _mm_set1_epi8(-1), 0));
        in_str ^= inside;
        inside = (uint64_t)0 - (in_str >> 63);
        uint64_t drop = (spaces & ~in_str) | past_end;
        w = put_kept16(w, _mm256_castsi256_si128(lo), (unsigned)drop);
        w = put_kept16(w, _mm256_extracti128_si256(lo, 1), (unsigned)(drop >> 16));
        w = put_kept16(w, _mm256_castsi256_si128(hi), (unsigned)(drop >> 32));
        w = put_kept16(w, _mm256_extracti128_si256(hi, 1), (unsigned)(drop >> 48));
    }
    return w;
}
#endif

int alert_write_json(const alert_doc *d, uint32_t node, alert_buf *out)
{
    if (node >= d->n_nodes)
        return -1; /* ALERT_ABSENT, or a doc whose read failed */
    int rc;
    char *w = out->data ? out->data + out->len : NULL;
    const alert_node *n = &d->nodes[node];
    if (n->type >= ALERT_LIST && d->compact) {
        /* JSON with no spaces: the writer would change no token (numbers and
         * names as read, every str verbatim) and drop nothing. */
        if (reserve(out, &w, n->len) != 0)
            return -1;
        out->len += n->len;
        memcpy(w, d->src + n->start, n->len);
        return 0;
    }
#ifdef HAVE_CANONICAL_WRITER
    if (n->type >= ALERT_LIST && d->canonical && canonical_simd) {
        if (reserve(out, &w, (size_t)n->len + 8) != 0)
            return -1;
        w = put_canonical(w, d->src + n->start, n->len);
        out->len = (size_t)(w - out->data);
        return 0;
    }
#endif
    bool whole = reserve_whole(d, node, out, &w, &rc);
    if (rc != 0)
        return -1;
    frame_stack st; /* not cleared: local is only read where it was written */
    st.frames = st.local;
    st.n = 0;
    st.cap = 64;
    rc = whole ? write_nodes(d, node, out, &w, &st, true) : write_nodes(d, node, out, &w, &st, false);
    out->len = (size_t)(w - out->data);
    if (st.frames != st.local)
        free(st.frames);
    return rc;
}
