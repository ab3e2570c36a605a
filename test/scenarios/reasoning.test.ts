import test from 'ava';
import { Rng } from '../../scenarios/random.js';
import { ReasoningTask, Tokenizer, TokenizeError, evaluate, loadReasoningScenario, parseCompletion } from '../../scenarios/reasoning/index.js';
import type { ReasoningProblem } from '../../scenarios/reasoning/index.js';
import { solvableWithin } from '../../scenarios/reasoning/tasks/countdown.js';
import { combine, leaf } from '../../scenarios/reasoning/tasks/expression.js';

const IDS = ['addition', 'digit-sum', 'sort', 'countdown'] as const;
const tasks = Object.fromEntries(IDS.map((id) => [id, new ReasoningTask(loadReasoningScenario(id))])) as Record<(typeof IDS)[number], ReasoningTask>;
const CLEAN = { mistakeRate: 0, checkRate: 0, backtrackRate: 0, slipRate: 0 };
const SEEDS = 150;

const problem = (task: ReasoningTask, seed: number, level: number) => task.generate(Rng.from(seed).fork(`level-${level}`), level);

test('tokenizer: decode then encode gives the same ids, for random id sequences', (t) => {
  const tok = tasks.countdown.tokenizer;
  const rng = Rng.from(11);
  for (let k = 0; k < 500; k++) {
    const ids = Array.from({ length: rng.int(40) }, () => rng.int(tok.size));
    t.deepEqual(tok.encode(tok.decode(ids)), ids);
    t.deepEqual(tok.encode(tok.symbols(ids)), ids);
  }
});

test('tokenizer: compact text splits into the longest tokens; unknown symbols are clear errors', (t) => {
  const tok = tasks.countdown.tokenizer;
  t.is(tok.decode(tok.encode('<think>12+3</think>')), '<think> 1 2 + 3 </think>');
  t.is(tok.id('<pad>'), 0);
  t.is(tok.sep, tok.id('<sep>'));
  t.throws(() => tok.encode('1 2 x 3'), { instanceOf: TokenizeError, message: /unknown symbol 'x' at character 5/ });
  t.throws(() => tok.encode('<think'), { instanceOf: TokenizeError, message: /unknown symbol '<'/ });
  t.throws(() => tok.decode([0, tok.size]), { instanceOf: TokenizeError, message: /id \d+ at position 1 is outside the vocabulary/ });
  t.throws(() => new Tokenizer({ separator: '<sep>', tokens: ['<pad>', '<eos>'] }), { message: /unknown symbol '<think>'/ });
});

