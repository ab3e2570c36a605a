import type { Rng } from '../random.js';
import type { ReasonerSettings } from './schema.js';
import type { Trace } from './tasks/types.js';

/** The scripted reasoner's output: thought segments (symbols, without separators) and the answer. */
export interface Reasoning {
  readonly segments: readonly (readonly string[])[];
  readonly answer: readonly string[];
  /** How many mistakes were made, caught, and undone by backtracking (for tests and data statistics). */
  readonly mistakes: number;
  readonly caught: number;
  readonly backtracks: number;
}

/**
 * Writes a trace step by step as the scripted reasoner does (see {@link ReasonerSettings}):
 * a wrong step is followed by `<check> right step <no>` at once, or (backtracking) one or two
 * steps later followed by `<back>` and the steps redone from the wrong one; a correct step is
 * sometimes checked (`<check> step <ok>`). After a backtrack the steps that followed the wrong one
 * are written again as usual. Only a slip (never checked) makes the answer wrong.
 */
export function reason(trace: Trace<unknown>, settings: ReasonerSettings, rng: Rng): Reasoning {
  const segments: string[][] = [];
  let mistakes = 0;
  let caught = 0;
  let backtracks = 0;
  let state = trace.start;
  for (let i = 0; i < trace.steps; i++) {
    const right = trace.step(state, i);
    const wrong = settings.mistakeRate > 0 && rng.bernoulli(settings.mistakeRate) ? trace.wrong(state, i, rng) : null;
    if (!wrong) {
      segments.push([...right.tokens]);
      if (settings.checkRate > 0 && rng.bernoulli(settings.checkRate)) segments.push(['<check>', ...right.tokens, '<ok>']);
      state = right.next;
      continue;
    }
    mistakes++;
    segments.push([...wrong.tokens]);
    if (settings.slipRate > 0 && rng.bernoulli(settings.slipRate)) {
      state = wrong.next;
      continue;
    }
    caught++;
    if (trace.propagates && settings.backtrackRate > 0 && rng.bernoulli(settings.backtrackRate)) {
      // Carry on from the wrong result for a step or two, then notice, go back and redo.
      backtracks++;
      const late = Math.min(1 + rng.int(2), trace.steps - 1 - i);
      let s = wrong.next;
      for (let k = 1; k <= late; k++) {
        const st = trace.step(s, i + k);
        segments.push([...st.tokens]);
        s = st.next;
      }
      segments.push(['<check>', ...right.tokens, '<no>'], ['<back>'], [...right.tokens]);
    } else {
      segments.push(['<check>', ...right.tokens, '<no>']);
    }
    state = right.next;
  }
  return { segments, answer: trace.answer(state), mistakes, caught, backtracks };
}
