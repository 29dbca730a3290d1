import { Controller, type Type } from '@nestjs/common';
import { ResilienceAdminController } from './resilience-admin.controller.js';
import { ResilienceLiveController } from './resilience-live.controller.js';

/** The controllers mounted beside each health controller (to move them along with it). */
const MOUNTED = new WeakMap<Type, Type[]>();

/**
 * The health controller with the live and admin controllers at its path, listed first: Express
 * matches routes in registration order, and `events` / `dashboard` must win over `/:name`
 * (Fastify prefers static routes anyway). Only what `mount` enables is declared.
 */
export function withLiveControllers(health: Type, path: string, mount: { live: boolean; admin: boolean }): Type[] {
  const controllers: Type[] = [];
  if (mount.live) controllers.push(mountAt(ResilienceLiveController, 'ResilienceLiveController', path));
  if (mount.admin) controllers.push(mountAt(ResilienceAdminController, 'ResilienceAdminController', path));
  MOUNTED.set(health, controllers);
  return [...controllers, health];
}

/** Moves the controllers declared with `health` to its new path (before routing). */
export function remountLiveControllers(health: Type, path: string): void {
  for (const controller of MOUNTED.get(health) ?? []) Controller(path)(controller);
}

/** A class of its own per module definition: two applications may mount at different paths. */
function mountAt<T>(base: Type<T>, name: string, path: string): Type<T> {
  const mounted = class extends (base as Type<object>) {} as Type<T>;
  Object.defineProperty(mounted, 'name', { value: name });
  Controller(path)(mounted);
  return mounted;
}
