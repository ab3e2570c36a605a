import { setFlagsFromString } from 'node:v8';

let tuned = false;

/**
 * Turns off V8's allocation-site pretenuring in this process (its worker threads included), once,
 * before the threads that play episodes start.
 *
 * Why: V8 allocates straight into the old generation from sites whose objects mostly survive a
 * scavenge. With K episodes alive at every scavenge, many of the episode code's sites qualify
 * early; their objects then die in the old generation, which needs mark-compacts on helper
 * threads that take cores from the other workers. Without it, rollouts ran 7–35% faster
 * (bench/RESULTS.md, Rollouts). The flag is read at each GC; it is set once and never flipped back
 * (turning off concurrent marking the same way crashed V8 here, so no other flag is touched).
 */
export function tuneEpisodeHeaps(): void {
  if (tuned) return;
  setFlagsFromString('--no-allocation-site-pretenuring');
  tuned = true;
}
