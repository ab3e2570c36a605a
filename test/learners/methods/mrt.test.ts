// MRT: the progress bonus on a known J sequence, regret on a hand-computed curve, the episode
// split, and the meta-prover and shaper end to end on a scripted step model that answers with the
// last digit of the thought (so J is known exactly).
import test from 'ava';
import { episodes, estimateJ, prefixThrough, querySeed } from '../../../learners/methods/meta-prover.js';
import { MrtConfig, anytimeCurve, curveIntegral, mrtShaper, normalisedRegret, progressBonus, tokensAfterSolved } from '../../../learners/methods/mrt.js';
import type { ShapeContext } from '../../../learners/reasoning/grpo.js';
import { rollout, type Group } from '../../../learners/reasoning/rollout.js';
import { taskOf } from '../../../learners/reasoning/sft.js';
import type { DeviceSession } from '../../../learners/runtime/session.js';
import type { ReasoningProblem } from '../../../scenarios/reasoning/index.js';

const task = taskOf('digit-sum');
const tok = task.tokenizer;
const SEQ = 48;

// <think>=0 … : the thought of 3 7 1 = is three episodes ending at tokens 6, 12, 18
const THOUGHT = '<think> 0 + 3 = 3 <sep> 3 + 7 = 0 <sep> 0 + 1 = 1 </think> <answer> 1 </answer> <eos>';

function digitSumProblem(digits: number[]): ReasoningProblem {
  const sum = digits.reduce((s, d) => (s + d) % 10, 0);
  const prompt = [...digits.map(String), '='];
  return { task: 'digit-sum', level: 1, problem: { prompt, answer: [String(sum)], meta: { digits } }, prompt: tok.encode(prompt), answer: tok.encode([String(sum)]) };
}

/**
 * A KV step model (1 layer, 1 head, dh 1) that stores each token's id as its key, so it can read
 * the sequence so far: after `<answer>` it writes the token two places back (the thought's last
 * token before `</think>`, when a digit; else 0), then `</answer>`, then `<eos>`; anything else is
 * followed by `<sep>` (a thought that never ends).
 */
function scriptedKv(): { session: DeviceSession; cache: { layers: number; heads: number; dh: number } } {
  const digit = (id: number) => /^[0-9]$/.test(tok.tokens[id] ?? '');
  const session = {
    async run(feeds: Record<string, { data: unknown; dims: readonly number[] }>) {
      const seq = feeds['past_k.0'].dims[2];
      const token = feeds.token.data as BigInt64Array;
      const pos = feeds.pos.data as BigInt64Array;
      const past = feeds['past_k.0'].data as Float32Array;
      const n = token.length;
      const logits = new Float32Array(n * tok.size);
      for (let r = 0; r < n; r++) {
        const id = Number(token[r]);
        const p = Number(pos[r]);
        let next = tok.sep;
        if (id === tok.answer) {
          const before = p >= 2 ? past[r * seq + p - 2] : -1;
          next = before >= 0 && digit(before) ? before : tok.id('0');
        } else if (digit(id)) next = tok.answerEnd;
        else if (id === tok.answerEnd) next = tok.eos;
        logits[r * tok.size + next] = 50;
      }
      return { 'k.0': { data: Float32Array.from(token, (x) => Number(x)) }, 'v.0': { data: new Float32Array(n) }, logits: { data: logits } };
    },
  };
  return { session: session as unknown as DeviceSession, cache: { layers: 1, heads: 1, dh: 1 } };
}

test('progress bonus: α·(J_e − J_{e−1}) on episode e\'s tokens and the separator that opens it, 0 elsewhere', (t) => {
  const eps = [{ start: 1, end: 6 }, { start: 7, end: 12 }, { start: 13, end: 18 }];
  const j = [0.1, 0.1, 0.5, 1];
  const b = progressBonus(j, eps, 25, 1);
  t.is(b.length, 25);
  t.is(b[0], 0);
  for (let k = 1; k < 6; k++) t.is(b[k], 0);
  for (let k = 6; k < 12; k++) t.is(b[k], 0.4);
  for (let k = 12; k < 18; k++) t.is(b[k], 0.5);
  for (let k = 18; k < 25; k++) t.is(b[k], 0);
  // solved after episode 0, then a useless episode: its <sep> is paid like the </think> that would have stopped (0), not like the solving episode
  const idle = progressBonus([0, 1, 1], [{ start: 1, end: 6 }, { start: 7, end: 12 }], 18, 1);
  t.deepEqual(idle.slice(0, 8), [0, 1, 1, 1, 1, 1, 0, 0]);
  t.is(progressBonus([0, 1], [{ start: 1, end: 6 }], 12, 1)[6], 0, 'the </think> after the solving episode gets 0 as well');
  t.deepEqual(progressBonus(j, eps, 25, 2), b.map((x) => 2 * x));
  t.deepEqual(progressBonus([1, 0], [{ start: 1, end: 4 }], 6, 1), [0, -1, -1, -1, 0, 0], 'an episode that loses the answer is penalised');
  t.throws(() => progressBonus([0.1, 0.2], eps, 25, 1), { message: /3 episodes need 4 J values/ });
});

