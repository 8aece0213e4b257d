// bench/peers/streams/.../Rules.java — bench/rules.py's ten rule shapes as Java predicates over the
// parsed alert (Map/List/Number/String), with the same parameter k: rules(n) is the same first n rules.
package alertfilter.peers;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

final class Rules {
    record Rule(String topic, Predicate<Map<String, Object>> where) {}

    private static final String BANDS = "ugrizy";

    static Object get(Object o, String key) { return o instanceof Map<?, ?> m ? m.get(key) : null; }

    static Object path(Map<String, Object> a, String... keys) {
        Object o = a;
        for (String k : keys) o = get(o, k);
        return o;
    }

    /** A number's value; NaN (false in every comparison) for anything else. */
    static double num(Object o) { return o instanceof Number n ? n.doubleValue() : Double.NaN; }

    static List<?> list(Object o) { return o instanceof List<?> l ? l : List.of(); }

    /** Angular separation in degrees (haversine), as bench/seed_method.py's angsep. */
    static double angsep(double ra1, double dec1, double ra2, double dec2) {
        double h = Math.pow(Math.sin(Math.toRadians(dec2 - dec1) / 2), 2)
                + Math.cos(Math.toRadians(dec1)) * Math.cos(Math.toRadians(dec2))
                * Math.pow(Math.sin(Math.toRadians(ra2 - ra1) / 2), 2);
        return Math.toDegrees(2 * Math.asin(Math.min(1.0, Math.sqrt(h))));
    }

    static List<Predicate<Map<String, Object>>> shapes(int k) {
        String band = String.valueOf(BANDS.charAt(k % 6));
        double ra0 = 36 * k + 10, dec0 = 15 * k - 70;
        double pmRa = Double.parseDouble("-0.0009" + k);
        return List.of(
            a -> num(path(a, "diaSource", "ra")) > 350 + k * 0.5,
            a -> num(path(a, "diaSource", "snr")) > 50 + 5 * k && num(path(a, "diaSource", "psFlux")) > 0.00003631,
            a -> angsep(num(path(a, "diaSource", "ra")), num(path(a, "diaSource", "decl")), ra0, dec0) <= 5,
            a -> list(a.get("prv_diaSources")).stream().anyMatch(p -> num(get(p, "snr")) > 90 + k),
            a -> list(a.get("prv_diaSources")).stream().filter(p -> num(get(p, "snr")) > 20 + 5 * k).count() >= 3,
            a -> Objects.equals(path(a, "diaSource", "filterName"), band) && num(path(a, "diaSource", "snr")) > 80 + k,
            a -> Math.abs(num(path(a, "diaSource", "decl"))) > 85 + k * 0.4,
            a -> num(path(a, "diaObject", "parallax")) > 9.5 + k * 0.05 || num(path(a, "diaObject", "pmRa")) < pmRa,
            a -> num(path(a, "ssObject", "oe", "e")) > 0.97 && num(path(a, "ssObject", "oe", "q")) < 5 + k
                    && num(path(a, "diaSource", "flags")) == 0,
            a -> {
                Object f = path(a, "diaSource", "filterName");
                return list(a.get("prv_diaSources")).size() == 5 && ("u".equals(f) || "y".equals(f))
                        && num(path(a, "diaSource", "snr")) > 60 + k;
            });
    }

    /** The first n rules of bench/rules.py (parameter-major), their topics prefixed. */
    static List<Rule> rules(int n, String prefix) {
        List<Rule> out = new ArrayList<>();
        for (int k = 0; k < 10; k++) {
            List<Predicate<Map<String, Object>>> s = shapes(k);
            for (int i = 0; i < s.size(); i++) out.add(new Rule(prefix + "bench-" + i + "-" + k, s.get(i)));
        }
        return out.subList(0, Math.min(n, out.size()));
    }
}
