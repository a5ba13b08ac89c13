// ort_time.js - times ONNX Runtime (CPU provider, MLAS kernels) on one
// model of the dlc zoo, the peer measurement of bench/zoo-bench.sh.
//
//   node ort_time.js [--samples] MODEL_DIR RUNS WARMUP
//
// MODEL_DIR holds model.onnx, input.bin and manifest.json as written by
// scripts/make_zoo.py. One session with one intra-op thread, sequential
// execution and every graph optimization; the input is the zoo's own
// input.bin. Prints one line: "median_us min_us max_abs_err", the error
// being against the zoo's expected.bin (PyTorch's output), so a wrong
// answer cannot pass as a fast one. With --samples it prints every timing
// in microseconds instead, one per line, after a line "err E".
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function typed(buf, dtype) {
  const b = new Uint8Array(buf).buffer; // a private, aligned copy
  if (dtype === 'i64') return ['int64', new BigInt64Array(b)];
  if (dtype === 'i32') return ['int32', new Int32Array(b)];
  return ['float32', new Float32Array(b)];
}

async function main() {
  const args = process.argv.slice(2);
  const samples = args[0] === '--samples';
  if (samples) args.shift();
  const [dir, runsArg, warmArg] = args;
  if (!dir) throw new Error('usage: node ort_time.js MODEL_DIR RUNS WARMUP');
  const runs = parseInt(runsArg || '200', 10), warmup = parseInt(warmArg || '20', 10);
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json')));
  const sess = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const [ttype, data] = typed(fs.readFileSync(path.join(dir, m.input.file)), m.input.dtype);
  const feeds = { [m.input.name]: new ort.Tensor(ttype, data, m.input.shape) };
  const [, want] = typed(fs.readFileSync(path.join(dir, m.output.file)), 'f32');
  const got = (await sess.run(feeds))[m.output.name].data;
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  const t = [];
  for (let r = -warmup; r < runs; r++) {
    const s = process.hrtime.bigint();
    await sess.run(feeds);
    const e = process.hrtime.bigint();
    if (r >= 0) t.push(Number(e - s) / 1e3);
  }
  if (samples) {
    console.log(`err ${err.toExponential(2)}\n` + t.map((x) => x.toFixed(2)).join('\n'));
    return;
  }
  t.sort((a, b) => a - b);
  const med = runs % 2 ? t[runs >> 1] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
  console.log(`${med.toFixed(1)} ${t[0].toFixed(1)} ${err.toExponential(2)}`);
}
main().catch((e) => { console.error('ort_time: ' + e.message); process.exit(1); });
