/* sky/galactic.c — ICRS (J2000) to Galactic coordinates, the rotation astropy
 * composes: the ICRS -> FK5 J2000 frame bias, then FK5 J2000 -> Galactic. */
#include <math.h>
#include <threads.h>

#include "sky/sky.h"

#define DEG (3.14159265358979323846 / 180.0)

static double gal_matrix[3][3];
static once_flag gal_once = ONCE_FLAG_INIT;

/* The frame's rotation by angle (degrees) about axis 0, 1 or 2 (x, y, z):
 * the matrix that gives a vector's coordinates in the rotated frame. */
static void rotation(int axis, double angle, double r[3][3])
{
    double c = cos(angle * DEG), s = sin(angle * DEG);
    int i = (axis + 1) % 3, j = (axis + 2) % 3;
    for (int p = 0; p < 3; p++)
        for (int q = 0; q < 3; q++)
            r[p][q] = p == q;
    r[i][i] = c;
    r[j][j] = c;
    r[i][j] = s;
    r[j][i] = -s;
}

/* m = m * r */
static void times(double m[3][3], double r[3][3])
{
    double t[3][3];
    for (int p = 0; p < 3; p++)
        for (int q = 0; q < 3; q++)
            t[p][q] = m[p][0] * r[0][q] + m[p][1] * r[1][q] + m[p][2] * r[2][q];
    for (int p = 0; p < 3; p++)
        for (int q = 0; q < 3; q++)
            m[p][q] = t[p][q];
}

/* The defining angles: FK5 J2000's north Galactic pole and the longitude of
 * the north celestial pole (Galactic frame, as astropy's), and the frame bias
 * of ICRS against FK5 J2000 (USNO circular 179: eta0, xi0, dalpha0 in mas). */
static void make_matrix(void)
{
    const double ngp_ra = 192.8594812065348, ngp_dec = 27.12825118085622, lon0 = 122.9319185680026;
    const double eta0 = -19.9 / 3600000.0, xi0 = 9.1 / 3600000.0, da0 = -22.9 / 3600000.0;
    const struct {
        int axis;
        double angle;
    } steps[] = {{2, 180 - lon0}, {1, 90 - ngp_dec}, {2, ngp_ra}, {0, -eta0}, {1, xi0}, {2, da0}};
    rotation(steps[0].axis, steps[0].angle, gal_matrix);
    for (size_t k = 1; k < sizeof steps / sizeof steps[0]; k++) {
        double r[3][3];
        rotation(steps[k].axis, steps[k].angle, r);
        times(gal_matrix, r);
    }
}

void sky_galactic(double ra, double dec, double *l, double *b)
{
    call_once(&gal_once, make_matrix);
    double v[3] = {cos(dec * DEG) * cos(ra * DEG), cos(dec * DEG) * sin(ra * DEG), sin(dec * DEG)}, g[3];
    for (int p = 0; p < 3; p++)
        g[p] = gal_matrix[p][0] * v[0] + gal_matrix[p][1] * v[1] + gal_matrix[p][2] * v[2];
    /* atan2 of both parts, not asin(z): exact near the poles too. */
    *b = atan2(g[2], hypot(g[0], g[1])) / DEG;
    double lon = atan2(g[1], g[0]) / DEG;
    lon = lon < 0 ? lon + 360 : lon;
    *l = lon >= 360 ? lon - 360 : lon;
}

double sky_angsep(double ra1, double dec1, double ra2, double dec2)
{
    double s_ddec = sin((dec2 - dec1) * DEG / 2), s_sum = sin((dec1 + dec2) * DEG / 2);
    double s_dra = sin((ra2 - ra1) * DEG / 2), c_dra = cos((ra2 - ra1) * DEG / 2);
    double cc = cos(dec1 * DEG) * cos(dec2 * DEG);
    double hav = s_ddec * s_ddec + cc * s_dra * s_dra;
    double hav_anti = s_sum * s_sum + cc * c_dra * c_dra;
    return 2 * atan2(sqrt(hav), sqrt(hav_anti)) / DEG;
}
