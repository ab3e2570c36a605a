// RLSP's reward on hand-computed cases: the length term, the no-answer penalty, the judge mix,
// the verifier-only and exploration-only modes, the thought's structure, and the GRPO shaper.
import test from 'ava';
import { RlspConfig, effortScore, rlspReward, rlspShaper, thoughtStats } from '../../../learners/methods/rlsp.js';
import type { ShapeContext } from '../../../learners/reasoning/grpo.js';
import type { Group } from '../../../learners/reasoning/rollout.js';
import { taskOf } from '../../../learners/reasoning/sft.js';

const task = taskOf('digit-sum');
const tok = task.tokenizer;
const cfg = (c: Parameters<typeof RlspConfig.parse>[0]) => RlspConfig.parse(c);

test('rlsp: verifier − C/L, with −0.5 when there is no answer', (t) => {
  const c = cfg({ C: 8 });
  t.is(c.mode, 'rlsp');
  t.is(c.noAnswer, -0.5);
  t.is(rlspReward({ answered: true, correct: true, length: 16 }, c), 1 - 0.5);
  t.is(rlspReward({ answered: true, correct: false, length: 16 }, c), -0.5);
  t.is(rlspReward({ answered: true, correct: true, length: 32 }, c), 1 - 0.25);
  t.is(rlspReward({ answered: false, correct: false, length: 4 }, c), -0.5 - 2);
  // L is clamped to 1 token
  t.is(rlspReward({ answered: true, correct: true, length: 0 }, c), 1 - 8);
  // the term rises with L and saturates: twice as long gains less each time
  const r = [8, 16, 32, 64].map((length) => rlspReward({ answered: true, correct: true, length }, c));
  t.true(r[1] - r[0] > r[2] - r[1] && r[2] - r[1] > r[3] - r[2]);
});

test('verifier mode ignores the length; exploration mode ignores the verifier', (t) => {
  const v = cfg({ mode: 'verifier', C: 8 });
  t.is(rlspReward({ answered: true, correct: true, length: 2 }, v), 1);
  t.is(rlspReward({ answered: true, correct: false, length: 2 }, v), 0);
  t.is(rlspReward({ answered: false, correct: false, length: 2 }, v), -0.5);
  const e = cfg({ mode: 'exploration', C: 8 });
  t.is(rlspReward({ answered: true, correct: true, length: 16 }, e), -0.5);
  t.is(rlspReward({ answered: true, correct: false, length: 16 }, e), -0.5);
  t.is(rlspReward({ answered: false, correct: false, length: 8 }, e), -0.5 - 1);
  t.true(rlspReward({ answered: true, correct: false, length: 64 }, e) > rlspReward({ answered: true, correct: true, length: 16 }, e), 'a long wrong thought beats a short right one');
});

test('the judge mixes (1 − w)·r + w·effort', (t) => {
  const c = cfg({ C: 8, judge: 0.2 });
  t.is(rlspReward({ answered: true, correct: true, length: 16, effort: 0.8 }, c), 0.8 * 0.5 + 0.2 * 0.8);
  t.is(rlspReward({ answered: false, correct: false, length: 8, effort: 0 }, c), 0.8 * -1.5);
  t.throws(() => rlspReward({ answered: true, correct: true, length: 16, effort: 1.5 }, c), { message: /effort grade must be in \[0, 1\]/ });
  t.is(rlspReward({ answered: true, correct: true, length: 16, effort: 1 }, cfg({ C: 8 })), 0.5, 'judge 0 is off');
});

test('bad configs are refused', (t) => {
  t.throws(() => RlspConfig.parse({ C: -1 }));
  t.throws(() => RlspConfig.parse({ judge: 1.5 }));
  t.throws(() => RlspConfig.parse({ mode: 'other' }));
});

test('thought statistics: length before <answer>, segments, checks, backtracks; no answer → the whole completion', (t) => {
  const ids = tok.encode('<think> 0 + 3 = 3 <sep> <check> 0 + 3 = 3 <ok> <sep> 3 + 7 = 0 </think> <answer> 0 </answer> <eos>');
  const s = thoughtStats(ids, tok);
  t.deepEqual(s, { answered: true, length: 21, segments: 3, distinct: 3, checks: 1, backs: 0 });
  t.is(effortScore(s, 8), 0.6 * (3 / 8) + 0.2);
  const repeated = thoughtStats(tok.encode('<think> 0 + 3 = 3 <sep> 0 + 3 = 3 <sep> <back> </think> <answer> 3 </answer> <eos>'), tok);
  t.is(repeated.segments, 3);
  t.is(repeated.distinct, 2);
  t.is(repeated.backs, 1);
  t.is(effortScore(repeated, 2), 0.6 + 0.2);
  const cut = thoughtStats(tok.encode('<think> 0 + 3 = 3 <sep> 3 + 7'), tok);
  t.false(cut.answered);
  t.is(cut.length, 10);
  t.false(thoughtStats(tok.encode('<think> 1 </think> <answer> </answer> <eos>'), tok).answered, 'an empty answer is no answer');
});

test('the shaper rewards each sample and reports the thought statistics', async (t) => {
  const problem = { task: 'digit-sum' as const, level: 1, problem: { prompt: ['3', '7', '='], answer: ['0'], meta: { digits: [3, 7] } }, prompt: tok.encode('3 7 ='), answer: tok.encode('0') };
  const sample = (text: string) => {
    const completion = tok.encode(text);
    const g = task.grade(problem, completion);
    return { completion, logProbs: completion.map(() => -1), reward: g.correct ? 1 : 0, correct: g.correct, formatOk: g.formatOk };
  };
  const right = '<think> 0 + 3 = 3 <sep> 3 + 7 = 0 </think> <answer> 0 </answer> <eos>'; // L = 13
  const wrong = '<think> 0 + 3 = 3 <sep> 3 + 7 = 1 </think> <answer> 1 </answer> <eos>';
  const none = '<think> 0 + 3 = 3 <sep> 3 + 7'; // L = 10
  const groups: Group[] = [{ prompt: { index: 0, seed: 1, problem }, samples: [sample(right), sample(wrong), sample(none)] }];
  const ctx = { task } as unknown as ShapeContext;
  const shaped = await rlspShaper({ C: 13 }).shape(groups, ctx);
  t.deepEqual(shaped.rewards, [[1 - 1, 0 - 1, -0.5 - 1.3]]);
  t.is(shaped.bonus, undefined);
  t.is(shaped.metrics?.rlsp_answered, 2 / 3);
  t.is(shaped.metrics?.rlsp_length, 12);
  t.is(shaped.metrics?.rlsp_check_rate, 0);
  const verifier = await rlspShaper({ mode: 'verifier' }).shape(groups, ctx);
  t.deepEqual(verifier.rewards, [[1, 0, -0.5]]);
  t.deepEqual(rlspShaper({ mode: 'exploration', C: 4 }).id, { method: 'rlsp', mode: 'exploration', C: 4, noAnswer: -0.5, judge: 0, judgeSegments: 8 });
});