test('regret on a hand-computed curve: J 0 → 0.5 at 10 tokens → 1 at 20', (t) => {
  const curve = [{ t: 0, j: 0 }, { t: 10, j: 0.5 }, { t: 20, j: 1 }];
  t.is(curveIntegral(curve, 20), 10); // 2.5 + 7.5
  t.is(normalisedRegret(curve, 20), 0.5);
  t.is(normalisedRegret(curve, 30), 1 - 20 / 30); // J stays at 1 after the policy stops
  t.is(normalisedRegret(curve, 5), 1 - 0.625 / 5); // inside the first segment: ∫ = 5 · 0.25 / 2
  t.is(normalisedRegret([{ t: 0, j: 1 }], 7), 0, 'solved before the first token: no regret');
  t.throws(() => curveIntegral(curve, 0), { message: /budget must be positive/ });
  t.throws(() => curveIntegral([{ t: 5, j: 0 }, { t: 1, j: 1 }], 10), { message: /increasing t/ });
  const eps = [{ start: 1, end: 6 }, { start: 7, end: 12 }];
  t.deepEqual(anytimeCurve([0.2, 0.4, 1], eps), [{ t: 0, j: 0.2 }, { t: 6, j: 0.4 }, { t: 12, j: 1 }]);
  t.is(tokensAfterSolved(anytimeCurve([0.2, 0.4, 1], eps), 20), 8);
  t.is(tokensAfterSolved(anytimeCurve([0.2, 0.4, 0.75], eps), 20), null);
});

test('episodes: the thought split at <sep>, merged down to maxEpisodes; prefixes start with <think>', (t) => {
  const ids = tok.encode(THOUGHT);
  t.deepEqual(episodes(ids, task), [{ start: 1, end: 6 }, { start: 7, end: 12 }, { start: 13, end: 18 }]);
  t.deepEqual(episodes(ids, task, 2), [{ start: 1, end: 6 }, { start: 7, end: 18 }]);
  t.deepEqual(episodes(ids, task, 1), [{ start: 1, end: 18 }]);
  const eps = episodes(ids, task);
  t.deepEqual(prefixThrough(ids, eps, -1, task), [tok.think]);
  t.deepEqual(tok.decode(prefixThrough(ids, eps, 1, task)), '<think> 0 + 3 = 3 <sep> 3 + 7 = 0');
  t.deepEqual(episodes(tok.encode('<think> </think> <answer> 1 </answer> <eos>'), task), []);
  t.is(querySeed(5, 'x', [1, 2]), querySeed(5, 'x', [1, 2]));
  t.not(querySeed(5, 'x', [1, 2]), querySeed(5, 'x', [1, 3]));
});

test('meta-prover: J after each prefix of a known thought, a prefix with no room left is 0', async (t) => {
  const kv = scriptedKv();
  const p = digitSumProblem([3, 7, 1]);
  const ids = tok.encode(THOUGHT);
  const eps = episodes(ids, task);
  const queries = [-1, 0, 1, 2].map((e) => ({ problem: p, prefix: prefixThrough(ids, eps, e, task), seed: e + 10 }));
  const opts = { samples: 3, sampling: { temperature: 1 }, answerTokens: 4, seq: SEQ };
  // the model answers the last partial sum: 3, 0, 1 after the episodes (0 for the empty thought); the answer is 1
  t.deepEqual(await estimateJ(task, kv, queries, opts), [0, 0, 0, 1]);
  // with a context of 25, the last prefix (4 prompt + 18 thought + 2 forced tokens) leaves no room for answer, </answer>, <eos>
  t.deepEqual(await estimateJ(task, kv, queries, { ...opts, seq: 25 }), [0, 0, 0, 0], 'no room left: J = 0');
  t.deepEqual(await estimateJ(task, kv, [queries[1]], opts), [0]);
  t.deepEqual(await estimateJ(task, kv, [{ ...queries[1], problem: digitSumProblem([3, 0]) }], opts), [1]);
  await t.throwsAsync(estimateJ(task, kv, queries, { ...opts, samples: 0 }), { message: /samples must be a positive integer/ });
});

