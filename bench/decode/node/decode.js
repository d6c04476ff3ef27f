'use strict';
// Baseline of benchmark 1 (docs/BENCHMARKS.md): records per second of the npm package
// complete-teltonika-parser decoding the same Codec 8 Extended packets as bench_decode, which
// writes them as hex, one packet a line, and a JSON file of what they hold. The parser takes a
// packet as a hex string (its README), so the strings are made before timing: the baseline is not
// charged for a Buffer-to-hex conversion that a server using it would pay.
//
// Usage: node decode.js PACKETS.hex PACKETS.json [--runs N] [--min-run-ms N] [--warmup-ms N]
// Each run decodes all packets over and over for --min-run-ms of CPU time, as bench_decode does;
// the last line is "RESULT records_per_s=<median CPU-time rate> wall_records_per_s=<median
// wall-time rate>" for run.sh.

const fs = require('fs');
const { ProtocolParser } = require('complete-teltonika-parser');

function fail(why) {
  console.error(`decode.js: ${why}`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { runs: 7, minRunMs: 1000, warmupMs: 2000, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) fail(`missing value after ${a}`);
      return Number(argv[++i]);
    };
    if (a === '--runs') opts.runs = next();
    else if (a === '--min-run-ms') opts.minRunMs = next();
    else if (a === '--warmup-ms') opts.warmupMs = next();
    else if (a.startsWith('--')) fail(`unknown argument ${a}`);
    else opts.files.push(a);
  }
  if (opts.files.length !== 2) {
    fail('usage: node decode.js PACKETS.hex PACKETS.json ' +
         '[--runs N] [--min-run-ms N] [--warmup-ms N]');
  }
  return opts;
}

// One packet as the parser's README shows: new ProtocolParser(hex), records in
// Content.AVL_Datas. An IO element error is thrown rather than swallowed.
function decode(hex) {
  const parsed = new ProtocolParser(hex, false, (e) => { throw e; });
  if (parsed.CodecType !== 'data sending' || parsed.CodecID !== 0x8e) {
    fail(`packet decoded as ${parsed.CodecType}, codec ${parsed.CodecID}`);
  }
  return parsed.Content.AVL_Datas;
}

function ioCount(record) {
  return Object.keys(record.IOelement.Elements).length;
}

// Checks that the parser finds in these bytes what bench_decode encoded: the record count, and the
// first and last record's timestamp and number of IO values.
function verify(packets, meta) {
  const records = [];
  for (const p of packets) records.push(...decode(p));
  if (packets.length !== meta.packets) fail(`${packets.length} packets, expected ${meta.packets}`);
  if (records.length !== meta.records) fail(`${records.length} records, expected ${meta.records}`);
  const check = (r, timeMs, io, which) => {
    if (r.Timestamp.getTime() !== timeMs || ioCount(r) !== io || r.IOelement.ElementCount !== io) {
      fail(`${which} record: time ${r.Timestamp.getTime()} ms, ${ioCount(r)} IO values ` +
           `(N total ${r.IOelement.ElementCount}); expected ${timeMs} ms, ${io}`);
    }
  };
  check(records[0], meta.first_record_time_ms, meta.first_record_io_count, 'first');
  check(records[records.length - 1], meta.last_record_time_ms, meta.last_record_io_count, 'last');
}

// CPU time of this process in seconds: user + system, over all of node's threads (the JIT
// compiler and the garbage collector included), which run.sh pins to the same one core.
function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

// Decodes all packets over and over for at least `ms` of CPU time; records per second of CPU
// time and of wall time.
function timedRun(packets, ms) {
  let records = 0;
  const wallStart = process.hrtime.bigint();
  const cpuStart = cpuSeconds();
  let cpu = 0;
  do {
    for (let i = 0; i < packets.length; i++) records += decode(packets[i]).length;
    cpu = cpuSeconds() - cpuStart;
  } while (cpu * 1000 < ms);
  const wall = Number(process.hrtime.bigint() - wallStart) / 1e9;
  return { cpu: records / cpu, wall: records / wall };
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  return n % 2 === 1 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const packets = fs.readFileSync(opts.files[0], 'utf8').split('\n').filter((l) => l.length > 0);
  const meta = JSON.parse(fs.readFileSync(opts.files[1], 'utf8'));
  verify(packets, meta);
  const version = require('complete-teltonika-parser/package.json').version;
  console.log(`decode.js: complete-teltonika-parser ${version} on node ${process.version}, ` +
              `${packets.length} packets, ${meta.records} records`);
  timedRun(packets, opts.warmupMs);  // warm-up: let the JIT compile the parser
  const cpuRates = [];
  const wallRates = [];
  for (let i = 0; i < opts.runs; i++) {
    const r = timedRun(packets, opts.minRunMs);
    cpuRates.push(r.cpu);
    wallRates.push(r.wall);
    console.log(`run ${i + 1}: ${Math.round(r.cpu)} records/s of CPU time, ` +
                `${Math.round(r.wall)} records/s of wall time`);
  }
  console.log(`RESULT records_per_s=${Math.round(median(cpuRates))} ` +
              `wall_records_per_s=${Math.round(median(wallRates))}`);
}

main();
