// A TypeDoc plugin: each entry point of the API reference is named after the import a user writes
// (`@bulwark/core/rxjs`), not after its path in the repository (`core/src/rxjs`).
import { Converter, ReflectionKind } from 'typedoc';

const NAMES = {
  'core/src': '@bulwark/core',
  'core/src/rxjs': '@bulwark/core/rxjs',
  'nestjs/src': '@bulwark/nestjs',
  'redis/src': '@bulwark/redis',
  'http/src': '@bulwark/http',
  'http/src/axios': '@bulwark/http/axios',
  'http/src/nestjs': '@bulwark/http/nestjs',
};

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const name = NAMES[module.name];
      if (name === undefined) throw new Error(`typedoc-package-names: no package name for the entry point "${module.name}"`);
      module.name = name;
    }
  });
}
