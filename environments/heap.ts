import { setFlagsFromString } from 'node:v8';

let tuned = false;

/**
 * Turns off V8's allocation-site pretenuring and parallel scavenges in this process (its worker
 * threads included), once, before the threads that play episodes start.
 *
 * Why: V8 allocates straight into the old generation from sites whose objects mostly survive a
 * scavenge. With K episodes alive at every scavenge, many of the episode code's sites qualify
 * early; their objects then die in the old generation, which needs mark-compacts on helper
 * threads that take cores from the other workers. Without it, rollouts ran 7–35% faster
 * (bench/RESULTS.md, Rollouts). Both flags are read at each GC; they are set once and never flipped
 * back (turning off concurrent marking the same way crashed V8 here, so that is left on).
 */
export function tuneEpisodeHeaps(): void {
  if (tuned) return;
  setFlagsFromString('--no-allocation-site-pretenuring');
  // Scavenges on the isolate's own thread: with a worker on every core, helper threads only took
  // cores from the other workers (2 workers ÷ 1, 2 cores: teacher 1.70 → 1.77, travel-agent 1.70 → 1.87).
  setFlagsFromString('--no-parallel-scavenge');
  tuned = true;
}
