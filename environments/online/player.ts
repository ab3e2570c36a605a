import type { Observation } from '../../actors/acts.js';
import type { EpisodeSpec, ScenarioContext } from '../../actors/episode-core.js';
import type { Episode } from '../../actors/episode.js';
import type { Decision, Policy } from '../../actors/policy.js';
import { runEpisodes } from '../../actors/run.js';
import type { Rng } from '../../scenarios/random.js';
import type { Encoder } from '../encoding/encoder.js';
import { finalObservation } from '../env/dialogue-env.js';
import { actionStream, maskedLogSoftmax, sampleLogProbs } from './sampling.js';
import type { EpisodeRequest, OnTrajectory, Trajectory } from './types.js';

/** What runs the policy for a player: one forward for a tick's rows. */
export interface Forward {
  /**
   * Called as each episode starts: the weights version the episode is pinned to (local copies swap
   * weights only between episodes), or -1 when the forward decides (central inference).
   */
  pin?(): number;
  /** logits [rows * numActions] for obs [rows * obsSize]; `pins[i]` is row i's episode's pin, `requests[i]` its index in the play's requests. */
  forward(obs: Float32Array, rows: number, pins: Int32Array, requests: Int32Array): Promise<{ readonly logits: Float32Array; readonly version: number | Int32Array }>;
  /** The version recorded for an episode that made no decision. */
  readonly fallbackVersion: () => number;
  /** The forward's receiver keeps the rows it is sent as the episodes' observations: trajectories leave `obs` empty. */
  readonly keepsObservations?: boolean;
}

/** Where a player's time went (milliseconds, summed over ticks). */
export interface PlayStats {
  episodes: number;
  decisions: number;
  forwards: number;
  maxBatch: number;
  /** Waiting for the forward (inference, or the round trip to the main thread). */
  forwardMs: number;
  /** Encoding observations and sampling actions. */
  policyMs: number;
  /** Wall time of the whole play; the rest (wall - forward - policy) is the actors. */
  wallMs: number;
}

export function emptyPlayStats(): PlayStats {
  return { episodes: 0, decisions: 0, forwards: 0, maxBatch: 0, forwardMs: 0, policyMs: 0, wallMs: 0 };
}

export function addPlayStats(into: PlayStats, s: PlayStats): void {
  into.episodes += s.episodes;
  into.decisions += s.decisions;
  into.forwards += s.forwards;
  into.maxBatch = Math.max(into.maxBatch, s.maxBatch);
  into.forwardMs += s.forwardMs;
  into.policyMs += s.policyMs;
  into.wallMs += s.wallMs;
}

/** One episode's decisions as they are made. */
interface Live {
  readonly req: EpisodeRequest;
  /** Position in the play's requests. */
  readonly index: number;
  readonly rng: Rng;
  readonly who: string;
  pin: number;
  /** Seed of the episode's policy stream (to recognise the copies a retry is made with). */
  streamSeed: number;
  readonly obs: Float32Array[];
  readonly masks: Uint8Array[];
  readonly actions: number[];
  readonly logProbs: number[];
  readonly versions: number[];
}

export interface PlayOptions {
  /** Added to as the play goes (default: a fresh record nobody reads). */
  readonly stats?: PlayStats;
  /** Each trajectory as its episode ends (its position in `requests`, the trajectory). */
  readonly onTrajectory?: OnTrajectory;
  /**
   * false: trajectories go only to `onTrajectory` and the play resolves with an empty array, so that
   * a caller that streams them does not hold (and have V8 promote) every one to the play's end.
   */
  readonly keep?: boolean;
}

/**
 * Plays `requests` with runEpisodes (K at a time, one forward per tick for every live episode) and
 * returns their trajectories in request order. Actions are sampled from each request's own
 * {@link actionStream}, not from the episode's `policy` stream, so GRPO can replay a seed with
 * several action streams. A forward that fails rejects the whole play (it is not the episode's
 * fault); family logic that fails gives a trajectory with `error` set.
 */
