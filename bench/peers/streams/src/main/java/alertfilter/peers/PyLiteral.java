// bench/peers/streams/.../PyLiteral.java — a reader of Python literals (str(dict) text) into the
// objects Jackson makes of JSON: Map, List (lists and tuples), String, Long/BigInteger, Double,
// Boolean, null. What ast.literal_eval accepts of those; anything else is an error.
package alertfilter.peers;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class PyLiteral {
    static final class Malformed extends Exception {
        Malformed(String what, int pos) { super(what + " at " + pos); }
    }

    private final String s;
    private int i;

    private PyLiteral(String s) { this.s = s; }

    static Object parse(String text) throws Malformed {
        PyLiteral p = new PyLiteral(text);
        Object v = p.value(0);
        p.ws();
        if (p.i != p.s.length()) throw new Malformed("trailing text", p.i);
        return v;
    }

    private void ws() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++;
            else break;
        }
    }

    private Malformed err(String what) { return new Malformed(what, i); }

    private Object value(int depth) throws Malformed {
        if (depth > 200) throw err("nested too deeply");
        ws();
        if (i >= s.length()) throw err("unexpected end");
        char c = s.charAt(i);
        switch (c) {
            case '{': return dict(depth);
            case '[': return seq(']', depth);
            case '(': return seq(')', depth);
            case '\'': case '"': return string();
            default:
                if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')) return number();
                if (s.startsWith("True", i)) { i += 4; return Boolean.TRUE; }
                if (s.startsWith("False", i)) { i += 5; return Boolean.FALSE; }
                if (s.startsWith("None", i)) { i += 4; return null; }
                throw err("unexpected '" + c + "'");
        }
    }

    private Map<String, Object> dict(int depth) throws Malformed {
        i++;
        Map<String, Object> m = new LinkedHashMap<>();
        for (;;) {
            ws();
            if (i < s.length() && s.charAt(i) == '}') { i++; return m; }
            Object k = value(depth + 1);
            if (!(k instanceof String)) throw err("a key that is not a string");
            ws();
            if (i >= s.length() || s.charAt(i) != ':') throw err("':' expected");
            i++;
            m.put((String) k, value(depth + 1));
            ws();
            if (i < s.length() && s.charAt(i) == ',') { i++; continue; }
            if (i < s.length() && s.charAt(i) == '}') { i++; return m; }
            throw err("',' or '}' expected");
        }
    }

    private List<Object> seq(char close, int depth) throws Malformed {
        i++;
        List<Object> l = new ArrayList<>();
        for (;;) {
            ws();
            if (i < s.length() && s.charAt(i) == close) { i++; return l; }
            l.add(value(depth + 1));
            ws();
            if (i < s.length() && s.charAt(i) == ',') { i++; continue; }
            if (i < s.length() && s.charAt(i) == close) {
                // (x) is x itself in Python, not a tuple: only a comma makes one.
                i++;
                if (close == ')' && l.size() == 1) throw err("a parenthesised value that is not a tuple");
                return l;
            }
            throw err("',' or '" + close + "' expected");
        }
    }

    private String string() throws Malformed {
        char q = s.charAt(i++);
        StringBuilder b = null;
        int start = i;
        for (;;) {
            if (i >= s.length()) throw err("unterminated string");
            char c = s.charAt(i);
            if (c == q) {
                String r = b == null ? s.substring(start, i) : b.append(s, start, i).toString();
                i++;
                return r;
            }
            if (c == '\n') throw err("newline in a string");
            if (c != '\\') { i++; continue; }
            if (b == null) b = new StringBuilder();
            b.append(s, start, i);
            i++;
            if (i >= s.length()) throw err("unterminated string");
            char e = s.charAt(i++);
            switch (e) {
                case '\n': break;
                case '\\': b.append('\\'); break;
                case '\'': b.append('\''); break;
                case '"': b.append('"'); break;
                case 'a': b.append('\u0007'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'n': b.append('\n'); break;
                case 'r': b.append('\r'); break;
                case 't': b.append('\t'); break;
                case 'v': b.append('\u000b'); break;
                case 'x': b.appendCodePoint(hex(2)); break;
                case 'u': b.appendCodePoint(hex(4)); break;
                case 'U': {
                    int cp = hex(8);
                    if (cp > 0x10FFFF) throw err("\\U beyond Unicode");
                    b.appendCodePoint(cp);
                    break;
                }
                default:
                    if (e >= '0' && e <= '7') {
                        int v = e - '0', n = 1;
                        while (n < 3 && i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7') {
                            v = v * 8 + (s.charAt(i++) - '0');
                            n++;
                        }
                        b.appendCodePoint(v);
                    } else {
                        b.append('\\').append(e); // Python keeps an unknown escape as it is
                    }
            }
            start = i;
        }
    }

    private int hex(int n) throws Malformed {
        if (i + n > s.length()) throw err("short escape");
        int v = 0;
        for (int k = 0; k < n; k++) {
            int d = Character.digit(s.charAt(i++), 16);
            if (d < 0) throw err("bad hex digit");
            v = v * 16 + d;
        }
        return v;
    }

    private Object number() throws Malformed {
        int start = i;
        boolean neg = false;
        while (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
            if (s.charAt(i) == '-') neg = !neg;
            i++;
            ws();
        }
        int digits = i;
        boolean isFloat = false;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9' || c == '_') i++;
            else if (c == '.' || c == 'e' || c == 'E') {
                isFloat = true;
                i++;
                if ((c == 'e' || c == 'E') && i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) i++;
            } else break;
        }
        String t = s.substring(digits, i).replace("_", "");
        if (t.isEmpty()) throw new Malformed("a number expected", start);
        try {
            if (isFloat) {
                if (!t.matches("(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) throw new Malformed("bad float", start);
                double d = Double.parseDouble(t);
                return neg ? -d : d;
            }
            if (t.length() > 1 && t.charAt(0) == '0' && !t.matches("0+")) throw new Malformed("leading zero", start);
            if (t.length() <= 18) {
                long v = Long.parseLong(t);
                return neg ? -v : v;
            }
            BigInteger v = new BigInteger(t);
            if (neg) v = v.negate();
            return v.bitLength() < 64 ? (Object) v.longValue() : v;
        } catch (NumberFormatException ex) {
            throw new Malformed("bad number", start);
        }
    }
}
