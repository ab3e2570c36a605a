/**
 * Generated tokens/s of batched greedy decoding with a trained reasoner, by full recomputation over
 * the causal mask and with the KV-cache step model (kv.ts), at batch 1, 16 and 128 (or --batches).
 * Prints JSON.
 *
 *   npm run build && node dist/bench/reasoning-decode.js --dir runs/sft-add --threads 2
 */
import { parseArgs } from 'node:util';
import { decode, decodeCached, type DecodeStats } from '../learners/reasoning/decode.js';
import { evalProblems } from '../learners/reasoning/evaluate.js';
import { openReasoner } from '../learners/reasoning/sft.js';

const { values: a } = parseArgs({
  options: {
    dir: { type: 'string', default: 'runs/reasoning-sft' },
    level: { type: 'string', default: '1' },
    batches: { type: 'string', default: '1,16,128' },
    threads: { type: 'string', default: '2' },
    'min-tokens': { type: 'string', default: '2000' },
  },
});
const reasoner = await openReasoner(a.dir, { threads: Number(a.threads) });
const { task, spec } = reasoner;
const rows: Record<string, number>[] = [];
for (const b of a.batches.split(',').map(Number)) for (const kvCache of [false, true]) {
  const stats: DecodeStats = { runs: 0, tokens: 0, seconds: 0 };
  let round = 0;
  while (stats.tokens < Number(a['min-tokens'])) {
    const prompts = evalProblems(task, Number(a.level), b, 1000 + round++).map((p) => p.problem.prompt);
    const options = { seq: spec.contextLength, eos: task.tokenizer.eos, pad: task.tokenizer.pad, temperature: 0 };
    if (kvCache && reasoner.kv) await decodeCached(reasoner.kv.session, reasoner.kv.cache, prompts, options, stats);
    else await decode(reasoner.session, prompts, options, stats);
  }
  rows.push({ batch: b, kvCache: kvCache ? 1 : 0, tokens: stats.tokens, runs: stats.runs, seconds: stats.seconds, tokensPerSecond: stats.tokens / stats.seconds, msPerRun: (1000 * stats.seconds) / stats.runs });
  console.error(JSON.stringify(rows[rows.length - 1]));
}
await reasoner.dispose();
console.log(JSON.stringify({ model: spec.policy, contextLength: spec.contextLength, threads: Number(a.threads), rows }, null, 2));