export async function playRequests(ctx: ScenarioContext, encoder: Encoder, requests: readonly EpisodeRequest[], concurrency: number, fwd: Forward, opts: PlayOptions = {}): Promise<Trajectory[]> {
  const { stats = emptyPlayStats(), onTrajectory, keep = true } = opts;
  const t0 = performance.now();
  const F = encoder.size;
  const A = ctx.actions.length;
  // An episode's record is dropped as it ends (its trajectory has copies of what it held).
  const states: (Live | undefined)[] = requests.map((req, index) => ({
    req, index, rng: actionStream(req.actionSeed), who: `episode seed ${req.seed} (actionSeed ${req.actionSeed})`, pin: -1, streamSeed: -1, obs: [], masks: [], actions: [], logProbs: [], versions: [],
  }));
  // runEpisodes hands `act` each episode's policy stream; `nameFor` sees that same object as the
  // episode starts (in spec order), which is how a row finds its request.
  const byStream = new WeakMap<Rng, Live>();
  let started = 0;
  let fatal: unknown = null;
  // A failed batch is retried one episode at a time, in batch order, with copies of the streams.
  let retry: Live[] = [];
  const resolve = (rng: Rng): Live => {
    const known = byStream.get(rng);
    if (known) return known;
    const k = retry.findIndex((s) => s.streamSeed === rng.seed);
    if (k < 0) throw new Error('online policy: a decision request came from an episode this source did not start');
    const st = retry[k];
    retry.splice(k, 1);
    byStream.set(rng, st);
    return st;
  };

  const policy: Policy = {
    name: 'online',
    nameFor(rng) {
      const st = states[started++];
      if (!st) throw new Error('online policy: more episodes started than requested');
      byStream.set(rng, st);
      st.streamSeed = rng.seed;
      st.pin = fwd.pin?.() ?? -1;
      return 'online';
    },
    async act(observations: readonly Observation[], rngs: readonly Rng[]): Promise<Decision[]> {
      if (fatal) throw fatal;
      const batch = rngs.map(resolve);
      try {
        return await decide(observations, batch);
      } catch (err) {
        if (batch.length > 1) retry = batch.slice();
        throw err;
      }
    },
  };

  /** One tick: encode, forward, sample, record. Draws from the action streams only once nothing can fail. */
  const decide = async (observations: readonly Observation[], batch: readonly Live[]): Promise<Decision[]> => {
    const B = observations.length;
    const tp = performance.now();
    const x = new Float32Array(B * F);
    const pins = new Int32Array(B);
    const rowsOf = new Int32Array(B);
    for (let i = 0; i < B; i++) {
      encoder.encode(observations[i], x, i * F);
      pins[i] = batch[i].pin;
      rowsOf[i] = batch[i].index;
    }
    const encodeMs = performance.now() - tp;
    let out: Awaited<ReturnType<Forward['forward']>>;
    const tf = performance.now();
    try {
      // slice: the forward may transfer or keep its input; the rows are recorded from `x`
      out = await fwd.forward(x.slice(), B, pins, rowsOf);
      if (out.logits.length !== B * A) throw new Error(`the policy returned ${out.logits.length} logits for ${B} rows of ${A} actions; expected ${B * A}`);
    } catch (err) {
      fatal ??= err;
      throw err;
    } finally {
      stats.forwardMs += performance.now() - tf;
    }
    const ts = performance.now();
    const logp = new Float64Array(B * A);
    for (let i = 0; i < B; i++) maskedLogSoftmax(out.logits, i * A, A, observations[i].mask, batch[i].who, logp.subarray(i * A, (i + 1) * A));
    const decisions: Decision[] = [];
    for (let i = 0; i < B; i++) {
      const st = batch[i];
      const { action, logProb } = sampleLogProbs(logp, i * A, A, st.rng);
      const mask = new Uint8Array(A);
      observations[i].mask.forEach((v, a) => { mask[a] = v ? 1 : 0; });
      if (!fwd.keepsObservations) st.obs.push(x.subarray(i * F, (i + 1) * F));
      st.masks.push(mask);
      st.actions.push(action);
      st.logProbs.push(logProb);
      st.versions.push(typeof out.version === 'number' ? out.version : out.version[i]);
      decisions.push({ action, logprob: logProb });
    }
    stats.forwards++;
    stats.decisions += B;
    if (B > stats.maxBatch) stats.maxBatch = B;
    stats.policyMs += encodeMs + performance.now() - ts;
    return decisions;
  };

  const specs: EpisodeSpec[] = requests.map((r, i) => ({ index: i, seed: r.seed, id: `online-${r.seed}-${r.actionSeed}-${i}` }));
  const trajectories: Trajectory[] = new Array(keep ? requests.length : 0);
  const onEpisode = (ep: Episode) => {
    // a failed forward fails the whole play: nothing of it is handed out
    if (fatal) return;
    const t = toTrajectory(ctx, encoder, ep, states[ep.index]!, fwd.fallbackVersion(), fwd.keepsObservations === true);
    states[ep.index] = undefined;
    if (keep) trajectories[ep.index] = t;
    onTrajectory?.(ep.index, t);
  };
  await runEpisodes(ctx, policy, specs, { concurrency, onEpisode, keep: false });
  if (fatal) throw fatal;
  stats.episodes += requests.length;
  stats.wallMs += performance.now() - t0;
  return trajectories;
}

