import { describe, expect, it } from 'vitest';
import { describeCycles, folderCycles, productFolder, type FileImport } from './graph.js';

const imp = (from: string, to: string): FileImport => ({ from, to });

describe('productFolder', () => {
  it.each([
    ['hub/ingest/index-writer.ts', 'hub/ingest'],
    ['hub/api/page/app.ts', 'hub/api'],
    ['hub/main.ts', 'hub/main.ts'],
    ['edge/geometry.ts', 'edge/geometry.ts'],
    ['shared/audit/audit.ts', 'shared/audit'],
    ['shared/log.ts', 'shared/log.ts'],
    ['cli/run.ts', 'cli'],
    ['provisioning/model.ts', 'provisioning'],
    ['demo/main.ts', 'demo'],
    ['hub/ingest/ingest.test.ts', undefined],
    ['testing/hub/test-support.ts', undefined],
    ['test/box.ts', undefined],
    ['test-fixtures/camera/scenes.ts', undefined],
    ['bench/search.ts', undefined],
    ['tools/check-cycles/main.ts', undefined],
    ['vitest.config.ts', undefined],
  ])('%s → %s', (file, folder) => {
    expect(productFolder(file)).toBe(folder);
  });
});

describe('folderCycles', () => {
  it.each<[string, FileImport[], string[][]]>([
    ['no imports', [], []],
    ['layers: ingest and retrieval both on store', [imp('hub/ingest/a.ts', 'hub/store/s.ts'), imp('hub/retrieval/r.ts', 'hub/store/s.ts'), imp('hub/ingest/a.ts', 'hub/retrieval/r.ts')], []],
    ['files of one folder importing each other', [imp('hub/ingest/a.ts', 'hub/ingest/b.ts'), imp('hub/ingest/b.ts', 'hub/ingest/a.ts')], []],
    ['two folders, each way', [imp('hub/ingest/a.ts', 'hub/retrieval/r.ts'), imp('hub/retrieval/r.ts', 'hub/ingest/invalid.ts')], [['hub/ingest', 'hub/retrieval']]],
    ['each way through different files', [imp('hub/store/schema.ts', 'hub/retrieval/schema.ts'), imp('hub/retrieval/retrievals.ts', 'hub/store/store.ts')], [['hub/retrieval', 'hub/store']]],
    ['a loop of three', [imp('hub/a/x.ts', 'hub/b/x.ts'), imp('hub/b/x.ts', 'hub/c/x.ts'), imp('hub/c/x.ts', 'hub/a/x.ts')], [['hub/a', 'hub/b', 'hub/c']]],
    ['two separate loops', [imp('hub/a/x.ts', 'hub/b/x.ts'), imp('hub/b/x.ts', 'hub/a/x.ts'), imp('shared/c/x.ts', 'shared/d/x.ts'), imp('shared/d/x.ts', 'shared/c/x.ts')], [['hub/a', 'hub/b'], ['shared/c', 'shared/d']]],
    ['a daemon importing the CLI that imports it', [imp('cli/wardwatch.ts', 'hub/command.ts'), imp('hub/command.ts', 'cli/command.ts')], [['cli', 'hub/command.ts']]],
    ['a loop through a test is no loop', [imp('hub/a/x.ts', 'hub/b/x.ts'), imp('hub/b/x.test.ts', 'hub/a/x.ts')], []],
    ['a loop through a test helper is no loop', [imp('hub/a/x.ts', 'testing/hub/x.ts'), imp('testing/hub/x.ts', 'hub/a/x.ts')], []],
    ['a loop through a fixture is no loop', [imp('demo/main.ts', 'test-fixtures/camera/camera.ts'), imp('test-fixtures/camera/camera.ts', 'demo/main.ts')], []],
  ])('%s', (_name, imports, expected) => {
    expect(folderCycles(imports).map((c) => c.folders)).toEqual(expected);
  });

  it('names the loop and every import behind its arrows', () => {
    const cycles = folderCycles([imp('hub/ingest/index-writer.ts', 'hub/retrieval/store.ts'), imp('hub/retrieval/store.ts', 'hub/ingest/invalid.ts'), imp('hub/ingest/ingest.ts', 'hub/store/store.ts')]);
    expect(cycles).toEqual([
      {
        folders: ['hub/ingest', 'hub/retrieval'],
        loop: ['hub/ingest', 'hub/retrieval'],
        arrows: [imp('hub/ingest/index-writer.ts', 'hub/retrieval/store.ts'), imp('hub/retrieval/store.ts', 'hub/ingest/invalid.ts')],
      },
    ]);
    expect(describeCycles(cycles)).toBe(
      'hub/ingest → hub/retrieval → hub/ingest\n  hub/ingest/index-writer.ts imports hub/retrieval/store.ts\n  hub/retrieval/store.ts imports hub/ingest/invalid.ts',
    );
  });

  it('shows the shortest way round a set of four', () => {
    const [cycle] = folderCycles([imp('hub/a/x.ts', 'hub/b/x.ts'), imp('hub/b/x.ts', 'hub/c/x.ts'), imp('hub/c/x.ts', 'hub/d/x.ts'), imp('hub/d/x.ts', 'hub/a/x.ts'), imp('hub/b/x.ts', 'hub/a/x.ts')]);
    expect(cycle!.folders).toEqual(['hub/a', 'hub/b', 'hub/c', 'hub/d']);
    expect(cycle!.loop).toEqual(['hub/a', 'hub/b']);
    expect(cycle!.arrows).toHaveLength(5);
  });
});
