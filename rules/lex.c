/* rules/lex.c — the rule lexer (rule_lex_*): `where` text to tokens, with
 * numbers converted and string escapes resolved. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

static const char *const tok_names[] = {
#define RULE_TOK_NAME(name, text) text,
    RULE_TOKENS(RULE_TOK_NAME)
#undef RULE_TOK_NAME
};

const char *rule_tok_name(rule_tok_kind k) { return tok_names[k]; }

void rule_lex_init(rule_lexer *lx, const char *src, size_t len, rule_arena *arena, rule_diags *diags)
{
    *lx = (rule_lexer){.src = src, .len = len, .arena = arena, .diags = diags};
}

static bool is_ident_start(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_ident_char(int c) { return is_ident_start(c) || is_digit(c); }

static int hex_value(int c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Reads the hex digits of \x, \u or \U at src[*pos]; -1 when they are missing. */
static long read_hex(const rule_lexer *lx, size_t *pos, int digits)
{
    long v = 0;
    for (int k = 0; k < digits; k++) {
        int h = *pos + k < lx->len ? hex_value((unsigned char)lx->src[*pos + k]) : -1;
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    *pos += (size_t)digits;
    return v;
}

/* One escape after the backslash at src[start]; appends its bytes to out. */
static size_t lex_escape(rule_lexer *lx, size_t start, char *out)
{
    size_t pos = start + 1;
    char c = pos < lx->len ? lx->src[pos] : '\0';
    if (pos < lx->len)
        pos++; /* a backslash at the very end escapes nothing */
    static const char simple_in[] = "\\'\"nrt0";
    static const char simple_out[] = "\\'\"\n\r\t\0";
    const char *hit = c ? strchr(simple_in, c) : NULL;
    if (hit) {
        lx->pos = pos;
        out[0] = simple_out[hit - simple_in];
        return 1;
    }
    int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
    long cp = digits ? read_hex(lx, &pos, digits) : -1;
    lx->pos = pos;
    if (cp < 0 || cp > 0x10FFFF) {
        size_t shown = pos - start < 2 ? 2 : pos - start;
        if (start + shown > lx->len)
            shown = lx->len - start;
        rule_diag(lx->diags, start, shown, "invalid escape '%.*s' in string", (int)shown, lx->src + start);
        return 0;
    }
    return utf8_encode((uint32_t)cp, out);
}

static void lex_string(rule_lexer *lx, rule_token *tok)
{
    char quote = lx->src[lx->pos];
    size_t start = lx->pos++;
    /* Decoded text is never longer than the source text up to the closing
     * quote (not the rest of the rule: 1,000,000 strings in one `in` list). */
    size_t close = lx->pos;
    while (close < lx->len && lx->src[close] != quote)
        close += lx->src[close] == '\\' && close + 1 < lx->len ? 2 : 1;
    char *buf = rule_arena_alloc(lx->arena, close - start + 1);
    size_t n = 0;
    tok->kind = RULE_TOK_STR;
    while (lx->pos < lx->len && lx->src[lx->pos] != quote) {
        if (lx->src[lx->pos] == '\\') {
            char tmp[4];
            size_t k = lex_escape(lx, lx->pos, tmp);
            if (buf)
                memcpy(buf + n, tmp, k);
            n += k;
        } else {
            if (buf)
                buf[n] = lx->src[lx->pos];
            n++;
            lx->pos++;
        }
    }
    if (lx->pos >= lx->len)
        rule_diag(lx->diags, start, 1, "unterminated string");
    else
        lx->pos++;
    tok->s = buf ? buf : "";
    tok->slen = buf ? n : 0;
}

static void lex_number(rule_lexer *lx, rule_token *tok)
{
    size_t start = lx->pos, p = lx->pos;
    bool is_float = false;
    while (p < lx->len && is_digit(lx->src[p]))
        p++;
    if (p < lx->len && lx->src[p] == '.' && !(p + 1 < lx->len && is_ident_start(lx->src[p + 1]))) {
        is_float = true;
        p++;
        while (p < lx->len && is_digit(lx->src[p]))
            p++;
    }
    bool bad = false;
    if (p < lx->len && (lx->src[p] == 'e' || lx->src[p] == 'E')) {
        is_float = true;
        p++;
        if (p < lx->len && (lx->src[p] == '+' || lx->src[p] == '-'))
            p++;
        bad = !(p < lx->len && is_digit(lx->src[p]));
        while (p < lx->len && is_digit(lx->src[p]))
            p++;
    }
    /* "12abc" is one mistake, not a number followed by a name. */
    while (p < lx->len && is_ident_char(lx->src[p])) {
        bad = true;
        p++;
    }
    lx->pos = p;
    tok->kind = is_float ? RULE_TOK_FLOAT : RULE_TOK_INT;
    tok->i = 0;
    tok->d = 0;
    if (bad) {
        rule_diag(lx->diags, start, p - start, "invalid number '%.*s'", (int)(p - start), lx->src + start);
        return;
    }
    char text[64];
    size_t n = p - start;
    if (n >= sizeof text) {
        /* Too long to be an int64; strtod reads the digits from the source. */
        tok->kind = RULE_TOK_FLOAT;
        tok->d = strtod(lx->src + start, NULL);
        return;
    }
    memcpy(text, lx->src + start, n);
    text[n] = '\0';
    if (!is_float) {
        errno = 0;
        long long v = strtoll(text, NULL, 10);
        if (errno != ERANGE) {
            tok->i = v;
            return;
        }
        tok->kind = RULE_TOK_FLOAT;
    }
    tok->d = strtod(text, NULL);
}

static const struct {
    const char *text;
    rule_tok_kind kind;
} keywords[] = {
    {"and", RULE_TOK_AND},     {"or", RULE_TOK_OR},         {"not", RULE_TOK_NOT},   {"in", RULE_TOK_IN},
    {"true", RULE_TOK_TRUE},   {"false", RULE_TOK_FALSE},   {"null", RULE_TOK_NULL}, {"True", RULE_TOK_TRUE},
    {"False", RULE_TOK_FALSE}, {"None", RULE_TOK_NULL},
};

static void lex_word(rule_lexer *lx, rule_token *tok)
{
    size_t start = lx->pos;
    while (lx->pos < lx->len && is_ident_char(lx->src[lx->pos]))
        lx->pos++;
    size_t n = lx->pos - start;
    tok->kind = RULE_TOK_IDENT;
    for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
        if (strlen(keywords[k].text) == n && memcmp(keywords[k].text, lx->src + start, n) == 0)
            tok->kind = keywords[k].kind;
}

/* Operators and punctuation, longest first. */
static const struct {
    const char *text;
    rule_tok_kind kind;
} puncts[] = {
    {"==", RULE_TOK_EQ}, {"!=", RULE_TOK_NE},    {"<=", RULE_TOK_LE},     {">=", RULE_TOK_GE},     {"&&", RULE_TOK_AND},
    {"||", RULE_TOK_OR}, {"<", RULE_TOK_LT},     {">", RULE_TOK_GT},      {"!", RULE_TOK_NOT},     {"+", RULE_TOK_PLUS},
    {"-", RULE_TOK_MINUS}, {"*", RULE_TOK_STAR}, {"/", RULE_TOK_SLASH},   {"%", RULE_TOK_PERCENT}, {"(", RULE_TOK_LPAREN},
    {")", RULE_TOK_RPAREN}, {"[", RULE_TOK_LBRACK}, {"]", RULE_TOK_RBRACK}, {",", RULE_TOK_COMMA}, {".", RULE_TOK_DOT},
    {"@", RULE_TOK_AT},
};

static bool lex_punct(rule_lexer *lx, rule_token *tok)
{
    for (size_t k = 0; k < sizeof puncts / sizeof puncts[0]; k++) {
        size_t n = strlen(puncts[k].text);
        if (lx->len - lx->pos >= n && memcmp(puncts[k].text, lx->src + lx->pos, n) == 0) {
            tok->kind = puncts[k].kind;
            lx->pos += n;
            return true;
        }
    }
    return false;
}

static size_t utf8_char_len(const rule_lexer *lx)
{
    unsigned char c = (unsigned char)lx->src[lx->pos];
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return lx->pos + n <= lx->len ? n : lx->len - lx->pos;
}

void rule_lex_next(rule_lexer *lx, rule_token *tok)
{
    for (;;) {
        while (lx->pos < lx->len && strchr(" \t\r\n", lx->src[lx->pos]) && lx->src[lx->pos])
            lx->pos++;
        tok->offset = lx->pos;
        if (lx->pos >= lx->len) {
            tok->kind = RULE_TOK_EOF;
            tok->len = 0;
            return;
        }
        char c = lx->src[lx->pos];
        if (c == '\'' || c == '"')
            lex_string(lx, tok);
        else if (is_digit(c))
            lex_number(lx, tok);
        else if (is_ident_start(c))
            lex_word(lx, tok);
        else if (c == '$' && lx->pos + 1 < lx->len && is_ident_start(lx->src[lx->pos + 1])) {
            /* $name: a definition; the '$' keeps it apart from any field's name. */
            lx->pos++;
            lex_word(lx, tok);
            tok->kind = RULE_TOK_DEF;
        }
        else if (!lex_punct(lx, tok)) {
            size_t n = utf8_char_len(lx);
            /* '=', '&' and '|' are read as the operator meant, so one typo gives one error. */
            if (c == '=' || c == '&' || c == '|') {
                rule_diag(lx->diags, lx->pos, 1, "'%c' is not an operator; use '%s'", c,
                          c == '=' ? "==" : c == '&' ? "and" : "or");
                tok->kind = c == '=' ? RULE_TOK_EQ : c == '&' ? RULE_TOK_AND : RULE_TOK_OR;
                lx->pos++;
                tok->len = 1;
                return;
            }
            if ((unsigned char)c < 0x20 || c == 0x7f)
                rule_diag(lx->diags, lx->pos, 1, "unexpected control character 0x%02x", (unsigned)(unsigned char)c);
            else
                rule_diag(lx->diags, lx->pos, n, "unexpected character '%.*s'", (int)n, lx->src + lx->pos);
            lx->pos += n;
            continue;
        }
        tok->len = lx->pos - tok->offset;
        return;
    }
}
