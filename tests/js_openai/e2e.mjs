// The official `openai` npm package against the emulator's OpenAI-compatible layer.
// Run by tests/openai/test_js_openai.py: `node e2e.mjs <scenario>` with EMULATOR_URL and OPENAI_API_KEY set.
import assert from "node:assert/strict";
import OpenAI, { toFile } from "openai";

const client = new OpenAI({
  apiKey: process.env.OPENAI_API_KEY,
  baseURL: `${process.env.EMULATOR_URL}/v1beta/openai/`,
  maxRetries: 0,
});

const line = (id, text) => ({
  custom_id: id,
  method: "POST",
  url: "/v1/chat/completions",
  body: { model: "gemini-2.5-flash", messages: [{ role: "user", content: text }] },
});

async function waitFor(id) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (["completed", "failed", "expired", "cancelled"].includes(batch.status)) return batch;
    assert.ok(Date.now() < deadline, `still ${batch.status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const scenarios = {
  // Upload (the SDK sends the file part before `purpose`), batch, poll, output and error files, list, delete.
  async batch() {
    const lines = [line("a", "Explain tides."), line("b", "Explain volcanoes."), line("bad", "Hi")];
    lines[2].body.n = 99; // refused by the model at run time: a 400 in the error file
    const data = lines.map((l) => JSON.stringify(l)).join("\n");
    const file = await client.files.create({ file: await toFile(Buffer.from(data), "in.jsonl"), purpose: "batch" });
    assert.equal(file.purpose, "batch");
    assert.equal(file.bytes, Buffer.byteLength(data));
    console.log("uploaded", file.id);
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      metadata: { from: "node" },
    });
    assert.equal(created.status, "validating");
    const batch = await waitFor(created.id);
    assert.equal(batch.status, "completed");
    assert.deepEqual(batch.request_counts, { total: 3, completed: 2, failed: 1 });
    assert.deepEqual(batch.metadata, { from: "node" });
    console.log("completed", batch.id);
    const output = (await (await client.files.content(batch.output_file_id)).text()).trim().split("\n").map(JSON.parse);
    assert.deepEqual(output.map((r) => r.custom_id), ["a", "b"]);
    assert.ok(output[0].response.body.choices[0].message.content.length > 0);
    const errors = (await (await client.files.content(batch.error_file_id)).text()).trim().split("\n").map(JSON.parse);
    assert.deepEqual(errors.map((r) => [r.custom_id, r.response.status_code]), [["bad", 400]]);
    const direct = await client.chat.completions.create(lines[0].body);
    assert.equal(output[0].response.body.choices[0].message.content, direct.choices[0].message.content);
    const listed = [];
    for await (const b of client.batches.list({ limit: 1 })) listed.push(b.id);
    assert.deepEqual(listed, [batch.id]);
    const deleted = await client.files.delete(file.id);
    assert.equal(deleted.deleted, true);
    await assert.rejects(client.files.retrieve(file.id), (e) => e.status === 403);
  },
  // Streaming chat and embeddings (the SDK asks for base64 vectors and decodes them).
  async sync() {
    const messages = [{ role: "user", content: "Explain tides." }];
    const whole = await client.chat.completions.create({ model: "gemini-2.5-flash", messages });
    let text = "";
    const stream = await client.chat.completions.create({ model: "gemini-2.5-flash", messages, stream: true });
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    assert.equal(text, whole.choices[0].message.content);
    const embedded = await client.embeddings.create({ model: "gemini-embedding-001", input: ["a", "b"], dimensions: 8 });
    assert.deepEqual(embedded.data.map((d) => d.embedding.length), [8, 8]);
  },
};

const name = process.argv[2];
await scenarios[name]();
console.log(`ok ${name}`);
