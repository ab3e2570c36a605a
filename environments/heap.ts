import { setFlagsFromString } from 'node:v8';

let tuned = false;

/**
 * Turns off V8's allocation-site pretenuring in this process (its worker threads included), once,
 * before the threads that play episodes start.
 *
 * Why: V8 watches which allocation sites' objects survive a scavenge and, above 85%, allocates
 * from those sites straight into the old generation. With K episodes alive at every scavenge, many
 * of the episode code's sites cross that line early, so their objects go to the old generation
 * and die there, and it needs mark-compacts whose marking runs on helper threads that compete with
 * the other workers for cores. Heuristic policy, 10,000 episodes per round, 1 / 2 workers:
 * twenty-questions 8,775 / 12,076 → 9,875 / 15,598 episodes/s, travel-agent 8,924 / 12,986 →
 * 10,587 / 17,544, teacher 3,756 / 6,445 → 4,064 / 6,880 (bench/RESULTS.md).
 * The flag is read at each scavenge; it is set once and never flipped back, and only this one:
 * turning off concurrent marking the same way crashed V8 here.
 */
export function tuneEpisodeHeaps(): void {
  if (tuned) return;
  setFlagsFromString('--no-allocation-site-pretenuring');
  tuned = true;
}