test('the progress shaper puts J_e − J_{e−1} on each episode; placement reward adds the sum to the outcome', async (t) => {
  const kv = scriptedKv();
  const p = digitSumProblem([3, 7, 1]);
  const right = tok.encode(THOUGHT);
  const detour = tok.encode('<think> 0 + 3 = 3 <sep> 3 + 7 = 1 <sep> 1 + 1 = 2 </think> <answer> 2 </answer> <eos>'); // J: 0, 0, 1, 0
  const sample = (completion: number[]) => {
    const g = task.grade(p, completion);
    return { completion, logProbs: completion.map(() => -1), reward: g.correct ? 1 : 0, correct: g.correct, formatOk: g.formatOk };
  };
  const groups: Group[] = [{ prompt: { index: 0, seed: 9, problem: p }, samples: [sample(right), sample(detour)] }];
  const ctx = { task, kv, seq: SEQ, sampling: { temperature: 1 }, iteration: 0, dataSeed: 1 } as ShapeContext;
  const shaped = await mrtShaper({ samples: 2 }).shape(groups, ctx);
  t.deepEqual(shaped.rewards, [[1, 0]]);
  const [b0, b1] = shaped.bonus?.[0] ?? [];
  t.deepEqual(b0, progressBonus([0, 0, 0, 1], episodes(right, task), right.length, 1));
  t.deepEqual(b1, progressBonus([0, 0, 1, 0], episodes(detour, task), detour.length, 1));
  t.is(b1?.[8], 1, 'the episode that writes the right sum (by luck) gets +1');
  t.is(b1?.[14], -1, 'the one that loses it gets −1');
  t.is(shaped.metrics?.mrt_j_final, 0.5);
  t.is(shaped.metrics?.mrt_episodes, 3);
  t.is(shaped.metrics?.mrt_solved_tokens, (right.length - 18 + (detour.length - 12)) / 2);
  const summed = await mrtShaper({ samples: 2, placement: 'reward', alpha: 0.5 }).shape(groups, ctx);
  t.deepEqual(summed.rewards, [[1 + 0.5 * 1, 0 + 0.5 * 0]]);
  t.is(summed.bonus, undefined);
});

test('the termination variant gives α·(R − J at a random cut) to every token after the cut', async (t) => {
  const kv = scriptedKv();
  const p = digitSumProblem([3, 7, 1]);
  const right = tok.encode(THOUGHT);
  const groups: Group[] = [{ prompt: { index: 0, seed: 4, problem: p }, samples: Array.from({ length: 6 }, () => ({ completion: right, logProbs: right.map(() => -1), reward: 1, correct: true, formatOk: true })) }];
  const ctx = { task, kv, seq: SEQ, sampling: { temperature: 1 }, iteration: 3, dataSeed: 1 } as ShapeContext;
  const shaped = await mrtShaper({ variant: 'termination', samples: 2, alpha: 0.5 }).shape(groups, ctx);
  const cuts = new Set<number>();
  for (const b of shaped.bonus?.[0] ?? []) {
    t.truthy(b);
    const from = (b as number[]).findIndex((x) => x !== 0);
    // cuts are at −1 (after <think>) or after episode 0 or 1 (not after the last one); J there is 0, so the bonus is 0.5·(1 − 0)
    t.true([1, 6, 12].includes(from), `cut at ${from}`);
    t.true((b as number[]).slice(from).every((x) => x === 0.5));
    cuts.add(from);
  }
  t.true(cuts.size > 1, 'the cut is drawn per sample');
  t.throws(() => MrtConfig.parse({ samples: 0 }));
});

test('GRPO rollouts stop at maxNewTokens (the token budget MRT trains under)', async (t) => {
  const kv = scriptedKv();
  const prompts = [{ index: 0, seed: 1, problem: digitSumProblem([3, 7]) }];
  const capped = await rollout(task, kv, prompts, { seq: SEQ, groupSize: 2, maxNewTokens: 5 });
  t.deepEqual(capped[0].samples.map((s) => s.completion.length), [5, 5]);
  const full = await rollout(task, kv, prompts, { seq: SEQ, groupSize: 2 });
  t.deepEqual(full[0].samples.map((s) => s.completion.length), [SEQ + 1 - 3, SEQ + 1 - 3]);
});
