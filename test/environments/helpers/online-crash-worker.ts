// The online worker, made to crash on cue: a task holding a request of group -1 always kills its
// worker thread; one of group -2 kills it the first time only (a marker file named by actionSeed).
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onlineTask from '../../../environments/online/worker.js';

export function crashMarker(actionSeed: number): string {
  return join(tmpdir(), `reverie-online-crash-${actionSeed}`);
}

export default function crashingTask(raw: unknown): Promise<unknown> {
  const requests = (raw as { requests: { group?: number; actionSeed: number }[] }).requests;
  if (requests.some((r) => r.group === -1)) process.exit(3);
  const once = requests.find((r) => r.group === -2);
  if (once && !existsSync(crashMarker(once.actionSeed))) {
    writeFileSync(crashMarker(once.actionSeed), '');
    process.exit(3);
  }
  return onlineTask(raw);
}
