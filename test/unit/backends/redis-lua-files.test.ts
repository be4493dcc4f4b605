import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import luaparse from 'luaparse';
import { LUA_FILES, luaFileUrl, PRELUDE_FILE, RECORD_PRELUDE_FILE, SCRIPTS } from '../../../src/backends/redis/lua.js';

// The Redis scripts as Lua: each file parses as Lua 5.1 (the dialect of Redis's interpreter), so a
// syntax error fails here without a Redis server, and every file in the folder is one the loader uses.

const LUA_DIR = new URL('../../../src/backends/redis/lua/', import.meta.url);

function parseLua(source: string): void {
  luaparse.parse(source, { luaVersion: '5.1', comments: false });
}

describe('redis lua files', () => {
  const onDisk = readdirSync(LUA_DIR)
    .filter((name) => name.endsWith('.lua'))
    .map((name) => name.slice(0, -'.lua'.length))
    .sort();

  test('every file in lua/ is used by the loader, and every file the loader names is there', () => {
    assert.deepEqual(onDisk, [...new Set(LUA_FILES)].sort());
    assert.ok(onDisk.includes(PRELUDE_FILE));
    assert.ok(onDisk.includes(RECORD_PRELUDE_FILE));
  });

  for (const file of onDisk) {
    test(`${file}.lua parses as Lua 5.1`, () => {
      parseLua(readFileSync(luaFileUrl(file), 'utf8'));
    });
  }

  test('every assembled script (generated constants, prelude, body) parses, after its #!lua line', () => {
    for (const [name, source] of Object.entries(SCRIPTS)) {
      const [shebang, ...rest] = source.split('\n');
      assert.equal(shebang, '#!lua', name);
      assert.doesNotThrow(() => parseLua(rest.join('\n')), name);
    }
  });

  test('the parser rejects what Redis would reject', () => {
    assert.throws(() => parseLua("local x = redis.call('GET', 'k'"), SyntaxError);
    // Lua 5.2+ only: a goto label is not Lua 5.1.
    assert.throws(() => parseLua('::done::'), SyntaxError);
  });
});
