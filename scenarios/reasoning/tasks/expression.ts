/** Arithmetic over symbols (`( 2 5 - 4 ) * 3`): + − × and parentheses, natural-number literals. No eval(). */

export type Op = '+' | '-' | '*';

export interface Evaluated {
  readonly value: number;
  /** The literals in the order they appear. */
  readonly numbers: readonly number[];
}

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
}

/**
 * Parses and evaluates an expression by recursive descent:
 * `expr := term (('+'|'-') term)*`, `term := factor ('*' factor)*`, `factor := number | '(' expr ')'`.
 * A number is one or more digit symbols without a leading zero. Division and anything else is refused.
 */
export function evaluate(symbols: readonly string[]): Evaluated {
  let i = 0;
  const numbers: number[] = [];
  const peek = () => symbols[i];
  const fail = (what: string): never => { throw new ExpressionError(`${what} at token ${i + 1}`); };

  const factor = (): number => {
    const s = peek();
    if (s === '(') {
      i++;
      const v = expr();
      if (peek() !== ')') fail(peek() === undefined ? "missing ')'" : `expected ')', found '${peek()}'`);
      i++;
      return v;
    }
    if (s !== undefined && /^[0-9]$/.test(s)) {
      let text = '';
      while (peek() !== undefined && /^[0-9]$/.test(peek())) text += symbols[i++];
      if (text.length > 1 && text[0] === '0') { i -= text.length; fail(`number '${text}' has a leading zero`); }
      numbers.push(Number(text));
      return Number(text);
    }
    if (s === '/' || s === '÷') return fail('division is not allowed (only + - *)');
    return fail(s === undefined ? 'expected a number or (, found the end' : `expected a number or (, found '${s}'`);
  };
  const term = (): number => {
    let v = factor();
    while (peek() === '*') { i++; v *= factor(); }
    return v;
  };
  function expr(): number {
    let v = term();
    for (let s = peek(); s === '+' || s === '-'; s = peek()) {
      i++;
      v = s === '+' ? v + term() : v - term();
    }
    return v;
  }

  if (symbols.length === 0) throw new ExpressionError('empty expression');
  const value = expr();
  if (i < symbols.length) {
    const s = peek();
    fail(s === ')' ? "unbalanced ')'" : s === '/' || s === '÷' ? 'division is not allowed (only + - *)' : `unexpected '${s}'`);
  }
  if (!Number.isSafeInteger(value)) throw new ExpressionError('the value is too large to check exactly');
  return { value, numbers };
}

/** An expression being built: its value, symbols, and top operator (for parentheses). */
export interface Node {
  readonly value: number;
  readonly symbols: readonly string[];
  readonly op: Op | null;
}

export const leaf = (v: number): Node => ({ value: v, symbols: String(v).split(''), op: null });

/** `a op b` with the fewest parentheses that keep its meaning. */
export function combine(a: Node, op: Op, b: Node): Node {
  const low = (n: Node) => n.op === '+' || n.op === '-';
  const wrap = (n: Node, need: boolean) => (need ? ['(', ...n.symbols, ')'] : n.symbols);
  const value = op === '+' ? a.value + b.value : op === '-' ? a.value - b.value : a.value * b.value;
  const left = wrap(a, op === '*' && low(a));
  const right = wrap(b, op === '*' ? low(b) : op === '-' && low(b));
  return { value, symbols: [...left, op, ...right], op };
}
