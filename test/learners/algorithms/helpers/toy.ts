// A synthetic offline dataset in the Transitions layout: episodes of 3 decisions, observation =
// one-hot of the turn plus a bias feature, 3 actions (action 2 invalid at turn 0); the behaviour
// plays action (turn % 2) with probability 0.8, else a random valid one; reward 1 for action 2 at
// the last turn, -0.1 per turn otherwise.
import type { Transitions } from '../../../../environments/offline/transitions.js';
import { Rng } from '../../../../scenarios/random.js';

export const TOY_OBS = 4;
export const TOY_ACTIONS = 3;
const T = 3;

export function toyTransitions(episodes: number, seed = 1): Transitions {
  const rng = Rng.from(seed);
  const n = episodes * T;
  const D = TOY_OBS;
  const A = TOY_ACTIONS;
  const obs = new Float32Array(n * D);
  const nextObs = new Float32Array(n * D);
  const mask = new Uint8Array(n * A);
  const nextMask = new Uint8Array(n * A);
  const actions = new Int32Array(n);
  const rewards = new Float32Array(n);
  const done = new Uint8Array(n);
  const returnToGo = new Float32Array(n);
  const episodeReturn = new Float32Array(n);
  const episode = new Int32Array(n);
  const valid = (t: number) => (t === 0 ? [1, 1, 0] : [1, 1, 1]);
  for (let e = 0; e < episodes; e++) {
    for (let t = 0; t < T; t++) {
      const r = e * T + t;
      obs[r * D + t] = 1;
      obs[r * D + 3] = 1;
      mask.set(valid(t), r * A);
      if (t < T - 1) {
        nextObs[r * D + t + 1] = 1;
        nextObs[r * D + 3] = 1;
        nextMask.set(valid(t + 1), r * A);
      } else done[r] = 1;
      const choices = valid(t).flatMap((v, a) => (v ? [a] : []));
      actions[r] = rng.bernoulli(0.8) ? t % 2 : rng.pick(choices);
      rewards[r] = t === T - 1 && actions[r] === 2 ? 1 : -0.1;
      episode[r] = e;
    }
    let g = 0;
    for (let t = T - 1; t >= 0; t--) returnToGo[e * T + t] = g += rewards[e * T + t];
    for (let t = 0; t < T; t++) episodeReturn[e * T + t] = g;
  }
  return { count: n, obsSize: D, numActions: A, obs, actions, rewards, nextObs, done, mask, nextMask, returnToGo, episodeReturn, episode };
}
