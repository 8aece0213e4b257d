/* sky/sky.h — positions on the sphere: the Galactic transform, watchlists (a
 * catalogue of cones, indexed) and watchmaps (IVOA MOC), with their files. */
#ifndef SKY_H
#define SKY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A file error: the file, where in it (line, or MOC cell; 0 when the file as a
 * whole is wrong) and what. */
typedef struct {
    char msg[480];
} sky_error;

/* Galactic longitude l in [0, 360) and latitude b in [-90, 90] of the ICRS
 * (J2000) position ra, dec, all in degrees, as astropy's ICRS -> Galactic
 * transform gives them (the frame bias to FK5 J2000, then FK5's Galactic pole
 * and longitude zero point). */
void sky_galactic(double ra, double dec, double *l, double *b);

/* The angle between two positions, in degrees: haversine with both hav(d) and
 * 1 - hav(d) computed without cancellation, exact near 0 and 180 degrees. */
double sky_angsep(double ra1, double dec1, double ra2, double dec2);

#endif
