/*
 * shift_realtime.c — an LD_PRELOAD shim that moves the wall clock (CLOCK_REALTIME, gettimeofday, time) by
 * SPOOL_SHIFT_SECONDS and leaves every other clock and every wait alone.
 *
 * For running the test suite on another date (scripts/test-on-date.sh). libfaketime does this and more: it
 * also rewrites timed waits (pthread_cond_timedwait, futexes), which hangs Swift's concurrency runtime and
 * Dispatch timers, so it cannot run Spool's tests.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long shift_seconds(void) {
    static long long cached = -1;
    static int known = 0;
    if (!known) {
        const char *text = getenv("SPOOL_SHIFT_SECONDS");
        cached = text ? atoll(text) : 0;
        known = 1;
    }
    return cached;
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
    static int (*real)(clockid_t, struct timespec *) = 0;
    if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    int rc = real(clock, ts);
    if (rc == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) ts->tv_sec += shift_seconds();
    return rc;
}

int gettimeofday(struct timeval *tv, void *tz) {
    static int (*real)(struct timeval *, void *) = 0;
    if (!real) real = (int (*)(struct timeval *, void *))dlsym(RTLD_NEXT, "gettimeofday");
    int rc = real(tv, tz);
    if (rc == 0) tv->tv_sec += shift_seconds();
    return rc;
}

time_t time(time_t *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}
