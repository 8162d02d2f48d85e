// Google's own samples, unchanged but for the base URL and the key, against a running emulator.
//
//   EMULATOR_URL=http://127.0.0.1:8790 GEMINI_API_KEY=k node tests/js/parity.mjs <scenario>
//
// Run by tests/parity/test_js_parity.py, one scenario per pytest test. Each step prints one line; a
// failed assertion or an unexpected error exits non-zero with the stack.
import assert from 'node:assert/strict';
import {createReadStream} from 'node:fs';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {GoogleGenAI, JobState} from '@google/genai';
import {AuthPlus, Discovery} from 'googleapis-common';

const EMULATOR_URL = process.env.EMULATOR_URL;
const API_KEY = process.env.GEMINI_API_KEY;

let workDir;

function step(message) {
  console.log(`- ${message}`);
}

// `const {google} = require('googleapis')`, as the `googleapis` package builds it (src/googleapis.ts):
// `google.auth` is an AuthPlus, `google.discoverAPI(url)` a googleapis-common Discovery's endpoint.
// The package itself bundles every Google API (tens of MB); its discovery client is this one.
const google = {
  _options: {},
  auth: new AuthPlus(),
  async discoverAPI(apiPath, options = {}) {
    const endpointCreator = await new Discovery({debug: false, includePrivate: false}).discoverAPI(apiPath);
    const ep = endpointCreator(options, this);
    ep.google = this;
    return Object.freeze(ep);
  },
};

const scenarios = {
  /** quickstarts/file-api/sample.js of google-gemini/cookbook: discover the API, upload an image
   * with media.upload (uploadType=multipart: metadata + bytes), then generateContent with it. */
  async 'file-api-sample'() {
    const GENAI_DISCOVERY_URL = `${EMULATOR_URL}/$discovery/rest?version=v1beta&key=${API_KEY}`;
    const genaiService = await google.discoverAPI({url: GENAI_DISCOVERY_URL}.url);
    const auth = new google.auth.GoogleAuth().fromAPIKey(API_KEY);
    step('discovered');

    const filePath = process.env.SAMPLE_PNG;
    const media = {mimeType: 'image/png', body: createReadStream(filePath)};
    const body = {file: {displayName: 'Gemini logo'}};
    const createFileResponse = await genaiService.media.upload({media: media, auth: auth, requestBody: body});
    const file = createFileResponse.data.file;
    const size = (await readFile(filePath)).length;
    assert.equal(file.displayName, 'Gemini logo');
    assert.equal(file.mimeType, 'image/png');
    assert.equal(file.sizeBytes, String(size));
    assert.equal(file.state, 'ACTIVE');
    assert.match(file.uri, /\/v1beta\/files\/[a-z0-9]+$/);
    step(`uploaded (multipart) ${file.name}, ${file.sizeBytes} bytes`);

    const prompt = 'Describe the image with a creative description';
    const model = 'models/gemini-2.5-flash';
    const contents = {
      contents: [{parts: [{text: prompt}, {file_data: {file_uri: file.uri, mime_type: file.mimeType}}]}],
    };
    const generateContentResponse = await genaiService.models.generateContent({
      model: model,
      requestBody: contents,
      auth: auth,
    });
    const text = generateContentResponse.data.candidates[0].content.parts[0].text;
    assert.ok(text.includes(`File ${file.name} (image/png, ${size} bytes)`), text);
    step('generateContent saw the file');

    // The same client's other calls, and the media-only form (no metadata part).
    const plain = await genaiService.media.upload({media: {mimeType: 'text/plain', body: 'hello'}, auth});
    assert.equal(plain.data.file.mimeType, 'text/plain');
    assert.equal(plain.data.file.sizeBytes, '5');
    step(`uploaded (media) ${plain.data.file.name}`);
    const got = await genaiService.files.get({name: file.name, auth});
    assert.equal(got.data.displayName, 'Gemini logo');
    const listed = await genaiService.files.list({pageSize: 10, auth});
    assert.deepEqual(listed.data.files.map((f) => f.name).sort(), [file.name, plain.data.file.name].sort());
    await genaiService.files.delete({name: plain.data.file.name, auth});
    await assert.rejects(genaiService.files.get({name: plain.data.file.name, auth}), (err) => err.status === 403);
    const batches = await genaiService.batches.list({name: 'batches', auth});
    assert.equal(batches.status, 200);
    step('files.get, files.list, files.delete, batches.list');
  },

  /** js-genai's sdk-samples/batches_embed_file.ts: the input uploaded as
   * application/vnd.google.generativeai.jsonl, then createEmbeddings from it. */
  async 'vnd-jsonl'() {
    const client = new GoogleGenAI({apiKey: API_KEY, httpOptions: {baseUrl: EMULATOR_URL}});
    const EMBEDDING_MODEL = 'models/gemini-embedding-001';
    const jsonlContent = [
      {key: 'request_1', request: {model: EMBEDDING_MODEL, content: {parts: [{text: 'The quick brown fox'}]}, outputDimensionality: 5}},
      {key: 'request_2', request: {model: EMBEDDING_MODEL, content: {parts: [{text: 'jumps over the lazy dog'}]}}, outputDimensionality: 5},
      {key: 'request_3', request: {model: EMBEDDING_MODEL, content: {parts: [{text: 'A delightful summer day'}]}, outputDimensionality: 5}},
    ]
      .map((obj) => JSON.stringify(obj))
      .join('\n');
    const tempFilePath = join(workDir, 'embedding_input.jsonl');
    await writeFile(tempFilePath, jsonlContent);
    const uploadedFile = await client.files.upload({
      file: tempFilePath,
      config: {mimeType: 'application/vnd.google.generativeai.jsonl', displayName: 'batch-embedding-input'},
    });
    assert.equal(uploadedFile.mimeType, 'application/vnd.google.generativeai.jsonl');
    step(`uploaded ${uploadedFile.name} as ${uploadedFile.mimeType}`);
    const batchJob = await client.batches.createEmbeddings({
      model: EMBEDDING_MODEL,
      src: {fileName: uploadedFile.name},
      config: {displayName: 'My File Embedding Batch TS'},
    });
    let result = await client.batches.get({name: batchJob.name});
    while (![JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED].includes(result.state)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      result = await client.batches.get({name: batchJob.name});
    }
    assert.equal(result.state, JobState.JOB_STATE_SUCCEEDED);
    const downloaded = join(workDir, 'batch.jsonl');
    await client.files.download({file: result.dest.fileName, downloadPath: downloaded});
    const lines = (await readFile(downloaded, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(lines.map((l) => l.key), ['request_1', 'request_2', 'request_3']);
    assert.deepEqual(lines.map((l) => l.response.embedding.values.length), [5, 3072, 5]);
    step('createEmbeddings read it as JSON Lines');
  },
};

async function main() {
  const name = process.argv[2];
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);
  workDir = await mkdtemp(join(tmpdir(), 'gemini-emulator-parity-'));
  try {
    await scenario();
  } finally {
    await rm(workDir, {recursive: true, force: true});
  }
  console.log(`ok ${name}`);
}

main().catch((err) => {
  console.error(`FAILED ${process.argv[2]}:`, err);
  process.exit(1);
});
