/**
 * Checkpoint files: parameters, optimiser state, step, RNG state and config in one file,
 * written atomically (temporary file in the same folder, fsync, rename), so a crash leaves
 * either the old checkpoint or the new one, never half of one.
 *
 * Layout: 8 bytes `RVRCKPT1`, u32 (little-endian) header length, the header as JSON, zero
 * padding to a multiple of 8, then each tensor's raw little-endian bytes at its `offset`.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DType } from '../graph/compiled.js';
import type { HostArray } from './onnx.js';
import { newArray } from './session.js';

const MAGIC = 'RVRCKPT1';

export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

export interface CheckpointTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: HostArray;
}

export interface Checkpoint {
  /** Training steps completed. */
  readonly step: number;
  /** State of the learner's seeded RNG ({@link Rng.state}). */
  readonly rng: { readonly seed: number; readonly state: readonly number[] };
  /** Whatever configuration the caller wants kept with the weights (JSON). */
  readonly config: Json;
  /** Parameters and optimiser state, in the graph's order. */
  readonly tensors: readonly CheckpointTensor[];
}

interface Header {
  format: 1;
  step: number;
  rng: { seed: number; state: number[] };
  config: Json;
  tensors: { name: string; dtype: DType; shape: number[]; offset: number; bytes: number }[];
}

let tmpCounter = 0;

/** Writes `path` atomically: a temporary file beside it, fsync, rename over, fsync the folder. */
export function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tmpCounter}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks) {
      let off = 0;
      while (off < c.byteLength) off += writeSync(fd, c, off, c.byteLength - off);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  try {
    const dfd = openSync(dirname(path), 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // some filesystems cannot fsync a folder; the rename itself is still atomic
  }
}

export function writeCheckpoint(path: string, ck: Checkpoint): void {
  const tensors: Header['tensors'] = [];
  let offset = 0;
  for (const t of ck.tensors) {
    tensors.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], offset, bytes: t.data.byteLength });
    offset += Math.ceil(t.data.byteLength / 8) * 8;
  }
  const header: Header = { format: 1, step: ck.step, rng: { seed: ck.rng.seed, state: [...ck.rng.state] }, config: ck.config, tensors };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pre = Buffer.alloc(Math.ceil((12 + json.length) / 8) * 8);
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(json.length, 8);
  json.copy(pre, 12);
  const chunks: Uint8Array[] = [pre];
  for (const t of ck.tensors) {
    chunks.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    const pad = (8 - (t.data.byteLength % 8)) % 8;
    if (pad) chunks.push(new Uint8Array(pad));
  }
  writeFileAtomic(path, chunks);
}

export function readCheckpoint(path: string): Checkpoint {
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${path}: not a Reverie checkpoint (expected it to start with ${MAGIC})`);
  const n = buf.readUInt32LE(8);
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + n)) as Header;
  } catch (e) {
    throw new Error(`${path}: checkpoint header is not valid JSON (${(e as Error).message}); the file is damaged`);
  }
  if (header.format !== 1) throw new Error(`${path}: checkpoint format ${header.format} is not supported by this version (1)`);
  const base = Math.ceil((12 + n) / 8) * 8;
  const tensors = header.tensors.map((t) => {
    const start = base + t.offset;
    if (start + t.bytes > buf.length) throw new Error(`${path}: tensor '${t.name}' runs past the end of the file; the file is truncated`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    const data = newArray(t.dtype, count);
    if (data.byteLength !== t.bytes) throw new Error(`${path}: tensor '${t.name}' has ${t.bytes} bytes, shape [${t.shape}] of ${t.dtype} needs ${data.byteLength}`);
    new Uint8Array(data.buffer).set(buf.subarray(start, start + t.bytes));
    return { name: t.name, dtype: t.dtype, shape: t.shape, data };
  });
  return { step: header.step, rng: header.rng, config: header.config, tensors };
}
