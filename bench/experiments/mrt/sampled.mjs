// Post-hoc analysis (mrt-helper, not part of the experiment's check): usage after npx tsc,
//   node bench/experiments/mrt/sampled.mjs RUN_DIR [problems per level, 100] [budget B of the run, 36]
// post-hoc: sampled (T = 1, the training temperature) completions at 2B of each kept policy; checks per thought, tokens after the first J = 1 prefix per settled problem, accuracy
import { openReasoner } from '../../../dist/learners/reasoning/sft.js';
import { decodeCached } from '../../../dist/learners/reasoning/decode.js';
import { evalProblems } from '../../../dist/learners/reasoning/evaluate.js';
import { episodes, estimateJ, prefixThrough, querySeed } from '../../../dist/learners/methods/meta-prover.js';
import { anytimeCurve, tokensAfterSolved, normalisedRegret } from '../../../dist/learners/methods/mrt.js';
import { parseCompletion } from '../../../dist/scenarios/reasoning/index.js';
import { Rng, deriveSeed } from '../../../dist/scenarios/random.js';
const root = process.argv[2]; const n = Number(process.argv[3] ?? 100); const B = Number(process.argv[4] ?? 36);
const out = {};
for (const seed of [1, 2, 3, 4, 5]) for (const pol of ['sft', 'grpo', 'mrt', 'mrt-term']) {
  const r = await openReasoner(`${root}/runs/seed-${seed}/${pol}`, { threads: 1 });
  const task = r.task; const check = task.tokenizer.tokens.indexOf('<check>');
  const all = [1, 2].flatMap((level) => evalProblems(task, level, n).map((p) => ({ level, problem: p.problem, seed: p.seed })));
  const dec = await decodeCached(r.kv.session, r.kv.cache, all.map((a) => a.problem.prompt), { seq: r.spec.contextLength, eos: task.tokenizer.eos, pad: task.tokenizer.pad, temperature: 1, rngs: all.map((a) => Rng.from(deriveSeed(a.seed, 'sampled'))), maxNewTokens: 2 * B, batchSize: 256 });
  const plans = all.map((a, i) => { const c = dec[i].completion; const eps = episodes(c, task, 6); return { a, c, eps, qs: Array.from({ length: eps.length + 1 }, (_, k) => { const prefix = prefixThrough(c, eps, k - 1, task); return { problem: a.problem, prefix, seed: querySeed(a.seed, 'sampled', prefix) }; }) }; });
  const js = await estimateJ(task, r.kv, plans.flatMap((p) => p.qs), { samples: 4, sampling: { temperature: 0.7, topP: 0.95 }, answerTokens: 8, seq: r.spec.contextLength, batchSize: 512 });
  let cur = 0; const g = { acc: 0, checks: 0, after: 0, settled: 0, len: 0, regret: 0, n: 0 };
  for (const p of plans) { const j = js.slice(cur, cur + p.qs.length); cur += p.qs.length; const curve = anytimeCurve(j, p.eps); const s = tokensAfterSolved(curve, p.c.length);
    g.n++; g.acc += task.grade(p.a.problem, p.c).correct ? 1 : 0; g.len += p.c.length; g.regret += normalisedRegret(curve, B);
    g.checks += parseCompletion(p.c, task.tokenizer).segments.filter((sg) => p.c[sg.start] === check).length; if (s !== null) { g.settled++; g.after += s; } }
  const row = { accuracy: g.acc / g.n, length: g.len / g.n, checks: g.checks / g.n, afterPerSettled: g.after / Math.max(1, g.settled), settled: g.settled / g.n, regretB: g.regret / g.n };
  (out[pol] ??= []).push(row);
  console.log(seed, pol, Object.entries(row).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' '));
  await r.dispose();
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const T = [12.706, 4.303, 3.182, 2.776];
const ci = (xs) => { const m = mean(xs); const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)); const h = T[xs.length - 2] * sd / Math.sqrt(xs.length); return `${m.toFixed(3)} [${(m - h).toFixed(3)}, ${(m + h).toFixed(3)}]`; };
for (const pol of Object.keys(out)) console.log('MEAN', pol, Object.keys(out[pol][0]).map((k) => `${k} ${ci(out[pol].map((x) => x[k]))}`).join(' | '));
for (const pol of ['mrt', 'mrt-term']) console.log('DIFF', pol, '- grpo', Object.keys(out[pol][0]).map((k) => `${k} ${ci(out[pol].map((x, i) => x[k] - out.grpo[i][k]))}`).join(' | '));
