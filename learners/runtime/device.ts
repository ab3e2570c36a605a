/**
 * Devices a compiled graph runs on, how one is chosen, and whether it is there.
 *
 * A device is checked in a child process: a WebGPU or CUDA provider that fails to start can take
 * the whole process down with it, and a learner should fail with a message instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { identityModel } from './onnx.js';

export const DEVICES = ['cpu', 'webgpu', 'cuda'] as const;
export type Device = (typeof DEVICES)[number];

/** A device that was asked for but cannot run here: what was asked, why not, what to do. */
export class DeviceUnavailableError extends Error {
  constructor(
    readonly device: Device,
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`device '${device}' is not available: ${reason}. ${fix}`);
    this.name = 'DeviceUnavailableError';
  }
}

/**
 * The device to use: the option if given, else `REVERIE_DEVICE`, else `cpu`.
 *
 * @example
 * resolveDevice();            // 'cpu' (or whatever REVERIE_DEVICE says)
 * resolveDevice('webgpu');    // 'webgpu'
 */
export function resolveDevice(requested?: string, env: NodeJS.ProcessEnv = process.env): Device {
  const [value, from] =
    requested !== undefined ? [requested, 'options.device'] : env.REVERIE_DEVICE ? [env.REVERIE_DEVICE, 'REVERIE_DEVICE'] : ['cpu', 'default'];
  const v = value.trim().toLowerCase();
  if ((DEVICES as readonly string[]).includes(v)) return v as Device;
  throw new TypeError(`${from} must be one of ${DEVICES.join(', ')}; got '${value}'`);
}

/** The execution providers onnxruntime is given for a device (CPU stays as the fallback for shape ops). */
export function executionProviders(device: Device): InferenceSession.ExecutionProviderConfig[] {
  return device === 'cpu' ? ['cpu'] : [device, 'cpu'];
}

export type DeviceProbe = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly fix: string };

const probes = new Map<Device, DeviceProbe>();
const require = createRequire(import.meta.url);

/**
 * Whether a device can run a graph here, found once per process by running a one-node graph on it
 * in a child process (a provider that fails to start may abort its process).
 */
export function probeDevice(device: Device): DeviceProbe {
  const cached = probes.get(device);
  if (cached) return cached;
  const result = device === 'cpu' ? ({ ok: true } as const) : probeInChild(device);
  probes.set(device, result);
  return result;
}

/** Throws {@link DeviceUnavailableError} unless {@link probeDevice} says the device works. */
export function requireDevice(device: Device): void {
  const p = probeDevice(device);
  if (!p.ok) throw new DeviceUnavailableError(device, p.reason, p.fix);
}

const FIX: Record<Exclude<Device, 'cpu'>, string> = {
  webgpu:
    'WebGPU needs a Vulkan driver: on Debian install mesa-vulkan-drivers from bookworm-backports (software Vulkan, lavapipe) or a GPU driver, ' +
    'set XDG_RUNTIME_DIR if unset (see .ci/run), or choose device cpu (REVERIE_DEVICE=cpu)',
  cuda:
    'onnxruntime-node ships its CUDA provider separately: reinstall it with ONNXRUNTIME_NODE_INSTALL=cuda12 (this repo\'s .npmrc skips it) ' +
    'on a machine with an NVIDIA driver, CUDA 12 and cuDNN 9, or choose device cpu (REVERIE_DEVICE=cpu)',
};

function probeInChild(device: Exclude<Device, 'cpu'>): DeviceProbe {
  const ortEntry = require.resolve('onnxruntime-node');
  if (device === 'cuda') {
    const binDir = join(dirname(ortEntry), '..', 'bin', 'napi-v6', process.platform, process.arch);
    if (!existsSync(join(binDir, 'libonnxruntime_providers_cuda.so')))
      return { ok: false, reason: `onnxruntime-node's CUDA provider library is not installed in ${binDir}`, fix: FIX.cuda };
  }
  const model = Buffer.from(identityModel('float32')).toString('base64');
  const script = `
    const ort = require(${JSON.stringify(ortEntry)});
    (async () => {
      const s = await ort.InferenceSession.create(Buffer.from(process.argv[1], 'base64'),
        { executionProviders: [${JSON.stringify(device)}], logSeverityLevel: 3 });
      const r = await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 2, 3]), [3]) });
      if (r.y.data[2] !== 3) throw new Error('wrong result from a one-node graph: ' + Array.from(r.y.data));
      process.stdout.write('ok');
    })().catch((e) => { process.stderr.write(String(e && e.message || e)); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script, model], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0 && r.stdout === 'ok') return { ok: true };
  const why = r.error
    ? r.error.message
    : r.signal
      ? `a one-node graph on ${device} killed its process with ${r.signal}`
      : (r.stderr || `exit status ${r.status}`).trim().split('\n').filter((l) => !/^Warning:/.test(l)).slice(-3).join(' ');
  // onnxruntime prefixes the cause with its source location and the failed check: keep the cause
  const cause = why.replace(/\s+/g, ' ').replace(/^.*\bwas false\.\s*/, '');
  return { ok: false, reason: cause.slice(0, 300), fix: FIX[device] };
}
