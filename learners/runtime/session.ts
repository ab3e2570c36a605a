/**
 * onnxruntime sessions on a device, and the one way values cross between host and device.
 */
import * as ort from 'onnxruntime-node';
import type { DType } from '../graph/compiled.js';
import { executionProviders, requireDevice, resolveDevice, type Device } from './device.js';
import { identityModel, type HostArray } from './onnx.js';

/** Options shared by training and inference sessions. */
export interface RuntimeOptions {
  /** `cpu` (default), `webgpu` or `cuda`; `REVERIE_DEVICE` when not given. */
  readonly device?: Device | string;
  /** onnxruntime intra-op threads (CPU kernels); onnxruntime's default (one per core) when not given. */
  readonly threads?: number;
  /** onnxruntime graph optimisation level; default `all`. */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** onnxruntime memory pattern planning; default true (onnxruntime's default). */
  readonly enableMemPattern?: boolean;
  /**
   * Whether onnxruntime's intra-op threads spin while waiting for work (onnxruntime's default: yes).
   * Spinning wins on an idle machine; on one whose cores are shared with other busy processes, not
   * spinning avoids threads burning the time slices the others need.
   */
  readonly spinning?: boolean;
  /** Write an onnxruntime profile (JSON trace) with this file prefix; read it after {@link DeviceSession.endProfiling}. */
  readonly profilePrefix?: string;
}

export type Location = 'cpu' | 'gpu-buffer';

/** An onnxruntime InferenceSession opened on a checked device. */
export class DeviceSession {
  private constructor(
    readonly device: Device,
    readonly session: ort.InferenceSession,
  ) {}

  /**
   * Opens a model on a device. On `webgpu`, `outputLocations` says which outputs stay in GPU
   * buffers (`gpu-buffer`) and which come to the host (`cpu`, the default for outputs not named).
   */
  static async open(model: Uint8Array | string, options: RuntimeOptions & { readonly outputLocations?: Readonly<Record<string, Location>> } = {}): Promise<DeviceSession> {
    const device = resolveDevice(options.device);
    requireDevice(device);
    const so: ort.InferenceSession.SessionOptions = {
      executionProviders: executionProviders(device),
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      logSeverityLevel: 3,
      ...(options.threads !== undefined ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
      ...(options.spinning !== undefined ? { extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } } } : {}),
      ...(options.enableMemPattern !== undefined ? { enableMemPattern: options.enableMemPattern } : {}),
      ...(options.profilePrefix !== undefined ? { enableProfiling: true, profileFilePrefix: options.profilePrefix } : {}),
      ...(device !== 'cpu' && options.outputLocations ? { preferredOutputLocation: { ...options.outputLocations } } : {}),
    };
    const session = typeof model === 'string' ? await ort.InferenceSession.create(model, so) : await ort.InferenceSession.create(model, so);
    return new DeviceSession(device, session);
  }

  run(feeds: Readonly<Record<string, ort.Tensor>>, fetches?: readonly string[]): Promise<Record<string, ort.Tensor>> {
    return (fetches ? this.session.run(feeds, fetches) : this.session.run(feeds)) as Promise<Record<string, ort.Tensor>>;
  }

  /** Stops profiling and writes the profile file (when opened with `profilePrefix`). */
  endProfiling(): void {
    this.session.endProfiling();
  }

  dispose(): Promise<void> {
    return this.session.release();
  }
}

/** Why a value crossed to the host; counted separately so tests can prove parameters stay put. */
export type TransferReason = 'checkpoint' | 'export' | 'read' | 'metrics';

export interface TransferCounts {
  /** Tensors brought to the host through {@link Transfer.toHost}, all reasons. */
  toHost: number;
  /** Bytes brought to the host. */
  bytesToHost: number;
  /** Tensors placed on the device through {@link Transfer.toDevice}. */
  toDevice: number;
  byReason: Record<TransferReason, number>;
}

/**
 * Moves tensors between host and device: the only place a device tensor becomes host data.
 * On `webgpu` it runs a one-node Identity graph on the same provider with a `cpu` (down) or
 * `gpu-buffer` (up) output, because `Tensor.getData()` on a `gpu-buffer` tensor aborts the process
 * in onnxruntime-node 1.30.
 */
export class Transfer {
  readonly counts: TransferCounts = { toHost: 0, bytesToHost: 0, toDevice: 0, byReason: { checkpoint: 0, export: 0, read: 0, metrics: 0 } };
  private readonly down = new Map<DType, Promise<DeviceSession>>();
  private readonly up = new Map<DType, Promise<DeviceSession>>();

  constructor(readonly device: Device) {}

  private identity(cache: Map<DType, Promise<DeviceSession>>, dtype: DType, location: Location): Promise<DeviceSession> {
    let s = cache.get(dtype);
    if (!s) {
      s = DeviceSession.open(identityModel(dtype), { device: this.device, outputLocations: { y: location } });
      cache.set(dtype, s);
    }
    return s;
  }

  /** The values of a tensor on the host (a copy when it lived on the device). */
  async toHost(t: ort.Tensor, reason: TransferReason): Promise<HostArray> {
    this.counts.toHost++;
    this.counts.byReason[reason]++;
    let host: ort.Tensor = t;
    if (t.location !== 'cpu') {
      if (t.location !== 'gpu-buffer') throw new Error(`toHost: cannot read a tensor whose data is at '${t.location}' (disposed?)`);
      const s = await this.identity(this.down, dtypeOf(t), 'cpu');
      host = (await s.run({ x: t })).y;
    }
    const data = host.data as HostArray;
    this.counts.bytesToHost += data.byteLength;
    return data;
  }

  /** A tensor holding `data`, placed on the device (on `cpu`, a host tensor over `data`, not copied). */
  async toDevice(data: HostArray, dtype: DType, dims: readonly number[]): Promise<ort.Tensor> {
    this.counts.toDevice++;
    const t = hostTensor(data, dtype, dims);
    if (this.device === 'cpu') return t;
    const s = await this.identity(this.up, dtype, 'gpu-buffer');
    return (await s.run({ x: t })).y;
  }

  async dispose(): Promise<void> {
    for (const cache of [this.down, this.up]) {
      for (const s of cache.values()) await (await s).dispose();
      cache.clear();
    }
  }
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', bool: 'bool' };

export function dtypeOf(t: ort.Tensor): DType {
  for (const [k, v] of Object.entries(ORT_TYPE)) if (v === t.type) return k as DType;
  throw new Error(`tensor type '${t.type}' is not one Reverie graphs use (${Object.keys(ORT_TYPE).join(', ')})`);
}

const ARRAY: Record<DType, new (n: number) => HostArray> = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  bool: Uint8Array,
};

/** A host tensor of `dtype` over `data` (which must already be the dtype's typed array). */
export function hostTensor(data: HostArray, dtype: DType, dims: readonly number[]): ort.Tensor {
  if (!(data instanceof ARRAY[dtype])) throw new TypeError(`a ${dtype} tensor needs a ${ARRAY[dtype].name}, got ${data.constructor.name}`);
  return new ort.Tensor(ORT_TYPE[dtype], data as never, dims);
}

/** A new zero-filled host array of a dtype. */
export function newArray(dtype: DType, n: number): HostArray {
  return new ARRAY[dtype](n);
}
