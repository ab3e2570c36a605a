import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DeviceUnavailableError, probeDevice, requireDevice, resolveDevice } from '../../../learners/runtime/index.js';

test('the device comes from the option, else REVERIE_DEVICE, else cpu', (t) => {
  t.is(resolveDevice(undefined, {}), 'cpu');
  t.is(resolveDevice(undefined, { REVERIE_DEVICE: 'webgpu' }), 'webgpu');
  t.is(resolveDevice('cuda', { REVERIE_DEVICE: 'webgpu' }), 'cuda');
  t.throws(() => resolveDevice(undefined, { REVERIE_DEVICE: 'tpu' }), { message: "REVERIE_DEVICE must be one of cpu, webgpu, cuda; got 'tpu'" });
  t.throws(() => resolveDevice('gpu', {}), { message: /options.device must be one of/ });
});

test('cpu is always there', (t) => {
  t.deepEqual(probeDevice('cpu'), { ok: true });
});

test('cuda without its provider fails with what was asked, why and what to do', (t) => {
  const p = probeDevice('cuda');
  if (p.ok) return t.pass('cuda works here');
  const e = t.throws(() => requireDevice('cuda'), { instanceOf: DeviceUnavailableError });
  t.regex(e.message, /^device 'cuda' is not available: .+\. .*ONNXRUNTIME_NODE_INSTALL=cuda12.*REVERIE_DEVICE=cpu/);
});

test('webgpu without a Vulkan driver fails with a message instead of a crash', (t) => {
  const runtime = fileURLToPath(new URL('../../../learners/runtime/index.js', import.meta.url));
  const script = `import(${JSON.stringify(runtime)}).then((m) => { try { m.requireDevice('webgpu'); console.log('available'); } catch (e) { console.log(e.name + ': ' + e.message); } })`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' } });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /DeviceUnavailableError: device 'webgpu' is not available: .*adapter.*mesa-vulkan-drivers/);
});
