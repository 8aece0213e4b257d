/* tests/sky/test_galactic.c — sky_galactic against astropy's ICRS -> Galactic
 * transform (galactic_cases.h, made by galactic_astropy.py): within 1e-6 degree. */
#include <criterion/criterion.h>
#include <math.h>

#include "sky/sky.h"
#include "tests/sky/galactic_cases.h"

Test(galactic, matches_astropy_within_a_microdegree)
{
    size_t n = sizeof galactic_cases / sizeof galactic_cases[0];
    cr_assert_eq(n, 300);
    double worst = 0;
    for (size_t k = 0; k < n; k++) {
        double l, b;
        sky_galactic(galactic_cases[k].ra, galactic_cases[k].dec, &l, &b);
        cr_expect(l >= 0 && l < 360, "l %.17g", l);
        /* Longitudes compared on the circle; the difference as an arc (times cos b). */
        double dl = fabs(l - galactic_cases[k].l);
        dl = fmin(dl, 360 - dl) * cos(galactic_cases[k].b * 3.14159265358979323846 / 180);
        double db = fabs(b - galactic_cases[k].b);
        cr_expect(dl <= 1e-6 && db <= 1e-6, "ra %.17g dec %.17g: l %.17g b %.17g, astropy %.17g %.17g",
                  galactic_cases[k].ra, galactic_cases[k].dec, l, b, galactic_cases[k].l, galactic_cases[k].b);
        worst = fmax(worst, fmax(dl, db));
    }
    cr_log_info("worst difference from astropy: %.3g degree", worst);
}

Test(galactic, poles_and_centre)
{
    double l, b;
    sky_galactic(192.8594812065348, 27.12825118085622, &l, &b); /* FK5's north Galactic pole, ICRS within 20 mas */
    cr_expect(fabs(b - 90) < 1e-5, "b %.17g", b);
    sky_galactic(0, 90, &l, &b); /* the north celestial pole: l is lon0 */
    cr_expect(fabs(l - 122.93192525541662) < 1e-9 && fabs(b - 27.128252414968) < 1e-9, "%.17g %.17g", l, b);
    sky_galactic(0, 0, &l, &b);
    double l360, b360;
    sky_galactic(360, 0, &l360, &b360); /* RA 360 is RA 0 */
    cr_expect(fabs(l - l360) < 1e-12 && fabs(b - b360) < 1e-12);
}
