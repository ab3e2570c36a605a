/**
 * A minimal in-process {@link ExperienceSource} over the Gymnasium-style DialogueEnv: `concurrency`
 * episodes step in lockstep, their decisions share one call of the learner's InferFn, actions are
 * sampled from softmax over the valid actions with each request's own action stream (so a
 * trajectory depends only on its request and the policy, not on what it was batched with).
 * The learner's fallback and test double for environments/online's sources.
 */
import type { ScenarioContext } from '../../actors/episode-core.js';
import type { Encoder } from '../../environments/encoding/encoder.js';
import { makeEnv } from '../../environments/env/dialogue-env.js';
import type { DialogueEnv } from '../../environments/env/dialogue-env.js';
import type { EpisodeRequest, ExperienceSource, InferFn, Trajectory } from '../../environments/online/types.js';
import { Rng } from '../../scenarios/random.js';

/** Samples from softmax(logits) over `mask`; returns the action and its log-probability. */
export function sampleMasked(logits: ArrayLike<number>, mask: readonly boolean[] | Uint8Array, u: number): { action: number; logProb: number } {
  let m = -Infinity;
  for (let a = 0; a < mask.length; a++) if (mask[a]) m = Math.max(m, logits[a]);
  let z = 0;
  for (let a = 0; a < mask.length; a++) if (mask[a]) z += Math.exp(logits[a] - m);
  let acc = 0;
  let last = -1;
  for (let a = 0; a < mask.length; a++) {
    if (!mask[a]) continue;
    last = a;
    acc += Math.exp(logits[a] - m) / z;
    if (u < acc) return { action: a, logProb: logits[a] - m - Math.log(z) };
  }
  if (last < 0) throw new Error('sampleMasked: no valid action');
  return { action: last, logProb: logits[last] - m - Math.log(z) };
}

interface Live {
  readonly req: EpisodeRequest;
  readonly index: number;
  readonly env: DialogueEnv<Float32Array>;
  readonly rng: Rng;
  readonly version: number;
  obs: Float32Array;
  mask: readonly boolean[];
  readonly o: Float32Array[];
  readonly masks: (readonly boolean[])[];
  readonly actions: number[];
  readonly logps: number[];
  readonly rewards: number[];
}

export function createEnvSource(ctx: ScenarioContext, encoder: Encoder, infer: InferFn, opts: { readonly concurrency?: number } = {}): ExperienceSource {
  const concurrency = opts.concurrency ?? 64;
  const A = ctx.actions.length;
  const d = encoder.size;
  let version = 0;
  const envs: DialogueEnv<Float32Array>[] = [];
  return {
    async publish(v) {
      version = v;
    },
    async close() {
      for (const e of envs) e.close();
      envs.length = 0;
    },
    async collect(requests) {
      const out: Trajectory[] = new Array(requests.length);
      let next = 0;
      const live: Live[] = [];
      const free = [...envs];
      const start = (): void => {
        while (live.length < concurrency && next < requests.length) {
          const env = free.pop() ?? (envs.push(makeEnv(ctx, { encoded: encoder })), envs[envs.length - 1]);
          const req = requests[next];
          const r = env.reset({ seed: req.seed });
          live.push({ req, index: next++, env, rng: Rng.from(req.actionSeed), version, obs: r.observation, mask: r.info.mask, o: [], masks: [], actions: [], logps: [], rewards: [] });
        }
      };
      start();
      while (live.length) {
        const x = new Float32Array(live.length * d);
        live.forEach((l, i) => x.set(l.obs, i * d));
        const { logits } = await infer(x, live.length);
        for (let i = live.length - 1; i >= 0; i--) {
          const l = live[i];
          const { action, logProb } = sampleMasked(logits.subarray(i * A, i * A + A), l.mask, l.rng.float());
          l.o.push(l.obs);
          l.masks.push(l.mask);
          l.actions.push(action);
          l.logps.push(logProb);
          const s = l.env.step(action);
          l.rewards.push(s.reward);
          if (s.terminated || s.truncated) {
            const T = l.actions.length;
            const obs = new Float32Array(T * d);
            l.o.forEach((v, t) => obs.set(v, t * d));
            const mask = new Uint8Array(T * A);
            l.masks.forEach((mk, t) => mk.forEach((b, a) => (mask[t * A + a] = b ? 1 : 0)));
            out[l.index] = {
              seed: l.req.seed,
              actionSeed: l.req.actionSeed,
              ...(l.req.group !== undefined ? { group: l.req.group } : {}),
              policyVersion: l.version,
              length: T,
              obs,
              mask,
              actions: Int32Array.from(l.actions),
              logProbs: Float32Array.from(l.logps),
              rewards: Float32Array.from(l.rewards),
              terminated: s.terminated,
              truncated: s.truncated,
              finalObs: s.terminated ? new Float32Array(d) : s.observation,
              return: l.rewards.reduce((a, b) => a + b, 0),
              success: s.info.success === true,
              ...(s.info.error !== undefined ? { error: s.info.error } : {}),
            };
            free.push(l.env);
            live.splice(i, 1);
          } else {
            l.obs = s.observation;
            l.mask = s.info.mask;
          }
        }
        start();
      }
      return out;
    },
  };
}
