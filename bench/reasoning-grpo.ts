/**
 * The GRPO run of issue 7: greedy pass@1 of an SFT checkpoint on fixed evaluation problems
 * (the `eval:` namespace), GRPO from it (learners/reasoning/grpo.ts), then pass@1 of the result
 * on the same problems. Prints one JSON object (both evaluations, the GRPO run's rates, the load
 * average before and after) to stdout, one metrics row per iteration to stderr.
 *
 *   npm run build && nice -n 10 node dist/bench/reasoning-grpo.js --init runs/sft --out runs/grpo --levels 2 --iterations 250 --eval-levels 1,2 --eval 1000
 *
 * Flags: --scenario (addition) --init DIR --out DIR --levels (GRPO mixture, `2` or `1:0.3,2:0.7`)
 * --iterations --eval-levels --eval N (problems per level) --eval-seed --threads --config JSON
 * (more ReasoningGrpoConfig fields) --skip-before (do not evaluate the init)
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { parseLevels } from '../learners/reasoning/data.js';
import { evaluateReasoner } from '../learners/reasoning/evaluate.js';
import { runGrpo } from '../learners/reasoning/grpo.js';
import { openReasoner } from '../learners/reasoning/sft.js';

const { values: a } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'addition' },
    init: { type: 'string' },
    out: { type: 'string', default: 'runs/reasoning-grpo' },
    levels: { type: 'string', default: '2' },
    iterations: { type: 'string', default: '100' },
    'eval-levels': { type: 'string', default: '1,2' },
    eval: { type: 'string', default: '1000' },
    'eval-seed': { type: 'string', default: '7' },
    threads: { type: 'string', default: '2' },
    config: { type: 'string', default: '{}' },
    'skip-before': { type: 'boolean', default: false },
  },
});
if (!a.init) throw new Error('--init DIR: the SFT run to start from');
const threads = Number(a.threads);
const levels = a['eval-levels'].split(',').map(Number);
const problems = Number(a.eval);
const evalSeed = Number(a['eval-seed']);

async function evaluate(dir: string) {
  const reasoner = await openReasoner(dir, { threads });
  try {
    const t0 = Date.now();
    const report = await evaluateReasoner(reasoner, { levels, problems, evalSeed, batchSize: 128 });
    return { dir, seconds: (Date.now() - t0) / 1000, levels: report.levels };
  } finally {
    await reasoner.dispose();
  }
}

const before = a['skip-before'] ? undefined : await evaluate(a.init);
if (before) console.error(JSON.stringify({ before: before.levels.map((l) => ({ level: l.level, pass1: l.pass1 })) }));
const loadBefore = loadavg();
const grpo = await runGrpo(
  { ...(JSON.parse(a.config) as Record<string, unknown>), scenario: a.scenario, init: a.init, out: a.out, levels: parseLevels(a.levels), iterations: Number(a.iterations), threads },
  { log: (row) => console.error(JSON.stringify(row)) },
);
const loadAfter = loadavg();
const after = await evaluate(a.out);
const { spec: _spec, ...run } = grpo;
console.log(JSON.stringify({ before, grpo: run, load: { before: loadBefore, after: loadAfter }, after }, null, 2));
