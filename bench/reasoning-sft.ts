/**
 * The full SFT run of issue 7 on a reasoning scenario: train the token policy from scratch on the
 * scripted reasoner's data, then evaluate greedy pass@1 (Wilson 95% CI) on held-out, fixed-seed
 * problems by level. Prints one JSON object (config, training time, evaluation) to stdout and
 * progress to stderr.
 *
 *   npm run build && node dist/bench/reasoning-sft.js --out runs/sft-add --level 1 --steps 800 --eval 1000 --threads 2
 *
 * Flags: --scenario (addition) --out DIR --level L (training mixture: `1` or `1:0.5,2:0.5`)
 * --eval-levels (the training levels) --steps --batch --lr --warmup --dmodel --layers --heads --seq
 * --eval N (problems per level) --samples n (pass@k, 0 = greedy only) --threads --seed --data-seed
 */
import { parseArgs } from 'node:util';
import { parseLevels } from '../learners/reasoning/data.js';
import { evaluateReasoner } from '../learners/reasoning/evaluate.js';
import { openReasoner, runSft } from '../learners/reasoning/sft.js';

const { values: a } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'addition' },
    out: { type: 'string', default: 'runs/reasoning-sft' },
    level: { type: 'string', default: '1' },
    'eval-levels': { type: 'string' },
    steps: { type: 'string', default: '800' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '1e-3' },
    warmup: { type: 'string', default: '50' },
    dmodel: { type: 'string', default: '128' },
    layers: { type: 'string', default: '2' },
    heads: { type: 'string', default: '4' },
    seq: { type: 'string', default: '64' },
    eval: { type: 'string', default: '1000' },
    samples: { type: 'string', default: '0' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    'data-seed': { type: 'string', default: '1' },
    'no-resume': { type: 'boolean', default: false },
  },
});

const levels = parseLevels(a.level);
const threads = Number(a.threads);
const sft = await runSft(
  {
    scenario: a.scenario,
    out: a.out,
    levels,
    policy: { dModel: Number(a.dmodel), layers: Number(a.layers), heads: Number(a.heads), seq: Number(a.seq) },
    steps: Number(a.steps),
    batchSize: Number(a.batch),
    lr: Number(a.lr),
    warmup: Number(a.warmup),
    seed: Number(a.seed),
    dataSeed: Number(a['data-seed']),
    threads,
    resume: !a['no-resume'],
  },
  { log: (row) => console.error(JSON.stringify(row)) },
);
console.error(`trained ${sft.ranSteps} steps in ${sft.seconds.toFixed(1)} s`);
const reasoner = await openReasoner(a.out, { threads });
const evalLevels = a['eval-levels'] ? a['eval-levels'].split(',').map(Number) : levels.map((l) => l.level);
const started = Date.now();
const report = await evaluateReasoner(reasoner, { levels: evalLevels, problems: Number(a.eval), samples: Number(a.samples), batchSize: 128 });
const evalSeconds = (Date.now() - started) / 1000;
await reasoner.dispose();
console.log(JSON.stringify({ spec: sft.spec, train: { steps: sft.steps, ranSteps: sft.ranSteps, seconds: sft.seconds, final: sft.final }, eval: { ...report, seconds: evalSeconds, tokensPerSecond: report.decode.tokens / report.decode.seconds } }, null, 2));