function toTrajectory(ctx: ScenarioContext, encoder: Encoder, ep: Episode, st: Live, fallbackVersion: number, obsKept: boolean): Trajectory {
  const F = encoder.size;
  const A = ctx.actions.length;
  const { req } = st;
  const errored = ep.outcome.reason === 'error';
  const agent = ep.turns.filter((t) => t.speaker === 'agent');
  if (ep.seed !== (req.seed >>> 0)) throw new Error(`online source: episode ${ep.index} was played with seed ${ep.seed}, requested ${req.seed} (the runner started episodes out of order)`);
  if (!errored) {
    if (agent.length !== st.actions.length) throw new Error(`online source: ${st.who} recorded ${agent.length} agent turns but ${st.actions.length} sampled decisions`);
    agent.forEach((t, k) => {
      if (t.action !== st.actions[k]) throw new Error(`online source: ${st.who} turn ${k} recorded action ${t.action}, sampled ${st.actions[k]}`);
    });
  }
  // An errored episode keeps the decisions its record holds (the last sampled one may not have been played).
  const T = errored ? Math.min(agent.length, st.actions.length) : agent.length;
  const obs = new Float32Array(obsKept ? 0 : T * F);
  const mask = new Uint8Array(T * A);
  const rewards = new Float32Array(T);
  let ret = 0;
  for (let k = 0; k < T; k++) {
    if (!obsKept) obs.set(st.obs[k], k * F);
    mask.set(st.masks[k], k * A);
    rewards[k] = agent[k].reward;
    ret += agent[k].reward;
  }
  const truncated = ep.outcome.reason === 'turn-limit';
  const finalObs = new Float32Array(F);
  if (truncated) encoder.encode(nextObservation(ctx, ep), finalObs, 0);
  let version = Infinity;
  for (let k = 0; k < T; k++) version = Math.min(version, st.versions[k]);
  return {
    seed: req.seed,
    actionSeed: req.actionSeed,
    ...(req.group !== undefined ? { group: req.group } : {}),
    policyVersion: Number.isFinite(version) ? version : fallbackVersion,
    length: T,
    obs,
    mask,
    actions: Int32Array.from(st.actions.slice(0, T)),
    logProbs: Float32Array.from(st.logProbs.slice(0, T)),
    rewards,
    terminated: !errored && !truncated,
    truncated,
    finalObs,
    return: errored ? ret : ep.totals.return,
    success: ep.outcome.success,
    ...(errored ? { error: ep.outcome.error ?? 'the episode errored' } : {}),
  };
}

/** The observation the agent would get next had the turn limit not cut the episode (its real mask, for bootstrapping). */
function nextObservation(ctx: ScenarioContext, ep: Episode): Observation {
  const o = finalObservation(ctx, ep);
  try {
    return { ...o, mask: ctx.family.mask(ctx.scenario, o.view, o.turn) };
  } catch {
    return o;
  }
}
