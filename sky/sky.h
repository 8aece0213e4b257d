/* sky/sky.h — positions on the sphere: the Galactic transform, watchlists (a
 * catalogue of cones, indexed) and watchmaps (IVOA MOC), with their files. */
#ifndef SKY_H
#define SKY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A file error, one line: "FILE:LINE: what" (a CSV row, an ASCII MOC's line),
 * "FILE: cell N: what" (a FITS MOC's row) or "FILE: what" (the whole file). */
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

/* ---- watchlists (watchlist.c) ---- */

/* A catalogue of positions, each with a radius, indexed by declination zones
 * (entries sorted by zone, then RA) so that a lookup reads a few of them. */
typedef struct sky_watchlist sky_watchlist;

#define SKY_RADIUS_MAX_ARCSEC 3600.0 /* 1 degree: beyond that a cone search is no watchlist */

/* Reads a CSV watchlist: a header line naming the columns (ra and dec in
 * degrees required; name and radius_arcsec optional; others ignored), then
 * one entry per row; blank lines and lines starting with '#' are skipped.
 * radius_arcsec is the radius of the rows without one (NAN: every row must
 * have one). Returns the list, or NULL with err filled. */
sky_watchlist *sky_watchlist_load(const char *path, double radius_arcsec, sky_error *err);
void sky_watchlist_free(sky_watchlist *wl);
size_t sky_watchlist_count(const sky_watchlist *wl);
/* A CSV field's number: the whole field, finite, as strtod reads it. */
bool sky_number(const char *s, double *v);
/* Bytes the list holds (entries, names, index). */
size_t sky_watchlist_bytes(const sky_watchlist *wl);

/* The nearest entry whose radius holds (ra, dec), or -1 when none does (or
 * dec is outside [-90, 90], or either is not finite). RA is taken modulo 360. */
int64_t sky_watchlist_match(const sky_watchlist *wl, double ra, double dec);
/* Entry k's name: its `name` column, or without one its row number among
 * the entries ("1" for the first), written into buf. */
const char *sky_watchlist_name(const sky_watchlist *wl, size_t k, char buf[24]);

/* ---- watchmaps: IVOA MOC (moc.c) ---- */

/* A set of HEALPix NESTED cells, as sorted disjoint ranges of cells at its
 * deepest order. */
typedef struct sky_moc sky_moc;

#define SKY_MOC_MAX_ORDER 29

/* Reads a MOC: the FITS serialisation (a binary table of NUNIQ cells,
 * ORDERING = 'NUNIQ') or the ASCII one ("order/ipix-ipix ipix ..."), told
 * apart by the FITS "SIMPLE" card. Returns the map, or NULL with err filled. */
sky_moc *sky_moc_load(const char *path, sky_error *err);
/* Reads an ASCII MOC from text (path names it in errors). */
sky_moc *sky_moc_parse(const char *text, const char *path, sky_error *err);
void sky_moc_free(sky_moc *moc);
/* Whether (ra, dec) falls in the map (false when dec is outside [-90, 90]
 * or either is not finite). */
bool sky_moc_contains(const sky_moc *moc, double ra, double dec);
/* The map's deepest order and number of ranges of cells. */
int sky_moc_order(const sky_moc *moc);
size_t sky_moc_ranges(const sky_moc *moc);

#endif
