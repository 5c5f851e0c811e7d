// spool_system.h — the few Linux calls Swift's Glibc module does not expose.
#ifndef SPOOL_SYSTEM_H
#define SPOOL_SYSTEM_H

/// prctl(PR_SET_PDEATHSIG, sig): this process gets `sig` when its parent dies. sys/prctl.h is not in
/// Swift's Glibc module map, hence this wrapper. Returns 0, or -1 with errno set.
int spool_set_parent_death_signal(int sig);

#endif
