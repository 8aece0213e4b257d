/* tests/alert/random.h — the alert tests' generator of random cases:
 * xorshift64*, small and deterministic, so that a failure can be replayed.
 * Each test file keeps its own state, from a seed of its own. */
#ifndef TESTS_ALERT_RANDOM_H
#define TESTS_ALERT_RANDOM_H

#include <stdint.h>

static inline uint64_t next_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 2685821657736338717u;
}

#endif
