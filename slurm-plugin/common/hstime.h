/*
 * hstime.h - the monotonic clock and the sleep the loan manager, its
 * control socket and the controller hook measure their deadlines with.
 */
#ifndef HIL_SLURM_HSTIME_H
#define HIL_SLURM_HSTIME_H

/* Milliseconds on CLOCK_MONOTONIC. */
long long hs_now_ms(void);

/* Sleep ms milliseconds, going on after a signal. */
void hs_sleep_ms(long ms);

#endif /* HIL_SLURM_HSTIME_H */
