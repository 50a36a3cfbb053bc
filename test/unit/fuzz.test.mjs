// The fuzz regression corpus: every input that ever crashed a fuzz target (test/fuzz/), plus
// hand-made hostile inputs and the seeds, replayed through the JSON reader/writer and the
// config.json / state.json validators compiled exactly as bin/tsrun is (asc -> wasm2c -> C).
// A trap (abort, unreachable, out-of-bounds, call stack exhausted) or memory out of
// proportion to the input fails. See docs/hardening.md.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const files = (dir) => readdirSync(join(REPO, dir)).map((f) => join(REPO, dir, f));

const build = spawnSync('bash', [join(REPO, 'test/fuzz/build.sh'), 'replay'], { encoding: 'utf8' });

test('the fuzz targets build', () => {
  assert.is(build.status, 0, build.stderr);
});

for (const [target, dirs] of [
  ['json', ['test/fuzz/corpus/json', 'test/fuzz/seeds/json']],
  ['config', ['test/fuzz/corpus/config', 'test/fuzz/seeds/config', 'test/fuzz/corpus/json']],
]) {
  test(`${target}: every corpus input ends in a value or a clean error`, () => {
    const inputs = dirs.flatMap(files);
    assert.ok(inputs.length > 10, 'a corpus');
    const r = spawnSync(join(REPO, 'build/fuzz', `replay-${target}`), inputs, { encoding: 'utf8', timeout: 120000 });
    assert.is(r.status, 0, `${r.stderr}`);
    assert.match(r.stdout, `replayed ${inputs.length} inputs`);
  });
}

test.run();
