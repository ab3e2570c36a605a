import { createReadStream } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MANIFEST_FILE } from './manifest.js';

/** Errors about a dataset on disk: the message names the directory or shard and line, and what to do. */
export class DatasetError extends Error {
  constructor(message: string, readonly file?: string, readonly line?: number) {
    super(message);
    this.name = 'DatasetError';
  }
}

/** Write all of `data` at the file handle's position (a single write may be short). */
export async function writeAll(fh: import('node:fs/promises').FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off);
    off += bytesWritten;
  }
}

/** fsync a directory, so a rename in it survives a crash of the machine (not only of the process). */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    await fh.close();
  }
}

/** Replace `path` atomically: write a temp file beside it, fsync, rename over, fsync the directory. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await writeAll(fh, Buffer.from(text));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
}

export interface Line {
  /** The line's text without its newline. */
  readonly text: string;
  /** 1-based line number. */
  readonly lineNo: number;
  /** Byte offset just after this line's newline. */
  readonly end: number;
}

/**
 * Streams the newline-terminated lines of a file (bounded memory: one chunk plus one line).
 * A last line without a newline is not yielded; `tail` says how many bytes it had, so a
 * caller can treat it as torn (a crash mid-write) or as an error.
 */
export async function* readLines(path: string, onBytes?: (chunk: Buffer) => void): AsyncGenerator<Line, { tail: number }> {
  let carry: Buffer[] = [];
  let carryLen = 0;
  let offset = 0;
  let lineNo = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl + 1);
      const full = carryLen ? Buffer.concat([...carry, piece]) : piece;
      carry = [];
      carryLen = 0;
      offset += full.length;
      lineNo++;
      onBytes?.(full);
      yield { text: full.toString('utf8', 0, full.length - 1), lineNo, end: offset };
      start = nl + 1;
    }
    if (start < chunk.length) {
      carry.push(chunk.subarray(start));
      carryLen += chunk.length - start;
    }
  }
  return { tail: carryLen };
}

/**
 * {@link readLines} of a file the manifest lists: a missing or unreadable file is a DatasetError
 * that names it and says what is then incomplete (`whole`: "the dataset", "the slice").
 */
export async function* listedLines(path: string, onBytes: ((chunk: Buffer) => void) | undefined, whole: string): AsyncGenerator<Line, { tail: number }> {
  try {
    return yield* readLines(path, onBytes);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'ENOENT' ? `${path}: missing (listed in ${MANIFEST_FILE}); ${whole} is incomplete: regenerate it` : `${path}: cannot read (${(err as Error).message})`, path);
  }
}
