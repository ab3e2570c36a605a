/**
 * Shapes with symbolic dimensions. A dimension is a number or a symbolic name ('batch'); a
 * product of dimensions that involves names is written canonically, e.g. '64*batch', so that
 * reshapes such as [batch, 64, 128] -> [64*batch, 128] -> [batch, 64, 128] infer and check.
 */
import type { Dim } from './compiled.js';
import { GraphError } from './errors.js';

export type Shape = readonly Dim[];

interface Factored {
  readonly coef: number;
  readonly syms: readonly string[];
}

function factor(d: Dim): Factored {
  if (typeof d === 'number') return { coef: d, syms: [] };
  const parts = d.split('*');
  let coef = 1;
  const syms: string[] = [];
  for (const p of parts) {
    if (/^\d+$/.test(p)) coef *= Number(p);
    else syms.push(p);
  }
  return { coef, syms: syms.sort() };
}

function unfactor(f: Factored): Dim {
  if (f.syms.length === 0) return f.coef;
  return f.coef === 1 ? f.syms.join('*') : `${f.coef}*${f.syms.join('*')}`;
}

/** The product of dimensions (a number when all are numbers). */
export function dimProduct(dims: Shape): Dim {
  let coef = 1;
  const syms: string[] = [];
  for (const d of dims) {
    const f = factor(d);
    coef *= f.coef;
    syms.push(...f.syms);
  }
  return unfactor({ coef, syms: syms.sort() });
}

/** total / part, or undefined when it does not divide exactly. */
export function dimDivide(total: Dim, part: Dim): Dim | undefined {
  const t = factor(total);
  const p = factor(part);
  if (p.coef === 0 || t.coef % p.coef !== 0) return undefined;
  const rest = [...t.syms];
  for (const s of p.syms) {
    const i = rest.indexOf(s);
    if (i < 0) return undefined;
    rest.splice(i, 1);
  }
  return unfactor({ coef: t.coef / p.coef, syms: rest });
}

export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Numpy-style broadcast of two shapes; a symbolic dimension broadcasts only against itself or 1. */
export function broadcast(a: Shape, b: Shape, what: string): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else throw new GraphError('shape', `${what}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast (dimension ${i - n} is ${x} vs ${y})`);
  }
  return out;
}

/** Normalises a possibly negative axis for a tensor of the given rank. */
export function axisOf(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new GraphError('shape', `${what}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}
