/**
 * Copies every `Reflect` metadata entry of `source` onto `target`. Decorators applied before ours
 * (`@Get`, `@MessagePattern`, guards, Swagger) stored theirs on the original function; the
 * wrapper must carry them or Nest would no longer see a route, a pattern or a guard.
 */
export function copyMethodMetadata(source: object, target: object): void {
  for (const key of Reflect.getOwnMetadataKeys(source)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, source), target);
  }
}