for (const id of IDS) {
  test(`${id}: the clean scripted reasoner's answers verify at every level, within maxTokens`, (t) => {
    const task = tasks[id];
    for (let level = 1; level <= task.levels; level++) {
      for (let seed = 0; seed < SEEDS; seed++) {
        const p = problem(task, seed, level);
        const { completion } = task.solve(p, Rng.from(seed), CLEAN);
        const g = task.grade(p, completion);
        if (!g.correct) t.fail(`level ${level} seed ${seed}: ${g.reason} — ${task.tokenizer.decode(completion)}`);
        t.true(g.formatOk && g.score === 1);
        t.true(completion.length <= task.scenario.maxTokens, `level ${level} seed ${seed}: ${completion.length} tokens`);
        t.deepEqual(task.tokenizer.symbols(completion.slice(g.answer!.start, g.answer!.end)), task.tokenizer.symbols(p.answer));
      }
    }
  });

  test(`${id}: with mistakes on, answers still verify and thoughts show checks and backtracks`, (t) => {
    const task = tasks[id];
    const settings = { mistakeRate: 0.3, checkRate: 0.3, backtrackRate: 0.5, slipRate: 0 };
    let mistakes = 0;
    let backtracks = 0;
    const markers = { '<check>': 0, '<no>': 0, '<ok>': 0, '<back>': 0 };
    for (let level = 1; level <= task.levels; level++) {
      for (let seed = 0; seed < 40; seed++) {
        const p = problem(task, seed, level);
        const { completion, reasoning } = task.solve(p, Rng.from(1000 + seed), settings);
        const g = task.grade(p, completion);
        if (!g.correct) t.fail(`level ${level} seed ${seed}: ${g.reason}`);
        mistakes += reasoning.mistakes;
        backtracks += reasoning.backtracks;
        t.is(reasoning.caught, reasoning.mistakes, 'every mistake is caught');
        for (const s of task.tokenizer.symbols(completion)) if (s in markers) markers[s as keyof typeof markers]++;
      }
    }
    t.true(mistakes > 20, `${mistakes} mistakes`);
    t.true(markers['<no>'] >= mistakes, 'each mistake gets a refuting check');
    t.true(markers['<ok>'] > 0 && markers['<check>'] === markers['<ok>'] + markers['<no>']);
    t.true(markers['<back>'] > 0);
    if (id !== 'countdown') t.true(backtracks > 0 && backtracks < mistakes, 'some mistakes are fixed at once, some by backtracking');
  });

  test(`${id}: the same seed gives the same problem and solution; another seed another problem`, (t) => {
    const task = tasks[id];
    const settings = { mistakeRate: 0.2, checkRate: 0.2, backtrackRate: 0.5, slipRate: 0 };
    const level = task.levels;
    const a = problem(task, 7, level);
    const b = problem(task, 7, level);
    t.deepEqual(a, b);
    t.deepEqual(task.solve(a, Rng.from(9), settings), task.solve(b, Rng.from(9), settings));
    const others = new Set(Array.from({ length: 10 }, (_, s) => task.tokenizer.decode(problem(task, 100 + s, level).prompt)));
    t.true(others.size >= 8);
  });

  test(`${id}: mean completion tokens grow with the difficulty level`, (t) => {
    const task = tasks[id];
    const means: number[] = [];
    for (let level = 1; level <= task.levels; level++) {
      let total = 0;
      for (let seed = 0; seed < 100; seed++) total += task.solve(problem(task, seed, level), Rng.from(seed), CLEAN).completion.length;
      means.push(total / 100);
    }
    for (let l = 1; l < means.length; l++) t.true(means[l] > means[l - 1], `means ${means.map((m) => m.toFixed(1)).join(' < ')}`);
  });
}

test('slips (never caught) make wrong answers, and the verifier says so', (t) => {
  for (const id of ['addition', 'digit-sum', 'sort'] as const) {
    const task = tasks[id];
    let wrong = 0;
    for (let seed = 0; seed < 30; seed++) {
      const p = problem(task, seed, 2);
      const { completion, reasoning } = task.solve(p, Rng.from(seed), { mistakeRate: 1, checkRate: 0, backtrackRate: 0, slipRate: 1 });
      t.is(reasoning.caught, 0);
      const g = task.grade(p, completion);
      t.true(g.formatOk);
      if (!g.correct) wrong++;
    }
    t.true(wrong >= 25, `${id}: ${wrong} of 30 wrong`);
  }
});

test('addition: a worked example, column by column with carries', (t) => {
  const task = tasks.addition;
  const tok = task.tokenizer;
  const p: ReasoningProblem = { task: 'addition', level: 1, problem: { prompt: [...'47+85='], answer: [...'132'], meta: { a: '47', b: '85' } }, prompt: tok.encode('47+85='), answer: tok.encode('132') };
  t.is(tok.decode(task.solve(p, Rng.from(0), CLEAN).completion), '<think> 7 + 5 + 0 = 1 2 <sep> 4 + 8 + 1 = 1 3 </think> <answer> 1 3 2 </answer> <eos>');
});

test('format: segments are token spans split at the separator', (t) => {
  const tok = tasks.addition.tokenizer;
  const ids = tok.encode('<think> 7 + 5 + 0 = 1 2 <sep> 4 + 8 + 1 = 1 3 </think> <answer> 1 3 2 </answer> <eos> <pad> <pad>');
  const parsed = parseCompletion(ids, tok);
  t.true(parsed.formatOk, parsed.problems.join('; '));
  t.deepEqual(parsed.segments, [{ start: 1, end: 9 }, { start: 10, end: 18 }]);
  t.is(tok.decode(ids.slice(parsed.segments[1].start, parsed.segments[1].end)), '4 + 8 + 1 = 1 3');
  t.deepEqual(parsed.answer, { start: 20, end: 23 });
  t.is(parsed.length, 25);
  const empty = parseCompletion(tok.encode('<think> </think> <answer> 3 </answer> <eos>'), tok);
  t.true(empty.formatOk);
  t.deepEqual(empty.segments, []);
});

// ---------------------------------------------------------------------------------------------
// The verifier's rejection table: every row is wrong or malformed.

