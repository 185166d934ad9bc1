#!/usr/bin/env node
// Creates a Vimmerse media job through mediagen and watches it to the end,
// from Node.js with @grpc/grpc-js and @grpc/proto-loader (the .proto files
// are loaded at run time from proto/, the same files the server is built
// from).
//
//   node client/node/watch_media.js --target 127.0.0.1:50051 [--token T]
//
// Prints one line per change and exits 0 when the job succeeded.
'use strict';

const path = require('path');
const crypto = require('crypto');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function parseArgs(argv) {
  const args = {target: '127.0.0.1:50051', token: process.env.MEDIAGEN_TOKEN || '',
                prompt: 'A lighthouse on a cliff at dusk, waves below'};
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in args)) throw new Error(`unknown flag ${argv[i]}`);
    args[key] = argv[i + 1];
  }
  return args;
}

function load() {
  const root = path.join(__dirname, '..', '..', 'proto');
  const definition = protoLoader.loadSync(
      ['mediagen/v1/media.proto', 'mediagen/v1/jobs.proto'],
      {includeDirs: [root], keepCase: true, longs: Number, enums: String,
       defaults: true, oneofs: true});
  return grpc.loadPackageDefinition(definition).mediagen.v1;
}

async function main() {
  const args = parseArgs(process.argv);
  const v1 = load();
  // The published retry policy (reads only), as any client should use it.
  const serviceConfig = require('../../proto/mediagen/v1/mediagen_grpc_service_config.json');
  const options = {'grpc.service_config': JSON.stringify(serviceConfig)};
  const creds = grpc.credentials.createInsecure();
  const media = new v1.MediaService(args.target, creds, options);
  const jobs = new v1.JobService(args.target, creds, options);
  const metadata = new grpc.Metadata();
  if (args.token) metadata.set('authorization', `Bearer ${args.token}`);

  const deadline = () => new Date(Date.now() + 30000);
  const created = await new Promise((resolve, reject) => {
    media.CreateMedia({
      request_id: crypto.randomUUID(),  // a retry is never charged twice
      title: 'mediagen node example',
      prompt: args.prompt,
      duration: 5,
      aspect_ratio: '16:9',
      audio_option: {narrator: 'Sarah',
                     narration: 'Every evening the light comes on.',
                     bg_music_prompt: 'calm ambient strings'},
    }, metadata, {deadline: deadline()}, (err, res) => err ? reject(err) : resolve(res));
  });
  const name = created.media.name;
  console.log(`created ${name} (status ${created.media.processing_status})`);

  const start = Date.now();
  const last = await new Promise((resolve, reject) => {
    let job = null;
    const call = jobs.WatchJob({name}, metadata);
    call.on('data', (event) => {
      if (event.event !== 'job') return;  // heartbeat
      job = event.job;
      const pct = job.progress_percentage ?? 0;
      const state = job.state.replace('JOB_STATE_', '').toLowerCase();
      console.log(`${((Date.now() - start) / 1000).toFixed(1).padStart(6)}s ` +
                  `${String(pct).padStart(3)}% ${state} (${job.upstream_status}) v${job.version}`);
    });
    call.on('error', reject);
    call.on('end', () => resolve(job));
  });
  for (const url of last.result_urls) console.log(`result: ${url}`);
  media.close();
  jobs.close();
  return last.state === 'JOB_STATE_SUCCEEDED' ? 0 : 20;
}

main().then((code) => process.exit(code), (err) => {
  console.error(`mediagen: ${grpc.status[err.code] ?? ''} ${err.details ?? err.message}`);
  process.exit(typeof err.code === 'number' ? err.code : 1);
});