const fixed = (id: (typeof IDS)[number]): ReasoningProblem => {
  const task = tasks[id];
  const tok = task.tokenizer;
  const make = (prompt: string, answer: string, meta: unknown): ReasoningProblem => ({ task: task.scenario.task, level: 1, problem: { prompt: tok.symbols(tok.encode(prompt)), answer: tok.symbols(tok.encode(answer)), meta }, prompt: tok.encode(prompt), answer: tok.encode(answer) });
  switch (id) {
    case 'addition': return make('47+85=', '132', { a: '47', b: '85' });
    case 'digit-sum': return make('3719=', '0', { digits: [3, 7, 1, 9] });
    case 'sort': return make('31,7,12', '7,12,31', { values: [31, 7, 12], sorted: [7, 12, 31] });
    case 'countdown': return make('3,7,25,4=87', '(25+4)*3', { numbers: [3, 7, 25, 4], target: 87, search: [] });
  }
};
const wrap = (answer: string) => `<think> 1 + 1 = 2 </think> <answer> ${answer} </answer> <eos>`;

const rejected: [string, (typeof IDS)[number], string, RegExp, number?][] = [
  ['addition: a wrong digit (partial credit)', 'addition', wrap('1 4 2'), /expected 132, got 142/, 2 / 3],
  ['addition: a digit short', 'addition', wrap('3 2'), /expected 132, got 32/, 2 / 3],
  ['addition: a leading zero', 'addition', wrap('0 1 3 2'), /expected 132, got 0132/, 3 / 4],
  ['addition: not digits', 'addition', wrap('1 + 3'), /the answer must be digits only/, 0],
  ['addition: missing <answer>', 'addition', '<think> 1 </think> 1 3 2 </answer> <eos>', /missing <answer>/, 0],
  ['addition: no <eos>', 'addition', '<think> 1 </think> <answer> 1 3 2 </answer>', /no <eos>/, 0],
  ['addition: extra tokens after </answer>', 'addition', '<think> 1 </think> <answer> 1 3 2 </answer> 5 <eos>', /<eos> must follow <\/answer> directly/, 0],
  ['addition: tokens after <eos>', 'addition', '<think> 1 </think> <answer> 1 3 2 </answer> <eos> 7', /tokens after <eos>/, 0],
  ['addition: no <think>', 'addition', '<answer> 1 3 2 </answer> <eos>', /missing <think>/, 0],
  ['addition: an empty segment', 'addition', '<think> 1 <sep> <sep> 2 </think> <answer> 1 3 2 </answer> <eos>', /empty thought segment/, 0],
  ['addition: an empty answer', 'addition', wrap(''), /the answer is empty/, 0],
  ['addition: two answers', 'addition', '<think> 1 </think> <answer> 1 3 2 </answer> <answer> 1 3 2 </answer> <eos>', /<answer> appears 2 times/, 0],
  ['digit-sum: a wrong digit', 'digit-sum', wrap('9'), /expected 0, got 9/, 0],
  ['digit-sum: two digits', 'digit-sum', wrap('2 0'), /the answer must be one digit/, 0],
  ['sort: two positions swapped (partial credit)', 'sort', wrap('1 2 , 7 , 3 1'), /expected 7,12,31, got 12,7,31/, 1 / 3],
  ['sort: a value lost', 'sort', wrap('7 , 3 1'), /expected 7,12,31, got 7,31/, 1 / 3],
  ['sort: a dangling comma', 'sort', wrap('7 , 1 2 ,'), /numbers separated by commas/, 0],
  ['countdown: a number used twice (though it reaches the target)', 'countdown', wrap('2 5 * 3 + 4 * 3'), /uses 3 more often than it is given/, 0],
  ['countdown: a number not given (though it reaches the target)', 'countdown', wrap('2 9 * 3'), /29 is not one of the given numbers/, 0],
  ['countdown: the wrong target', 'countdown', wrap('2 5 * 4 - 7'), /evaluates to 93, not the target 87/, 0],
  ['countdown: division', 'countdown', wrap('2 5 * 4 / 4'), /division is not allowed/, 0],
  ['countdown: unbalanced (', 'countdown', wrap('( 2 5 + 4 * 3'), /missing '\)'/, 0],
  ['countdown: unbalanced )', 'countdown', wrap('2 5 + 4 ) * 3'), /unbalanced '\)'/, 0],
  ['countdown: two operators in a row', 'countdown', wrap('2 5 * * 4'), /expected a number or \(, found '\*'/, 0],
  ['countdown: a trailing operator', 'countdown', wrap('2 5 * 4 -'), /found the end/, 0],
  ['countdown: precedence matters (no parentheses)', 'countdown', wrap('2 5 + 4 * 3'), /evaluates to 37, not the target 87/, 0],
  ['countdown: a leading zero', 'countdown', wrap('( 2 5 + 0 4 ) * 3'), /leading zero/, 0],
];

for (const [name, id, text, reason, score] of rejected) {
  test(`verifier rejects — ${name}`, (t) => {
    const task = tasks[id];
    const g = task.grade(fixed(id), task.tokenizer.encode(text));
    t.false(g.correct);
    t.regex(g.reason ?? '', reason);
    if (score !== undefined) t.is(g.score, score);
  });
}

test('verifier accepts any correct countdown expression, not only the reference', (t) => {
  const task = tasks.countdown;
  for (const answer of ['( 2 5 + 4 ) * 3', '3 * ( 4 + 2 5 )', '( 4 + 2 5 ) * 3']) {
    const g = task.grade(fixed('countdown'), task.tokenizer.encode(wrap(answer)));
    t.true(g.correct, `${answer}: ${g.reason}`);
  }
  t.deepEqual(evaluate(['(', '2', '5', '-', '4', ')', '*', '3', '-', '7']), { value: 56, numbers: [25, 4, 3, 7] });
  t.is(evaluate(['2', '-', '3', '-', '4']).value, -5, 'left-associative');
});

test('with each built-in\'s own reasoner settings, scripted completions fit its maxTokens', (t) => {
  for (const id of IDS) {
    const task = tasks[id];
    for (let level = 1; level <= task.levels; level++) {
      for (let seed = 0; seed < 60; seed++) {
        const n = task.solve(problem(task, seed, level), Rng.from(seed)).completion.length;
        if (n > task.scenario.maxTokens) t.fail(`${id} level ${level} seed ${seed}: ${n} tokens`);
      }
    }
  }
  t.pass();
});

test('the step separator is the scenario\'s own token (a newline token works as well as <sep>)', (t) => {
  const base = loadReasoningScenario('digit-sum');
  const task = new ReasoningTask({ ...base, vocabulary: { separator: '<nl>', tokens: [...base.vocabulary.tokens.filter((x) => x !== '<sep>'), '<nl>'] } });
  const p = problem(task, 1, 1);
  const { completion } = task.solve(p, Rng.from(1), CLEAN);
  const symbols = task.tokenizer.symbols(completion);
  t.false(symbols.includes('<sep>'));
  const g = task.grade(p, completion);
  t.true(g.correct);
  t.is(g.segments.length, symbols.filter((x) => x === '<nl>').length + 1);
  t.is(g.segments.length, (p.problem.meta as { digits: number[] }).digits.length, 'one segment per digit');
});

test('countdown: minSteps holds — no generated problem has a shorter solution, references use enough operations', (t) => {
  const task = tasks.countdown;
  for (let level = 1; level <= task.levels; level++) {
    const { minSteps } = task.scenario.difficulty[level - 1] as { minSteps: number };
    for (let seed = 0; seed < 40; seed++) {
      const p = problem(task, seed, level);
      const meta = p.problem.meta as { numbers: number[]; target: number };
      if (minSteps > 1) t.false(solvableWithin(meta.numbers, meta.target, minSteps - 1), `level ${level} seed ${seed}`);
      const ops = p.problem.answer.filter((s) => s === '+' || s === '-' || s === '*').length;
      t.true(ops >= minSteps);
    }
  }
  t.true(solvableWithin([3, 7, 25, 4], 87, 2));
  t.false(solvableWithin([3, 7, 25, 4], 87, 1));
});

test('expressions printed with the fewest parentheses evaluate to the value they were built from', (t) => {
  const rng = Rng.from(5);
  const ops = ['+', '-', '*'] as const;
  for (let k = 0; k < 500; k++) {
    let pool = Array.from({ length: 2 + rng.int(5) }, () => leaf(1 + rng.int(30)));
    while (pool.length > 1) {
      pool = rng.shuffle(pool);
      const [a, b, ...rest] = pool;
      pool = [...rest, combine(a, rng.pick(ops), b)];
    }
    const e = evaluate(pool[0].symbols);
    t.is(e.value, pool[0].value, pool[0].symbols.join(' '));
  }
});
